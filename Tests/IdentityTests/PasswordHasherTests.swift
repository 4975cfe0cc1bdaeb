import Foundation
import SmartNationCore
import Testing

@testable import Identity

@Suite("PasswordHasher")
struct PasswordHasherTests {
    /// A cost low enough that a test hashes in milliseconds.
    let hasher = PasswordHasher(unsafeTestingRounds: 1_000)

    @Test("PBKDF2-HMAC-SHA256 derives the published vector for password, salt, one round")
    func derivesTheKnownVector() throws {
        let derived = try PasswordHasher.deriveKey(Array("password".utf8), salt: Array("salt".utf8), rounds: 1)
        let hex = derived.map { String(format: "%02x", $0) }.joined()
        #expect(hex == "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b")
    }

    @Test("a hashed password verifies and needs no rehash")
    func hashThenVerifyMatches() throws {
        let stored = try hasher.hash("correct horse battery staple")
        #expect(hasher.verify("correct horse battery staple", against: stored) == .matches(needsRehash: false))
    }

    @Test("the stored form names the algorithm, the cost, a 16-byte salt and a 32-byte hash")
    func storedFormIsSelfDescribing() throws {
        let stored = try hasher.hash("correct horse battery staple")
        let fields = stored.split(separator: "$", omittingEmptySubsequences: false)
        #expect(fields.count == 4)
        #expect(fields[0] == "pbkdf2-sha256")
        #expect(fields[1] == "1000")
        #expect(Data(base64Encoded: String(fields[2]))?.count == 16)
        #expect(Data(base64Encoded: String(fields[3]))?.count == 32)
    }

    @Test("a wrong password does not match")
    func wrongPasswordDoesNotMatch() throws {
        let stored = try hasher.hash("correct horse battery staple")
        #expect(hasher.verify("correct horse battery stable", against: stored) == .doesNotMatch)
        #expect(hasher.verify("", against: stored) == .doesNotMatch)
    }

    @Test("a hash made with another cost verifies and asks to be rehashed")
    func costChangeNeedsRehash() throws {
        let stored = try hasher.hash("correct horse battery staple")
        let strongerHasher = PasswordHasher(unsafeTestingRounds: 2_000)
        #expect(strongerHasher.verify("correct horse battery staple", against: stored) == .matches(needsRehash: true))
        #expect(strongerHasher.verify("wrong horse battery staple", against: stored) == .doesNotMatch)
    }

