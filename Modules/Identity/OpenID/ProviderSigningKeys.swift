import Crypto
import Foundation
import GRDB
import JWTKit
import SmartNationCore
import Synchronization

/// The provider's ES256 signing keys: one active key signs. ``rotate()`` publishes a new key at
/// once but lets it sign only after ``OpenIDSettings/signingKeyPublicationLead``, longer than
/// clients cache the JWKS, so no client meets a token signed by a key it has not fetched; the key it
/// replaces stays in the JWKS for ``OpenIDSettings/signingKeyOverlap`` after that, so tokens it
/// signed still verify. ``refresh()`` drops keys whose overlap has passed.
///
/// Keys are created on first use, sealed at rest with the ``SecretSealer`` and named by their
/// RFC 7638 thumbprint. jwt-kit holds the key set and verifies; signing, the hot path of the token
/// endpoint, writes the compact JWS (RFC 7515 §7.1) itself with the platform's JSON writer and
/// swift-crypto — measured in `docs/performance.md` — and every test verifies the result with jwt-kit.
public final class ProviderSigningKeys: Sendable {
    /// A published key that signs from `signsFrom` until the next one's time comes.
    private struct Signer: Sendable {
        var signsFrom: Date
        var kid: String
        var key: P256.Signing.PrivateKey
        /// The base64url JOSE header of the ID tokens it signs.
        var encodedHeader: String
    }

    private struct KeySet: Sendable {
        /// Every published key, by the time it starts signing.
        var signers: [Signer]
        var collection: JWTKeyCollection
        var jwks: Data

        /// The key that signs at `now`: the published one whose time came last.
        func signer(at now: Date) -> Signer {
            guard let signer = signers.last(where: { $0.signsFrom <= now }) ?? signers.first else {
                preconditionFailure("a key set holds a key")
            }
            return signer
        }
    }

    private static let sealingContext = "oidc.signing_key"
    private let database: DatabasePool
    private let sealer: SecretSealer
    private let overlap: TimeInterval
    private let publicationLead: TimeInterval
    private let clock: @Sendable () -> Date
    private let current: Mutex<KeySet>

    /// Loads the signing keys, creating the first one (signing at once) when there is none.
    public init(
        database: DatabasePool, sealer: SecretSealer, overlap: TimeInterval, publicationLead: TimeInterval,
        clock: @escaping @Sendable () -> Date = Date.init
    ) async throws(SmartNationError) {
        precondition(overlap >= 0 && publicationLead >= 0, "key times are not negative")
        self.database = database
        self.sealer = sealer
        self.overlap = overlap
        self.publicationLead = publicationLead
        self.clock = clock
        var keySet = try await Self.load(database: database, sealer: sealer, overlap: overlap, now: clock())
        if keySet == nil {
            try await Self.insertNewKey(database: database, sealer: sealer, signsFrom: clock(), now: clock())
            keySet = try await Self.load(database: database, sealer: sealer, overlap: overlap, now: clock())
        }
        guard let keySet else { preconditionFailure("a signing key was just stored") }
        current = Mutex(keySet)
    }

    /// The public JWKS document served at `/oauth2/jwks`.
    public var jwks: Data { current.withLock { $0.jwks } }

    /// The key id of the key that signs now.
    public var activeKeyID: String {
        let now = clock()
        return current.withLock { $0.signer(at: now).kid }
    }

    /// Signs an ID token's claims with the active key: `alg` ES256, `typ` JWT, `kid` the active key's.
    public func sign(_ claims: IDTokenClaims) throws(SmartNationError) -> String {
        let now = clock()
        let (key, header) = current.withLock { keySet in
            let signer = keySet.signer(at: now)
            return (signer.key, signer.encodedHeader)
        }
        let signingInput = header + "." + Data(JSONWriter.bytes(of: claims.jsonValue)).base64URLEncoded
        do {
            return signingInput + "." + (try key.signature(for: Data(signingInput.utf8))).rawRepresentation.base64URLEncoded
        } catch {
            throw SmartNationError(.storageUnavailable, parameters: ["reason": "signing failed: \(error)"], httpStatus: 500)
        }
    }

