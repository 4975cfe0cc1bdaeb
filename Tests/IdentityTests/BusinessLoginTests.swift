import Foundation
import GRDB
import SmartNationCore
import Testing

@testable import Identity

@Suite("Businesses: UEN-keyed entities and logging in for them")
struct BusinessLoginTests {
    @Test("a representative's session and tokens carry the entity; others are refused and audited, with nothing spent")
    func businessLogin() async throws {
        let fixture = try await OpenIDTestFixture.make()
        defer { fixture.remove() }
        let platform = try await IdentityPlatform.open(
            in: fixture.environment.directory, sealer: fixture.sealer, issuer: OpenIDTestFixture.issuer, clock: { fixture.clock.now })
        let business = try await platform.businesses.register(uen: "200002150H", name: "Kopi Traders Pte Ltd")
        #expect(business.uen.format == .localCompany)

        #expect(await errorCode {
            _ = try await platform.openSession(subject: fixture.subject, methods: ["pwd"], entityUEN: "200002150H", clientAddress: "10.0.0.1")
        } == .identityBusinessNotRepresentative)
        let check = try #require(platform.entityCheck(for: "200002150H"))
        #expect(await errorCode { try await check(fixture.subject) } == .identityBusinessNotRepresentative, "a password login runs it before the second factor")
        #expect(platform.entityCheck(for: nil) == nil && platform.entityCheck(for: "") == nil)
        try await platform.businesses.authorise(subject: fixture.subject, for: "200002150H", role: .administrator)
        try await check(fixture.subject)
        let issued = try await platform.openSession(subject: fixture.subject, methods: ["pwd"], entityUEN: "200002150H", clientAddress: "10.0.0.1")
        #expect(issued.session.entityUEN == "200002150H")
        guard case .active(let session) = try await platform.sessions.validate(token: issued.token) else {
            Issue.record("the session is not active")
            return
        }
        #expect(session.entityUEN == "200002150H")

        let pushed = try await fixture.provider.pushAuthorizationRequest(form: fixture.parForm(scope: "openid name"), credentials: fixture.credentials(), dpopProof: nil)
        let redirect = try await fixture.provider.completeAuthorization(
            clientID: fixture.client.clientID, requestURI: pushed.requestURI, subject: fixture.subject, methods: ["pwd"],
            authenticatedAt: fixture.clock.now, decision: .approveAll, entityUEN: session.entityUEN)
        let tokens = try await fixture.exchange(code: try #require(OpenIDTestFixture.query(of: redirect)["code"]))
        let claims = try await fixture.provider.verifyIDToken(tokens.idToken, audience: fixture.client.clientID)
        #expect(claims.attributes["entity"] == .object(["uen": .string("200002150H"), "name": .string("Kopi Traders Pte Ltd"), "role": .string("administrator")]))
        #expect(try await fixture.userinfo(tokens.accessToken)["entity"]?["uen"]?.stringValue == "200002150H")

        try await platform.businesses.withdraw(subject: fixture.subject, for: "200002150H")
        let refresh = ["grant_type": "refresh_token", "refresh_token": tokens.refreshToken]
        #expect(await errorCode {
            _ = try await fixture.provider.token(form: refresh, credentials: try fixture.credentials(),
                                                 dpopProof: try fixture.keys.dpopProof(url: fixture.settings.tokenEndpoint, now: fixture.clock.now))
        } == .identityBusinessNotRepresentative)
        // The refusal spent nothing: with the authority restored, the same refresh token still works.
        try await platform.businesses.authorise(subject: fixture.subject, for: "200002150H", role: .administrator)
        _ = try await fixture.provider.token(form: refresh, credentials: try fixture.credentials(),
                                             dpopProof: try fixture.keys.dpopProof(url: fixture.settings.tokenEndpoint, now: fixture.clock.now))

        let reasons = try await fixture.database.read { db in
            try Outbox.pending(limit: 10_000, in: db).map(\.event)
        }.filter { $0.type == LoginFailed.eventType }.map { try $0.decodeData(as: LoginFailed.self).reason }
        #expect(reasons == ["not_representative"])
    }

    @Test("malformed UENs, duplicates, unknown businesses and unknown citizens are refused, nothing stored")
    func registryRefusals() async throws {
        let fixture = try await OpenIDTestFixture.make()
        defer { fixture.remove() }
        let registry = BusinessRegistry(database: fixture.database)
        #expect(await errorCode { _ = try await registry.register(uen: "12345", name: "Bad") } == .identityUENMalformed)
        #expect(await errorCode { _ = try await registry.register(uen: "53123456A", name: " ") } == .identityNameInvalid)
        _ = try await registry.register(uen: "53123456A", name: "Ah Kow Hawker Stall")
        #expect(await errorCode { _ = try await registry.register(uen: "53123456a", name: "Again") } == .identityBusinessExists)
        #expect(await errorCode { try await registry.authorise(subject: fixture.subject, for: "T08LL0001A", role: .user) } == .identityBusinessNotFound)
        #expect(await errorCode { try await registry.authorise(subject: "no-such-subject", for: "53123456A", role: .user) } == .identityCitizenNotFound)
        #expect(await errorCode { _ = try await registry.representation(uen: "T08LL0001A", subject: fixture.subject) } == .identityBusinessNotFound)
        #expect(try await registry.representations(of: fixture.subject).isEmpty)
        #expect(try await fixture.count("business") == 1)
    }
}
