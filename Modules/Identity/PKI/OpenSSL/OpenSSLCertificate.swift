import COpenSSL
import Foundation
import SmartNationCore

/// An OpenSSL `X509` certificate, owned: freed when this value goes away.
final class OpenSSLCertificate {
    let pointer: OpaquePointer

    /// Parses a DER certificate; throws `code` when it does not parse.
    init(derEncoded der: Data, code: SmartNationError.Code = .identityPKIInternal) throws(SmartNationError) {
        let parsed: OpaquePointer? = der.withUnsafeBytes { raw in
            var cursor = raw.baseAddress?.assumingMemoryBound(to: UInt8.self)
            return d2i_X509(nil, &cursor, raw.count)
        }
        guard let parsed else {
            throw SmartNationError(code, parameters: ["reason": OpenSSLFailure.drainReason()], httpStatus: code == .identityPKIInternal ? 500 : 400)
        }
        pointer = parsed
    }

    /// Takes a reference of its own on a certificate another OpenSSL object owns.
    init(retaining borrowed: OpaquePointer) {
        X509_up_ref(borrowed)
        pointer = borrowed
    }

    deinit {
        X509_free(pointer)
    }

    /// The certificate in DER.
    func derEncoded() throws(SmartNationError) -> Data {
        let buffer = try OpenSSLMemoryBuffer()
        guard i2d_X509_bio(buffer.pointer, pointer) == 1 else { throw OpenSSLFailure.error("i2d_X509_bio") }
        return buffer.contents
    }
}
