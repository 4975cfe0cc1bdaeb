import Synchronization

/// A thread-safe in-memory cache with a hard bound on its entries: past ``entriesMax`` it starts
/// over. Meant for small, hot, rarely changing values (client registrations, decoded records) where
/// an occasional refill is cheaper than tracking recency.
public final class BoundedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    /// The most entries kept.
    public let entriesMax: Int

    private let state: Mutex<(entries: [Key: Value], removals: Int)>

    /// An empty cache of at most `entriesMax` entries.
    public init(entriesMax: Int) {
        precondition(entriesMax > 0, "a cache holds at least one entry")
        self.entriesMax = entriesMax
        state = Mutex(([:], 0))
    }

    /// The cached value for `key`, and how many removals the cache had seen, for ``insert(_:for:ifNoRemovalSince:)``.
    public func lookUp(_ key: Key) -> (value: Value?, removals: Int) {
        state.withLock { ($0.entries[key], $0.removals) }
    }

    /// The cached value for `key`, or `make()`'s, which is then cached.
    public func value<Failure: Error>(for key: Key, orMake make: () throws(Failure) -> Value) throws(Failure) -> Value {
        let (cached, removals) = lookUp(key)
        if let cached { return cached }
        let value = try make()
        insert(value, for: key, ifNoRemovalSince: removals)
        return value
    }

    /// Caches `value` unless an entry was removed after `removals` was read: a value read from
    /// storage before a removal committed must not outlive it.
    public func insert(_ value: Value, for key: Key, ifNoRemovalSince removals: Int) {
        state.withLock { state in
            guard state.removals == removals else { return }
            if state.entries.count >= entriesMax { state.entries.removeAll() }
            state.entries[key] = value
        }
    }

    /// Forgets `key`; reads that began before this call will not cache what they read.
    public func remove(_ key: Key) {
        state.withLock { state in
            state.removals += 1
            state.entries[key] = nil
        }
    }
}
