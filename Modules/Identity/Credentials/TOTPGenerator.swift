import Crypto
import Foundation

/// Time-based one-time passwords as RFC 6238 defines them, with the parameters every authenticator
/// app supports: HMAC-SHA-1, a 30-second period and 6 digits.
///
/// Eight digits are available for the RFC's test vectors and for apps that show them. Verification
/// accepts the step before and after the current one, so a code typed as it turns over and a clock
/// that is a little off still work, and refuses any step not after the last one used, so a code
/// overheard or phished cannot be used twice.
///
/// ```swift
/// let generator = TOTPGenerator(secret: secret)
/// switch generator.verify(code, at: clock.now, lastUsedStep: stored.lastUsedStep) {
/// case .accepted(let step): stored.lastUsedStep = step
/// case .rejected, .replayed: …
/// }
/// ```
public struct TOTPGenerator: Sendable {
    /// The length of a period, in seconds.
    public static let periodSeconds: Int64 = 30
    /// The number of steps either side of the current one a code may belong to.
    public static let windowSteps: Int64 = 1
    /// The digit counts a generator accepts.
    public static let digitsRange = 6...8

    /// The shared secret.
    public let secret: TOTPSecret
    /// The number of digits in a code.
    public let digits: Int

    /// Creates a generator. `digits` is between 6 and 8.
    public init(secret: TOTPSecret, digits: Int = 6) {
        precondition(Self.digitsRange.contains(digits), "a TOTP code has between 6 and 8 digits")
        self.secret = secret
        self.digits = digits
    }

    /// The step, the number of whole periods since the Unix epoch, that `date` falls in.
    public static func step(at date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 / Double(periodSeconds)).rounded(.down))
    }

    /// The code for the period `date` falls in, zero-padded to ``digits`` digits.
    public func code(at date: Date) -> String {
        code(step: Self.step(at: date))
    }

    /// Checks a code at `date`, accepting the current step and one either side.
    ///
    /// - Parameter lastUsedStep: the step of the last code this secret accepted, or nil if none;
    ///   a code whose step is not after it is ``TOTPVerification/replayed``.
    /// - Returns: ``TOTPVerification/rejected`` for a wrong code and for malformed input, anything
    ///   other than exactly ``digits`` ASCII digits.
    public func verify(_ code: String, at date: Date, lastUsedStep: Int64?) -> TOTPVerification {
        let candidate = Array(code.utf8)
        guard candidate.count == digits, candidate.allSatisfy({ (0x30...0x39).contains($0) }) else { return .rejected }
        let currentStep = Self.step(at: date)
        // Every step in the window is computed and compared, so the time taken does not say which
        // step, if any, matched. The latest matching step wins.
        var acceptedStep: Int64?
        var matchedReplay = false
        for step in (currentStep - Self.windowSteps)...(currentStep + Self.windowSteps) {
            guard constantTimeEquals(Array(self.code(step: step).utf8), candidate) else { continue }
            if let lastUsedStep, step <= lastUsedStep {
                matchedReplay = true
            } else {
                acceptedStep = step
            }
        }
        if let acceptedStep { return .accepted(step: acceptedStep) }
        return matchedReplay ? .replayed : .rejected
    }

    /// The HOTP value (RFC 4226) for a counter, zero-padded to ``digits`` digits.
    func code(step: Int64) -> String {
        let counter = withUnsafeBytes(of: UInt64(bitPattern: step).bigEndian) { Array($0) }
        let mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: counter, using: SymmetricKey(data: secret.bytes)))
        // Dynamic truncation: the low nibble of the last byte picks four bytes; the top bit is dropped
        // so the value reads the same as a signed or unsigned integer.
        let offset = Int(mac[mac.count - 1] & 0x0F)
        let truncated =
            (UInt32(mac[offset] & 0x7F) << 24) | (UInt32(mac[offset + 1]) << 16)
            | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        var modulus: UInt32 = 1
        for _ in 0..<digits { modulus *= 10 }
        let value = String(truncated % modulus)
        return String(repeating: "0", count: digits - value.count) + value
    }
}
