import Crypto
import Foundation
import SmartNationCore
import SwiftASN1
import X509

/// Reads and checks a PKCS#10 certificate signing request before anything is issued from it: it must
/// parse (DER or PEM), carry a P-256 key, be signed by that key, and name exactly the subject the
/// certificate is requested for. Each failure has its own code; none changes any state.
struct SigningRequestCheck {
    /// The public key a checked request certifies.
    let publicKey: Certificate.PublicKey

    /// Checks `request` for a certificate whose CN is `commonName`.
    init(_ request: Data, commonName: String) throws(SmartNationError) {
        guard request.count <= NationalPKI.signingRequestSizeMax else {
            throw SmartNationError(.identityPKICSRMalformed, parameters: ["maximum": String(NationalPKI.signingRequestSizeMax)])
        }
        let parsed = try Self.parse(request)
        guard P256.Signing.PublicKey(parsed.publicKey) != nil else {
            throw SmartNationError(.identityPKIKeyUnsupported, parameters: ["expected": "an EC P-256 (prime256v1) key"])
        }
        guard parsed.publicKey.isValidSignature(parsed.signature, for: parsed) else {
            throw SmartNationError(.identityPKICSRSignatureInvalid)
        }
        guard Self.names(parsed.subject, exactly: commonName) else {
            throw SmartNationError(.identityPKICSRSubjectNotAllowed, parameters: ["expected": "CN=\(commonName)"], httpStatus: 403)
        }
        publicKey = parsed.publicKey
    }

    private static func parse(_ request: Data) throws(SmartNationError) -> CertificateSigningRequest {
        do {
            if request.starts(with: Data("-----BEGIN".utf8)) {
                return try CertificateSigningRequest(pemEncoded: String(decoding: request, as: UTF8.self))
            }
            return try CertificateSigningRequest(derEncoded: Array(request))
        } catch {
            throw SmartNationError(.identityPKICSRMalformed, parameters: ["expected": "a PKCS#10 request in DER or PEM"])
        }
    }

    /// Whether `subject` is one attribute, the common name `commonName`. Anything more is refused
    /// rather than dropped, so the certificate never says less than the citizen asked it to.
    private static func names(_ subject: DistinguishedName, exactly commonName: String) -> Bool {
        let attributes = subject.flatMap { $0 }
        guard attributes.count == 1, let only = attributes.first else { return false }
        return only.type == .RDNAttributeType.commonName && String(only.value) == commonName
    }
}
