import SmartNationCore
import Testing

@Suite("UTF-8 text helpers")
struct UTF8TextTests {
    @Test("a UTF-8 byte prefix cuts between scalars and bounds bytes, not characters")
    func prefixByUTF8Bytes() {
        #expect("device-1".prefix(utf8ByteCount: 64) == "device-1")
        #expect("abcdef".prefix(utf8ByteCount: 3) == "abc")
        #expect("新加坡".prefix(utf8ByteCount: 7) == "新加", "a three-byte scalar is not cut in half")
        let combining = "e" + String(repeating: "\u{301}", count: 10_000)
        #expect(combining.count == 1)
        let cut = combining.prefix(utf8ByteCount: 64)
        #expect(cut.utf8.count <= 64 && cut.utf8.count == 63, "one character of 20,001 bytes keeps 1 + 31 × 2 bytes")
        #expect("".prefix(utf8ByteCount: 0) == "" && "x".prefix(utf8ByteCount: 0) == "")
    }
}
