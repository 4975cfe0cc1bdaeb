import Foundation
import GRDB
import SmartNationCore
import Testing

@testable import Identity

private struct SessionFixture {
    let environment: IdentityTestEnvironment
    let sessions: SessionManager

    var clock: ManualClock { environment.clock }
    var database: DatabasePool { environment.database }
    var subject: String { environment.subject }

    static func make(configuration: SessionManager.Configuration = .init()) async throws -> SessionFixture {
        let environment = try await IdentityTestEnvironment.make(
            registering: CitizenRegistration(
                nric: "S6005053H", name: "Rajesh Kumar", dateOfBirth: "1960-01-01", sex: .male, nationality: "SINGAPORE CITIZEN",
                address: try RegisteredAddress(block: "5", street: "Serangoon Road", postalCode: "218227"), preferredLanguage: .tamil))
        let clock = environment.clock
        return SessionFixture(
            environment: environment,
            sessions: SessionManager(
                store: SQLiteSessionStore(database: environment.database), configuration: configuration, clock: { clock.now }))
    }

    func remove() {
        environment.remove()
    }
}

@Suite("Sessions")
struct SessionManagerTests {
    @Test("no session opens for a closed account, even for a login that passed its checks before the closing")
    func closedAccount() async throws {
        let fixture = try await SessionFixture.make()
        defer { fixture.remove() }
        _ = try await fixture.environment.registry.close(subject: fixture.subject, reason: "deceased")
        await #expect(throws: SmartNationError(.identityLoginAccountClosed)) {
            try await fixture.sessions.open(subject: fixture.subject, methods: ["pwd"])
        }
        #expect(try await fixture.database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM session") } == 0)
    }

    @Test("a token opens a session that stays live while used, and only its hash is stored")
    func lifecycle() async throws {
        let fixture = try await SessionFixture.make()
        defer { fixture.remove() }
        let issued = try await fixture.sessions.open(subject: fixture.subject, methods: ["pwd", "otp"])
        #expect(issued.token.count == 43)
        fixture.clock.advance(by: 10 * 60)
        guard case .active(let session) = try await fixture.sessions.validate(token: issued.token) else {
            Issue.record("the session is live")
            return
        }
        #expect(session.authenticationMethods == ["pwd", "otp"])
        fixture.clock.advance(by: 10 * 60)
        #expect(try await fixture.sessions.validate(token: issued.token) == .active(Session(
            id: session.id, subject: fixture.subject, authenticationMethods: ["pwd", "otp"], createdAt: session.createdAt,
            lastSeenAt: fixture.clock.now, revokedAt: nil)), "use keeps it from idling out")
        let stored = try await fixture.database.read { db in try Data.fetchAll(db, sql: "SELECT token_hash FROM session") }
        #expect(stored == [RandomToken.hash(issued.token)])
        #expect(try await fixture.sessions.validate(token: "not-a-token") == .unknown)
    }

    @Test("sessions expire when idle and at the absolute limit")
    func expiry() async throws {
        let fixture = try await SessionFixture.make(configuration: .init(idleTimeout: 600, absoluteTimeout: 1800))
        defer { fixture.remove() }
        let idle = try await fixture.sessions.open(subject: fixture.subject, methods: ["pwd"])
        fixture.clock.advance(by: 601)
        #expect(try await fixture.sessions.validate(token: idle.token) == .expired)

        let busy = try await fixture.sessions.open(subject: fixture.subject, methods: ["pwd"])
        for _ in 0..<3 {
            fixture.clock.advance(by: 500)
            #expect(try await fixture.sessions.validate(token: busy.token) != .expired)
        }
        fixture.clock.advance(by: 400)
        #expect(try await fixture.sessions.validate(token: busy.token) == .expired, "1,900 s is past the absolute limit")
    }

    @Test("the prune deletes sessions an hour after they were revoked, idled out or reached the absolute limit, and keeps the rest")
    func pruning() async throws {
        let fixture = try await SessionFixture.make(configuration: .init(idleTimeout: 600, absoluteTimeout: 1800))
        defer { fixture.remove() }
        func count() async throws -> Int {
            try await fixture.database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM session") ?? 0 }
        }
        let start = fixture.clock.now
        func at(_ seconds: TimeInterval) { fixture.clock.advance(by: start.addingTimeInterval(seconds).timeIntervalSince(fixture.clock.now)) }
        let revoked = try await fixture.sessions.open(subject: fixture.subject, methods: ["pwd"])
        try await fixture.sessions.revoke(sessionID: revoked.session.id, of: fixture.subject)
        let idle = try await fixture.sessions.open(subject: fixture.subject, methods: ["pwd"])
        let busy = try await fixture.sessions.open(subject: fixture.subject, methods: ["pwd"])
        for seconds in [500.0, 1000, 1500] {
            at(seconds)
            #expect(try await fixture.sessions.validate(token: busy.token) != .expired)
        }
        at(3650)
        #expect(try await fixture.sessions.pruneEnded() == 1, "the revoked one, an hour on; the idle one ended at 600 s")
        #expect(try await fixture.sessions.validate(token: revoked.token) == .unknown)
        #expect(try await fixture.sessions.validate(token: idle.token) == .expired)
        at(4300)
        #expect(try await fixture.sessions.pruneEnded() == 1, "the idle one, an hour after it idled out")
        at(5399)
        #expect(try await fixture.sessions.pruneEnded() == 0, "the busy one reached the absolute limit at 1,800 s, not yet an hour ago")
        at(5401)
        #expect(try await fixture.sessions.pruneEnded() == 1)
        #expect(try await count() == 0)
    }

    @Test("a citizen lists and revokes sessions; opening past the limit revokes the oldest")
    func revocation() async throws {
        let fixture = try await SessionFixture.make(configuration: .init(sessionsPerCitizenMax: 3))
        defer { fixture.remove() }
        var issued: [IssuedSession] = []
        for _ in 0..<4 {
            issued.append(try await fixture.sessions.open(subject: fixture.subject, methods: ["hwk"]))
            fixture.clock.advance(by: 1)
        }
        #expect(try await fixture.sessions.validate(token: issued[0].token) == .revoked)
        #expect(try await fixture.sessions.activeSessions(of: fixture.subject).map(\.id) == issued[1...].reversed().map(\.session.id))
        try await fixture.sessions.revoke(sessionID: issued[1].session.id, of: fixture.subject)
        #expect(try await fixture.sessions.validate(token: issued[1].token) == .revoked)
        await #expect(throws: SmartNationError(.identitySessionNotFound)) {
            try await fixture.sessions.revoke(sessionID: issued[1].session.id, of: fixture.subject)
        }
        await #expect(throws: SmartNationError(.identitySessionNotFound)) {
            try await fixture.sessions.revoke(sessionID: issued[2].session.id, of: "someone-else")
        }
        #expect(try await fixture.sessions.revokeAll(of: fixture.subject) == 2)
        #expect(try await fixture.sessions.activeSessions(of: fixture.subject).isEmpty)
    }
}
