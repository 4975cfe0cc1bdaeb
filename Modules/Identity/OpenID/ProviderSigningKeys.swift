import Crypto
import Foundation
import GRDB
import JWTKit
import SmartNationCore
import Synchronization

/// The provider's ES256 signing keys: one active key signs; keys retired by ``rotate()`` stay in
/// the JWKS for ``OpenIDSettings/signingKeyOverlap`` so tokens they signed still verify.
///
/// Keys are created on first use, sealed at rest with the ``SecretSealer`` and named by their
/// RFC 7638 thumbprint. jwt-kit holds the key set and verifies; signing, the hot path of the token
/// endpoint, writes the compact JWS (RFC 7515 §7.1) itself with the platform's JSON writer and
/// swift-crypto — measured in `docs/performance.md` — and every test verifies the result with jwt-kit.
public final class ProviderSigningKeys: Sendable {
    private struct KeySet: Sendable {
        var activeKID: JWKIdentifier
        var activeKey: P256.Signing.PrivateKey
        /// The base64url JOSE header of ID tokens the active key signs.
        var encodedHeader: String
        var collection: JWTKeyCollection
        var jwks: Data
    }

    private static let sealingContext = "oidc.signing_key"
    private let database: DatabasePool
    private let sealer: SecretSealer
    private let overlap: TimeInterval
    private let clock: @Sendable () -> Date
    private let current: Mutex<KeySet>

    /// Loads the signing keys, creating the first one when there is none.
    public init(
        database: DatabasePool, sealer: SecretSealer, overlap: TimeInterval, clock: @escaping @Sendable () -> Date = Date.init
    ) async throws(SmartNationError) {
        self.database = database
        self.sealer = sealer
        self.overlap = overlap
        self.clock = clock
        var keySet = try await Self.load(database: database, sealer: sealer, overlap: overlap, now: clock())
        if keySet == nil {
            try await Self.insertNewKey(database: database, sealer: sealer, retiringActive: false, now: clock())
            keySet = try await Self.load(database: database, sealer: sealer, overlap: overlap, now: clock())
        }
        guard let keySet else { preconditionFailure("a signing key was just stored") }
        current = Mutex(keySet)
    }

    /// The public JWKS document served at `/oauth2/jwks`.
    public var jwks: Data { current.withLock { $0.jwks } }

    /// The key id of the key that signs now.
    public var activeKeyID: String { current.withLock { $0.activeKID.string } }

    /// Signs an ID token's claims with the active key: `alg` ES256, `typ` JWT, `kid` the active key's.
    public func sign(_ claims: IDTokenClaims) throws(SmartNationError) -> String {
        let (key, header) = current.withLock { ($0.activeKey, $0.encodedHeader) }
        let signingInput = header + "." + Data(JSONWriter.bytes(of: claims.jsonValue)).base64URLEncoded
        do {
            return signingInput + "." + (try key.signature(for: Data(signingInput.utf8))).rawRepresentation.base64URLEncoded
        } catch {
            throw SmartNationError(.storageUnavailable, parameters: ["reason": "signing failed: \(error)"], httpStatus: 500)
        }
    }

    /// Verifies the signature of a token this provider signed (with any key still in the JWKS) and
    /// decodes it; the claims' own checks (expiry) are the caller's, against its clock.
    public func verify<Payload: JWTPayload>(_ token: String, as type: Payload.Type) async throws(SmartNationError) -> Payload {
        let collection = current.withLock { $0.collection }
        do {
            return try await collection.verify(token, as: Payload.self)
        } catch {
            throw .oauth(.oauthAccessTokenInvalid, "invalid_token", "the token does not verify: \(error)")
        }
    }

    /// Makes a new key the signing key; the old one stays published for the overlap period.
    public func rotate() async throws(SmartNationError) {
        try await Self.insertNewKey(database: database, sealer: sealer, retiringActive: true, now: clock())
        guard let keySet = try await Self.load(database: database, sealer: sealer, overlap: overlap, now: clock()) else {
            preconditionFailure("a signing key was just stored")
        }
        current.withLock { $0 = keySet }
    }

    private static func insertNewKey(database: DatabasePool, sealer: SecretSealer, retiringActive: Bool, now: Date) async throws(SmartNationError) {
        let key = P256.Signing.PrivateKey()
        let kid = JWKThumbprint.of(key.publicKey)
        let sealed = sealer.seal(key.rawRepresentation, context: sealingContext)
        do {
            try await database.write { db in
                if retiringActive {
                    try db.execute(sql: "UPDATE oidc_signing_key SET retired_at = ? WHERE retired_at IS NULL", arguments: [now.timeIntervalSince1970])
                }
                try db.execute(
                    sql: "INSERT INTO oidc_signing_key (kid, sealed_key, created_at) VALUES (?, ?, ?)",
                    arguments: [kid, sealed, now.timeIntervalSince1970])
            }
        } catch {
            throw .storage(error)
        }
    }

    private static func load(database: DatabasePool, sealer: SecretSealer, overlap: TimeInterval, now: Date) async throws(SmartNationError) -> KeySet? {
        let rows: [Row]
        do {
            rows = try database.read { db in
                try Row.fetchAll(
                    db, sql: "SELECT kid, sealed_key, retired_at FROM oidc_signing_key WHERE retired_at IS NULL OR retired_at > ? ORDER BY retired_at IS NULL DESC, created_at DESC",
                    arguments: [now.timeIntervalSince1970 - overlap])
            }
        } catch {
            throw .storage(error)
        }
        guard let newest = rows.first, newest["retired_at"] as Double? == nil else { return nil }
        let collection = JWTKeyCollection()
        var published: [JSONValue] = []
        var activeKey: P256.Signing.PrivateKey?
        for row in rows {
            let kid: String = row["kid"]
            let raw = try sealer.open(row["sealed_key"], context: sealingContext)
            do {
                let key = try P256.Signing.PrivateKey(rawRepresentation: raw)
                if activeKey == nil { activeKey = key }
                await collection.add(ecdsa: try ES256PrivateKey(backing: key), kid: JWKIdentifier(string: kid))
                published.append(P256Coordinates(key.publicKey).jwk(kid: kid))
            } catch {
                throw SmartNationError(.identitySecretUnreadable, parameters: ["context": sealingContext], httpStatus: 500)
            }
        }
        let jwks: Data
        do { jwks = try JSONEncoder().encode(JSONValue.object(["keys": .array(published)])) } catch { throw .storage(error) }
        guard let activeKey else { return nil }
        let kid: String = newest["kid"]
        let header = JSONValue.object(["alg": .string("ES256"), "typ": .string("JWT"), "kid": .string(kid)])
        return KeySet(
            activeKID: JWKIdentifier(string: kid), activeKey: activeKey,
            encodedHeader: Data(JSONWriter.bytes(of: header)).base64URLEncoded, collection: collection, jwks: jwks)
    }
}
