import COpenSSL
import Foundation
import SmartNationCore
import SwiftASN1
import X509

/// Checks a detached CMS signature with OpenSSL against the national root, the issuing CA and the
/// issuing CA's CRL. Each check answers one ``SignatureRejection``; they run in the order the enum lists.
struct SignatureVerifier {
    /// The trust anchor, in DER.
    let rootCertificate: Data
    /// The issuing CA, in DER: the one intermediate a signer's chain may use.
    let issuingCertificate: Data
    /// The issuing CA's current CRL, in DER.
    let revocationList: Data
    /// The time of the check.
    let now: Date

    /// How far a signingTime may run ahead of the verifier's clock: the signer's clock may be fast.
    static let clockSkewMax: TimeInterval = 300

    func verify(_ signature: Data, of document: Data) throws(SmartNationError) -> SignatureVerification {
        defer { OpenSSLFailure.clear() }
        let input = try OpenSSLMemoryBuffer(copying: signature)
        guard let cms = d2i_CMS_bio(input.pointer, nil) else { return .rejected(.malformed) }
        defer { CMS_ContentInfo_free(cms) }
        guard let (signerInfo, signer, signingTime) = Self.parts(of: cms) else { return .rejected(.malformed) }
        guard CMS_SignerInfo_verify(signerInfo) == 1 else { return .rejected(.signatureInvalid) }
        let content = try OpenSSLMemoryBuffer(copying: document)
        let flags = UInt32(CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY)
        guard CMS_verify(cms, nil, nil, content.pointer, nil, flags) == 1 else { return .rejected(.contentMismatch) }
        if let rejection = try checkChain(of: signer, at: signingTime) { return .rejected(rejection) }
        guard signingTime <= now.addingTimeInterval(Self.clockSkewMax) else { return .rejected(.signedInFuture) }
        let certificate: Certificate
        do {
            certificate = try Certificate(derEncoded: Array(signer.derEncoded()))
        } catch {
            return .rejected(.malformed)
        }
        return .valid(
            SignatureSigner(
                subject: certificate.subject.commonName ?? "", serialNumber: certificate.serialNumber.hexadecimal,
                signingTime: signingTime))
    }

    /// The one signer's info, its certificate (found among the certificates the CMS carries) and its
    /// signingTime; nil when the structure is not what ``SignatureRejection/malformed`` describes.
    private static func parts(of cms: OpaquePointer) -> (OpaquePointer, OpenSSLCertificate, Date)? {
        guard OBJ_obj2nid(CMS_get0_type(cms)) == NID_pkcs7_signed else { return nil }
        if let content = CMS_get0_content(cms), content.pointee != nil { return nil }
        guard let signerInfos = CMS_get0_SignerInfos(cms), OPENSSL_sk_num(signerInfos) == 1,
            let raw = OPENSSL_sk_value(signerInfos, 0)
        else { return nil }
        let signerInfo = OpaquePointer(raw)
        guard CMS_set1_signers_certs(cms, nil, 0) >= 0 else { return nil }
        var signer: OpaquePointer? = nil
        CMS_SignerInfo_get0_algs(signerInfo, nil, &signer, nil, nil)
        guard let signer, let signingTime = signingTime(of: signerInfo) else { return nil }
        return (signerInfo, OpenSSLCertificate(retaining: signer), signingTime)
    }

    private static func signingTime(of signerInfo: OpaquePointer) -> Date? {
        let index = CMS_signed_get_attr_by_NID(signerInfo, NID_pkcs9_signingTime, -1)
        guard index >= 0, let attribute = CMS_signed_get_attr(signerInfo, index) else { return nil }
        for type in [V_ASN1_UTCTIME, V_ASN1_GENERALIZEDTIME] {
            if let data = X509_ATTRIBUTE_get0_data(attribute, 0, type, nil) {
                return OpenSSLTime.date(of: data.assumingMemoryBound(to: ASN1_TIME.self))
            }
        }
        return nil
    }

    /// Verifies the signer's chain to the root at `signingTime`, with the CRL and the S/MIME signing
    /// purpose; nil when it holds.
    private func checkChain(of signer: OpenSSLCertificate, at signingTime: Date) throws(SmartNationError) -> SignatureRejection? {
        let root = try OpenSSLCertificate(derEncoded: rootCertificate)
        let issuing = try OpenSSLCertificate(derEncoded: issuingCertificate)
        let crl = try Self.parseRevocationList(revocationList)
        defer { X509_CRL_free(crl) }
        guard let store = X509_STORE_new() else { throw OpenSSLFailure.error("X509_STORE_new") }
        defer { X509_STORE_free(store) }
        guard X509_STORE_add_cert(store, root.pointer) == 1, X509_STORE_add_crl(store, crl) == 1 else {
            throw OpenSSLFailure.error("X509_STORE_add_cert")
        }
        let untrusted = try OpenSSLCertificateStack([issuing])
        guard let context = X509_STORE_CTX_new() else { throw OpenSSLFailure.error("X509_STORE_CTX_new") }
        defer { X509_STORE_CTX_free(context) }
        guard X509_STORE_CTX_init(context, store, signer.pointer, untrusted.pointer) == 1,
            X509_STORE_CTX_set_purpose(context, X509_PURPOSE_SMIME_SIGN) == 1
        else { throw OpenSSLFailure.error("X509_STORE_CTX_init") }
        let parameters = X509_STORE_CTX_get0_param(context)
        X509_VERIFY_PARAM_set_time(parameters, time_t(signingTime.timeIntervalSince1970))
        X509_VERIFY_PARAM_set_flags(parameters, UInt(X509_V_FLAG_CRL_CHECK))
        X509_STORE_CTX_set_verify_cb(context, Self.acceptingCRLOfAnyTime)
        guard X509_verify_cert(context) != 1 else { return nil }
        switch X509_STORE_CTX_get_error(context) {
        case X509_V_ERR_CERT_REVOKED: return .revoked
        case X509_V_ERR_CERT_HAS_EXPIRED, X509_V_ERR_CERT_NOT_YET_VALID: return .expiredAtSigning
        default: return .chainUntrusted
        }
    }

    /// The verification time is the signing time, but the CRL that counts is the current one, whose
    /// own validity has nothing to do with that time: its "not yet valid" and "expired" are ignored.
    private static let acceptingCRLOfAnyTime: @convention(c) (Int32, OpaquePointer?) -> Int32 = { ok, context in
        guard ok == 0, let context else { return ok }
        let error = X509_STORE_CTX_get_error(context)
        return error == X509_V_ERR_CRL_NOT_YET_VALID || error == X509_V_ERR_CRL_HAS_EXPIRED ? 1 : 0
    }

    private static func parseRevocationList(_ der: Data) throws(SmartNationError) -> OpaquePointer {
        let parsed: OpaquePointer? = der.withUnsafeBytes { raw in
            var cursor = raw.baseAddress?.assumingMemoryBound(to: UInt8.self)
            return d2i_X509_CRL(nil, &cursor, raw.count)
        }
        guard let parsed else { throw OpenSSLFailure.error("d2i_X509_CRL") }
        return parsed
    }
}
