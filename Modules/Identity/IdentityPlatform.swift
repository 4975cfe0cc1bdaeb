import Foundation
import GRDB
import SmartNationCore

/// The identity platform assembled over one `identity.sqlite`: what the daemon (or an integrator
/// embedding the platform) opens once and hands to its routes.
public struct IdentityPlatform: Sendable {
    /// The platform's database; its outbox is relayed under ``IdentityDatabase/outboxName``.
    public let database: DatabasePool
    /// Citizens.
    public let citizens: CitizenRegistry
    /// Businesses and the citizens who may log in for them.
    public let businesses: BusinessRegistry
    /// Password, TOTP and recovery-code login.
    public let passwordLogin: PasswordLogin
    /// Sessions.
    public let sessions: SessionManager
    /// Device-bound keys.
    public let devices: DeviceKeyRegistry
    /// The OpenID provider.
    public let openID: OpenIDProvider
    /// The national PKI: CAs, certificates, CRL and CMS signatures.
    public let pki: NationalPKI
    /// The brute-force defence both password and device logins count their failures in.
    public let loginThrottle: LoginThrottle
    private let clock: @Sendable () -> Date

    /// Opens (creating and migrating when needed) the platform in `dataDirectory`.
    ///
    /// - Parameters:
    ///   - sealer: seals TOTP secrets, signing keys and CA keys at rest.
    ///   - issuer: the OpenID issuer identifier, the daemon's public base URL; certificates name
    ///     `<issuer>/pki/crl/issuing.crl` as their CRL distribution point, and the issuing CA's
    ///     certificate the root's CRL, `<issuer>/pki/crl/root.crl`.
    ///   - allowsDevelopmentClients: whether OpenID clients may authenticate with a client secret
    ///     (``OpenIDSettings/allowsDevelopmentClients``); off in production.
    ///   - passwordHasher: the cost new password hashes are made with; a password stored at another
    ///     cost is rehashed at this one when its citizen next logs in.
    public static func open(
        in dataDirectory: URL, sealer: SecretSealer, issuer: String, allowsDevelopmentClients: Bool = false,
        passwordHasher: PasswordHasher = PasswordHasher(), clock: @escaping @Sendable () -> Date = Date.init
    ) async throws(SmartNationError) -> IdentityPlatform {
        var settings = OpenIDSettings(issuer: issuer)
        settings.allowsDevelopmentClients = allowsDevelopmentClients
        let database = try IdentityDatabase.open(in: dataDirectory)
        let citizens = CitizenRegistry(store: SQLiteCitizenStore(database: database), auditTrail: OutboxAuditTrail(database: database), clock: clock)
        let credentials = SQLiteCredentialStore(database: database, sealer: sealer)
        let loginThrottle = LoginThrottle(store: SQLiteLoginThrottleStore(database: database))
        let passwordLogin: PasswordLogin
        do {
            passwordLogin = try PasswordLogin(
                citizens: citizens, credentials: credentials, throttle: loginThrottle, hasher: passwordHasher, clock: clock)
        } catch {
            throw SmartNationError(.storageUnavailable, parameters: ["reason": "\(error)"], httpStatus: 500)
        }
        return IdentityPlatform(
            database: database, citizens: citizens, businesses: BusinessRegistry(database: database, clock: clock), passwordLogin: passwordLogin,
            sessions: SessionManager(store: SQLiteSessionStore(database: database), clock: clock),
            devices: DeviceKeyRegistry(
                store: SQLiteDeviceKeyStore(database: database), sealer: sealer, auditTrail: credentials, throttle: loginThrottle, clock: clock),
            openID: try await OpenIDProvider(
                settings: settings, database: database, citizens: citizens, sealer: sealer, clock: clock),
            pki: try await NationalPKI.open(
                database: database, sealer: sealer, configuration: NationalPKI.Configuration(crlBaseURL: issuer + "/pki/crl"), clock: clock),
            loginThrottle: loginThrottle, clock: clock)
    }

    /// Deletes what has stopped being usable: expired OpenID state (``OpenIDProvider/pruneExpired()``),
    /// ended sessions (``SessionManager/pruneEnded()``) and forgotten login throttle keys. The daemon
    /// runs it hourly; returns how many rows went.
    @discardableResult
    public func pruneExpired() async throws(SmartNationError) -> Int {
        try await openID.pruneExpired() + sessions.pruneEnded() + loginThrottle.prune(now: clock())
    }

    /// Closes a citizen's account: its sessions, device keys and OpenID grants are revoked with it,
    /// then its citizen certificates (expired ones too), as `cessationOfOperation`. From then on
    /// every signature by those certificates fails verification as `revoked`, those made before the
    /// closing too: a CMS signing time is the signer's own claim, so the verifier does not let it
    /// outrank a revocation. Closing an account that is closed already answers
    /// ``SmartNationError/Code/identityCitizenClosed`` after revoking any certificate still live, so
    /// repeating a closing that failed halfway completes it.
    public func closeCitizen(subject: String, reason: String) async throws(SmartNationError) -> Citizen {
        let closing: Result<Citizen, SmartNationError>
        do {
            closing = .success(try await citizens.close(subject: subject, reason: reason))
        } catch where error.code == .identityCitizenClosed {
            closing = .failure(error)
        }
        _ = try await pki.revokeAll(kind: .citizen, subject: subject, reason: .cessationOfOperation)
        return try closing.get()
    }

    /// The check a password login for the business `entityUEN` runs before spending its second factor
    /// (``PasswordLogin/login(identifier:password:oneTimeCode:clientAddress:entityCheck:)``): that
    /// the citizen represents it. `nil` when no business is named.
    public func entityCheck(for entityUEN: String?) -> (@Sendable (String) async throws(SmartNationError) -> Void)? {
        guard let entityUEN, !entityUEN.isEmpty else { return nil }
        let businesses = businesses
        return { (subject: String) async throws(SmartNationError) in
            _ = try await businesses.representation(uen: entityUEN, subject: subject)
        }
    }

    /// Opens a session for a citizen who has just logged in, for the business `entityUEN` when
    /// given. A citizen who does not represent that business gets no session; the refusal is
    /// audited as `login.failed` with reason `not_representative`.
    public func openSession(
        subject: String, methods: [String], entityUEN: String?, clientAddress: String
    ) async throws(SmartNationError) -> IssuedSession {
        guard let entityUEN, !entityUEN.isEmpty else { return try await sessions.open(subject: subject, methods: methods) }
        let representation: BusinessRepresentation
        do {
            representation = try await businesses.representation(uen: entityUEN, subject: subject)
        } catch {
            try await OutboxAuditTrail(database: database).recordAudit(try CloudEvent(
                LoginFailed(subject: subject, reason: "not_representative", clientAddress: clientAddress),
                source: identityEventSource, subject: subject))
            throw error
        }
        return try await sessions.open(subject: subject, methods: methods, entity: representation)
    }
}
