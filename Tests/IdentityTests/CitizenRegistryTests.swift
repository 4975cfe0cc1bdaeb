import Foundation
import GRDB
import Logging
import SmartNationCore
import Testing

@testable import Identity

private struct IdentityFixture {
    let directory: URL
    let database: DatabasePool
    let registry: CitizenRegistry

    init(now: Date = Date(timeIntervalSince1970: 1_795_000_000)) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("identity-\(UUID().uuidString)")
        database = try IdentityDatabase.open(in: directory)
        registry = CitizenRegistry(store: SQLiteCitizenStore(database: database), auditTrail: OutboxAuditTrail(database: database), clock: { now })
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }

    func pendingEvents() async throws -> Int {
        try await database.read { try Outbox.pendingCount(in: $0) }
    }

    /// The refusal codes of the audited registration rejections, in order.
    func rejectionCodes() async throws -> [String] {
        try await database.read { db in
            try Outbox.pending(limit: 10_000, in: db).map(\.event)
        }.filter { $0.type == CitizenRegistrationRejected.eventType }.map { try $0.decodeData(as: CitizenRegistrationRejected.self).code }
    }
}

private func registration(nric: String = "S1234567D", dateOfBirth: String = "1985-06-15") throws -> CitizenRegistration {
    CitizenRegistration(
        nric: nric, name: "Tan Ah Kow", dateOfBirth: dateOfBirth, sex: .male, nationality: "SINGAPORE CITIZEN",
        address: try RegisteredAddress(block: "10", street: "Anson Road", unit: "#12-34", postalCode: "079903"),
        mobile: "9123 4567", email: "ahkow@example.sg", preferredLanguage: .chinese)
}

@Suite("Citizen registry on a real SQLite file")
struct CitizenRegistryTests {
    @Test("registration stores the citizen under an opaque subject and announces it without the NRIC")
    func register() async throws {
        let fixture = try IdentityFixture()
        defer { fixture.remove() }
        let citizen = try await fixture.registry.register(try registration())
        #expect(EventID.isUUID(citizen.subject))
        #expect(!citizen.subject.contains("1234567"))
        #expect(citizen.mobile?.value == "+6591234567")
        #expect(try await fixture.registry.citizen(nric: "s1234567d") == citizen)
        #expect(try await fixture.registry.citizen(subject: citizen.subject) == citizen)

        let log = try EventLog(dataDirectory: fixture.directory)
        let relay = OutboxRelay(
            database: fixture.database, outboxName: IdentityDatabase.outboxName, log: log, bus: EventBus(), logger: Logger(label: "test"))
        #expect(try await relay.relayPending() == 1)
        let logged = try #require(try await log.read(after: 0).first)
        #expect(logged.event.type == CitizenRegistered.eventType)
        #expect(try logged.event.decodeData(as: CitizenRegistered.self).subject == citizen.subject)
        #expect(!String(decoding: CloudEventCoding.encode(logged.event), as: UTF8.self).contains("S1234567D"))
    }

    @Test("bad fields are refused with their own code, audited, and nothing else is stored", arguments: [
        ("S1234567A", "1985-06-15", SmartNationError.Code.identityNRICChecksum),
        ("S1234567D", "2099-01-01", .identityBirthDateInvalid),
        ("S1234567D", "1985-02-30", .identityBirthDateInvalid),
        ("S1234567D", "15/06/1985", .identityBirthDateInvalid),
    ])
    func refusals(nric: String, dateOfBirth: String, code: SmartNationError.Code) async throws {
        let fixture = try IdentityFixture()
        defer { fixture.remove() }
        await #expect(throws: SmartNationError(code)) {
            try await fixture.registry.register(try registration(nric: nric, dateOfBirth: dateOfBirth))
        }
        var badMobile = try registration()
        badMobile.mobile = "12345678"
        await #expect(throws: SmartNationError(.identityMobileMalformed)) { try await fixture.registry.register(badMobile) }
        #expect(try await fixture.registry.citizen(nric: "S1234567D") == nil)
        #expect(try await fixture.rejectionCodes() == [code.rawValue, SmartNationError.Code.identityMobileMalformed.rawValue],
                "each refusal is audited with its code")
        #expect(try await fixture.pendingEvents() == 2, "and nothing else is stored")
    }

    @Test("an NRIC registers once; the second attempt is refused and audited, storing nothing else")
    func duplicate() async throws {
        let fixture = try IdentityFixture()
        defer { fixture.remove() }
        _ = try await fixture.registry.register(try registration())
        await #expect(throws: SmartNationError(.identityCitizenExists)) { try await fixture.registry.register(try registration()) }
        #expect(try await fixture.rejectionCodes() == [SmartNationError.Code.identityCitizenExists.rawValue])
        #expect(try await fixture.pendingEvents() == 2, "the registration and the audited refusal")
    }

    @Test("closing an account announces it once; a closed account cannot be closed again")
    func close() async throws {
        let fixture = try IdentityFixture()
        defer { fixture.remove() }
        let citizen = try await fixture.registry.register(try registration())
        let closed = try await fixture.registry.close(subject: citizen.subject, reason: "deceased")
        #expect(closed.status == .closed)
        #expect(try await fixture.registry.citizen(subject: citizen.subject)?.status == .closed)
        await #expect(throws: SmartNationError(.identityCitizenClosed)) {
            try await fixture.registry.close(subject: citizen.subject, reason: "again")
        }
        await #expect(throws: SmartNationError(.identityCitizenNotFound)) {
            try await fixture.registry.close(subject: "no-such-subject", reason: "x")
        }
        #expect(try await fixture.pendingEvents() == 2)
    }

    @Test("of concurrent closings of one account, one closes it and announces it; the others find it closed")
    func concurrentClosings() async throws {
        let fixture = try IdentityFixture()
        defer { fixture.remove() }
        let citizen = try await fixture.registry.register(try registration())
        let outcomes = await withTaskGroup(of: SmartNationError.Code?.self) { group in
            for attempt in 0..<8 {
                group.addTask { await errorCode { _ = try await fixture.registry.close(subject: citizen.subject, reason: "closing \(attempt)") } }
            }
            return await group.reduce(into: [SmartNationError.Code?]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == nil }.count == 1)
        #expect(outcomes.filter { $0 == .identityCitizenClosed }.count == 7)
        #expect(try await fixture.pendingEvents() == 2, "the registration and one closing")
    }
}
