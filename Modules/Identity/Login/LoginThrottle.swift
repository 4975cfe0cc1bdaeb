import Foundation
import SmartNationCore
import Synchronization

/// Brute-force defence: failures are counted per account and per client address, and after
/// ``Configuration/freeFailures`` failures each further one locks the key out for a growing time
/// (doubling from ``Configuration/initialLockout`` up to ``Configuration/maximumLockout``).
/// An attempt is counted when it is admitted (``admit(_:now:)``) and taken back if it succeeds or
/// ends undecided, so concurrent attempts never get more than the free failures between them.
/// A success clears the account's count (not the address's); a key with no failure for
/// ``Configuration/forgetAfter`` starts again from nothing. Only failures date a key
/// (``recordFailure(_:now:)``): an address whose people keep logging in successfully still has its
/// old typos forgotten.
///
/// The counts live in a ``LoginThrottleStore`` — on the platform, `identity.sqlite` — so a restart
/// forgets no lockout and every process on one database counts the same failures. Each step is one
/// transaction of the store. ``prune(now:)`` — run by the platform's hourly prune and by the
/// throttle itself after every twentieth of ``Configuration/trackedKeysMax`` admitted attempts —
/// deletes forgotten keys and keeps the table near that bound, never evicting a lockout in force.
public struct LoginThrottle: Sendable {
    /// Throttling limits.
    public struct Configuration: Sendable {
        /// Failures allowed before the first lockout.
        public var freeFailures: Int
        /// The first lockout.
        public var initialLockout: TimeInterval
        /// The longest lockout.
        public var maximumLockout: TimeInterval
        /// How long a key's failures are remembered after its last one.
        public var forgetAfter: TimeInterval
        /// The most keys kept at each prune; past it the least recently failed of those not locked
        /// out go first.
        public var trackedKeysMax: Int

        /// Creates limits; the defaults allow 5 failures, then lock for 30 s, doubling to 1 hour, and
        /// forget a key a day after its last failure.
        public init(
            freeFailures: Int = 5, initialLockout: TimeInterval = 30, maximumLockout: TimeInterval = 3600,
            forgetAfter: TimeInterval = 24 * 3600, trackedKeysMax: Int = 1_000_000
        ) {
            precondition(freeFailures >= 0 && initialLockout > 0 && maximumLockout >= initialLockout && forgetAfter >= maximumLockout && trackedKeysMax > 0)
            self.freeFailures = freeFailures
            self.initialLockout = initialLockout
            self.maximumLockout = maximumLockout
            self.forgetAfter = forgetAfter
            self.trackedKeysMax = trackedKeysMax
        }
    }

    /// What is throttled.
    public enum Key: Hashable, Sendable {
        /// An account, by its NRIC (or a device, as `device:<id>`).
        case account(String)
        /// A client address.
        case clientAddress(String)

        /// Whether this is an account (or device), not a client address.
        var isAccount: Bool {
            if case .account = self { true } else { false }
        }

        /// The key as a store keeps it: `account:<id>` or `address:<address>`, an IPv6 address by its
        /// /64 network — a single client commonly holds a whole one, so counting its addresses apart
        /// would give it billions of free guesses — and an IPv4-mapped one (`::ffff:a.b.c.d`) as the
        /// IPv4 address it is.
        public var storageKey: String {
            switch self {
            case .account(let identifier): "account:" + identifier
            case .clientAddress(let address): "address:" + Self.throttledNetwork(of: address)
            }
        }

        /// `address` as the throttle counts it (see ``storageKey``); anything not an IPv6 address as it is.
        static func throttledNetwork(of address: String) -> String {
            var parsed = in6_addr()
            guard inet_pton(AF_INET6, address, &parsed) == 1 else { return address }
            let bytes = withUnsafeBytes(of: parsed) { Array($0) }
            if bytes[..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
                return bytes[12...].map(String.init).joined(separator: ".")
            }
            let groups = stride(from: 0, to: 8, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
            return groups.joined(separator: ":") + "::/64"
        }
    }

