import COpenSSL
import SmartNationCore

/// Turns OpenSSL's per-thread error queue into a ``SmartNationError``. Every OpenSSL call sequence
/// in the PKI runs synchronously on one thread, so the queue read here is the one the failing call filled.
enum OpenSSLFailure {
    /// The most queued errors kept in a `reason` parameter.
    static let queuedErrorsKeptMax = 8

    /// An ``SmartNationError/Code/identityPKIInternal`` error naming the failed `operation`, with
    /// OpenSSL's queued errors as its `reason`. Empties the queue.
    static func error(_ operation: String, file: String = #fileID, line: Int = #line) -> SmartNationError {
        SmartNationError(
            .identityPKIInternal, parameters: ["operation": operation, "reason": drainReason()], httpStatus: 500,
            file: file, line: line)
    }

    /// OpenSSL's queued errors as one line (at most ``queuedErrorsKeptMax``), emptying the queue.
    static func drainReason() -> String {
        var messages: [String] = []
        while true {
            let code = ERR_get_error()
            guard code != 0 else { break }
            guard messages.count < queuedErrorsKeptMax else { continue }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            messages.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return messages.isEmpty ? "no OpenSSL error queued" : messages.joined(separator: "; ")
    }

    /// Empties the queue, so that a failure expected as an outcome leaves nothing behind for a later call.
    static func clear() {
        ERR_clear_error()
    }
}
