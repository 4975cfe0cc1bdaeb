import COpenSSL
import SmartNationCore

/// An OpenSSL `STACK_OF(X509)` that borrows its certificates: it keeps the Swift wrappers alive and
/// frees only the stack itself (`sk_X509_*` are macros Swift cannot see, so the generic `OPENSSL_sk_*`
/// functions are used).
final class OpenSSLCertificateStack {
    let pointer: OpaquePointer
    private let certificates: [OpenSSLCertificate]

    /// A stack holding `certificates`, in order.
    init(_ certificates: [OpenSSLCertificate]) throws(SmartNationError) {
        guard let stack = OPENSSL_sk_new_null() else { throw OpenSSLFailure.error("OPENSSL_sk_new_null") }
        for certificate in certificates where OPENSSL_sk_push(stack, UnsafeRawPointer(certificate.pointer)) <= 0 {
            OPENSSL_sk_free(stack)
            throw OpenSSLFailure.error("OPENSSL_sk_push")
        }
        pointer = stack
        self.certificates = certificates
    }

    deinit {
        OPENSSL_sk_free(pointer)
    }
}
