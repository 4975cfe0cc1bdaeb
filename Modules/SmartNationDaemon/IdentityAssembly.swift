import Foundation
import Identity
import IdentityHTTP
import Logging
import ServiceLifecycle
import SmartNationCore

/// The identity platform as the daemon runs it: the platform over `identity.sqlite`, its routes,
/// the relay of its outbox onto the bus and log, and the hourly pruning of what has stopped being usable.
struct IdentityAssembly {
    let platform: IdentityPlatform
    let routes: IdentityRoutes
    let services: [any Service]

    /// The key that seals the platform's secrets at rest (TOTP secrets, OpenID signing keys, CA
    /// keys): `identity.secret_key` from the configuration or the environment. Only with demo data
    /// may it be left unset: then one is generated into the data directory, beside what it seals —
    /// fine for a demonstration, not for keys that matter. Asked for before anything starts, so a
    /// daemon refused for want of it leaves no broker behind.
    ///
    /// - Throws: ``SmartNationError/Code/identitySecretKeyMissing`` when it is unset without demo data.
    static func sealingKey(configuration: SmartNationConfiguration, logger: Logger) throws(SmartNationError) -> String {
        if let configured = configuration.identity.secretKey { return configured }
        guard configuration.loadsDemoData else {
            var parameters = [
                "key": "identity.secret_key", "environment": "SMARTNATION_IDENTITY_SECRET_KEY",
                "expected": "32 bytes in base64 (openssl rand -base64 32), kept apart from the data directory",
            ]
            // A key generated there by an earlier start seals the data already stored: a new key
            // could not open it, so the operator must move this one, not make another.
            let generated = configuration.dataDirectory.appendingPathComponent(generatedKeyFileName)
            if FileManager.default.fileExists(atPath: generated.path) {
                parameters["expected"] = "the key in \(generated.path), moved into a secret store: it seals the data already stored"
            }
            throw SmartNationError(.identitySecretKeyMissing, parameters: parameters, httpStatus: 500)
        }
        return try DaemonSecrets.value(configured: nil, fileName: generatedKeyFileName, in: configuration.dataDirectory, logger: logger) {
            DaemonSecrets.randomBase64(byteCount: 32)
        }
    }

    /// Where demo data's generated sealing key is kept, in the data directory.
    static let generatedKeyFileName = "identity-secret.key"

    static func open(
        configuration: SmartNationConfiguration, secretKey: String, log: EventLog, bus: EventBus, logger: Logger
    ) async throws -> IdentityAssembly {
        let directory = configuration.dataDirectory
        let adminToken = try DaemonSecrets.value(
            configured: configuration.identity.adminToken, fileName: "admin.token", in: directory, logger: logger) {
                DaemonSecrets.randomBase64(byteCount: 32)
            }
        let issuer = configuration.identity.issuer ?? "http://\(configuration.http.host):\(configuration.http.port)"
        // The demo data registers a development client, so it needs them allowed.
        let platform = try await IdentityPlatform.open(
            in: directory, sealer: try SecretSealer(base64Key: secretKey), issuer: issuer,
            allowsDevelopmentClients: configuration.identity.allowsDevelopmentClients || configuration.loadsDemoData,
            passwordHasher: PasswordHasher(rounds: configuration.identity.passwordRounds))
        if configuration.loadsDemoData {
            try await IdentityDemoData.load(into: platform, logger: logger)
        }
        let relay = OutboxRelay(database: platform.database, outboxName: IdentityDatabase.outboxName, log: log, bus: bus, logger: logger)
        return IdentityAssembly(
            platform: platform,
            routes: IdentityRoutes(platform: platform, adminToken: adminToken),
            services: [OutboxRelayService(relay: relay, logger: logger), IdentityPruningService(platform: platform, logger: logger)])
    }
}

/// Runs an outbox relay until shutdown, then relays once more: the HTTP server stops before it, so
/// what the last requests wrote reaches the log and the (still open) bus before the daemon exits.
struct OutboxRelayService: Service {
    let relay: OutboxRelay
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await relay.run()
        }
        do {
            try await relay.relayPending()
        } catch {
            logger.warning("final outbox relay pass failed; the events stay in the outbox for the next start", metadata: ["error": "\(error)"])
        }
    }
}

/// Once an hour: deletes expired OpenID state, ended sessions and forgotten login throttle keys
/// (``IdentityPlatform/pruneExpired()``), and drops signing keys whose overlap has passed from the JWKS.
struct IdentityPruningService: Service {
    let platform: IdentityPlatform
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await platform.pruneExpired()
                try await platform.openID.signingKeys.refresh()
            } catch {
                logger.warning("pruning expired identity state failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(3600)) }
        }
    }
}
