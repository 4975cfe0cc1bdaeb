import Foundation
import SmartNationCore

/// The issuing CA issued a certificate. The sensor platform activates a device on this event.
public struct CertificateIssued: BusEvent, Hashable {
    public static let eventType = "sg.smartnation.identity.certificate.issued"
    /// The serial number, lower-case hexadecimal.
    public var serialNumber: String
    /// Whom it is for.
    public var kind: CertificateKind
    /// The subject CN: the citizen's opaque subject or the device id.
    public var subject: String
    /// The end of its validity, RFC 3339 in UTC.
    public var notAfter: String
}

/// A certificate was revoked and the CRL regenerated. The sensor platform deactivates a device on this event.
public struct CertificateRevoked: BusEvent, Hashable {
    public static let eventType = "sg.smartnation.identity.certificate.revoked"
    /// The serial number, lower-case hexadecimal.
    public var serialNumber: String
    /// Whom it was for.
    public var kind: CertificateKind
    /// The subject CN: the citizen's opaque subject or the device id.
    public var subject: String
    /// Why it was revoked, by its RFC 5280 name (`keyCompromise`, …).
    public var reason: RevocationReason
}

/// A certificate request was refused (bad CSR signature, subject not allowed, unsupported key…):
/// the audit trail of bad input. Nothing was issued.
public struct CertificateRequestRejected: BusEvent, Hashable {
    public static let eventType = "sg.smartnation.identity.certificate.rejected"
    /// Whom it was for.
    public var kind: CertificateKind
    /// The citizen subject or device id the request named.
    public var subject: String
    /// The stable error code of the refusal.
    public var code: String
}

/// A revocation was refused (no such certificate or not the caller's, revoked already, a malformed
/// serial or reason): the audit trail of bad input. Nothing was revoked.
public struct CertificateRevocationRejected: BusEvent, Hashable {
    public static let eventType = "sg.smartnation.identity.certificate.revocation_rejected"
    /// The serial number as the request named it, at most 64 bytes of it.
    public var serialNumber: String
    /// The citizen subject who asked; absent when an operator did.
    public var requester: String?
    /// The stable error code of the refusal.
    public var code: String
}

/// A CA's certificate was renewed: its key certified again under the same name, with a later end of
/// validity. Relying parties fetch the chain (and, for the root, the trust anchor) again; what the CA
/// signed before verifies under either certificate.
public struct AuthorityRenewed: BusEvent, Hashable {
    public static let eventType = "sg.smartnation.identity.authority.renewed"
    /// Which CA.
    public var role: AuthorityRole
    /// The new certificate's serial number, lower-case hexadecimal.
    public var serialNumber: String
    /// The new end of its validity, RFC 3339 in UTC.
    public var notAfter: String
}
