import Foundation
import SmartNationCore

/// Where the PKI keeps its CAs, issued certificates and CRLs; the SQL is in ``SQLitePKIStore``.
/// Every change that other platforms care about is stored together with its event (the outbox).
public protocol PKIStore: AuditTrail {
    /// The root and issuing CAs, if they were created.
    func authorities() async throws(SmartNationError) -> StoredAuthorities?
    /// Stores newly created CAs and the issuing CA's first CRL, unless CAs are stored already (another
    /// process opened the PKI first); returns the CAs that are stored afterwards.
    func createAuthorities(
        _ authorities: StoredAuthorities, firstRevocationList: RevocationList
    ) async throws(SmartNationError) -> StoredAuthorities
    /// Replaces the stored CA certificates with `renewed`'s (the keys stay) and stores `events`, in
    /// one transaction — unless what is stored is no longer `expected`, because another process
    /// renewed them first: then nothing changes. Returns the CAs stored afterwards.
    func renewAuthorities(
        _ expected: StoredAuthorities, to renewed: StoredAuthorities, announcing events: [CloudEvent]
    ) async throws(SmartNationError) -> StoredAuthorities
    /// Stores an issued certificate and the event announcing it, in one transaction. Throws
    /// ``SmartNationError/Code/identityCitizenClosed`` and stores nothing for a citizen certificate
    /// whose citizen's account is closed, and ``SmartNationError/Code/identityPKICertificateLimit``
    /// when the subject is at ``NationalPKI/certificatesPerSubjectMax``, both checked in that
    /// transaction.
    func insert(_ certificate: IssuedCertificate, announcing event: CloudEvent) async throws(SmartNationError)
    /// The certificate with this serial number (lower-case hexadecimal), revoked or not.
    func certificate(serialNumber: String) async throws(SmartNationError) -> IssuedCertificate?
    /// Every certificate of this kind and subject, newest first.
    func certificates(kind: CertificateKind, subject: String) async throws(SmartNationError) -> [IssuedCertificate]
    /// In one transaction: marks the certificate revoked, stores the event, and replaces the issuing
    /// CA's CRL with the one `reissue` makes from the next number and every revoked serial. Throws
    /// ``SmartNationError/Code/identityPKICertificateNotFound`` or
    /// ``SmartNationError/Code/identityPKICertificateRevoked`` and changes nothing when it cannot.
    func revoke(
        serialNumber: String, revocation: CertificateRevocation, announcing event: CloudEvent,
        reissue: @escaping RevocationListMaker
    ) async throws(SmartNationError) -> IssuedCertificate
    /// The current CRL of the CA in `role`, if one was stored.
    func revocationList(of role: AuthorityRole) async throws(SmartNationError) -> RevocationList?
    /// Replaces the CRL of the CA in `role` with the one `reissue` makes from the next number and the
    /// serials that CA revoked (every revoked certificate for the issuing CA, none for the root) —
    /// unless the stored one is current by `isCurrent`, checked in the same transaction: then it is
    /// returned and `reissue` is not called, so concurrent reissues make one CRL.
    func reissueRevocationList(
        of role: AuthorityRole, unlessCurrent isCurrent: @escaping @Sendable (RevocationList) -> Bool,
        _ reissue: @escaping RevocationListMaker
    ) async throws(SmartNationError) -> RevocationList
}

/// Makes a CRL numbered `number` listing `entries`; the store calls it inside its transaction.
public typealias RevocationListMaker = @Sendable (_ number: Int64, _ entries: [RevokedSerial]) throws(SmartNationError) -> RevocationList

/// The two CAs as stored: certificates in DER and private keys sealed by ``SecretSealer``.
public struct StoredAuthorities: Sendable, Hashable {
    /// The root CA's certificate, in DER.
    public var rootCertificate: Data
    /// The root CA's private key, sealed for the context `pki.root`.
    public var rootSealedKey: Data
    /// The issuing CA's certificate, in DER.
    public var issuingCertificate: Data
    /// The issuing CA's private key, sealed for the context `pki.issuing`.
    public var issuingSealedKey: Data

    /// The stored form of two CAs.
    public init(rootCertificate: Data, rootSealedKey: Data, issuingCertificate: Data, issuingSealedKey: Data) {
        self.rootCertificate = rootCertificate
        self.rootSealedKey = rootSealedKey
        self.issuingCertificate = issuingCertificate
        self.issuingSealedKey = issuingSealedKey
    }
}
