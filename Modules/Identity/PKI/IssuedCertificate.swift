import Foundation

/// A certificate the issuing CA issued, as the PKI keeps it.
public struct IssuedCertificate: Sendable, Hashable {
    /// The serial number, 32 lower-case hexadecimal digits (16 random bytes, positive).
    public var serialNumber: String
    /// Whom it is for.
    public var kind: CertificateKind
    /// The subject CN: the citizen's opaque subject or the device id.
    public var subject: String
    /// The certificate in DER.
    public var derEncoded: Data
    /// The start of its validity.
    public var notBefore: Date
    /// The end of its validity.
    public var notAfter: Date
    /// When it was revoked and why, if it was.
    public var revocation: CertificateRevocation?

    /// The certificate in PEM (`-----BEGIN CERTIFICATE-----`).
    public var pemEncoded: String {
        PEMText.encode(derEncoded, label: "CERTIFICATE")
    }
}

/// When and why a certificate was revoked.
public struct CertificateRevocation: Sendable, Hashable {
    /// When it was revoked (the CRL entry's revocationDate).
    public var date: Date
    /// Why it was revoked.
    public var reason: RevocationReason
}
