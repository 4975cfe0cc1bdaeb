/// One of the PKI's two certificate authorities, each of which publishes a CRL of its own.
public enum AuthorityRole: String, Sendable, Hashable, Codable, CaseIterable {
    /// The root CA, the trust anchor. Its CRL lists the CAs it revoked (an "ARL"); the PKI never
    /// revokes its issuing CA, so the list is empty, and is published so that a relying party can
    /// check revocation along the whole chain (`openssl verify -crl_check_all`).
    case root
    /// The issuing CA. Its CRL lists the citizen and device certificates it revoked.
    case issuing

    /// The CRL's file name under ``NationalPKI/Configuration/crlBaseURL``: `root.crl` or `issuing.crl`.
    public var crlFileName: String { "\(rawValue).crl" }
}
