import Foundation
import SmartNationCore

/// Where ``LoginThrottle`` keeps its counts; the SQL is in ``SQLiteLoginThrottleStore``.
public protocol LoginThrottleStore: Sendable {
    /// In one transaction: reads the records of `keys` (a key with none is absent), lets `change`
    /// edit them, and stores what it leaves — a record it removed is deleted. Returns `change`'s
    /// answer. Concurrent updates, from this process or another on the same store, are serialised.
    func update<Answer: Sendable>(
        _ keys: [LoginThrottle.Key], _ change: @escaping @Sendable (inout [LoginThrottle.Key: LoginThrottle.Record]) -> Answer
    ) async throws(SmartNationError) -> Answer
    /// Deletes the records last failed before `cutoff` whose lockout is over by `now`, then, while
    /// more than `limit` are left, the least recently failed of those not locked out; returns how
    /// many went.
    func prune(lastFailureBefore cutoff: Date, now: Date, keeping limit: Int) async throws(SmartNationError) -> Int
    /// How many records are stored.
    func count() async throws(SmartNationError) -> Int
}
