import Foundation
import X509

extension DistinguishedName {
    /// The value of the first common name (CN) attribute, if any.
    var commonName: String? {
        for relativeName in self {
            for attribute in relativeName where attribute.type == .RDNAttributeType.commonName {
                return String(attribute.value)
            }
        }
        return nil
    }
}

extension Certificate.SerialNumber {
    /// The serial number as lower-case hexadecimal without leading zero bytes, the form the PKI stores.
    var hexadecimal: String {
        let significant = bytes.drop { $0 == 0 }
        return significant.map { String(format: "%02x", $0) }.joined()
    }
}
