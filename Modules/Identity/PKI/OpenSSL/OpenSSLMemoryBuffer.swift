import COpenSSL
import Foundation
import SmartNationCore

/// An OpenSSL memory `BIO`, owned: freed when this value goes away.
final class OpenSSLMemoryBuffer {
    let pointer: OpaquePointer

    /// An empty buffer OpenSSL writes into.
    init() throws(SmartNationError) {
        guard let pointer = BIO_new(BIO_s_mem()) else { throw OpenSSLFailure.error("BIO_new") }
        self.pointer = pointer
    }

    /// A buffer holding a copy of `bytes`, for OpenSSL to read.
    convenience init(copying bytes: Data) throws(SmartNationError) {
        try self.init()
        guard !bytes.isEmpty else { return }
        let written = bytes.withUnsafeBytes { raw in BIO_write(pointer, raw.baseAddress, Int32(raw.count)) }
        guard written == Int32(bytes.count) else { throw OpenSSLFailure.error("BIO_write") }
    }

    deinit {
        BIO_free(pointer)
    }

    /// A copy of what the buffer holds (the macro `BIO_get_mem_data` spelled as the call it expands to).
    var contents: Data {
        var start: UnsafeMutablePointer<CChar>? = nil
        let length = BIO_ctrl(pointer, BIO_CTRL_INFO, 0, &start)
        guard let start, length > 0 else { return Data() }
        return Data(bytes: start, count: length)
    }
}
