import Crypto

/// One-time recovery codes a citizen keeps on paper to sign in when the authenticator is lost, such as
/// `7KQ2-9XPM-4D3F`.
///
/// Codes are 12 symbols from a 31-symbol alphabet without the look-alikes `0`, `O`, `1`, `I` and `L`,
/// in groups of four. Only their hashes are stored. A plain SHA-256 is enough here, unlike passwords:
/// each code carries about 59 bits chosen by the system random number generator, so there is no
/// dictionary to try and guessing through a slow hash would gain an attacker nothing. A fast hash also
/// lets a code be found by looking its hash up.
public enum RecoveryCodes {
    /// The symbols codes are drawn from: digits 2–9 and the letters without I, L and O.
    public static let alphabet: [Character] = Array("23456789ABCDEFGHJKMNPQRSTUVWXYZ")
    /// The number of codes a set has by default.
    public static let countDefault = 10
    /// The most codes one call generates.
    public static let countMax = 100
    /// The number of symbols in a code.
    public static let symbolCount = 12
    /// The number of symbols between dashes.
    public static let groupSymbolCount = 4

    /// Generates `count` distinct codes and their hashes, in the same order. Show the codes to the
    /// citizen once; store only the hashes.
    public static func generate(count: Int = countDefault) -> (codes: [String], hashes: [String]) {
        precondition((1...countMax).contains(count), "between 1 and \(countMax) recovery codes are generated")
        var generator = SystemRandomNumberGenerator()
        var codes: [String] = []
        var seen: Set<String> = []
        // A repeat is vanishingly rare (59 bits per code), but a set with a repeat would hold one code
        // fewer than promised, so repeats are drawn again.
        while codes.count < count {
            let code = makeCode(using: &generator)
            if seen.insert(code).inserted { codes.append(code) }
        }
        let hashes = codes.map(hash)
        assert(Set(hashes).count == count, "each code has its own hash")
        return (codes, hashes)
    }

    /// The stored form of a code: the hexadecimal SHA-256 of the code in upper case with dashes and
    /// spaces removed, so `7kq2 9xpm 4d3f` and `7KQ2-9XPM-4D3F` have one hash.
    public static func hash(_ code: String) -> String {
        let normalised = code.uppercased().filter { $0 != "-" && !$0.isWhitespace }
        let digest = SHA256.hash(data: Array(normalised.utf8))
        return digest.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 0x10 ? "0" + hex : hex
        }.joined()
    }

    private static func makeCode(using generator: inout SystemRandomNumberGenerator) -> String {
        var code = ""
        for index in 0..<symbolCount {
            if index > 0 && index % groupSymbolCount == 0 { code.append("-") }
            code.append(alphabet[Int.random(in: 0..<alphabet.count, using: &generator)])
        }
        return code
    }
}
