/// What a packet identifier (libmosquitto's "mid") was used for.
enum AcknowledgedOperation: Sendable {
    case publish(MQTTQoS)
    case subscribe(topicFilter: String, qos: MQTTQoS)
    case unsubscribe
    /// A subscription renewed by the client itself after a reconnection.
    case resubscribe(topicFilter: String)

    /// Whether the acknowledgement is lost with the connection. libmosquitto resends QoS 1 publishes
    /// after reconnecting, so their PUBACK still comes; SUBSCRIBE and UNSUBSCRIBE are not resent.
    var isLostWithConnection: Bool {
        if case .publish(.atLeastOnce) = self { return false }
        return true
    }
}

/// The acknowledgement an operation waits for: the SUBACK's granted QoS byte, or 0 for PUBACK and UNSUBACK.
typealias AcknowledgementContinuation = CheckedContinuation<Result<Int32, MQTTError>, Never>

/// A task waiting for an acknowledgement; the token tells its cancellation handler it is still the same wait.
struct AcknowledgementWaiter: Sendable {
    let token: UInt64
    let continuation: AcknowledgementContinuation
}

/// Matches acknowledgements arriving on the network thread with the tasks that wait for them.
///
/// libmosquitto hands out the packet identifier only when `mosquitto_publish` (or subscribe) returns,
/// and the acknowledgement may arrive on the network thread before the caller has registered to
/// wait for it. Whichever of the two comes second completes the rendezvous, so no lock is ever
/// held across a libmosquitto call. Keys are 16-bit packet identifiers, so the table holds at most
/// 65,535 entries.
struct AcknowledgementTable {
    private enum Entry {
        /// The acknowledgement came before anyone waited for it.
        case arrived(Int32)
        /// A task waits.
        case awaited(AcknowledgedOperation, AcknowledgementWaiter)
        /// Nobody will wait (QoS 0, resubscription, cancelled waiter): the acknowledgement is discarded.
        case ignored(AcknowledgedOperation)
    }

    /// The result of a rendezvous, and the operation it concerned when known.
    struct Completion {
        var operation: AcknowledgedOperation?
        var waiter: AcknowledgementWaiter?
    }

    private var entries: [Int32: Entry] = [:]

    /// How many identifiers are tracked.
    var count: Int { entries.count }

    /// Records an acknowledgement from the broker.
    mutating func acknowledge(_ identifier: Int32, value: Int32) -> Completion {
        switch entries[identifier] {
        case nil:
            entries[identifier] = .arrived(value)
            return Completion()
        case .arrived:
            return Completion()
        case .awaited(let operation, let waiter):
            entries[identifier] = nil
            return Completion(operation: operation, waiter: waiter)
        case .ignored(let operation):
            entries[identifier] = nil
            return Completion(operation: operation)
        }
    }

    /// Removes and returns an acknowledgement that arrived before anyone waited for it.
    mutating func takeArrived(_ identifier: Int32) -> Int32? {
        guard case .arrived(let value) = entries[identifier] else { return nil }
        entries[identifier] = nil
        return value
    }

    /// Stores a waiting task. Returns a waiter it displaces (a packet identifier reused while its
    /// previous use was still awaited, which libmosquitto's identifier allocation makes unlikely).
    mutating func register(_ identifier: Int32, operation: AcknowledgedOperation, waiter: AcknowledgementWaiter)
        -> AcknowledgementWaiter?
    {
        var displaced: AcknowledgementWaiter?
        if case .awaited(_, let previous) = entries[identifier] {
            displaced = previous
        }
        assert(!hasArrived(identifier), "an acknowledgement that arrived early completes the wait at once")
        entries[identifier] = .awaited(operation, waiter)
        return displaced
    }

    /// Declares that nobody will wait for this identifier's acknowledgement.
    mutating func ignore(_ identifier: Int32, operation: AcknowledgedOperation) {
        if case .arrived = entries[identifier] {
            entries[identifier] = nil
        } else {
            entries[identifier] = .ignored(operation)
        }
    }

    /// Stops the wait with this token, if it is still waiting; returns it to resume with `.cancelled`.
    mutating func cancel(_ identifier: Int32, token: UInt64) -> AcknowledgementWaiter? {
        guard case .awaited(let operation, let waiter) = entries[identifier], waiter.token == token else { return nil }
        entries[identifier] = .ignored(operation)
        return waiter
    }

    /// Forgets what the lost connection took with it; returns the waiters to fail.
    mutating func connectionLost() -> [AcknowledgementWaiter] {
        var lost: [AcknowledgementWaiter] = []
        for (identifier, entry) in entries {
            switch entry {
            case .awaited(let operation, let waiter) where operation.isLostWithConnection:
                lost.append(waiter)
                entries[identifier] = nil
            case .ignored(let operation) where operation.isLostWithConnection:
                entries[identifier] = nil
            case .awaited, .ignored, .arrived:
                break
            }
        }
        return lost
    }

    /// Empties the table; returns every waiter to fail.
    mutating func removeAll() -> [AcknowledgementWaiter] {
        let waiters = entries.values.compactMap { entry -> AcknowledgementWaiter? in
            if case .awaited(_, let waiter) = entry { return waiter }
            return nil
        }
        entries.removeAll()
        return waiters
    }

    private func hasArrived(_ identifier: Int32) -> Bool {
        if case .arrived = entries[identifier] { return true }
        return false
    }
}
