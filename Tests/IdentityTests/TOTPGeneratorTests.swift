import Foundation
import Testing

@testable import Identity

@Suite("TOTPGenerator")
struct TOTPGeneratorTests {
    /// RFC 6238 Appendix B's SHA-1 seed, the ASCII bytes of "12345678901234567890".
    static let rfcSecret = TOTPSecret(bytes: Array("12345678901234567890".utf8))

    let generator = TOTPGenerator(secret: TOTPGeneratorTests.rfcSecret)
    let now = Date(timeIntervalSince1970: 1_111_111_111)

    @Test(
        "RFC 6238 SHA-1 test vectors give the published 8-digit codes",
        arguments: [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] as [(Int64, String)]
    )
    func rfcVectors(seconds: Int64, expected: String) {
        let eightDigits = TOTPGenerator(secret: Self.rfcSecret, digits: 8)
        #expect(eightDigits.code(at: Date(timeIntervalSince1970: TimeInterval(seconds))) == expected)
    }

    @Test("the default code is the last 6 digits of the 8-digit one")
    func sixDigitsByDefault() {
        #expect(generator.digits == 6)
        #expect(generator.code(at: Date(timeIntervalSince1970: 59)) == "287082")
        #expect(generator.code(at: Date(timeIntervalSince1970: 1_111_111_109)) == "081804")
    }

    @Test("the step is the number of whole 30-second periods since the epoch")
    func stepsAreThirtySeconds() {
        #expect(TOTPGenerator.step(at: Date(timeIntervalSince1970: 0)) == 0)
        #expect(TOTPGenerator.step(at: Date(timeIntervalSince1970: 29.9)) == 0)
        #expect(TOTPGenerator.step(at: Date(timeIntervalSince1970: 30)) == 1)
        #expect(TOTPGenerator.step(at: Date(timeIntervalSince1970: 59)) == 1)
        #expect(TOTPGenerator.step(at: Date(timeIntervalSince1970: -1)) == -1)
    }

    @Test("the current code is accepted with its step")
    func currentCodeIsAccepted() {
        let step = TOTPGenerator.step(at: now)
        #expect(generator.verify(generator.code(at: now), at: now, lastUsedStep: nil) == .accepted(step: step))
    }

    @Test("codes one step either side are accepted", arguments: [-30.0, 30.0])
    func adjacentStepsAreAccepted(offset: TimeInterval) {
        let other = now.addingTimeInterval(offset)
        let step = TOTPGenerator.step(at: other)
        #expect(generator.verify(generator.code(at: other), at: now, lastUsedStep: nil) == .accepted(step: step))
    }

    @Test("codes two steps either side are rejected", arguments: [-60.0, 60.0])
    func distantStepsAreRejected(offset: TimeInterval) {
        let other = now.addingTimeInterval(offset)
        #expect(generator.verify(generator.code(at: other), at: now, lastUsedStep: nil) == .rejected)
    }

    @Test("a wrong code is rejected")
    func wrongCodeIsRejected() {
        let code = generator.code(at: now)
        let wrong = code == "000000" ? "000001" : "000000"
        #expect(generator.verify(wrong, at: now, lastUsedStep: nil) == .rejected)
    }

    @Test("a code whose step is the last used step is a replay")
    func sameStepIsReplayed() {
        let step = TOTPGenerator.step(at: now)
        #expect(generator.verify(generator.code(at: now), at: now, lastUsedStep: step) == .replayed)
    }

    @Test("a code older than the last used step is a replay")
    func olderStepIsReplayed() {
        let step = TOTPGenerator.step(at: now)
        let previous = now.addingTimeInterval(-30)
        #expect(generator.verify(generator.code(at: previous), at: now, lastUsedStep: step) == .replayed)
    }

    @Test("a code newer than the last used step is accepted")
    func newerStepIsAccepted() {
        let step = TOTPGenerator.step(at: now)
        #expect(generator.verify(generator.code(at: now), at: now, lastUsedStep: step - 1) == .accepted(step: step))
    }

    @Test("a wrong code is rejected, not reported as a replay, when a step was used")
    func wrongCodeAfterUseIsRejected() {
        let step = TOTPGenerator.step(at: now)
        let code = generator.code(at: now)
        let wrong = code == "000000" ? "000001" : "000000"
        #expect(generator.verify(wrong, at: now, lastUsedStep: step) == .rejected)
    }

    @Test(
        "malformed codes are rejected",
        arguments: ["", "12345", "1234567", "12345a", " 12345", "12345 ", "１２３４５６", "١٢٣٤٥٦", "-12345", "+12345"]
    )
    func malformedCodesAreRejected(code: String) {
        #expect(generator.verify(code, at: now, lastUsedStep: nil) == .rejected)
    }

    @Test("an 8-digit generator refuses 6-digit codes")
    func digitCountMustMatch() {
        let eightDigits = TOTPGenerator(secret: Self.rfcSecret, digits: 8)
        let code = generator.code(at: now)
        #expect(eightDigits.verify(code, at: now, lastUsedStep: nil) == .rejected)
        #expect(eightDigits.verify("14050471", at: now, lastUsedStep: nil) == .accepted(step: 37_037_037))
    }

    @Test("the provisioning URI follows the Key URI format")
    func provisioningURI() throws {
        let secret = try TOTPSecret(base32: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
        let uri = TOTPGenerator(secret: secret).provisioningURI(account: "S1234567D", issuer: "SmartNation")
        #expect(
            uri
                == "otpauth://totp/SmartNation:S1234567D?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
                + "&issuer=SmartNation&algorithm=SHA1&digits=6&period=30"
        )
    }

    @Test("the provisioning URI percent-encodes spaces, colons, reserved and non-ASCII characters")
    func provisioningURIPercentEncodes() {
        let uri = generator.provisioningURI(account: "tan.ah-kow+1@example.sg", issuer: "Smart Nation: Singpass 新加坡")
        let issuer = "Smart%20Nation%3A%20Singpass%20%E6%96%B0%E5%8A%A0%E5%9D%A1"
        #expect(
            uri
                == "otpauth://totp/\(issuer):tan.ah-kow%2B1%40example.sg?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
                + "&issuer=\(issuer)&algorithm=SHA1&digits=6&period=30"
        )
    }

    @Test("the provisioning URI names the digit count of an 8-digit generator")
    func provisioningURIDigits() {
        let uri = TOTPGenerator(secret: Self.rfcSecret, digits: 8).provisioningURI(account: "a", issuer: "b")
        #expect(uri.hasSuffix("&digits=8&period=30"))
    }
}