    /// One key's failures.
    public struct Record: Sendable, Hashable {
        /// Admitted attempts not taken back: failures, and attempts still in flight.
        public var failures: Int
        /// The end of the key's lockout, if one was set.
        public var lockedUntil: Date?
        /// When the key's last failure was recorded, or its first attempt admitted.
        public var lastFailure: Date

        /// A record as stored.
        public init(failures: Int, lockedUntil: Date?, lastFailure: Date) {
            self.failures = failures
            self.lockedUntil = lockedUntil
            self.lastFailure = lastFailure
        }
    }

    /// The limits in force.
    public let configuration: Configuration
    private let store: any LoginThrottleStore
    private let admissions = AdmissionCount()

    /// A throttle counting in `store`.
    public init(store: any LoginThrottleStore, configuration: Configuration = Configuration()) {
        self.store = store
        self.configuration = configuration
    }

    /// Admits an attempt on `keys`, or refuses it: returns when the first locked-out key unlocks, or
    /// `nil` when the attempt may go ahead.
    ///
    /// An admitted attempt is counted as a failure against every key at once, in the same
    /// transaction as the check, so concurrent guesses cannot all pass the check before any of them
    /// is counted. The caller then settles it: ``recordSuccess(_:)`` when it succeeds,
    /// ``refund(_:)`` when it ended neither way (a closed account, a second factor still to come),
    /// ``recordFailure(_:now:)`` when it failed (the count stands already; this dates it).
    public func admit(_ keys: [Key], now: Date) async throws(SmartNationError) -> Date? {
        let configuration = configuration
        let refusal = try await store.update(keys) { records in Self.admit(keys, now: now, into: &records, configuration: configuration) }
        if refusal == nil { try await pruneEveryFewAdmissions(now: now) }
        return refusal
    }

    /// Forgets what is stale among `keys`, then refuses while one is locked out or counts the attempt.
    private static func admit(_ keys: [Key], now: Date, into records: inout [Key: Record], configuration: Configuration) -> Date? {
        if let until = lockout(of: keys, now: now, in: &records, configuration: configuration) { return until }
        for key in keys {
            var record = records[key] ?? Record(failures: 0, lockedUntil: nil, lastFailure: now)
            record.failures += 1
            // The attempt keeps its key remembered while it runs (well under ``inFlightMargin``):
            // were the key forgotten meanwhile by another attempt, this one's count would be lost.
            let earliest = now.addingTimeInterval(min(0, inFlightMargin - configuration.forgetAfter))
            if record.lastFailure < earliest { record.lastFailure = earliest }
            let excess = record.failures - configuration.freeFailures
            if excess > 0 {
                let lockout = min(configuration.maximumLockout, configuration.initialLockout * pow(2, Double(min(excess - 1, 30))))
                record.lockedUntil = now.addingTimeInterval(lockout)
            }
            records[key] = record
        }
        return nil
    }

    /// Forgets the keys among `keys` with no failure for ``Configuration/forgetAfter`` and no lockout
    /// left, then returns when the last lockout among them ends, if one is in force.
    private static func lockout(of keys: [Key], now: Date, in records: inout [Key: Record], configuration: Configuration) -> Date? {
        for key in keys {
            guard let record = records[key] else { continue }
            let lockoutOver = (record.lockedUntil ?? .distantPast) <= now
            if lockoutOver && now.timeIntervalSince(record.lastFailure) > configuration.forgetAfter { records[key] = nil }
        }
        return keys.compactMap { records[$0]?.lockedUntil }.filter { $0 > now }.max()
    }

