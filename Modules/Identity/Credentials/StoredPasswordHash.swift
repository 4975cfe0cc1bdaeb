import Foundation

/// The parts of a stored password hash, `pbkdf2-sha256$<rounds>$<salt base64>$<hash base64>`.
///
/// The form names its algorithm and cost so the cost can rise later: a hash made with the old cost
/// still verifies, and the verifier reports that it needs rehashing.
struct StoredPasswordHash: Sendable, Equatable {
    /// The algorithm tag that opens every stored form.
    static let algorithm = "pbkdf2-sha256"
    /// The fewest salt bytes a readable stored form carries.
    static let saltByteCountMin = 16
    /// The most salt bytes a readable stored form carries.
    static let saltByteCountMax = 64
    /// The longest stored form read; anything longer is refused before it is split.
    static let encodedByteCountMax = 256

    let rounds: Int
    let salt: [UInt8]
    let hash: [UInt8]

    init(rounds: Int, salt: [UInt8], hash: [UInt8]) {
        precondition((1...PasswordHasher.roundsMax).contains(rounds), "rounds are within bounds")
        precondition(
            (Self.saltByteCountMin...Self.saltByteCountMax).contains(salt.count), "salt length is within bounds")
        precondition(hash.count == PasswordHasher.hashByteCount, "hash has the derived length")
        self.rounds = rounds
        self.salt = salt
        self.hash = hash
    }

    /// Reads a stored form, or returns nil when it is malformed in any way.
    ///
    /// Only the canonical form is read: rounds without leading zeros or sign, base64 with padding and
    /// nothing that re-encodes differently. A lenient reader would let two strings stand for one hash.
    init?(parsing encoded: String) {
        guard encoded.utf8.count <= Self.encodedByteCountMax else { return nil }
        let fields = encoded.split(separator: "$", omittingEmptySubsequences: false)
        guard fields.count == 4, fields[0] == Self.algorithm else { return nil }
        guard let rounds = Int(fields[1]), String(rounds) == fields[1] else { return nil }
        guard (1...PasswordHasher.roundsMax).contains(rounds) else { return nil }
        guard let salt = Self.decodeBase64(fields[2]), let hash = Self.decodeBase64(fields[3]) else { return nil }
        guard (Self.saltByteCountMin...Self.saltByteCountMax).contains(salt.count) else { return nil }
        guard hash.count == PasswordHasher.hashByteCount else { return nil }
        self.init(rounds: rounds, salt: salt, hash: hash)
    }

    /// The stored form.
    var encoded: String {
        let saltText = Data(salt).base64EncodedString()
        let hashText = Data(hash).base64EncodedString()
        return "\(Self.algorithm)$\(rounds)$\(saltText)$\(hashText)"
    }

    private static func decodeBase64(_ text: Substring) -> [UInt8]? {
        guard let data = Data(base64Encoded: String(text)), data.base64EncodedString() == text else { return nil }
        return Array(data)
    }
}
