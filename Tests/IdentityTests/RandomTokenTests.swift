import Foundation
import Testing

@testable import Identity

@Suite("Random tokens and their storage keys")
struct RandomTokenTests {
    @Test("a time-ordered token: 54 base64url characters, unique, and keyed so that keys sort by when it was made")
    func timeOrdered() {
        let start = Date(timeIntervalSince1970: 1_795_000_000.5)
        let made = (0..<200).map { RandomToken.makeTimeOrdered(at: start.addingTimeInterval(Double($0 / 2) * 0.001)) }
        let tokens = made.map(\.token)
        #expect(tokens.allSatisfy { $0.utf8.count == 54 && Data(base64URLEncoded: $0)?.count == 40 })
        #expect(Set(tokens).count == tokens.count)
        let keys = made.map(\.storageKey)
        #expect(keys == tokens.map(RandomToken.storageKey))
        #expect(keys.allSatisfy { $0.count == 40 })
        #expect(zip(keys, tokens).allSatisfy { key, token in key.suffix(32) == RandomToken.hash(token) })
        let times = keys.map { Array($0.prefix(8)) }
        #expect(zip(times, times.dropFirst()).allSatisfy { !$1.lexicographicallyPrecedes($0) })
        #expect(times.first != times.last)
    }

    @Test("any other token — one issued before time-ordered keys, or not base64url at all — is keyed by its hash alone")
    func otherTokens() {
        let legacy = RandomToken.make(byteCount: 32)
        #expect(RandomToken.storageKey(legacy) == RandomToken.hash(legacy))
        let notBase64URL = String(repeating: "*", count: 54)
        #expect(RandomToken.storageKey(notBase64URL) == RandomToken.hash(notBase64URL))
    }
}
