import Foundation
import SmartNationCore

/// Registers and closes citizens' accounts: checks every field, keeps the store, and announces each
/// change on the bus through the outbox.
public struct CitizenRegistry: Sendable {
    /// The longest name accepted.
    public static let nameLengthMax = 100
    /// The longest nationality accepted.
    public static let nationalityLengthMax = 40

    private let store: any CitizenStore
    private let auditTrail: any AuditTrail
    private let clock: @Sendable () -> Date

    /// Creates a registry over `store`, recording refused registrations in `auditTrail`; `clock`
    /// gives the current time (a fixed one in tests).
    public init(store: any CitizenStore, auditTrail: any AuditTrail, clock: @escaping @Sendable () -> Date = Date.init) {
        self.store = store
        self.auditTrail = auditTrail
        self.clock = clock
    }

    /// Opens an account. Refuses malformed fields and an NRIC already registered (even if closed):
    /// each refusal has its own code, is audited as ``CitizenRegistrationRejected`` and stores
    /// nothing else.
    public func register(_ registration: CitizenRegistration) async throws(SmartNationError) -> Citizen {
        try await auditingRejections { () async throws(SmartNationError) in try await admit(registration) }
    }

    /// Runs `body` — the HTTP edge's reading of a registration, such as its JSON body and address —
    /// auditing a refusal as ``CitizenRegistrationRejected``, as ``register(_:)`` audits its own.
    public func auditingRejections<Result: Sendable>(
        _ body: () async throws(SmartNationError) -> Result
    ) async throws(SmartNationError) -> Result {
        do {
            return try await body()
        } catch {
            if error.code != .storageUnavailable {
                try await auditTrail.recordAudit(try CloudEvent(
                    CitizenRegistrationRejected(code: error.code.rawValue), source: identityEventSource, time: clock()))
            }
            throw error
        }
    }

    private func admit(_ registration: CitizenRegistration) async throws(SmartNationError) -> Citizen {
        let nric = try NRIC(registration.nric)
        let name = registration.name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.count <= Self.nameLengthMax else {
            throw SmartNationError(.identityNameInvalid, parameters: ["maximum": String(Self.nameLengthMax)])
        }
        let nationality = registration.nationality.trimmingCharacters(in: .whitespaces)
        guard !nationality.isEmpty, nationality.count <= Self.nationalityLengthMax else {
            throw SmartNationError(.identityNationalityInvalid, parameters: ["maximum": String(Self.nationalityLengthMax)])
        }
        let now = clock()
        try Self.checkBirthDate(registration.dateOfBirth, now: now)
        let citizen = Citizen(
            subject: UUID().uuidString.lowercased(),
            nric: nric,
            name: name,
            dateOfBirth: registration.dateOfBirth,
            sex: registration.sex,
            nationality: nationality,
            address: registration.address,
            mobile: try registration.mobile.map { text throws(SmartNationError) in try MobileNumber(text) },
            email: try registration.email.map { text throws(SmartNationError) in try EmailAddress(text) },
            preferredLanguage: registration.preferredLanguage,
            status: .active,
            registeredAt: now,
            closedAt: nil
        )
        let event = try CloudEvent(
            CitizenRegistered(subject: citizen.subject, preferredLanguage: citizen.preferredLanguage),
            source: identityEventSource, subject: citizen.subject, time: now)
        try await store.insert(citizen, announcing: event)
        return citizen
    }

    /// Closes an open account; its sessions and device keys are revoked with it.
    public func close(subject: String, reason: String) async throws(SmartNationError) -> Citizen {
        guard var citizen = try await store.citizen(subject: subject) else {
            throw SmartNationError(.identityCitizenNotFound, httpStatus: 404)
        }
        guard citizen.status == .active else {
            throw SmartNationError(.identityCitizenClosed, httpStatus: 409)
        }
        let now = clock()
        citizen.status = .closed
        citizen.closedAt = now
        let event = try CloudEvent(
            CitizenClosed(subject: subject, reason: String(reason.prefix(200))),
            source: identityEventSource, subject: subject, time: now)
        try await store.close(citizen, announcing: event)
        return citizen
    }

    /// The citizen registered under `nric`, if any.
    public func citizen(nric: String) async throws(SmartNationError) -> Citizen? {
        try await store.citizen(nric: try NRIC(nric))
    }

    /// The citizen with this subject identifier, if any.
    public func citizen(subject: String) async throws(SmartNationError) -> Citizen? {
        try await store.citizen(subject: subject)
    }

    /// A date of birth is a real `YYYY-MM-DD` date, not in the future, and at most 130 years ago.
    static func checkBirthDate(_ text: String, now: Date) throws(SmartNationError) {
        let invalid = SmartNationError(.identityBirthDateInvalid, parameters: ["expected": "YYYY-MM-DD, not in the future"])
        let parts = text.split(separator: "-")
        guard text.count == 10, parts.count == 3, let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            parts[0].count == 4, parts[1].count == 2, parts[2].count == 2
        else { throw invalid }
        guard let midnight = EventTimestamp.parse(String(format: "%04d-%02d-%02dT00:00:00Z", year, month, day)) else {
            throw invalid
        }
        guard midnight <= now, midnight > now.addingTimeInterval(-130 * 365.25 * 86_400) else { throw invalid }
    }
}
