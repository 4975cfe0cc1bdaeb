import Foundation
import SmartNationCore
import Synchronization

/// Citizens decoded from their stored JSON records, keyed by the record's bytes: the token endpoint
/// reads a grant's citizen on every request, and decoding the record cost more than reading it.
/// Keyed by content, an entry can never be stale — a changed record is a different key.
final class DecodedCitizenCache: Sendable {
    /// The most records kept; past it the cache starts over.
    static let entriesMax = 4096

    private let entries = Mutex<[Data: Citizen]>([:])

    /// The citizen `record` holds.
    func citizen(from record: Data) throws(SmartNationError) -> Citizen {
        if let decoded = entries.withLock({ $0[record] }) { return decoded }
        let citizen = try SQLiteCitizenStore.decode(record)
        entries.withLock { entries in
            if entries.count >= Self.entriesMax { entries.removeAll() }
            entries[record] = citizen
        }
        return citizen
    }
}
