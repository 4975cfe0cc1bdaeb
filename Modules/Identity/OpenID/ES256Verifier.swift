import Crypto
import Foundation
import Synchronization

/// A P-256 public key the provider verifies signatures with, and its raw coordinates (`x ‖ y`),
/// which name its table in ``ES256Verifier``. Made once per key and cached with it.
struct VerificationKey: Sendable {
    /// The key.
    let key: P256.Signing.PublicKey
    /// Its raw coordinates, 64 bytes.
    let rawKey: Data

    /// The verification key of `key`.
    init(_ key: P256.Signing.PublicKey) {
        self.key = key
        rawKey = key.rawRepresentation
    }
}

/// Verifies the provider's incoming ES256 signatures: client assertions and DPoP proofs.
///
/// The same few keys sign nearly every request — each client's assertion key and the DPoP key of
/// each of its instances — so a key that keeps verifying gets a ``P256VerificationTable``, which
/// halves what its verifications cost; any other key is verified by swift-crypto. Both give the same
/// answer for every signature (the tests compare them), so a table changes speed, never outcome.
///
/// Everything that grows is bounded. A key qualifies only after
/// ``Limits/verificationsBeforeTable`` valid signatures, so only a key whose holder keeps signing
/// with it does, never one a request merely names; tables are built one at a time and at most one per
/// ``Limits/tableInterval`` (~20 ms of CPU each, so at most ~2% of a core); at most
/// ``Limits/tablesMax`` are kept (~150 KB each), the least recently used giving way; and at most
/// ``Limits/countedKeysMax`` keys are counted, past which the counts start over.
final class ES256Verifier: Sendable {
    /// The bounds above.
    struct Limits: Sendable {
        /// Valid signatures by a key before it gets a table.
        var verificationsBeforeTable = 256
        /// The most tables kept.
        var tablesMax = 32
        /// The least time between two tables' builds.
        var tableInterval: Duration = .seconds(1)
        /// The most keys whose signatures are counted at once.
        var countedKeysMax = 4096
    }

    /// The bounds this verifier keeps.
    let limits: Limits
    private let state = Mutex(State())

    private struct State {
        var counts: [Data: Int] = [:]
        var tables: [Data: CachedTable] = [:]
        var building = false
        var lastBuild: ContinuousClock.Instant?
        /// A counter of table uses, for choosing the least recently used.
        var uses: UInt64 = 0
    }

    private struct CachedTable {
        let table: P256VerificationTable
        var lastUse: UInt64
    }

    /// A verifier keeping `limits`.
    init(limits: Limits = Limits()) {
        precondition(limits.verificationsBeforeTable > 0 && limits.tablesMax > 0 && limits.countedKeysMax > 0, "each limit allows something")
        self.limits = limits
    }

    /// Whether `signature` (`r ‖ s`, as JWS carries ES256) is `key`'s signature of the message whose
    /// SHA-256 is `digest`.
    func isValidSignature(_ signature: [UInt8], digest: SHA256Digest, by key: VerificationKey) -> Bool {
        if let table = table(for: key.rawKey) {
            return table.isValidSignature(signature, digest: digest)
        }
        guard let ecdsa = try? P256.Signing.ECDSASignature(rawRepresentation: signature), key.key.isValidSignature(ecdsa, for: digest) else {
            return false
        }
        if claimBuild(for: key.rawKey) { build(key.rawKey) }
        return true
    }

    /// How many keys have a table now.
    var tableCount: Int {
        state.withLock { $0.tables.count }
    }

    /// Whether `key` has a table now.
    func hasTable(for key: VerificationKey) -> Bool {
        state.withLock { $0.tables[key.rawKey] != nil }
    }

    /// The key's table, if it has one, marked as just used.
    private func table(for rawKey: Data) -> P256VerificationTable? {
        state.withLock { state in
            guard let index = state.tables.index(forKey: rawKey) else { return nil }
            state.uses &+= 1
            state.tables.values[index].lastUse = state.uses
            return state.tables.values[index].table
        }
    }

    /// Counts one more valid signature by the key; true when the caller is to build its table now.
    private func claimBuild(for rawKey: Data) -> Bool {
        state.withLock { state in
            guard state.tables[rawKey] == nil else { return false }
            if state.counts[rawKey] == nil, state.counts.count >= limits.countedKeysMax { state.counts.removeAll() }
            let count = (state.counts[rawKey] ?? 0) + 1
            state.counts[rawKey] = count
            guard count >= limits.verificationsBeforeTable, !state.building else { return false }
            let now = ContinuousClock.now
            if let last = state.lastBuild, now - last < limits.tableInterval { return false }
            state.building = true
            state.lastBuild = now
            return true
        }
    }

    /// Builds the key's table on the calling thread and keeps it, the least recently used table
    /// giving way when ``Limits/tablesMax`` are kept.
    private func build(_ rawKey: Data) {
        let table = P256VerificationTable(rawKey: rawKey)
        state.withLock { state in
            state.building = false
            state.counts[rawKey] = nil
            guard let table else { return }
            if state.tables.count >= limits.tablesMax, let oldest = state.tables.min(by: { $0.value.lastUse < $1.value.lastUse })?.key {
                state.tables[oldest] = nil
            }
            state.uses &+= 1
            state.tables[rawKey] = CachedTable(table: table, lastUse: state.uses)
        }
    }
}
