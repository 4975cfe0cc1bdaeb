/// Why a certificate was revoked: the RFC 5280 (section 5.3.1) `CRLReason` codes that apply to an
/// end-entity certificate. `certificateHold` and `removeFromCRL` are left out on purpose: revocation
/// here is final.
public enum RevocationReason: String, Sendable, Hashable, Codable, CaseIterable {
    /// No reason given; the CRL entry then carries no reason code, as RFC 5280 recommends.
    case unspecified
    /// The private key is known or suspected to be compromised (a lost or stolen phone).
    case keyCompromise
    /// The subject's name or other information changed.
    case affiliationChanged
    /// A new certificate replaces this one.
    case superseded
    /// The certificate is no longer needed (account closed, device decommissioned).
    case cessationOfOperation
    /// A privilege the certificate stood for was withdrawn.
    case privilegeWithdrawn

    /// The numeric `CRLReason` of RFC 5280.
    public var code: Int {
        switch self {
        case .unspecified: 0
        case .keyCompromise: 1
        case .affiliationChanged: 3
        case .superseded: 4
        case .cessationOfOperation: 5
        case .privilegeWithdrawn: 9
        }
    }

    /// The reason with this numeric `CRLReason`, if it is one the PKI uses.
    public init?(code: Int) {
        guard let reason = Self.allCases.first(where: { $0.code == code }) else { return nil }
        self = reason
    }
}
