import SmartNationCore
import Testing

@testable import Identity

@Suite("TOTPSecret and base32")
struct TOTPSecretTests {
    @Test(
        "base32 encodes the RFC 4648 test vectors without padding",
        arguments: [
            ("", ""), ("f", "MY"), ("fo", "MZXQ"), ("foo", "MZXW6"), ("foob", "MZXW6YQ"), ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ]
    )
    func rfc4648Vectors(plain: String, encoded: String) {
        #expect(Base32.encode(Array(plain.utf8)) == encoded)
        #expect(Base32.decode(encoded) == Array(plain.utf8))
    }

    @Test("base32 decoding accepts lower case and padding")
    func decodingIsLenientAboutCaseAndPadding() {
        #expect(Base32.decode("mzxw6ytboi") == Array("foobar".utf8))
        #expect(Base32.decode("MZXW6YTBOI======") == Array("foobar".utf8))
    }

    @Test(
        "base32 decoding refuses foreign characters, impossible lengths and stray bits",
        arguments: [
            "MZXW6YTBO1", "MZXW6YTB0I", "MZXW 6YTBOI", "MZXW6YTBO", "M", "MZX", "MZXW6Y", "MZXW6YTBOJ", "MZ=XW6YTBOI",
        ])
    func decodingRefusesMalformedText(text: String) {
        #expect(Base32.decode(text) == nil)
    }

    @Test("every byte string survives a base32 round trip")
    func roundTrip() {
        var generator = SystemRandomNumberGenerator()
        for length in 0...64 {
            let bytes = (0..<length).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            #expect(Base32.decode(Base32.encode(bytes)) == bytes)
        }
    }

    @Test("a generated secret has 20 bytes and differs from the next")
    func generatedSecrets() {
        let first = TOTPSecret.generate()
        let second = TOTPSecret.generate()
        #expect(first.bytes.count == 20)
        #expect(first != second)
        #expect(first.base32.count == 32)
    }

    @Test("a secret survives its base32 form")
    func secretRoundTrip() throws {
        let secret = TOTPSecret.generate()
        #expect(try TOTPSecret(base32: secret.base32) == secret)
        #expect(try TOTPSecret(base32: secret.base32.lowercased()) == secret)
    }

    @Test(
        "malformed or wrongly sized base32 secrets are refused",
        arguments: ["", "MZXW6YTBOI", "not base32 at all!", String(repeating: "A", count: 200)]
    )
    func malformedSecretsAreRefused(text: String) {
        #expect(throws: SmartNationError(.identityTOTPMalformed)) { try TOTPSecret(base32: text) }
    }

    @Test("a secret's description never shows its bytes")
    func descriptionIsRedacted() {
        let secret = TOTPSecret.generate()
        #expect(!String(describing: secret).contains(secret.base32))
        #expect(!String(reflecting: secret).contains(secret.base32))
        #expect(String(describing: secret) == "TOTPSecret(20 bytes, redacted)")
    }
}
