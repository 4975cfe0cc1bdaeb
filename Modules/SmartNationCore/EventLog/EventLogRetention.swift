/// How long the durable event log keeps events: by age, by total size, or both. Whichever limit is
/// reached first removes the oldest events.
public struct EventLogRetention: Sendable, Hashable {
    /// Events older than this are removed; `nil` keeps events regardless of age.
    public var maximumAge: Duration?
    /// When the stored envelopes exceed this many bytes, the oldest are removed; `nil` for no limit.
    public var maximumByteCount: Int?

    /// Creates a policy. The default keeps seven days and at most 1 GiB.
    public init(maximumAge: Duration? = .seconds(7 * 24 * 3600), maximumByteCount: Int? = 1 << 30) {
        precondition(maximumAge.map { $0 > .zero } ?? true, "a retention age is positive")
        precondition(maximumByteCount.map { $0 > 0 } ?? true, "a retention size is positive")
        self.maximumAge = maximumAge
        self.maximumByteCount = maximumByteCount
    }
}

/// What one retention pass removed.
public struct EventLogRetentionReport: Sendable, Hashable {
    /// Events removed because they were too old.
    public var removedByAge: Int
    /// Events removed to bring the log under its size limit.
    public var removedBySize: Int
}
