import Foundation
import SmartNationCore

/// A Singapore mobile number: `+65` and 8 digits beginning with 8 or 9, stored as `+6591234567`.
public struct MobileNumber: CheckedIdentifier {
    /// The canonical E.164 text.
    public let value: String

    /// Parses a number written with or without `+65`, spaces or dashes (`9123 4567`, `+65 9123-4567`).
    public init(_ text: String) throws(SmartNationError) {
        var digits = text.filter { !$0.isWhitespace && $0 != "-" }
        if digits.hasPrefix("+65") { digits.removeFirst(3) }
        guard digits.count == 8, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let first = digits.first, "89".contains(first)
        else {
            throw SmartNationError(.identityMobileMalformed, parameters: ["expected": "+65 and 8 digits beginning with 8 or 9"])
        }
        value = "+65" + digits
    }

    public var description: String { value }
}

/// An email address, checked for shape only (`local@domain.tld`, at most 254 characters); delivery
/// proves the rest.
public struct EmailAddress: CheckedIdentifier {
    /// The address, with the domain lower-cased.
    public let value: String

    /// Parses an address.
    public init(_ text: String) throws(SmartNationError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.split(separator: "@", omittingEmptySubsequences: false)
        guard trimmed.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[0].count <= 64,
            parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
            !trimmed.contains(where: { $0.isWhitespace || $0.isNewline })
        else {
            throw SmartNationError(.identityEmailMalformed, parameters: ["expected": "local@domain"])
        }
        value = "\(parts[0])@\(parts[1].lowercased())"
    }

    public var description: String { value }
}

/// The four official languages a citizen may prefer.
public enum PreferredLanguage: String, Sendable, Hashable, Codable, CaseIterable {
    /// English.
    case english = "en"
    /// Simplified Chinese.
    case chinese = "zh"
    /// Malay.
    case malay = "ms"
    /// Tamil.
    case tamil = "ta"
}

/// Sex as registered.
public enum Sex: String, Sendable, Hashable, Codable, CaseIterable {
    /// Female.
    case female = "F"
    /// Male.
    case male = "M"
}

/// A registered address in Singapore: block or house number, street, optional unit, 6-digit postal code.
public struct RegisteredAddress: Sendable, Hashable, Codable {
    /// Block or house number.
    public var block: String
    /// Street name.
    public var street: String
    /// Unit, such as `#12-34`.
    public var unit: String?
    /// The 6-digit postal code.
    public var postalCode: String

    /// Creates an address; the postal code must be 6 digits and the other parts non-empty and short.
    public init(block: String, street: String, unit: String? = nil, postalCode: String) throws(SmartNationError) {
        guard postalCode.count == 6, postalCode.allSatisfy({ $0.isASCII && $0.isNumber }),
            !block.isEmpty, block.count <= 16, !street.isEmpty, street.count <= 120, (unit?.count ?? 0) <= 16
        else {
            throw SmartNationError(
                .identityAddressInvalid, parameters: ["expected": "block, street, optional unit and a 6-digit postal code"])
        }
        self.block = block
        self.street = street
        self.unit = unit
        self.postalCode = postalCode
    }
}
