/// An event as the durable log holds it: its envelope and its offset, the log's position for it.
///
/// Offsets grow by one for each appended event and are never reused, even after retention
/// removes old events.
public struct LoggedEvent: Sendable, Hashable {
    /// The event's position in the log.
    public let offset: Int64
    /// The event.
    public let event: CloudEvent

    /// Pairs an event with its offset.
    public init(offset: Int64, event: CloudEvent) {
        precondition(offset > 0, "log offsets start at 1")
        self.offset = offset
        self.event = event
    }
}
