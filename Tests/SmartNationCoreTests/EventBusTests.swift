import Foundation
import Testing

@testable import SmartNationCore

func makeEvent(_ type: String = "sg.smartnation.test.thing.happened", sequence: Int, source: String = "/test") -> CloudEvent {
    CloudEvent(source: source, type: type, subject: String(sequence), data: .json(.integer(Int64(sequence))))
}

func sequenceNumber(_ event: CloudEvent) -> Int? {
    guard case .json(.integer(let value)) = event.data else { return nil }
    return Int(value)
}

@Suite("In-process event bus")
struct EventBusTests {
    @Test("each publisher's events arrive in order, interleaved publishers included")
    func orderingPerPublisher() async throws {
        let bus = EventBus()
        let subscription = try bus.subscribe(to: .all, name: "ordering", bufferCapacity: 64)
        let perPublisher = 2000
        async let published: Void = withThrowingTaskGroup(of: Void.self) { group in
            for publisher in 0..<3 {
                group.addTask {
                    for sequence in 0..<perPublisher {
                        try await bus.publish(makeEvent(sequence: sequence, source: "/publisher/\(publisher)"))
                    }
                }
            }
            try await group.waitForAll()
        }
        var lastSeen: [String: Int] = [:]
        for _ in 0..<(3 * perPublisher) {
            let event = try #require(await subscription.next())
            let sequence = try #require(sequenceNumber(event))
            #expect(sequence == (lastSeen[event.source] ?? -1) + 1, "out of order from \(event.source)")
            lastSeen[event.source] = sequence
        }
        try await published
        #expect(lastSeen.values.allSatisfy { $0 == perPublisher - 1 })
    }

    @Test("every subscriber gets every matching event")
    func fanOut() async throws {
        let bus = EventBus()
        let subscriptions = try (0..<4).map { try bus.subscribe(to: .all, name: "fan-\($0)", bufferCapacity: 200) }
        for sequence in 0..<100 { try await bus.publish(makeEvent(sequence: sequence)) }
        bus.shutdown()
        for subscription in subscriptions {
            var received: [Int] = []
            for await event in subscription { received.append(sequenceNumber(event)!) }
            #expect(received == Array(0..<100))
        }
    }

    @Test("pattern subscriptions receive exactly the types they name")
    func patterns() async throws {
        let bus = EventBus()
        let payments = try bus.subscribe(to: EventPattern("sg.smartnation.payments.*"), name: "payments")
        let settled = try bus.subscribe(to: .exact("sg.smartnation.payments.transfer.settled"), name: "settled")
        let everything = try bus.subscribe(to: .all, name: "all")
        let types = [
            "sg.smartnation.payments.transfer.settled", "sg.smartnation.payments.proxy.frozen",
            "sg.smartnation.paymentsx.thing.happened", "sg.smartnation.sensors.reading.recorded",
        ]
        for (index, type) in types.enumerated() { try await bus.publish(makeEvent(type, sequence: index)) }
        bus.shutdown()
        func collect(_ subscription: EventSubscription) async -> [String] {
            var seen: [String] = []
            for await event in subscription { seen.append(event.type) }
            return seen
        }
        #expect(await collect(payments) == Array(types[0...1]))
        #expect(await collect(settled) == [types[0]])
        #expect(await collect(everything) == types)
    }

    @Test("a stalled subscriber holds at most its buffer, the publisher waits, and nothing is lost")
    func boundedUnderStall() async throws {
        let bus = EventBus()
        let capacity = 32
        let stalled = try bus.subscribe(to: .all, name: "stalled", bufferCapacity: capacity)
        let total = 500
        let publisher = Task {
            for sequence in 0..<total { try await bus.publish(makeEvent(sequence: sequence)) }
        }
        try await Task.sleep(for: .milliseconds(200))
        let stats = try #require(bus.statistics.subscriptions.first)
        #expect(stats.bufferedCount == capacity, "the buffer fills to its capacity and no further")
        #expect(bus.statistics.publishedCount <= capacity + 1, "the publisher is suspended")
        #expect(stats.publisherWaitCount >= 1)
        var received: [Int] = []
        while received.count < total, let event = await stalled.next() {
            received.append(sequenceNumber(event)!)
            #expect(bus.statistics.subscriptions.first!.bufferedCount <= capacity)
        }
        try await publisher.value
        #expect(received == Array(0..<total))
    }

