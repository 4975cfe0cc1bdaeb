import Foundation
import GRDB
import SmartNationCore
import Testing

@testable import Identity

@Suite("OpenID provider: how long grants, codes and tokens are kept")
struct OpenIDRetentionTests {
    @Test("a code presented again after the hourly prune still revokes the tokens it issued")
    func reusedCodeAfterPrune() async throws {
        let fixture = try await OpenIDTestFixture.make()
        defer { fixture.remove() }
        let code = try #require(try await fixture.authorize()["code"])
        let tokens = try await fixture.exchange(code: code)
        fixture.clock.advance(by: 2 * 3600)
        try await fixture.provider.pruneExpired()
        #expect(try await fixture.count("oidc_authorization_code") == 1, "the redeemed code stays while its grant lives")
        #expect(await errorCode { _ = try await fixture.exchange(code: code) } == .oauthCodeReused)
        #expect(await errorCode { _ = try await fixture.refresh(tokens.refreshToken) } == .oauthRefreshTokenInvalid)
    }

    @Test("the prune removes codes never redeemed and expired tokens, and a grant with its code and tokens an hour after it is revoked")
    func pruneRemovesWhatCannotBeUsed() async throws {
        let fixture = try await OpenIDTestFixture.make()
        defer { fixture.remove() }
        let tokens = try await fixture.exchange(code: try #require(try await fixture.authorize()["code"]))
        _ = try await fixture.authorize()
        #expect(try await fixture.count("oidc_grant") == 2)
        fixture.clock.advance(by: 2 * 3600)
        try await fixture.provider.pruneExpired()
        #expect(try await fixture.count("oidc_authorization_code") == 1)
        #expect(try await fixture.count("oidc_token") == 1, "the access token went; the refresh token lives on")
        #expect(try await fixture.count("oidc_pushed_request") == 0)
        _ = try await fixture.refresh(tokens.refreshToken)

        try await fixture.provider.revokeConsent(subject: fixture.subject, clientID: fixture.client.clientID)
        fixture.clock.advance(by: 1800)
        try await fixture.provider.pruneExpired()
        #expect(try await fixture.count("oidc_grant") == 2, "revoked half an hour ago: kept")
        fixture.clock.advance(by: 3600)
        try await fixture.provider.pruneExpired()
        #expect(try await fixture.count("oidc_grant") == 0)
        #expect(try await fixture.count("oidc_authorization_code") == 0)
        #expect(try await fixture.count("oidc_token") == 0)
    }

    @Test("refresh tokens rotate up to the grant's lifetime and no further; the last one expires with the grant")
    func grantLifetimeCapsRefresh() async throws {
        let fixture = try await OpenIDTestFixture.make()
        defer { fixture.remove() }
        let loggedInAt = fixture.clock.now
        var tokens = try await fixture.exchange(code: try #require(try await fixture.authorize()["code"]))
        let day: TimeInterval = 24 * 3600
        for _ in 0..<3 {
            fixture.clock.advance(by: 29 * day)
            tokens = try await fixture.refresh(tokens.refreshToken)
        }
        let lastKey = RandomToken.storageKey(tokens.refreshToken)
        let expiry = try await fixture.database.read { db in
            try Double.fetchOne(db, sql: "SELECT expires_at FROM oidc_token WHERE token_key = ?", arguments: [lastKey])
        }
        #expect(expiry == loggedInAt.timeIntervalSince1970 + fixture.settings.grantLifetime)
        fixture.clock.advance(by: 3 * day + 1)
        #expect(await errorCode { _ = try await fixture.refresh(tokens.refreshToken) } == .oauthRefreshTokenInvalid)
        try await fixture.provider.pruneExpired()
        fixture.clock.advance(by: 3601)
        try await fixture.provider.pruneExpired()
        #expect(try await fixture.count("oidc_grant") == 0, "a grant past its lifetime goes at the prune")
    }
}
