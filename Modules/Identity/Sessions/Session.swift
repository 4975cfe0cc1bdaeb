import Foundation

/// A logged-in citizen's session. The bearer token itself is never stored: only its SHA-256.
public struct Session: Sendable, Hashable {
    /// The session's public identifier, for listing and revoking (not a credential).
    public let id: String
    /// The citizen.
    public let subject: String
    /// How the citizen authenticated (`pwd`, `otp`, `hwk` …), as in an ID token's `amr`.
    public let authenticationMethods: [String]
    /// When it was created.
    public let createdAt: Date
    /// When it was last used.
    public var lastSeenAt: Date
    /// When it was revoked, if it was.
    public var revokedAt: Date?
    /// The business (UEN) the citizen logged in for, if they logged in for one.
    public var entityUEN: String? = nil
}

/// A new session with its bearer token, which is shown to the client once and never again.
public struct IssuedSession: Sendable, Hashable {
    /// The bearer token: 32 random bytes, base64url.
    public let token: String
    /// The session.
    public let session: Session
}

/// The outcome of presenting a session token: expected failures are values.
public enum SessionValidation: Sendable, Hashable {
    /// The session is live; its last use is now.
    case active(Session)
    /// Idle too long, or older than the absolute limit.
    case expired
    /// Revoked by the citizen or an operator.
    case revoked
    /// No session has this token.
    case unknown
}
