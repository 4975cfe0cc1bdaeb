import SmartNationCore

/// The national PKI's error codes. A refused request changes nothing: no certificate is stored and
/// no event is written. Outcomes of checking a signature are values (``SignatureVerification``), not
/// these errors.
extension SmartNationError.Code {
    /// A certificate signing request is not a PKCS#10 request in DER or PEM, or is larger than
    /// ``NationalPKI/signingRequestSizeMax``.
    public static let identityPKICSRMalformed = Self("identity.pki.csr_malformed")
    /// A certificate signing request's self-signature does not verify with its own public key.
    public static let identityPKICSRSignatureInvalid = Self("identity.pki.csr_signature_invalid")
    /// A certificate signing request's subject is not exactly `CN=` the citizen's subject or the device id
    /// the certificate is requested for.
    public static let identityPKICSRSubjectNotAllowed = Self("identity.pki.csr_subject_not_allowed")
    /// A certificate signing request's key is not a P-256 key, the only kind the national PKI certifies.
    public static let identityPKIKeyUnsupported = Self("identity.pki.key_unsupported")
    /// A citizen subject or device id to certify is not 1 to 64 letters, digits, `-` or `_`.
    public static let identityPKISubjectInvalid = Self("identity.pki.subject_invalid")
    /// No certificate with this serial number was issued.
    public static let identityPKICertificateNotFound = Self("identity.pki.certificate_not_found")
    /// The certificate is revoked already.
    public static let identityPKICertificateRevoked = Self("identity.pki.certificate_already_revoked")
    /// The subject holds ``NationalPKI/certificatesPerSubjectMax`` live certificates of this kind, or
    /// was issued that many in the last day.
    public static let identityPKICertificateLimit = Self("identity.pki.certificate_limit")
    /// A serial number is not 1 to 40 lower- or upper-case hexadecimal digits.
    public static let identityPKISerialMalformed = Self("identity.pki.serial_malformed")
    /// A document to sign or verify is larger than ``NationalPKI/documentSizeMax``, or a signature is
    /// larger than ``NationalPKI/signatureSizeMax``.
    public static let identityPKIInputTooLarge = Self("identity.pki.input_too_large")
    /// A certificate or private key handed to the signing API cannot be read, or they do not belong together.
    public static let identityPKISignerInvalid = Self("identity.pki.signer_invalid")
    /// OpenSSL or swift-certificates failed where it should not (out of memory, a broken library); the
    /// `reason` parameter carries OpenSSL's error text.
    public static let identityPKIInternal = Self("identity.pki.internal")
}