    /// Admits and settles, in one transaction, an attempt whose outcome is known before it is
    /// admitted (a device's signature, checked first): returns when the first locked-out key unlocks,
    /// or `nil` when the attempt is admitted — then a failure counts against every key, and a success
    /// clears the accounts among them and leaves the client addresses as they were.
    public func settle(_ keys: [Key], now: Date, succeeded: Bool) async throws(SmartNationError) -> Date? {
        let configuration = configuration
        let refusal = try await store.update(keys) { records in
            guard succeeded else {
                let refusal = Self.admit(keys, now: now, into: &records, configuration: configuration)
                if refusal == nil { Self.dateFailure(of: keys, now: now, in: &records) }
                return refusal
            }
            if let until = Self.lockout(of: keys, now: now, in: &records, configuration: configuration) { return until }
            for key in keys where key.isAccount { records[key] = nil }
            return nil
        }
        if refusal == nil, !succeeded { try await pruneEveryFewAdmissions(now: now) }
        return refusal
    }

    /// Settles a successful attempt: the accounts among `keys` are cleared, and the attempt's count
    /// is taken back from the client addresses.
    public func recordSuccess(_ keys: [Key]) async throws(SmartNationError) {
        try await store.update(keys) { records in
            for key in keys {
                if key.isAccount { records[key] = nil } else { Self.takeBack(key, in: &records) }
            }
        }
    }

    /// Settles a failed attempt: its count stands, and its keys' failures are dated `now`, so they
    /// are remembered for ``Configuration/forgetAfter`` from now.
    public func recordFailure(_ keys: [Key], now: Date) async throws(SmartNationError) {
        try await store.update(keys) { records in Self.dateFailure(of: keys, now: now, in: &records) }
    }

    private static func dateFailure(of keys: [Key], now: Date, in records: inout [Key: Record]) {
        for key in keys {
            guard let record = records[key] else { continue }
            records[key]?.lastFailure = max(record.lastFailure, now)
        }
    }

    /// How long an admitted attempt keeps its key from being forgotten, however old its last
    /// failure: longer than any attempt takes to settle.
    static let inFlightMargin: TimeInterval = 300

    /// Settles an attempt that neither succeeded nor failed: its count is taken back from every key.
    public func refund(_ keys: [Key]) async throws(SmartNationError) {
        try await store.update(keys) { records in
            for key in keys { Self.takeBack(key, in: &records) }
        }
    }

    /// Deletes the keys forgotten by `now` (their lockout over), then, beyond
    /// ``Configuration/trackedKeysMax``, the least recently failed of those not locked out: a flood
    /// of new keys cannot push out a lockout in force. Returns how many went.
    @discardableResult
    public func prune(now: Date) async throws(SmartNationError) -> Int {
        try await store.prune(lastFailureBefore: now.addingTimeInterval(-configuration.forgetAfter), now: now, keeping: configuration.trackedKeysMax)
    }

    /// Prunes after every twentieth of ``Configuration/trackedKeysMax`` admitted failures, so that
    /// between the hourly prunes the table grows by at most a tenth past its bound (an attempt adds
    /// at most two keys).
    private func pruneEveryFewAdmissions(now: Date) async throws(SmartNationError) {
        let period = max(1, configuration.trackedKeysMax / 20)
        if admissions.value.add(1, ordering: .relaxed).newValue % period == 0 { try await prune(now: now) }
    }

    /// How many keys are remembered now.
    public func trackedKeyCount() async throws(SmartNationError) -> Int {
        try await store.count()
    }

    /// Takes one admitted attempt back from `key`, and with it the lockout that attempt set: an
    /// attempt is admitted only while no lockout is in force, so one standing now was set by this
    /// attempt or by another admitted alongside it and still unsettled. (Keeping it would lock out a
    /// citizen whose right password, sent before their one-time code, was past the free failures.)
    private static func takeBack(_ key: Key, in records: inout [Key: Record]) {
        guard var record = records[key] else { return }
        record.failures -= 1
        record.lockedUntil = nil
        records[key] = record.failures > 0 ? record : nil
    }
}

/// How many failures a ``LoginThrottle`` has admitted since it was made, shared by its copies.
private final class AdmissionCount: Sendable {
    let value = Atomic<Int>(0)
}
