import Foundation

/// The outcome of checking a document signature: an expected result, not an error.
public enum SignatureVerification: Sendable, Hashable {
    /// The signature is good: it verifies, covers this document, chains to the national root, the
    /// signer's certificate was valid at the signing time, and it is not revoked.
    case valid(SignatureSigner)
    /// The signature does not hold, for this reason.
    case rejected(SignatureRejection)
}

/// Who signed, and when they say they signed.
public struct SignatureSigner: Sendable, Hashable {
    /// The signer certificate's subject CN: a citizen's opaque subject.
    public var subject: String
    /// The signer certificate's serial number, lower-case hexadecimal.
    public var serialNumber: String
    /// The signed signingTime attribute.
    public var signingTime: Date
}

/// Why a signature was rejected. The raw values are stable codes for APIs and logs.
public enum SignatureRejection: String, Sendable, Hashable, CaseIterable {
    /// The signature over the signed attributes does not verify with the signer's key.
    case signatureInvalid = "signature_invalid"
    /// The signature is intact but was made over other content than this document.
    case contentMismatch = "content_mismatch"
    /// The signer's certificate does not chain to the national root through the issuing CA, or is
    /// not one for signing documents.
    case chainUntrusted = "chain_untrusted"
    /// The signer's certificate is on the issuing CA's current CRL. The signingTime is the signer's
    /// own claim, not a trusted timestamp, so a revoked certificate fails whatever time it claims.
    case revoked
    /// The signer's (or a CA's) certificate was not valid at the signing time.
    case expiredAtSigning = "expired_at_signing"
    /// The signingTime is later than the verifier's clock by more than
    /// ``SignatureVerifier/clockSkewMax``: a signature cannot have been made after it is checked.
    case signedInFuture = "signed_in_future"
    /// The signature is not DER CMS SignedData with exactly one signer, its certificate, a
    /// signingTime attribute and detached content.
    case malformed
}
