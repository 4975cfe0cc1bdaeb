import Foundation
import SmartNationCore

/// Citizens decoded from their stored JSON records, keyed by the record's bytes: the token endpoint
/// reads a grant's citizen on every request, and decoding the record cost more than reading it.
/// Keyed by content, an entry can never be stale — a changed record is a different key.
struct DecodedCitizenCache: Sendable {
    /// The most records kept; past it the cache starts over.
    static let entriesMax = 4096

    private let decoded = BoundedCache<Data, Citizen>(entriesMax: entriesMax)

    /// The citizen `record` holds.
    func citizen(from record: Data) throws(SmartNationError) -> Citizen {
        try decoded.value(for: record) { () throws(SmartNationError) -> Citizen in try SQLiteCitizenStore.decode(record) }
    }
}
