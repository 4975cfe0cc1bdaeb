import SmartNationCore
import Testing

@testable import Identity

@Suite("PasswordPolicy")
struct PasswordPolicyTests {
    let policy = PasswordPolicy()

    @Test("a long, uncommon password without the identifier passes")
    func strongPasswordPasses() throws {
        #expect(policy.check("violet tram under Bukit Timah", identifier: "S1234567D").isEmpty)
        try policy.validate("violet tram under Bukit Timah", identifier: "S1234567D")
    }

    @Test("the defaults are a minimum of 12 and a maximum of 128 characters")
    func defaults() {
        #expect(policy.lengthMin == 12)
        #expect(policy.lengthMax == 128)
    }

    @Test("a password shorter than the minimum is too short")
    func tooShort() {
        #expect(policy.check("violet tram", identifier: nil) == [.tooShort(minimum: 12)])
        #expect(policy.check("violet trams", identifier: nil).isEmpty)
    }

    @Test("length counts characters, not bytes")
    func lengthCountsCharacters() {
        let eleven = String(repeating: "\u{E9}", count: 11)
        let twelveDecomposed = String(repeating: "e\u{301}", count: 12)
        #expect(policy.check(eleven, identifier: nil) == [.tooShort(minimum: 12)])
        #expect(policy.check(twelveDecomposed, identifier: nil).isEmpty)
    }

    @Test("a password longer than the maximum is too long")
    func tooLong() {
        #expect(policy.check(String(repeating: "x", count: 128), identifier: nil).isEmpty)
        #expect(policy.check(String(repeating: "x", count: 129), identifier: nil) == [.tooLong(maximum: 128)])
    }

    @Test("a huge password is too long without further checks")
    func hugeInputIsBounded() {
        let huge = String(repeating: "password", count: 1_000_000)
        #expect(policy.check(huge, identifier: "password") == [.tooLong(maximum: 128)])
    }

    @Test("a common password is refused whatever its case")
    func common() {
        #expect(policy.check("password1234", identifier: nil) == [.common])
        #expect(policy.check("PassWord1234", identifier: nil) == [.common])
        #expect(policy.check("qwerty", identifier: nil) == [.tooShort(minimum: 12), .common])
    }

    @Test("the common password list has at least 100 lower-cased entries long enough for the default policy")
    func commonListIsSubstantial() {
        #expect(CommonPasswords.all.count >= 100)
        #expect(CommonPasswords.all.filter { $0.count >= PasswordPolicy.lengthMinDefault }.count >= 100,
                "entries shorter than the default minimum are refused by length anyway")
        #expect(throws: (any Error).self) { try PasswordPolicy().validate("MajulahSingapura", identifier: "S1234567D") }
        #expect(CommonPasswords.all.allSatisfy { $0 == $0.lowercased() })
    }

    @Test("a password equal to or containing the identifier is refused, ignoring case")
    func containsIdentifier() {
        #expect(policy.check("s1234567d", identifier: "S1234567D") == [.tooShort(minimum: 12), .containsIdentifier])
        #expect(policy.check("my id is S1234567D!", identifier: "s1234567d") == [.containsIdentifier])
        #expect(policy.check("my id is S1234567D!", identifier: nil).isEmpty)
        #expect(policy.check("my id is S1234567D!", identifier: "").isEmpty)
    }

    @Test("a very short identifier is refused only as the whole password")
    func shortIdentifierIsComparedWhole() {
        #expect(policy.check("violet tram under Bukit Timah", identifier: "vi").isEmpty)
        let permissive = PasswordPolicy(lengthMin: 1)
        #expect(permissive.check("VI", identifier: "vi") == [.containsIdentifier])
    }

    @Test("validate throws identity.password.rejected with every reason")
    func validateThrowsWithReasons() {
        do {
            try policy.validate("password", identifier: "password")
            Issue.record("validate accepted a weak password")
        } catch let error as SmartNationError {
            #expect(error.code == .identityPasswordRejected)
            #expect(error.parameters["reasons"] == "too_short,common,contains_identifier")
            #expect(error.parameters["minimum"] == "12")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}
