import Crypto
import Foundation
import SmartNationCore

/// Opens, checks, lists and revokes citizens' sessions: opaque bearer tokens stored hashed, with an
/// idle timeout and an absolute one.
public struct SessionManager: Sendable {
    /// Session limits.
    public struct Configuration: Sendable {
        /// A session unused this long expires.
        public var idleTimeout: TimeInterval
        /// A session this old expires whatever its use.
        public var absoluteTimeout: TimeInterval
        /// The most live sessions one citizen may hold; opening another revokes the oldest.
        public var sessionsPerCitizenMax: Int

        /// Creates limits; the defaults are 15 minutes idle, 12 hours absolute, 20 sessions.
        public init(idleTimeout: TimeInterval = 15 * 60, absoluteTimeout: TimeInterval = 12 * 3600, sessionsPerCitizenMax: Int = 20) {
            precondition(idleTimeout > 0 && absoluteTimeout >= idleTimeout && sessionsPerCitizenMax > 0)
            self.idleTimeout = idleTimeout
            self.absoluteTimeout = absoluteTimeout
            self.sessionsPerCitizenMax = sessionsPerCitizenMax
        }
    }

    /// The limits in force.
    public let configuration: Configuration
    private let store: any SessionStore
    private let clock: @Sendable () -> Date

    /// Creates a manager over `store`.
    public init(store: any SessionStore, configuration: Configuration = Configuration(), clock: @escaping @Sendable () -> Date = Date.init) {
        self.store = store
        self.configuration = configuration
        self.clock = clock
    }

    /// Opens a session for a citizen who has just authenticated with `methods`, acting for the
    /// business `entity` when given (checked by ``BusinessRegistry/representation(uen:subject:)`` first).
    public func open(subject: String, methods: [String], entity: BusinessRepresentation? = nil) async throws(SmartNationError) -> IssuedSession {
        let now = clock()
        let live = try await store.liveSessions(subject: subject)
        for oldest in live.dropFirst(configuration.sessionsPerCitizenMax - 1) {
            _ = try await store.revoke(subject: subject, id: oldest.id, at: now)
        }
        let token = RandomToken.make()
        let session = Session(
            id: UUID().uuidString.lowercased(), subject: subject, authenticationMethods: methods, createdAt: now, lastSeenAt: now,
            revokedAt: nil, entityUEN: entity?.business.uen.value)
        try await store.insert(session, tokenHash: RandomToken.hash(token))
        return IssuedSession(token: token, session: session)
    }

    /// Checks a presented token; a live session's last use becomes now.
    public func validate(token: String) async throws(SmartNationError) -> SessionValidation {
        guard token.utf8.count <= 128, var session = try await store.session(tokenHash: RandomToken.hash(token)) else { return .unknown }
        if session.revokedAt != nil { return .revoked }
        let now = clock()
        guard now.timeIntervalSince(session.lastSeenAt) <= configuration.idleTimeout,
            now.timeIntervalSince(session.createdAt) <= configuration.absoluteTimeout
        else { return .expired }
        try await store.touch(id: session.id, at: now)
        session.lastSeenAt = now
        return .active(session)
    }

    /// The citizen's sessions that are neither revoked nor expired, newest first.
    public func activeSessions(of subject: String) async throws(SmartNationError) -> [Session] {
        let now = clock()
        return try await store.liveSessions(subject: subject).filter {
            now.timeIntervalSince($0.lastSeenAt) <= configuration.idleTimeout
                && now.timeIntervalSince($0.createdAt) <= configuration.absoluteTimeout
        }
    }

    /// Revokes one of the citizen's sessions; throws ``SmartNationError/Code/identitySessionNotFound``
    /// when the citizen has no such live session.
    public func revoke(sessionID: String, of subject: String) async throws(SmartNationError) {
        guard try await store.revoke(subject: subject, id: sessionID, at: clock()) == 1 else {
            throw SmartNationError(.identitySessionNotFound, httpStatus: 404)
        }
    }

    /// Deletes the sessions that ended — revoked, idle past ``Configuration/idleTimeout`` or older
    /// than ``Configuration/absoluteTimeout`` — more than an hour ago, so the table holds only what
    /// could still be presented and what was lately refused; returns how many went.
    @discardableResult
    public func pruneEnded() async throws(SmartNationError) -> Int {
        let cutoff = clock().addingTimeInterval(-3600)
        return try await store.deleteEnded(
            revokedBefore: cutoff, lastSeenBefore: cutoff.addingTimeInterval(-configuration.idleTimeout),
            createdBefore: cutoff.addingTimeInterval(-configuration.absoluteTimeout))
    }

    /// Revokes every session of the citizen (password change, account closure); returns how many.
    @discardableResult
    public func revokeAll(of subject: String) async throws(SmartNationError) -> Int {
        try await store.revoke(subject: subject, id: nil, at: clock())
    }
}