    @Test("a wrong password against a hash of a lower cost takes as long as against one of the current cost, as the decoy for an unknown identifier does")
    func failuresAtALowerCostArePadded() throws {
        let current = PasswordHasher(unsafeTestingRounds: 300_000)
        let old = try PasswordHasher(unsafeTestingRounds: 1).hash("correct horse battery staple")
        let decoy = try current.hash("a decoy nobody types")
        #expect(current.paddingRounds(afterFailureAt: 1) == 299_999)
        #expect(current.paddingRounds(afterFailureAt: 300_000) == 0)
        #expect(current.paddingRounds(afterFailureAt: 600_000) == 0)
        let clock = ContinuousClock()
        let againstOld = clock.measure { #expect(current.verify("wrong horse battery staple", against: old) == .doesNotMatch) }
        let againstDecoy = clock.measure { #expect(current.verify("wrong horse battery staple", against: decoy) == .doesNotMatch) }
        // Unpadded, the 1-round hash would answer some 100,000 times sooner; padded, the two are alike.
        #expect(againstOld > againstDecoy / 4, "\(againstOld) against \(againstDecoy)")
        #expect(current.verify("correct horse battery staple", against: old) == .matches(needsRehash: true))
    }

    @Test("two hashes of one password differ because each has its own salt")
    func saltsDiffer() throws {
        let first = try hasher.hash("correct horse battery staple")
        let second = try hasher.hash("correct horse battery staple")
        #expect(first != second)
        #expect(hasher.verify("correct horse battery staple", against: first) == .matches(needsRehash: false))
        #expect(hasher.verify("correct horse battery staple", against: second) == .matches(needsRehash: false))
    }

    @Test(
        "malformed stored forms are unreadable",
        arguments: [
            "",
            "pbkdf2-sha256",
            "pbkdf2-sha256$1000$c2FsdHNhbHRzYWx0c2FsdA==",
            "bcrypt$1000$c2FsdHNhbHRzYWx0c2FsdA==$ZBiKBUoQ9Nm9GDhNbw7Zut9o3x8pnaiyhAsH1TiI6fI=",
            "pbkdf2-sha256$abc$c2FsdHNhbHRzYWx0c2FsdA==$ZBiKBUoQ9Nm9GDhNbw7Zut9o3x8pnaiyhAsH1TiI6fI=",
            "pbkdf2-sha256$01000$c2FsdHNhbHRzYWx0c2FsdA==$ZBiKBUoQ9Nm9GDhNbw7Zut9o3x8pnaiyhAsH1TiI6fI=",
            "pbkdf2-sha256$0$c2FsdHNhbHRzYWx0c2FsdA==$ZBiKBUoQ9Nm9GDhNbw7Zut9o3x8pnaiyhAsH1TiI6fI=",
            "pbkdf2-sha256$-5$c2FsdHNhbHRzYWx0c2FsdA==$ZBiKBUoQ9Nm9GDhNbw7Zut9o3x8pnaiyhAsH1TiI6fI=",
            "pbkdf2-sha256$99999999999$c2FsdHNhbHRzYWx0c2FsdA==$ZBiKBUoQ9Nm9GDhNbw7Zut9o3x8pnaiyhAsH1TiI6fI=",
            "pbkdf2-sha256$1000$not base64!$ZBiKBUoQ9Nm9GDhNbw7Zut9o3x8pnaiyhAsH1TiI6fI=",
            "pbkdf2-sha256$1000$c2FsdA==$ZBiKBUoQ9Nm9GDhNbw7Zut9o3x8pnaiyhAsH1TiI6fI=",
            "pbkdf2-sha256$1000$c2FsdHNhbHRzYWx0c2FsdA==$c2hvcnQ=",
            "pbkdf2-sha256$1000$c2FsdHNhbHRzYWx0c2FsdA==$ZBiKBUoQ9Nm9GDhNbw7Zut9o3x8pnaiyhAsH1TiI6fI=$extra",
        ]
    )
    func malformedStoredFormIsUnreadable(stored: String) {
        #expect(hasher.verify("correct horse battery staple", against: stored) == .unreadable)
    }

    @Test("a well-formed stored form with another password's hash is readable and does not match")
    func wellFormedControlIsReadable() {
        let stored = "pbkdf2-sha256$1000$c2FsdHNhbHRzYWx0c2FsdA==$ZBiKBUoQ9Nm9GDhNbw7Zut9o3x8pnaiyhAsH1TiI6fI="
        #expect(hasher.verify("correct horse battery staple", against: stored) == .doesNotMatch)
    }

    @Test("an overlong stored form is unreadable before it is split")
    func overlongStoredFormIsUnreadable() {
        let stored = "pbkdf2-sha256$1000$" + String(repeating: "A", count: 10_000) + "$AAAA"
        #expect(hasher.verify("anything", against: stored) == .unreadable)
    }

    @Test("a password over the byte bound is refused when hashing and never matches")
    func overlongPasswordIsRefused() throws {
        let overlong = String(repeating: "a", count: PasswordHasher.passwordByteCountMax + 1)
        #expect(throws: SmartNationError(.identityPasswordRejected)) { try hasher.hash(overlong) }
        let stored = try hasher.hash("correct horse battery staple")
        #expect(hasher.verify(overlong, against: stored) == .doesNotMatch)
    }

    @Test("composed and decomposed accents are the same password")
    func passwordsAreNormalisedToNFC() throws {
        let composed = "caf\u{E9} au lait tous les matins"
        let decomposed = "cafe\u{301} au lait tous les matins"
        let stored = try hasher.hash(composed)
        #expect(hasher.verify(decomposed, against: stored) == .matches(needsRehash: false))
    }

    @Test("the production hasher uses OWASP's 600,000 rounds and round-trips")
    func productionDefaultRoundTrips() throws {
        let production = PasswordHasher()
        #expect(production.rounds == 600_000)
        let stored = try production.hash("correct horse battery staple")
        #expect(stored.hasPrefix("pbkdf2-sha256$600000$"))
        #expect(production.verify("correct horse battery staple", against: stored) == .matches(needsRehash: false))
        #expect(hasher.verify("correct horse battery staple", against: stored) == .matches(needsRehash: true))
    }
}
