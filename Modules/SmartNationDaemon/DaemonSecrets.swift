import Foundation
import Logging
import SmartNationCore

/// Secrets the daemon needs before it serves: taken from the configuration when set, otherwise
/// generated once into a file of the data directory readable by the owner only, and reused on
/// every later start. Their values are never logged.
enum DaemonSecrets {
    /// The configured value, or the content of `fileName` in `dataDirectory`, created with
    /// `generate()` when missing.
    static func value(
        configured: String?, fileName: String, in dataDirectory: URL, logger: Logger, generate: () -> String
    ) throws(SmartNationError) -> String {
        if let configured { return configured }
        let file = dataDirectory.appendingPathComponent(fileName)
        if let existing = try? String(contentsOf: file, encoding: .utf8) {
            return existing.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let created = generate()
        guard FileManager.default.createFile(atPath: file.path, contents: Data((created + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw SmartNationError(.storageUnavailable, parameters: ["reason": "cannot write \(file.path)"], httpStatus: 503)
        }
        logger.notice("generated a secret file; supply it from configuration in production", metadata: ["file": "\(file.path)"])
        return created
    }

    /// `byteCount` random bytes in standard base64.
    static func randomBase64(byteCount: Int) -> String {
        Data(SecureRandom.bytes(byteCount)).base64EncodedString()
    }
}
