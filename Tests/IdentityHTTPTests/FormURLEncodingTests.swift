import SmartNationHTTP
import Testing

@Suite("Form URL encoding")
struct FormURLEncodingTests {
    @Test("decodes + as a space, %XX in either case, UTF-8, and names without values")
    func decodes() throws {
        let form = try FormURLEncoding.parameters(Array("a=1+2&b=%2B%2f%3d&name=Tan%20Ah%20Kow&city=%E6%96%B0%E5%8A%A0%E5%9D%A1&flag&&empty=".utf8))
        #expect(form == ["a": "1 2", "b": "+/=", "name": "Tan Ah Kow", "city": "新加坡", "flag": "", "empty": ""])
        #expect(FormURLEncoding.decode(Array("x%3Ay".utf8)) == "x:y")
        #expect(try FormURLEncoding.parameters([UInt8]()) == [:])
    }

    @Test("refuses malformed escapes and bytes that are not UTF-8", arguments: ["a=%", "a=%4", "a=%G1", "a=%zz", "%=1", "a=%FF", "a=%C3", "a=ab%C3", "a=ab%C0%AF"])
    func refusesMalformed(body: String) {
        #expect(throws: FormURLEncoding.Failure.malformedEncoding) { try FormURLEncoding.parameters(Array(body.utf8)) }
    }

    @Test("takes a component with nothing escaped as it is, raw UTF-8 included, and refuses raw bytes that are not UTF-8")
    func unescapedComponents() throws {
        let form = try FormURLEncoding.parameters(Array("code=AbC-_.~09&city=新加坡".utf8))
        #expect(form == ["code": "AbC-_.~09", "city": "新加坡"])
        for raw: [UInt8] in [[0x61, 0x3D, 0xFF], [0x61, 0x3D, 0x62, 0xC3], [0xC0, 0xAF, 0x3D, 0x31], [0x61, 0x3D, 0xED, 0xA0, 0x80]] {
            #expect(throws: FormURLEncoding.Failure.malformedEncoding) { try FormURLEncoding.parameters(raw) }
        }
    }

    @Test("refuses a repeated name, even when written differently, and more than the parameter limit")
    func refusesRepeatsAndFloods() {
        #expect(throws: FormURLEncoding.Failure.repeated("code")) { try FormURLEncoding.parameters(Array("code=1&co%64e=2".utf8)) }
        let flood = (0...FormURLEncoding.parametersMax).map { "p\($0)=x" }.joined(separator: "&")
        #expect(throws: FormURLEncoding.Failure.tooManyParameters) { try FormURLEncoding.parameters(Array(flood.utf8)) }
    }
}
