import SmartNationCore

/// Publish → deliver through the in-process ``EventBus``, against `AsyncStream` (the standard library's
/// channel between tasks) moving the same events. The baseline's buffer is unbounded: it measures the
/// bare hand-off between tasks, without the bus's bound, ordering and pattern matching.
struct InProcessBenchmarks {
    let events: SampleEvents
    let count: Int
    let bufferCapacity = 1024

    func run(into table: inout ResultTable, repetitions: Int) async throws {
        for subscribers in [1, 4] {
            let bus = try await medianRate(count: count, repetitions: repetitions) { try await busRun(subscribers: subscribers) }
            let baseline = await medianRate(count: count, repetitions: repetitions) { await streamRun(subscribers: subscribers) }
            table.add(
                "in-process publish→deliver, \(subscribers) subscriber\(subscribers == 1 ? "" : "s")", rate: bus,
                baseline: "AsyncStream, unbounded, \(subscribers) consumer\(subscribers == 1 ? "" : "s")", baselineRate: baseline,
                target: subscribers == 1 ? "≥ 1,000,000/s": "—")
        }
    }

    private func busRun(subscribers: Int) async throws {
        let bus = EventBus()
        let subscriptions = try (0..<subscribers).map { try bus.subscribe(to: .all, name: "bench-\($0)", bufferCapacity: bufferCapacity) }
        try await withThrowingTaskGroup(of: Int.self) { group in
            for subscription in subscriptions {
                group.addTask {
                    var received = 0
                    while received < count, await subscription.next() != nil { received += 1 }
                    return received
                }
            }
            group.addTask {
                let pool = events.events
                for index in 0..<count { try await bus.publish(pool[index & 1023]) }
                return 0
            }
            for try await _ in group {}
        }
    }

    private func streamRun(subscribers: Int) async {
        let streams = (0..<subscribers).map { _ in
            AsyncStream.makeStream(of: CloudEvent.self, bufferingPolicy: .unbounded)
        }
        await withTaskGroup(of: Void.self) { group in
            for (stream, _) in streams {
                group.addTask {
                    var received = 0
                    for await _ in stream {
                        received += 1
                        if received == count { break }
                    }
                }
            }
            group.addTask {
                let pool = events.events
                for index in 0..<count {
                    for (_, continuation) in streams { continuation.yield(pool[index & 1023]) }
                }
            }
        }
    }
}
