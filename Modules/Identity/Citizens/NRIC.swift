import Foundation
import SmartNationCore

/// A Singapore NRIC or FIN: a series letter, seven digits and a check letter (`S1234567D`).
///
/// The check letter is verified: a weighted sum of the digits (weights 2, 7, 6, 5, 4, 3, 2), plus 4 for
/// the T and G series and 3 for M, taken modulo 11, indexes the series' table. S and T are citizens and
/// permanent residents, F, G and M foreigners. The NRIC is personal data: it is never an event's
/// payload or a token's subject, and leaves the platform only as a consented attribute.
public struct NRIC: CheckedIdentifier {
    /// The canonical upper-case text, such as `S1234567D`.
    public let value: String

    private static let weights = [2, 7, 6, 5, 4, 3, 2]

    /// Parses and checks an NRIC or FIN; surrounding white space and lower case are accepted.
    public init(_ text: String) throws(SmartNationError) {
        let candidate = text.trimmingCharacters(in: .whitespaces).uppercased()
        let characters = Array(candidate)
        guard characters.count == 9, let series = characters.first, "STFGM".contains(series),
            characters[1...7].allSatisfy({ $0.isASCII && $0.isNumber }), let check = characters.last, check.isLetter,
            check.isASCII
        else {
            throw SmartNationError(.identityNRICMalformed, parameters: ["expected": "a letter S, T, F, G or M, 7 digits and a letter"])
        }
        let digits = characters[1...7].map { Int(String($0))! }
        guard Self.checkLetter(series: series, digits: digits) == check else {
            throw SmartNationError(.identityNRICChecksum)
        }
        value = candidate
    }

    /// The check letter for a series and its seven digits.
    static func checkLetter(series: Character, digits: [Int]) -> Character {
        precondition(digits.count == 7 && digits.allSatisfy { (0...9).contains($0) })
        var sum = zip(digits, weights).map(*).reduce(0, +)
        switch series {
        case "T", "G": sum += 4
        case "M": sum += 3
        default: break
        }
        let remainder = sum % 11
        switch series {
        case "S", "T": return Array("JZIHGFEDCBA")[remainder]
        case "F", "G": return Array("XWUTRQPNMLK")[remainder]
        case "M": return Array("KLJNPQRTUWX")[10 - remainder]
        default: preconditionFailure("series letters are checked before")
        }
    }

    /// Whether this is a foreigner's FIN (F, G or M series) rather than a citizen's or resident's NRIC.
    public var isFIN: Bool { "FGM".contains(value.first!) }

    /// The identifier with all but the last four characters hidden (`*****567D`), for logs and screens.
    public var masked: String { String(repeating: "*", count: 5) + value.suffix(4) }

    public var description: String { masked }
}
