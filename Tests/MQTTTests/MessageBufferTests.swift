import Testing

@testable import MQTT

@Suite("MessageBuffer")
struct MessageBufferTests {
    private func message(_ index: Int) -> MQTTMessage {
        MQTTMessage(topic: "t", payload: [UInt8(index)])
    }

    @Test("a full buffer drops new messages, counts them, and marks the start of each burst")
    func dropsWhenFull() async {
        let buffer = MessageBuffer(capacity: 2)
        #expect(buffer.offer(message(0)) == .accepted)
        #expect(buffer.offer(message(1)) == .accepted)
        #expect(buffer.offer(message(2)) == .dropped(startsBurst: true))
        #expect(buffer.offer(message(3)) == .dropped(startsBurst: false))
        #expect(buffer.droppedCount == 2)
        #expect(await buffer.next() == message(0))
        #expect(buffer.offer(message(4)) == .accepted)
        #expect(buffer.offer(message(5)) == .dropped(startsBurst: true))
        #expect(buffer.count == 2)
    }

    @Test("finishing delivers the queued messages, then nil")
    func finishDrains() async {
        let buffer = MessageBuffer(capacity: 4)
        _ = buffer.offer(message(0))
        buffer.finish()
        #expect(buffer.offer(message(1)) == .finished)
        #expect(await buffer.next() == message(0))
        #expect(await buffer.next() == nil)
    }

    @Test("a waiting consumer receives the next offered message directly")
    func handsOverToWaitingConsumer() async throws {
        let buffer = MessageBuffer(capacity: 1)
        let consumer = Task { await buffer.next() }
        try await Task.sleep(for: .milliseconds(50))
        #expect(buffer.offer(message(7)) == .accepted)
        #expect(await consumer.value == message(7))
        #expect(buffer.count == 0)
    }

    @Test("a cancelled wait returns nil and keeps later messages for the next consumer")
    func cancelledWait() async throws {
        let buffer = MessageBuffer(capacity: 1)
        let consumer = Task { await buffer.next() }
        try await Task.sleep(for: .milliseconds(50))
        consumer.cancel()
        #expect(await consumer.value == nil)
        _ = buffer.offer(message(1))
        #expect(await buffer.next() == message(1))
    }

    @Test("an iterator that ended stays ended")
    func iteratorStaysEnded() async {
        let buffer = MessageBuffer(capacity: 1)
        buffer.finish()
        var iterator = MQTTMessageStream(buffer: buffer).makeAsyncIterator()
        #expect(await iterator.next() == nil)
        #expect(await iterator.next() == nil)
    }
}
