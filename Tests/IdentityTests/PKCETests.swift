import Testing

@testable import Identity

@Suite("PKCE S256 (RFC 7636)")
struct PKCETests {
    /// RFC 7636 Appendix B.
    static let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    static let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

    @Test("RFC 7636 Appendix B's verifier matches its challenge; any other verifier does not")
    func appendixB() {
        #expect(PKCE.isWellFormed(challenge: Self.challenge))
        #expect(PKCE.verify(Self.verifier, against: Self.challenge))
        #expect(!PKCE.verify(String(Self.verifier.dropLast()) + "l", against: Self.challenge))
        #expect(!PKCE.verify(Self.verifier, against: String(Self.challenge.dropLast()) + "N"))
    }

    @Test("a verifier of 43 to 128 unreserved characters, all four punctuation marks included, is accepted")
    func unreservedVerifiers() {
        for verifier in [String(repeating: "a", count: 43), String(repeating: "Z9-._~", count: 21) + "xy", String(repeating: "0", count: 128)] {
            #expect(PKCE.verify(verifier, against: RandomToken.hashBase64URL(verifier)), "\(verifier)")
        }
    }

    @Test("a verifier too short, too long, or with a character outside RFC 7636's unreserved set is refused even when its hash matches")
    func malformedVerifiers() {
        let body = String(repeating: "a", count: 42)
        let refused = [
            body, String(repeating: "a", count: 129),
            body + "+", body + "/", body + "=", body + " ", body + "%", body + "é", body + "\u{0}", body + "`", body + "{", body + "@", body + "[",
        ]
        for verifier in refused {
            #expect(!PKCE.verify(verifier, against: RandomToken.hashBase64URL(verifier)), "\(verifier)")
        }
    }
}
