import COpenSSL
import Foundation
import SmartNationCore

/// A certificate revocation list as the PKI keeps it: RFC 5280 v2 CRL in DER, signed by the CA whose
/// revocations it lists.
public struct RevocationList: Sendable, Hashable {
    /// The `cRLNumber` extension: grows by one with every CRL issued.
    public var number: Int64
    /// When it was issued.
    public var thisUpdate: Date
    /// When the next one is due at the latest.
    public var nextUpdate: Date
    /// The CRL in DER.
    public var derEncoded: Data

    /// The CRL in PEM (`-----BEGIN X509 CRL-----`).
    public var pemEncoded: String {
        PEMText.encode(derEncoded, label: "X509 CRL")
    }
}

/// One entry of a CRL: a revoked certificate's serial number, date and reason.
public struct RevokedSerial: Sendable, Hashable {
    /// The serial number, hexadecimal.
    public var serialNumber: String
    /// When it was revoked.
    public var date: Date
    /// Why.
    public var reason: RevocationReason
}

/// Builds and signs CRLs with OpenSSL (swift-certificates has no CRL type).
struct RevocationListBuilder: Sendable {
    /// The CA whose key signs the CRL and whose name it is issued under.
    let authority: CertificateAuthority

    /// A CRL numbered `number`, valid from `thisUpdate` to `nextUpdate`, listing `entries`, with the
    /// CA's key identifier as authority key identifier.
    func make(number: Int64, thisUpdate: Date, nextUpdate: Date, entries: [RevokedSerial]) throws(SmartNationError) -> RevocationList {
        precondition(number > 0 && thisUpdate < nextUpdate, "a CRL has a positive number and a forward validity")
        let issuer = try OpenSSLCertificate(derEncoded: authority.derEncoded)
        let issuerKey = try OpenSSLPrivateKey(authority.privateKey)
        guard let crl = X509_CRL_new() else { throw OpenSSLFailure.error("X509_CRL_new") }
        defer { X509_CRL_free(crl) }
        guard X509_CRL_set_version(crl, Int(X509_CRL_VERSION_2)) == 1,
            X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer.pointer)) == 1
        else { throw OpenSSLFailure.error("X509_CRL_set_issuer_name") }
        try setTimes(of: crl, thisUpdate: thisUpdate, nextUpdate: nextUpdate)
        for entry in entries {
            try add(entry, to: crl)
        }
        try addExtensions(to: crl, number: number, issuer: issuer)
        guard X509_CRL_sort(crl) == 1, X509_CRL_sign(crl, issuerKey.pointer, EVP_sha256()) > 0 else {
            throw OpenSSLFailure.error("X509_CRL_sign")
        }
        let buffer = try OpenSSLMemoryBuffer()
        guard i2d_X509_CRL_bio(buffer.pointer, crl) == 1 else { throw OpenSSLFailure.error("i2d_X509_CRL_bio") }
        return RevocationList(number: number, thisUpdate: thisUpdate, nextUpdate: nextUpdate, derEncoded: buffer.contents)
    }

    private func setTimes(of crl: OpaquePointer, thisUpdate: Date, nextUpdate: Date) throws(SmartNationError) {
        let this = try OpenSSLTime.make(thisUpdate)
        defer { ASN1_TIME_free(this) }
        let next = try OpenSSLTime.make(nextUpdate)
        defer { ASN1_TIME_free(next) }
        guard X509_CRL_set1_lastUpdate(crl, this) == 1, X509_CRL_set1_nextUpdate(crl, next) == 1 else {
            throw OpenSSLFailure.error("X509_CRL_set1_lastUpdate")
        }
    }

    private func add(_ entry: RevokedSerial, to crl: OpaquePointer) throws(SmartNationError) {
        guard let revoked = X509_REVOKED_new() else { throw OpenSSLFailure.error("X509_REVOKED_new") }
        var owned = true
        defer { if owned { X509_REVOKED_free(revoked) } }
        let serial = try Self.integer(hex: entry.serialNumber)
        defer { ASN1_INTEGER_free(serial) }
        let date = try OpenSSLTime.make(entry.date)
        defer { ASN1_TIME_free(date) }
        guard X509_REVOKED_set_serialNumber(revoked, serial) == 1, X509_REVOKED_set_revocationDate(revoked, date) == 1 else {
            throw OpenSSLFailure.error("X509_REVOKED_set_serialNumber")
        }
        if entry.reason != .unspecified {
            guard let reason = ASN1_ENUMERATED_new() else { throw OpenSSLFailure.error("ASN1_ENUMERATED_new") }
            defer { ASN1_ENUMERATED_free(reason) }
            guard ASN1_ENUMERATED_set(reason, entry.reason.code) == 1,
                X509_REVOKED_add1_ext_i2d(revoked, NID_crl_reason, reason, 0, 0) == 1
            else { throw OpenSSLFailure.error("X509_REVOKED_add1_ext_i2d") }
        }
        guard X509_CRL_add0_revoked(crl, revoked) == 1 else { throw OpenSSLFailure.error("X509_CRL_add0_revoked") }
        owned = false
    }

    private func addExtensions(to crl: OpaquePointer, number: Int64, issuer: OpenSSLCertificate) throws(SmartNationError) {
        guard let crlNumber = ASN1_INTEGER_new() else { throw OpenSSLFailure.error("ASN1_INTEGER_new") }
        defer { ASN1_INTEGER_free(crlNumber) }
        guard ASN1_INTEGER_set_int64(crlNumber, number) == 1,
            X509_CRL_add1_ext_i2d(crl, NID_crl_number, crlNumber, 0, 0) == 1
        else { throw OpenSSLFailure.error("X509_CRL_add1_ext_i2d(crlNumber)") }
        guard let keyIdentifier = X509_get0_subject_key_id(issuer.pointer) else {
            throw SmartNationError(.identityPKIInternal, parameters: ["reason": "the CA has no subject key identifier"], httpStatus: 500)
        }
        guard let authorityKey = AUTHORITY_KEYID_new() else { throw OpenSSLFailure.error("AUTHORITY_KEYID_new") }
        defer { AUTHORITY_KEYID_free(authorityKey) }
        authorityKey.pointee.keyid = ASN1_OCTET_STRING_dup(keyIdentifier)
        guard authorityKey.pointee.keyid != nil,
            X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, authorityKey, 0, 0) == 1
        else { throw OpenSSLFailure.error("X509_CRL_add1_ext_i2d(authorityKeyIdentifier)") }
    }

    /// A new `ASN1_INTEGER` for a hexadecimal serial number; the caller frees it.
    private static func integer(hex: String) throws(SmartNationError) -> UnsafeMutablePointer<ASN1_INTEGER> {
        var number: OpaquePointer? = nil
        guard BN_hex2bn(&number, hex) == Int32(hex.utf8.count), let number else { throw OpenSSLFailure.error("BN_hex2bn") }
        defer { BN_free(number) }
        guard let integer = BN_to_ASN1_INTEGER(number, nil) else { throw OpenSSLFailure.error("BN_to_ASN1_INTEGER") }
        return integer
    }
}
