import Foundation
import SmartNationCore

/// A Singapore Unique Entity Number, in one of its three published formats:
/// - businesses: 8 digits and a letter (`53012345D`);
/// - local companies: a 4-digit year of registration, 5 digits and a letter (`200002150H`);
/// - other entities: `T`, `S` or `R` (the century), a 2-digit year, a 2-letter entity type, 4 digits
///   and a letter (`T09LL0001B`).
///
/// No check algorithm is published, so only the format is verified; none is invented.
public struct UEN: CheckedIdentifier {
    /// Which of the three formats a UEN has.
    public enum Format: String, Sendable, Hashable, Codable {
        /// Registered with ACRA as a business.
        case business
        /// A local company.
        case localCompany
        /// Any other entity (societies, partnerships, foreign companies …).
        case otherEntity
    }

    /// The canonical upper-case text.
    public let value: String
    /// The format it matched.
    public let format: Format

    /// Parses a UEN; surrounding white space and lower case are accepted.
    public init(_ text: String) throws(SmartNationError) {
        let candidate = text.trimmingCharacters(in: .whitespaces).uppercased()
        let characters = Array(candidate)
        func digits(_ range: Range<Int>) -> Bool { characters[range].allSatisfy { $0.isASCII && $0.isNumber } }
        func letters(_ range: Range<Int>) -> Bool { characters[range].allSatisfy { $0.isASCII && $0.isLetter } }
        if characters.count == 9, digits(0..<8), letters(8..<9) {
            format = .business
        } else if characters.count == 10, digits(0..<9), letters(9..<10), let year = Int(String(characters[0..<4])),
            (1800...2100).contains(year)
        {
            format = .localCompany
        } else if characters.count == 10, "TSR".contains(characters[0]), digits(1..<3), letters(3..<5), digits(5..<9),
            letters(9..<10)
        {
            format = .otherEntity
        } else {
            throw SmartNationError(
                .identityUENMalformed,
                parameters: ["expected": "8 digits and a letter; a year, 5 digits and a letter; or T/S/R, 2 digits, 2 letters, 4 digits and a letter"])
        }
        value = candidate
    }

    public var description: String { value }
}
