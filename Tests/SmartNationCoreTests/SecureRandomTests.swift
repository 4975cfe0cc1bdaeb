import Testing

@testable import SmartNationCore

@Suite("Secure random bytes")
struct SecureRandomTests {
    @Test("gives exactly the bytes asked for, also when not a multiple of eight", arguments: [0, 1, 7, 8, 9, 16, 31, 32, 33, 255, 256, 257, 600])
    func exactCount(count: Int) {
        #expect(SecureRandom.bytes(count).count == count)
    }

    @Test("never repeats a 16-byte draw, and every byte value turns up")
    func drawsDiffer() {
        let draws = (0..<1_000).map { _ in SecureRandom.bytes(16) }
        #expect(Set(draws).count == draws.count)
        // 16,000 uniform bytes miss a given value with probability (255/256)^16000 ≈ 6e-28.
        #expect(Set(draws.joined()).count == 256)
    }

    @Test("past the 256 bytes one system call gives, the bytes are random too")
    func longDraws() {
        let draw = SecureRandom.bytes(1_024)
        // 256 uniform bytes hold fewer than 100 distinct values with negligible probability.
        #expect(Set(draw[256..<512]).count > 100)
        #expect(Set(draw[768...]).count > 100)
        #expect(draw[256..<512] != draw[..<256])
    }
}
