import Foundation
import SmartNationCore
import Testing

@testable import Identity

@Suite("Singapore identifiers")
struct IdentifierTests {
    @Test("valid NRICs and FINs of every series are accepted", arguments: [
        "S1234567D", "M1234567K", "S9812381D", "F1612347K", "G1612348Q", "S6005053H", " s1234567d ",
    ])
    func validNRIC(text: String) throws {
        #expect(try NRIC(text).value == text.trimmingCharacters(in: .whitespaces).uppercased())
    }

    @Test("the check letter is verified for every series", arguments: [
        ("S1234567A", SmartNationError.Code.identityNRICChecksum),
        ("T1234567D", .identityNRICChecksum),
        ("F1612347X", .identityNRICChecksum),
        ("G1612348K", .identityNRICChecksum),
        ("M1234567X", .identityNRICChecksum),
        ("A1234567D", .identityNRICMalformed),
        ("S123456D", .identityNRICMalformed),
        ("S12345678", .identityNRICMalformed),
        ("S12E4567D", .identityNRICMalformed),
        ("", .identityNRICMalformed),
    ])
    func invalidNRIC(text: String, code: SmartNationError.Code) {
        #expect(throws: SmartNationError(code)) { try NRIC(text) }
    }

    @Test("the M series indexes its table with 10 − R, not R")
    func mSeriesTable() {
        let digits = [1, 2, 3, 4, 5, 6, 7]
        #expect(NRIC.checkLetter(series: "M", digits: digits) == "K")
        #expect(NRIC.checkLetter(series: "T", digits: digits) == "J")
    }

    @Test("an NRIC prints masked, so logs never carry it whole")
    func masked() throws {
        let nric = try NRIC("S1234567D")
        #expect("\(nric)" == "*****567D")
        #expect(nric.isFIN == false)
        #expect(try NRIC("F1612347K").isFIN)
    }

    @Test("UENs of the three published formats are accepted", arguments: [
        ("53012345D", UEN.Format.business), ("200002150H", .localCompany), ("T09LL0001B", .otherEntity), ("s99ss1234a", .otherEntity),
    ])
    func validUEN(text: String, format: UEN.Format) throws {
        #expect(try UEN(text).format == format)
    }

    @Test("anything else is not a UEN", arguments: ["5301234D", "53012345", "A09LL0001B", "T09L10001B", "099902150H", "2000021500"])
    func invalidUEN(text: String) {
        #expect(throws: SmartNationError(.identityUENMalformed)) { try UEN(text) }
    }

    @Test("mobile numbers are +65 and 8 digits starting with 8 or 9")
    func mobile() throws {
        #expect(try MobileNumber("9123 4567").value == "+6591234567")
        #expect(try MobileNumber("+65 8123-4567").value == "+6581234567")
        for bad in ["61234567", "+6591234", "+60 91234567", "9123456a"] {
            #expect(throws: SmartNationError(.identityMobileMalformed)) { try MobileNumber(bad) }
        }
    }

    @Test("email addresses and registered addresses are checked for shape")
    func contactShapes() throws {
        #expect(try EmailAddress("Tan.AK@Example.SG").value == "Tan.AK@example.sg")
        for bad in ["no-at-sign", "a@b", "@example.sg", "a b@example.sg", "a@example.sg."] {
            #expect(throws: SmartNationError(.identityEmailMalformed)) { try EmailAddress(bad) }
        }
        #expect(throws: SmartNationError(.identityAddressInvalid)) {
            try RegisteredAddress(block: "1", street: "Orchard Road", postalCode: "23880")
        }
    }
}

@Suite("Base64url")
struct Base64URLTests {
    @Test("encodes as RFC 4648 §5 without padding and decodes back, for every length remainder")
    func roundTrip() {
        #expect(Data("".utf8).base64URLEncoded == "")
        #expect(Data("f".utf8).base64URLEncoded == "Zg")
        #expect(Data("fo".utf8).base64URLEncoded == "Zm8")
        #expect(Data("foo".utf8).base64URLEncoded == "Zm9v")
        #expect(Data([0xfb, 0xff, 0xbf]).base64URLEncoded == "-_-_")
        for length in 0..<40 {
            let bytes = Data((0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 250) })
            let expected = bytes.base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            #expect(bytes.base64URLEncoded == expected)
            #expect(Data(base64URLEncoded: bytes.base64URLEncoded) == bytes)
        }
        #expect(Data(base64URLEncoded: "Zg==") == nil)
    }

    @Test("decodes a JWS's parts from their substrings and bytes with no contiguous storage alike")
    func decodesAnyCollection() {
        let parts = "eyJhbGciOiJFUzI1NiJ9.Zm9vYmFy.-_-_".split(separator: ".")
        #expect(Data.decodeBase64URL(parts[0].utf8) == Array(#"{"alg":"ES256"}"#.utf8))
        #expect(Data.decodeBase64URL(parts[1].utf8) == Array("foobar".utf8))
        #expect(Data.decodeBase64URL(parts[2].utf8.lazy.map { $0 }) == [0xfb, 0xff, 0xbf])
        #expect(Data.decodeBase64URL("Zm.v".utf8.lazy.map { $0 }) == nil)
        #expect(Data.decodeBase64URL("Zm9vY".utf8.lazy.map { $0 }) == nil)
    }

    @Test("refuses padding, standard-alphabet characters, white space and impossible lengths", arguments: [
        "Zg==", "ab+c", "ab/c", "Zm9 v", "Zm9v\n", "Z", "Zm9vY", "é",
    ])
    func refusesMalformed(text: String) {
        #expect(Data(base64URLEncoded: text) == nil)
    }
}
