import Foundation
import Testing

@testable import SmartNationCore

@Suite("UUIDv7 event ids")
struct EventIDTests {
    @Test("ids are version 7 with the RFC 9562 variant and carry their millisecond")
    func layout() throws {
        let date = Date(timeIntervalSince1970: 4_102_444_800.5)
        let id = EventID.make(at: date)
        #expect(EventID.isUUID(id))
        let characters = Array(id)
        #expect(characters[14] == "7")
        #expect("89ab".contains(characters[19]))
        #expect(EventID.millisecondsSinceEpoch(of: id) == 4_102_444_800_500)
    }

    @Test("an id asked for an earlier time than the last one still sorts after it")
    func monotonic() {
        let later = EventID.make(at: Date().addingTimeInterval(60))
        let earlier = EventID.make(at: Date())
        #expect(later < earlier)
    }

    @Test("ids made one after another sort in creation order, even within one millisecond")
    func ordering() {
        let date = Date()
        let ids = (0..<5000).map { _ in EventID.make(at: date) }
        #expect(ids == ids.sorted())
        #expect(Set(ids).count == ids.count)
    }

    @Test("a non-UUID has no timestamp")
    func notUUID() {
        #expect(EventID.millisecondsSinceEpoch(of: "not-a-uuid") == nil)
        #expect(EventID.millisecondsSinceEpoch(of: UUID().uuidString) == nil)
    }
}
