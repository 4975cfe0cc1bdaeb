import COpenSSL
import Foundation
import SmartNationCore

/// Conversions between `Date` and OpenSSL's `ASN1_TIME` (UTCTime up to 2049, GeneralizedTime after,
/// as RFC 5280 and RFC 5652 require), to whole seconds.
enum OpenSSLTime {
    /// A new `ASN1_TIME` for `date`; the caller frees it with `ASN1_TIME_free`.
    static func make(_ date: Date) throws(SmartNationError) -> UnsafeMutablePointer<ASN1_TIME> {
        guard let time = ASN1_TIME_set(nil, time_t(date.timeIntervalSince1970.rounded(.down))) else {
            throw OpenSSLFailure.error("ASN1_TIME_set")
        }
        return time
    }

    /// The date an `ASN1_TIME` stands for, or nil when it is not a valid time.
    static func date(of time: UnsafePointer<ASN1_TIME>) -> Date? {
        var parts = tm()
        guard ASN1_TIME_to_tm(time, &parts) == 1 else {
            OpenSSLFailure.clear()
            return nil
        }
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }
}
