/// A citizen's answer to a client asking for their person data, on the consent page or in the
/// citizen app.
public enum ConsentDecision: Sendable, Hashable {
    /// Go ahead, sharing what was asked except the attributes in `withholding`: those stay out of
    /// the consent, the ID token and userinfo, as if the client had not asked for them.
    case approve(withholding: Set<PersonAttribute>)
    /// Refuse: the client gets `access_denied` and nothing is recorded.
    case deny

    /// Go ahead, sharing everything asked.
    public static let approveAll = Self.approve(withholding: [])

    /// The scopes to grant when the client asked for `requested`, or `nil` on a refusal.
    public func granted(from requested: ScopeSet) -> ScopeSet? {
        guard case .approve(let withheld) = self else { return nil }
        return ScopeSet(attributes: requested.attributes.subtracting(withheld))
    }
}
