/// What a refused OpenID request's audit event records, collected as the request is checked: the
/// single-use `jti`s it presented (spent even when it is refused) and the client it names.
struct RequestAudit: Sendable {
    /// The assertion's and the DPoP proof's `jti`s, as each is verified.
    var replayKeys: [SingleUseKey] = []
    /// The client once authenticated; before that, the one the request claims to be, if it could be
    /// a client id (``OpenIDProvider/auditableClientID(_:)``).
    var clientID: String?
}
