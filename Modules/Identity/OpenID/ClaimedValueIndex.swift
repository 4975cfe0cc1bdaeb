import Crypto
import Foundation
import Synchronization

/// The single-use values claimed and not yet expired, in memory: what ``ReplayGuard`` asks
/// "claimed before?". Each value is kept as the first 128 bits of its SHA-256 (16 bytes however long
/// the `jti`; telling two apart by chance takes some 2⁶⁴ values), filed under the second it
/// expires in, and dropped once that second has passed.
///
/// Its size is what the last couple of minutes admitted — a value expires at most
/// ``OpenIDSettings/clientAssertionLifetimeMax`` (or ``OpenIDSettings/dpopProofWindow``) after it is
/// presented — about 40 bytes a value: some 50 MB at 5,000 token requests a second.
final class ClaimedValueIndex: Sendable {
    /// A value's identity in the index.
    struct Digest: Hashable, Sendable {
        let high: UInt64
        let low: UInt64

        /// The first 128 bits of the SHA-256 of `value`.
        init(of value: String) {
            let hash = SHA256.hash(data: Data(value.utf8))
            (high, low) = hash.withUnsafeBytes { bytes in
                (bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self), bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            }
        }
    }

    private struct State {
        var digests: Set<Digest> = []
        /// The digests by the second (since 1970) they expire in.
        var byExpiry: [Int64: [Digest]] = [:]
        /// Every second before this one has been dropped.
        var liveFrom: Int64
    }

    private let state: Mutex<State>

    /// An empty index at `now`.
    init(now: TimeInterval) {
        state = Mutex(State(liveFrom: Int64(now.rounded(.down))))
    }

    /// How many values the index holds.
    var count: Int { state.withLock { $0.digests.count } }

    /// Adds `digest`, expiring at `expiresAt`, after dropping what expired before `now`; `false`
    /// (and nothing changed) when it was there already.
    func insert(_ digest: Digest, expiresAt: TimeInterval, now: TimeInterval) -> Bool {
        state.withLock { state in
            Self.dropExpired(before: Int64(now.rounded(.down)), in: &state)
            guard state.digests.insert(digest).inserted else { return false }
            state.byExpiry[Int64(expiresAt.rounded(.up)), default: []].append(digest)
            return true
        }
    }

    /// Takes back digests added by ``insert(_:expiresAt:now:)`` whose transaction rolled back.
    func remove(_ entries: [(digest: Digest, expiresAt: TimeInterval)]) {
        state.withLock { state in
            for entry in entries {
                state.digests.remove(entry.digest)
                let second = Int64(entry.expiresAt.rounded(.up))
                state.byExpiry[second]?.removeAll { $0 == entry.digest }
            }
        }
    }

    private static func dropExpired(before second: Int64, in state: inout State) {
        guard second > state.liveFrom else { return }
        // After a long idle spell walking the filed seconds beats walking every second passed.
        let expired = second - state.liveFrom <= Int64(state.byExpiry.count)
            ? (state.liveFrom..<second).filter { state.byExpiry[$0] != nil }
            : state.byExpiry.keys.filter { $0 < second }
        for expiredSecond in expired {
            for digest in state.byExpiry.removeValue(forKey: expiredSecond) ?? [] { state.digests.remove(digest) }
        }
        state.liveFrom = second
    }
}
