import Foundation
import GRDB
import Crypto
import SmartNationCore

/// The client registry behind the admin API: integrators' applications, their exact redirect URIs,
/// allowed scopes and public keys.
///
/// Clients are read on every token request, so live registrations are kept in memory once read.
/// A registration changes only by its removal or the replacement of its keys, which this registry
/// makes and so forgets at once; that holds because the daemon is the only writer of
/// `identity.sqlite` (the operators' CLI goes through its API) and there is one registry per
/// provider, had from ``OpenIDProvider/clients``.
public struct ClientRegistry: Sendable {
    /// The most redirect URIs one client registers.
    public static let redirectURIsMax = 10
    /// The largest JWKS document accepted.
    public static let jwksBytesMax = 16 * 1024
    /// The most keys in one client's JWKS.
    public static let jwksKeysMax = 10

    /// The most live clients kept in memory; past it the cache starts over.
    static let cachedClientsMax = 10_000

    private let database: DatabasePool
    private let allowsDevelopmentClients: Bool
    private let clock: @Sendable () -> Date
    private let cache = BoundedCache<String, OpenIDClient>(entriesMax: cachedClientsMax)

    /// A registry over the identity database; development clients register only when
    /// `allowsDevelopmentClients` (``OpenIDSettings/allowsDevelopmentClients``).
    init(database: DatabasePool, allowsDevelopmentClients: Bool, clock: @escaping @Sendable () -> Date) {
        self.database = database
        self.allowsDevelopmentClients = allowsDevelopmentClients
        self.clock = clock
    }

    /// Registers a client after checking its metadata; a development client (no JWKS) gets a secret
    /// where the provider allows development clients, and is refused elsewhere.
    public func register(_ registration: ClientRegistration) async throws(SmartNationError) -> RegisteredClient {
        let name = registration.name.trimmingCharacters(in: .whitespaces)
        guard (1...100).contains(name.count) else { throw Self.invalid("name must be 1 to 100 characters") }
        guard (1...Self.redirectURIsMax).contains(registration.redirectURIs.count) else {
            throw Self.invalid("register 1 to \(Self.redirectURIsMax) redirect URIs")
        }
        for uri in registration.redirectURIs { try Self.checkRedirectURI(uri) }
        var attributes = Set<PersonAttribute>()
        for scope in registration.scopes where scope != ScopeSet.openID {
            guard let attribute = PersonAttribute(rawValue: scope) else { throw Self.invalid("unknown scope \(scope)") }
            attributes.insert(attribute)
        }
        guard registration.dpopBoundAccessTokens || allowsDevelopmentClients else {
            throw Self.invalid("dpop_bound_access_tokens must be true: this provider issues only DPoP-bound access tokens (development clients are off)")
        }
        let authentication: OpenIDClient.Authentication
        let secret: String?
        if let jwks = registration.jwks {
            _ = try Self.keys(of: jwks)
            authentication = .privateKeyJWT(jwks: jwks)
            secret = nil
        } else {
            guard allowsDevelopmentClients else {
                throw Self.invalid("a JWKS is required: this provider authenticates clients by private_key_jwt only (development clients are off)")
            }
            let generated = RandomToken.make(byteCount: 32)
            authentication = .clientSecretBasic(secretHash: RandomToken.hash(generated))
            secret = generated
        }
        let client = OpenIDClient(
            clientID: "sn-" + UUID().uuidString.lowercased(), name: name, redirectURIs: registration.redirectURIs,
            allowedAttributes: attributes, authentication: authentication,
            dpopBoundAccessTokens: registration.dpopBoundAccessTokens, registeredAt: clock())
        let record = try Self.encode(client)
        do {
            try await database.write { db in
                try db.execute(sql: "INSERT INTO oidc_client (client_id, record) VALUES (?, ?)", arguments: [client.clientID, record])
            }
        } catch {
            throw .storage(error)
        }
        return RegisteredClient(client: client, secret: secret)
    }

    /// The live client `clientID`, or `nil`.
    public func client(id clientID: String) async throws(SmartNationError) -> OpenIDClient? {
        guard clientID.utf8.count <= 64 else { return nil }
        let (cached, removals) = cache.lookUp(clientID)
        if let cached { return cached }
        let record: Data?
        do {
            record = try await database.read { db in
                try Data.fetchOne(db, sql: "SELECT record FROM oidc_client WHERE client_id = ? AND removed_at IS NULL", arguments: [clientID])
            }
        } catch {
            throw .storage(error)
        }
        guard let client = try record.map(Self.decode) else { return nil }
        cache.insert(client, for: clientID, ifNoRemovalSince: removals)
        return client
    }

    /// Every live client, oldest first.
    public func clients() async throws(SmartNationError) -> [OpenIDClient] {
        let records: [Data]
        do {
            records = try await database.read { db in
                try Data.fetchAll(db, sql: "SELECT record FROM oidc_client WHERE removed_at IS NULL")
            }
        } catch {
            throw .storage(error)
        }
        return try records.map(Self.decode).sorted { $0.registeredAt < $1.registeredAt }
    }

