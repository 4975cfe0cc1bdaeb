import Testing

@testable import SmartNationCore

@Suite("Bounded cache")
struct BoundedCacheTests {
    @Test("makes a value once, then serves it from memory")
    func cachesWhatItMakes() {
        let cache = BoundedCache<String, Int>(entriesMax: 4)
        var made = 0
        for _ in 0..<3 { #expect(cache.value(for: "a") { made += 1; return 42 } == 42) }
        #expect(made == 1)
    }

    @Test("never holds more than its bound: past it, it starts over")
    func staysBounded() {
        let cache = BoundedCache<Int, Int>(entriesMax: 3)
        for key in 0..<3 { _ = cache.value(for: key) { key } }
        #expect((0..<3).allSatisfy { cache.lookUp($0).value == $0 })
        _ = cache.value(for: 3) { 3 }
        #expect(cache.lookUp(3).value == 3)
        #expect((0..<3).allSatisfy { cache.lookUp($0).value == nil })
    }

    @Test("a value read before a removal is not cached after it")
    func removalWinsOverAnEarlierRead() {
        let cache = BoundedCache<String, String>(entriesMax: 4)
        _ = cache.value(for: "client") { "registered" }
        let (_, removalsBeforeRead) = cache.lookUp("other")
        cache.remove("client")
        cache.insert("stale", for: "client", ifNoRemovalSince: removalsBeforeRead)
        #expect(cache.lookUp("client").value == nil)
        let (_, removalsNow) = cache.lookUp("client")
        cache.insert("fresh", for: "client", ifNoRemovalSince: removalsNow)
        #expect(cache.lookUp("client").value == "fresh")
    }

    @Test("a failure to make a value caches nothing")
    func failureCachesNothing() {
        struct Unreadable: Error {}
        let cache = BoundedCache<String, Int>(entriesMax: 4)
        #expect(throws: Unreadable.self) { try cache.value(for: "a") { () throws(Unreadable) -> Int in throw Unreadable() } }
        #expect(cache.lookUp("a").value == nil)
    }
}
