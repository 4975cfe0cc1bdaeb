import COpenSSL
import Crypto
import Foundation
import SmartNationCore

/// Makes detached CMS SignedData (RFC 5652) over a document with a citizen's key: what the citizen
/// app does on the device that holds the key. The signature is SHA-256 with ECDSA, carries the signed
/// attributes contentType, messageDigest and signingTime, and includes the signer's certificate and
/// the chain certificates given (the issuing CA's), so that any verifier holding the root can check it.
public enum DocumentSigner {
    /// The most chain certificates one signature carries.
    public static let chainCertificatesMax = 4

    /// A detached CMS SignedData, in DER, over `document`.
    ///
    /// - Parameters:
    ///   - document: the exact bytes signed (signed as binary: no MIME canonicalisation); at most
    ///     ``NationalPKI/documentSizeMax`` bytes.
    ///   - certificate: the signer's certificate, in DER.
    ///   - chain: the certificates between the signer and the root, in DER (the issuing CA's).
    ///   - privateKey: the signer's P-256 key; it must belong to `certificate`.
    ///   - signingTime: the signingTime attribute; the verifier checks the certificate's validity at it.
    /// - Throws: ``SmartNationError/Code/identityPKIInputTooLarge`` for a document over the limit,
    ///   ``SmartNationError/Code/identityPKISignerInvalid`` when a certificate does not parse or the key
    ///   does not belong to it.
    public static func sign(
        _ document: Data,
        certificate: Data,
        chain: [Data] = [],
        privateKey: P256.Signing.PrivateKey,
        signingTime: Date = Date()
    ) throws(SmartNationError) -> Data {
        guard document.count <= NationalPKI.documentSizeMax else {
            throw SmartNationError(.identityPKIInputTooLarge, parameters: ["maximum": String(NationalPKI.documentSizeMax)])
        }
        guard chain.count <= chainCertificatesMax else {
            throw SmartNationError(.identityPKISignerInvalid, parameters: ["maximum": String(chainCertificatesMax)])
        }
        let signer = try OpenSSLCertificate(derEncoded: certificate, code: .identityPKISignerInvalid)
        var chainCertificates: [OpenSSLCertificate] = []
        for der in chain {
            chainCertificates.append(try OpenSSLCertificate(derEncoded: der, code: .identityPKISignerInvalid))
        }
        let key = try OpenSSLPrivateKey(privateKey)
        guard X509_check_private_key(signer.pointer, key.pointer) == 1 else {
            OpenSSLFailure.clear()
            throw SmartNationError(.identityPKISignerInvalid, parameters: ["reason": "the private key does not belong to the certificate"])
        }
        return try makeSignature(document, signer: signer, chain: OpenSSLCertificateStack(chainCertificates), key: key, signingTime: signingTime)
    }

    /// `CMS_sign` with `CMS_PARTIAL`, then the signer with an explicit signingTime attribute (OpenSSL
    /// would otherwise stamp the machine's clock), then `CMS_final` over the document.
    private static func makeSignature(
        _ document: Data, signer: OpenSSLCertificate, chain: OpenSSLCertificateStack, key: OpenSSLPrivateKey, signingTime: Date
    ) throws(SmartNationError) -> Data {
        let flags = UInt32(CMS_DETACHED | CMS_BINARY)
        guard let cms = CMS_sign(nil, nil, chain.pointer, nil, flags | UInt32(CMS_PARTIAL)) else {
            throw OpenSSLFailure.error("CMS_sign")
        }
        defer { CMS_ContentInfo_free(cms) }
        guard let signerInfo = CMS_add1_signer(cms, signer.pointer, key.pointer, EVP_sha256(), UInt32(CMS_BINARY)) else {
            throw OpenSSLFailure.error("CMS_add1_signer")
        }
        let time = try OpenSSLTime.make(signingTime)
        defer { ASN1_TIME_free(time) }
        guard CMS_signed_add1_attr_by_NID(signerInfo, NID_pkcs9_signingTime, ASN1_STRING_type(time), time, -1) == 1 else {
            throw OpenSSLFailure.error("CMS_signed_add1_attr_by_NID(signingTime)")
        }
        let content = try OpenSSLMemoryBuffer(copying: document)
        guard CMS_final(cms, content.pointer, nil, flags) == 1 else { throw OpenSSLFailure.error("CMS_final") }
        let output = try OpenSSLMemoryBuffer()
        guard i2d_CMS_bio(output.pointer, cms) == 1 else { throw OpenSSLFailure.error("i2d_CMS_bio") }
        return output.contents
    }
}