    /// Replaces a `private_key_jwt` client's public keys — an integrator rotating its signing key,
    /// or replacing a lost one — without touching its grants: assertions signed by a key no longer
    /// in `jwks` are refused from now on. Returns the updated client.
    ///
    /// - Throws: ``SmartNationError/Code/oauthClientMetadataInvalid`` for a JWKS the registration
    ///   would refuse, or for a development client (it has a secret, not keys);
    ///   ``SmartNationError/Code/oauthClientUnknown`` (404) for no such live client.
    public func replaceKeys(id clientID: String, jwks: String) async throws(SmartNationError) -> OpenIDClient {
        _ = try Self.keys(of: jwks)
        guard var client = try await client(id: clientID) else {
            throw SmartNationError(.oauthClientUnknown, parameters: ["client_id": clientID], httpStatus: 404)
        }
        guard case .privateKeyJWT = client.authentication else {
            throw Self.invalid("a development client authenticates with its secret and has no keys to replace")
        }
        client.authentication = .privateKeyJWT(jwks: jwks)
        let record = try Self.encode(client)
        let replaced: Bool
        do {
            replaced = try await database.write { db in
                try db.execute(
                    sql: "UPDATE oidc_client SET record = ? WHERE client_id = ? AND removed_at IS NULL", arguments: [record, clientID])
                return db.changesCount == 1
            }
        } catch {
            throw .storage(error)
        }
        cache.remove(clientID)
        guard replaced else { throw SmartNationError(.oauthClientUnknown, parameters: ["client_id": clientID], httpStatus: 404) }
        return client
    }

    /// Removes a client and revokes every grant it holds.
    public func remove(id clientID: String) async throws(SmartNationError) {
        let now = clock().timeIntervalSince1970
        let removed: Bool
        do {
            removed = try await database.write { db in
                try db.execute(
                    sql: "UPDATE oidc_client SET removed_at = ? WHERE client_id = ? AND removed_at IS NULL", arguments: [now, clientID])
                guard db.changesCount == 1 else { return false }
                try db.execute(
                    sql: "UPDATE oidc_grant SET revoked_at = ? WHERE client_id = ? AND revoked_at IS NULL", arguments: [now, clientID])
                return true
            }
        } catch {
            throw .storage(error)
        }
        cache.remove(clientID)
        guard removed else { throw SmartNationError(.oauthClientUnknown, parameters: ["client_id": clientID], httpStatus: 404) }
    }

    static func checkRedirectURI(_ text: String) throws(SmartNationError) {
        guard text.utf8.count <= 512, let components = URLComponents(string: text), let host = components.host, !host.isEmpty,
              components.fragment == nil else {
            throw invalid("redirect URI \(text) is not an absolute URL without a fragment")
        }
        let loopback = ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host)
        guard components.scheme == "https" || (components.scheme == "http" && loopback) else {
            throw invalid("redirect URI \(text) must use https (http only on loopback)")
        }
    }

    /// The keys of a JWKS document of 1 to 10 public P-256 keys, each with its `kid`; a refusal
    /// naming what is wrong otherwise.
    static func keys(of jwks: String) throws(SmartNationError) -> [(kid: String, key: P256.Signing.PublicKey)] {
        guard jwks.utf8.count <= jwksBytesMax else { throw invalid("the JWKS is larger than \(jwksBytesMax) bytes") }
        guard let document = try? JSONParser(maximumByteCount: jwksBytesMax).parse(Array(jwks.utf8)),
              case .array(let entries)? = document["keys"], (1...jwksKeysMax).contains(entries.count) else {
            throw invalid("jwks must be a JWKS document with 1 to \(jwksKeysMax) keys")
        }
        var keys: [(kid: String, key: P256.Signing.PublicKey)] = []
        for entry in entries {
            guard entry["kty"]?.stringValue == "EC", entry["crv"]?.stringValue == "P-256",
                  entry["x"]?.stringValue != nil, entry["y"]?.stringValue != nil else {
                throw invalid("every client key must be an EC P-256 key (ES256)")
            }
            guard let kid = entry["kid"]?.stringValue, !kid.isEmpty else { throw invalid("every client key needs a kid") }
            guard entry["d"] == nil else { throw invalid("the JWKS holds a private key; register public keys only") }
            guard let key = P256.Signing.PublicKey(jwk: entry) else { throw invalid("the key \(kid) is not a point on P-256") }
            keys.append((kid, key))
        }
        return keys
    }

    private static func invalid(_ reason: String) -> SmartNationError {
        .oauth(.oauthClientMetadataInvalid, "invalid_client_metadata", reason)
    }

    private static func encode(_ client: OpenIDClient) throws(SmartNationError) -> Data {
        do { return try JSONEncoder().encode(client) } catch { throw .storage(error) }
    }

    private static func decode(_ record: Data) throws(SmartNationError) -> OpenIDClient {
        do { return try JSONDecoder().decode(OpenIDClient.self, from: record) } catch { throw .storage(error) }
    }
}
