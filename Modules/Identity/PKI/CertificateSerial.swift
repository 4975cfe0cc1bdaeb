import Foundation
import SmartNationCore
import X509

/// A certificate serial number: 16 random bytes, positive (the top bit clear) and with a non-zero
/// first byte, so that its DER and hexadecimal forms are exactly 16 bytes and 32 digits.
struct CertificateSerial: Sendable, Hashable {
    /// The number of random bytes in a serial.
    static let byteCount = 16
    /// The longest hexadecimal serial number accepted as input (RFC 5280 allows up to 20 bytes).
    static let hexadecimalLengthMax = 40

    /// The serial as lower-case hexadecimal.
    let hexadecimal: String

    /// A fresh random serial.
    static func random() -> CertificateSerial {
        var bytes = SecureRandom.bytes(byteCount)
        bytes[0] = max(bytes[0] & 0x7F, 1)
        return CertificateSerial(hexadecimal: bytes.map { String(format: "%02x", $0) }.joined())
    }

    private init(hexadecimal: String) {
        self.hexadecimal = hexadecimal
    }

    /// A serial number given as input: 1 to ``hexadecimalLengthMax`` hexadecimal digits, any case,
    /// leading zeros dropped.
    init(parsing text: String) throws(SmartNationError) {
        let digits = text.lowercased()
        guard !digits.isEmpty, digits.count <= Self.hexadecimalLengthMax,
            digits.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) || ("a"..."f").contains($0) })
        else {
            throw SmartNationError(.identityPKISerialMalformed, parameters: ["expected": "1 to 40 hexadecimal digits"])
        }
        let trimmed = String(digits.drop { $0 == "0" })
        guard !trimmed.isEmpty else {
            throw SmartNationError(.identityPKISerialMalformed, parameters: ["expected": "a serial number above zero"])
        }
        hexadecimal = trimmed.count % 2 == 0 ? trimmed : "0" + trimmed
    }

    /// The serial as swift-certificates' type.
    var certificateSerial: Certificate.SerialNumber {
        var bytes: [UInt8] = []
        var index = hexadecimal.startIndex
        while index < hexadecimal.endIndex {
            let next = hexadecimal.index(index, offsetBy: 2)
            bytes.append(UInt8(hexadecimal[index..<next], radix: 16) ?? 0)
            index = next
        }
        return Certificate.SerialNumber(bytes: bytes)
    }
}