    @Test("a batch consumer takes what is waiting, up to its limit, in order")
    func batches() async throws {
        let bus = EventBus()
        let subscription = try bus.subscribe(to: .all, name: "batches", bufferCapacity: 16)
        for sequence in 0..<10 { try await bus.publish(makeEvent(sequence: sequence)) }
        #expect(await subscription.next(upTo: 4).map { sequenceNumber($0)! } == [0, 1, 2, 3])
        #expect(await subscription.next(upTo: 100).map { sequenceNumber($0)! } == Array(4..<10))
        let waiting = Task { await subscription.next(upTo: 8) }
        try await Task.sleep(for: .milliseconds(20))
        try await bus.publish(makeEvent(sequence: 10))
        #expect(await waiting.value.map { sequenceNumber($0)! } == [10])
        bus.shutdown()
        #expect(await subscription.next(upTo: 8).isEmpty)
    }

    @Test("cancelling a subscription releases a publisher waiting on it")
    func cancelReleasesPublisher() async throws {
        let bus = EventBus()
        let subscription = try bus.subscribe(to: .all, name: "abandoned", bufferCapacity: 1)
        let publisher = Task {
            for sequence in 0..<10 { try await bus.publish(makeEvent(sequence: sequence)) }
        }
        try await Task.sleep(for: .milliseconds(50))
        subscription.cancel()
        try await publisher.value
        #expect(bus.statistics.subscriptions.isEmpty)
    }

    @Test("publishing after shutdown is refused with bus_closed")
    func closed() async throws {
        let bus = EventBus()
        bus.shutdown()
        await #expect(throws: SmartNationError(.busClosed)) { try await bus.publish(makeEvent(sequence: 0)) }
        #expect(throws: SmartNationError(.busClosed)) { try bus.subscribe(to: .all, name: "late") }
    }

    @Test("a buffer larger than the maximum is refused")
    func bufferLimit() {
        let bus = EventBus(configuration: .init(defaultBufferCapacity: 8, maximumBufferCapacity: 16))
        #expect(throws: SmartNationError(.configurationInvalidValue)) { try bus.subscribe(to: .all, name: "big", bufferCapacity: 17) }
        #expect(throws: SmartNationError(.configurationInvalidValue)) { try bus.subscribe(to: .all, name: "none", bufferCapacity: 0) }
    }
}

@Suite("Event patterns")
struct EventPatternTests {
    @Test("valid patterns parse and match", arguments: [
        ("*", "anything.at.all", true),
        ("sg.smartnation.payments.*", "sg.smartnation.payments.transfer.settled", true),
        ("sg.smartnation.payments.*", "sg.smartnation.payments", false),
        ("sg.smartnation.payments.*", "sg.smartnation.paymentsx.a", false),
        ("sg.smartnation.payments.transfer.settled", "sg.smartnation.payments.transfer.settled", true),
        ("sg.smartnation.payments.transfer.settled", "sg.smartnation.payments.transfer.settled.x", false),
    ])
    func matching(pattern: String, type: String, matches: Bool) throws {
        #expect(try EventPattern(pattern).matches(type) == matches)
    }

    @Test("malformed patterns are refused", arguments: ["", "a..b", "a.*.b", "a.b*", "a b", "**", "."])
    func malformed(pattern: String) {
        #expect(throws: SmartNationError(.eventPatternInvalid)) { try EventPattern(pattern) }
    }
}