    /// Verifies the signature of a token this provider signed (with any key still in the JWKS) and
    /// decodes it; the claims' own checks (expiry) are the caller's, against its clock. The provider
    /// signs only ID tokens (its access and refresh tokens are opaque), so a token that does not
    /// verify is refused as ``SmartNationError/Code/oauthIDTokenSignatureInvalid``.
    public func verify<Payload: JWTPayload>(_ token: String, as type: Payload.Type) async throws(SmartNationError) -> Payload {
        let collection = current.withLock { $0.collection }
        do {
            return try await collection.verify(token, as: Payload.self)
        } catch {
            throw .oauth(.oauthIDTokenSignatureInvalid, "invalid_token", "the token does not verify: \(error)")
        }
    }

    /// Publishes a new key that becomes the signing key once the publication lead has passed; the
    /// key it replaces signs until then and stays published for the overlap after. Returns the new
    /// key's id and when it starts signing.
    @discardableResult
    public func rotate() async throws(SmartNationError) -> (keyID: String, signsFrom: Date) {
        let now = clock()
        let signsFrom = now.addingTimeInterval(publicationLead)
        let keyID = try await Self.insertNewKey(database: database, sealer: sealer, signsFrom: signsFrom, now: now)
        try await refresh()
        return (keyID, signsFrom)
    }

    /// Reloads the published keys, dropping those whose overlap has passed (the daemon calls it
    /// hourly, with the pruning of expired OAuth state).
    public func refresh() async throws(SmartNationError) {
        guard let keySet = try await Self.load(database: database, sealer: sealer, overlap: overlap, now: clock()) else {
            preconditionFailure("a provider always keeps a signing key")
        }
        current.withLock { $0 = keySet }
    }

    /// Stores a new key signing from `signsFrom`, and returns its id; the key signing until then is
    /// retired at that time.
    @discardableResult
    private static func insertNewKey(database: DatabasePool, sealer: SecretSealer, signsFrom: Date, now: Date) async throws(SmartNationError) -> String {
        let key = P256.Signing.PrivateKey()
        let kid = JWKThumbprint.of(key.publicKey)
        let sealed = sealer.seal(key.rawRepresentation, context: sealingContext)
        do {
            try await database.write { db in
                try db.execute(
                    sql: "UPDATE oidc_signing_key SET retired_at = ? WHERE retired_at IS NULL", arguments: [signsFrom.timeIntervalSince1970])
                try db.execute(
                    sql: "INSERT INTO oidc_signing_key (kid, sealed_key, created_at, signs_from) VALUES (?, ?, ?, ?)",
                    arguments: [kid, sealed, now.timeIntervalSince1970, signsFrom.timeIntervalSince1970])
            }
        } catch {
            throw .storage(error)
        }
        return kid
    }

    private static func load(database: DatabasePool, sealer: SecretSealer, overlap: TimeInterval, now: Date) async throws(SmartNationError) -> KeySet? {
        let rows: [Row]
        do {
            rows = try database.read { db in
                try Row.fetchAll(
                    db, sql: "SELECT kid, sealed_key, signs_from FROM oidc_signing_key WHERE retired_at IS NULL OR retired_at > ? ORDER BY signs_from",
                    arguments: [now.timeIntervalSince1970 - overlap])
            }
        } catch {
            throw .storage(error)
        }
        guard !rows.isEmpty else { return nil }
        let collection = JWTKeyCollection()
        var published: [JSONValue] = []
        var signers: [Signer] = []
        for row in rows {
            let kid: String = row["kid"]
            let raw = try sealer.open(row["sealed_key"], context: sealingContext)
            do {
                let key = try P256.Signing.PrivateKey(rawRepresentation: raw)
                await collection.add(ecdsa: try ES256PrivateKey(backing: key), kid: JWKIdentifier(string: kid))
                published.append(P256Coordinates(key.publicKey).jwk(kid: kid))
                let header = JSONValue.object(["alg": .string("ES256"), "typ": .string("JWT"), "kid": .string(kid)])
                signers.append(Signer(
                    signsFrom: Date(timeIntervalSince1970: row["signs_from"]), kid: kid, key: key,
                    encodedHeader: Data(JSONWriter.bytes(of: header)).base64URLEncoded))
            } catch {
                throw SmartNationError(.identitySecretUnreadable, parameters: ["context": sealingContext], httpStatus: 500)
            }
        }
        let jwks: Data
        do { jwks = try JSONEncoder().encode(JSONValue.object(["keys": .array(published)])) } catch { throw .storage(error) }
        return KeySet(signers: signers, collection: collection, jwks: jwks)
    }
}
