import SmartNationCore

/// The rules a new password must meet: a length between a minimum and a maximum, not one of the
/// most common passwords, and not containing the citizen's own identifier.
///
/// The rules follow NIST SP 800-63B: length and a blocklist, no composition rules. Length counts
/// characters as a person sees them (`Character`s), so an accented letter counts once however it is
/// encoded.
///
/// ```swift
/// let violations = PasswordPolicy().check(candidate, identifier: "S1234567D")
/// try PasswordPolicy().validate(candidate, identifier: "S1234567D")
/// ```
public struct PasswordPolicy: Sendable {
    /// A rule a password breaks.
    public enum Violation: Sendable, Hashable {
        /// The password has fewer characters than `minimum`.
        case tooShort(minimum: Int)
        /// The password has more characters than `maximum`.
        case tooLong(maximum: Int)
        /// The password is on the list of common passwords.
        case common
        /// The password contains the citizen's identifier.
        case containsIdentifier

        /// A stable snake-case name for error parameters and logs: `too_short`, `too_long`, `common`,
        /// `contains_identifier`.
        public var reason: String {
            switch self {
            case .tooShort: "too_short"
            case .tooLong: "too_long"
            case .common: "common"
            case .containsIdentifier: "contains_identifier"
            }
        }
    }

    /// NIST's recommended minimum for passwords chosen by people when no second factor is required.
    public static let lengthMinDefault = 12
    /// A maximum long enough for passphrases and short enough to bound the work each check does.
    public static let lengthMaxDefault = 128
    /// The largest maximum a policy accepts. ``PasswordHasher`` refuses input beyond its byte bound,
    /// and four UTF-8 bytes per character keeps this maximum inside it.
    public static let lengthMaxLimit = PasswordHasher.passwordByteCountMax / 4
    /// Identifiers shorter than this are refused only as the whole password: containment of a very
    /// short identifier would refuse harmless passwords.
    static let identifierLengthMinForContainment = 3

    /// The fewest characters a password has.
    public let lengthMin: Int
    /// The most characters a password has.
    public let lengthMax: Int

    /// Creates a policy. The minimum is at least 1 and not above the maximum, which is at most
    /// ``lengthMaxLimit``.
    public init(lengthMin: Int = PasswordPolicy.lengthMinDefault, lengthMax: Int = PasswordPolicy.lengthMaxDefault) {
        precondition(lengthMin >= 1, "a password has at least one character")
        precondition(lengthMin <= lengthMax, "the minimum length is not above the maximum")
        precondition(lengthMax <= Self.lengthMaxLimit, "the maximum length is at most \(Self.lengthMaxLimit)")
        self.lengthMin = lengthMin
        self.lengthMax = lengthMax
    }

    /// Returns every rule the password breaks, in a stable order (length, common, identifier); empty
    /// when it meets them all.
    ///
    /// - Parameter identifier: the citizen's identifier (an NRIC, FIN or user name), compared without
    ///   regard to case; nil when there is none.
    public func check(_ password: String, identifier: String?) -> [Violation] {
        // Input of more than four UTF-8 bytes per allowed character is refused before it is counted or
        // lower-cased, so the work a check does stays bounded whatever a client sends.
        guard password.utf8.count <= lengthMax * 4 else { return [.tooLong(maximum: lengthMax)] }
        var violations: [Violation] = []
        let length = password.count
        if length < lengthMin { violations.append(.tooShort(minimum: lengthMin)) }
        if length > lengthMax { violations.append(.tooLong(maximum: lengthMax)) }
        let lowercased = password.lowercased()
        if CommonPasswords.all.contains(lowercased) { violations.append(.common) }
        if let identifier, Self.contains(lowercased, identifier: identifier) {
            violations.append(.containsIdentifier)
        }
        return violations
    }

    /// Checks the password and throws when it breaks any rule.
    ///
    /// - Throws: ``SmartNationError`` `identity.password.rejected` with parameter `reasons`, the
    ///   comma-separated ``Violation/reason`` of each broken rule, and `minimum` or `maximum` when a
    ///   length rule is broken.
    public func validate(_ password: String, identifier: String?) throws {
        let violations = check(password, identifier: identifier)
        guard !violations.isEmpty else { return }
        var parameters = ["reasons": violations.map(\.reason).joined(separator: ",")]
        for violation in violations {
            switch violation {
            case .tooShort(let minimum): parameters["minimum"] = String(minimum)
            case .tooLong(let maximum): parameters["maximum"] = String(maximum)
            case .common, .containsIdentifier: break
            }
        }
        throw SmartNationError(.identityPasswordRejected, parameters: parameters)
    }

    private static func contains(_ lowercasedPassword: String, identifier: String) -> Bool {
        let lowercasedIdentifier = identifier.lowercased()
        guard !lowercasedIdentifier.isEmpty else { return false }
        guard lowercasedIdentifier.count >= identifierLengthMinForContainment else {
            return lowercasedPassword == lowercasedIdentifier
        }
        return lowercasedPassword.contains(lowercasedIdentifier)
    }
}
