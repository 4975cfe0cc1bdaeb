import Foundation
import MQTT
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A daemon serving many clients holds many descriptors, so its broker connection may get a socket
/// numbered past `FD_SETSIZE` (1024), which `select(2)` — libmosquitto's own loop — cannot watch.
@Suite("MQTT with more descriptors open than select(2) can watch", .timeLimit(.minutes(1)))
struct ManyDescriptorsTests {
    @Test("a client whose socket is numbered past FD_SETSIZE connects, subscribes, publishes and receives in order")
    func socketPastSelectLimit() async throws {
        let held = try DescriptorFiller.holdAllBelow(Int32(FD_SETSIZE) + 8)
        defer { held.release() }
        // Other suites running meanwhile may free descriptors below the limit; the client's sockets
        // then land there and this test exercises less, but it never passes wrongly.
        try await withBroker { broker in
            let subscriber = try await connectedClient(broker, id: "many-fds-subscriber")
            let publisher = try await connectedClient(broker, id: "many-fds-publisher")
            try await subscriber.subscribe("sensors/#")
            let published = (0..<50).map { MQTTMessage(topic: "sensors/lamppost-\($0)/temp", payload: Array("\($0)".utf8), qos: .atLeastOnce) }
            for message in published {
                try await publisher.publish(message)
            }
            #expect(await receive(published.count, from: subscriber) == published)
            for client in [subscriber, publisher] {
                await client.disconnect()
            }
        }
    }
}

/// Descriptors opened on `/dev/null` until every number below a bound is taken, so the next socket
/// the process opens is numbered at or above it.
private struct DescriptorFiller {
    let descriptors: [Int32]

    static func holdAllBelow(_ bound: Int32) throws -> DescriptorFiller {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        // A process may raise its own soft limit up to the hard one; a daemon serving many
        // clients does, and this test needs the room.
        if limit.rlim_cur < rlim_t(bound) * 2 {
            limit.rlim_cur = min(limit.rlim_max, rlim_t(bound) * 2)
            setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        var descriptors: [Int32] = []
        while true {
            let descriptor = open("/dev/null", O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else {
                DescriptorFiller(descriptors: descriptors).release()
                throw DescriptorLimit(reached: descriptors.count)
            }
            descriptors.append(descriptor)
            if descriptor >= bound { return DescriptorFiller(descriptors: descriptors) }
        }
    }

    func release() {
        for descriptor in descriptors { close(descriptor) }
    }
}

/// The process may not open enough descriptors for the test.
private struct DescriptorLimit: Error {
    let reached: Int
}
