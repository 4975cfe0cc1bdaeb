import SmartNationCore

/// Where the identity platform keeps its citizens. The SQL lives in ``SQLiteCitizenStore``; a
/// PostgreSQL conformer comes with scale-out.
///
/// Every change is written together with the event announcing it, in one transaction (the outbox).
public protocol CitizenStore: Sendable {
    /// Stores a new citizen and its event; throws ``SmartNationError/Code/identityCitizenExists`` when
    /// the NRIC is already registered, and then stores nothing.
    func insert(_ citizen: Citizen, announcing event: CloudEvent) async throws(SmartNationError)
    /// The citizen with this NRIC, if any.
    func citizen(nric: NRIC) async throws(SmartNationError) -> Citizen?
    /// The citizen with this subject identifier, if any.
    func citizen(subject: String) async throws(SmartNationError) -> Citizen?
    /// Stores a closed citizen (same subject) with its event, and revokes the citizen's live sessions
    /// and device keys in the same transaction, so a closed account keeps no way in.
    func close(_ citizen: Citizen, announcing event: CloudEvent) async throws(SmartNationError)
}
