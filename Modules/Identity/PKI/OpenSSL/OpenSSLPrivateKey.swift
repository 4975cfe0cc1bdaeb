import COpenSSL
import Crypto
import Foundation
import SmartNationCore

/// An OpenSSL `EVP_PKEY` holding a P-256 private key, owned: freed when this value goes away.
final class OpenSSLPrivateKey {
    let pointer: OpaquePointer

    /// The same key as `key`, handed to OpenSSL through its PKCS#8 DER form.
    init(_ key: P256.Signing.PrivateKey) throws(SmartNationError) {
        let der = key.derRepresentation
        let parsed: OpaquePointer? = der.withUnsafeBytes { raw in
            var cursor = raw.baseAddress?.assumingMemoryBound(to: UInt8.self)
            return d2i_AutoPrivateKey(nil, &cursor, raw.count)
        }
        guard let parsed else { throw OpenSSLFailure.error("d2i_AutoPrivateKey") }
        pointer = parsed
    }

    deinit {
        EVP_PKEY_free(pointer)
    }
}
