/// Whom a certificate is for. The kind decides the certificate's profile (key usage, extended key
/// usage) and its default validity.
public enum CertificateKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// A citizen, who signs documents with the key on their device: key usage digitalSignature and
    /// nonRepudiation (contentCommitment), extended key usage emailProtection (what S/MIME and
    /// `openssl cms -verify` expect of a document signer). The subject CN is the citizen's opaque
    /// subject, never the NRIC.
    case citizen
    /// A device such as a lamp post, which authenticates to the platform's services: key usage
    /// digitalSignature and keyAgreement, extended key usage clientAuth. The subject CN is the device id.
    case device
}
