import Foundation
import Synchronization

/// Brute-force defence: failures are counted per account and per client address, and after
/// ``Configuration/freeFailures`` failures each further one locks the key out for a growing time
/// (doubling from ``Configuration/initialLockout`` up to ``Configuration/maximumLockout``).
/// An attempt is counted when it is admitted (``admit(_:now:)``) and taken back if it succeeds or
/// ends undecided, so concurrent attempts never get more than the free failures between them.
/// A success clears the account's count (not the address's).
///
/// The table is bounded: past ``Configuration/trackedKeysMax`` keys the least recently failed tenth is
/// forgotten, so an attacker cycling addresses cannot exhaust memory.
public final class LoginThrottle: Sendable {
    /// Throttling limits.
    public struct Configuration: Sendable {
        /// Failures allowed before the first lockout.
        public var freeFailures: Int
        /// The first lockout.
        public var initialLockout: TimeInterval
        /// The longest lockout.
        public var maximumLockout: TimeInterval
        /// The most keys remembered.
        public var trackedKeysMax: Int

        /// Creates limits; the defaults allow 5 failures, then lock for 30 s, doubling to 1 hour.
        public init(freeFailures: Int = 5, initialLockout: TimeInterval = 30, maximumLockout: TimeInterval = 3600, trackedKeysMax: Int = 100_000) {
            precondition(freeFailures >= 0 && initialLockout > 0 && maximumLockout >= initialLockout && trackedKeysMax > 0)
            self.freeFailures = freeFailures
            self.initialLockout = initialLockout
            self.maximumLockout = maximumLockout
            self.trackedKeysMax = trackedKeysMax
        }
    }

    /// What is throttled.
    public enum Key: Hashable, Sendable {
        /// An account, by its NRIC.
        case account(String)
        /// A client address.
        case clientAddress(String)
    }

    private struct Record {
        var failures: Int
        var lockedUntil: Date?
        var lastFailure: Date
    }

    /// The limits in force.
    public let configuration: Configuration
    private let records = Mutex<[Key: Record]>([:])

    /// Creates an empty throttle.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Admits an attempt on `keys`, or refuses it: returns when the first locked-out key unlocks, or
    /// `nil` when the attempt may go ahead.
    ///
    /// An admitted attempt is counted as a failure against every key at once, in the same step as the
    /// check, so concurrent guesses cannot all pass the check before any of them is counted. The
    /// caller then settles it: ``recordSuccess(_:)`` when it succeeds, ``refund(_:)`` when it ended
    /// neither way (a closed account, a second factor still to come); a failure needs nothing more.
    public func admit(_ keys: [Key], now: Date) -> Date? {
        records.withLock { records in
            if let until = keys.compactMap({ records[$0]?.lockedUntil }).filter({ $0 > now }).max() { return until }
            for key in keys {
                var record = records[key] ?? Record(failures: 0, lockedUntil: nil, lastFailure: now)
                record.failures += 1
                record.lastFailure = now
                let excess = record.failures - configuration.freeFailures
                if excess > 0 {
                    let lockout = min(configuration.maximumLockout, configuration.initialLockout * pow(2, Double(min(excess - 1, 30))))
                    record.lockedUntil = now.addingTimeInterval(lockout)
                }
                records[key] = record
            }
            if records.count > configuration.trackedKeysMax {
                // Forget the least recently failed tenth at once, so the sort is paid once per many failures.
                let keep = configuration.trackedKeysMax - configuration.trackedKeysMax / 10
                let oldest = records.sorted { $0.value.lastFailure < $1.value.lastFailure }.prefix(records.count - keep).map(\.key)
                oldest.forEach { records.removeValue(forKey: $0) }
            }
            assert(records.count <= configuration.trackedKeysMax)
            return nil
        }
    }

    /// Settles a successful attempt: the accounts among `keys` are cleared, and the attempt's count
    /// is taken back from the client addresses.
    public func recordSuccess(_ keys: [Key]) {
        records.withLock { records in
            for key in keys {
                if case .account = key { records.removeValue(forKey: key) } else { Self.takeBack(key, in: &records, configuration: configuration) }
            }
        }
    }

    /// Settles an attempt that neither succeeded nor failed: its count is taken back from every key.
    public func refund(_ keys: [Key]) {
        records.withLock { records in
            for key in keys { Self.takeBack(key, in: &records, configuration: configuration) }
        }
    }

    /// Takes one admitted attempt back from `key`, and with it the lockout that attempt set.
    private static func takeBack(_ key: Key, in records: inout [Key: Record], configuration: Configuration) {
        guard var record = records[key] else { return }
        record.failures -= 1
        if record.failures <= configuration.freeFailures { record.lockedUntil = nil }
        records[key] = record.failures > 0 ? record : nil
    }

    /// How many keys are remembered now.
    public var trackedKeyCount: Int {
        records.withLock { $0.count }
    }
}
