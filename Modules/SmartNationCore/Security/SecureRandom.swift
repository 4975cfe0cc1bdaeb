/// Random bytes for secrets — tokens, salts, keys, serial numbers — from the system's
/// cryptographically secure generator (`getrandom(2)` on Linux).
public enum SecureRandom {
    /// `count` random bytes, drawn eight at a time: one system call per eight bytes rather than per byte.
    public static func bytes(_ count: Int) -> [UInt8] {
        precondition(count >= 0, "a byte count is not negative")
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8]()
        bytes.reserveCapacity(count + 7)
        while bytes.count < count {
            withUnsafeBytes(of: generator.next() as UInt64) { bytes.append(contentsOf: $0) }
        }
        bytes.removeLast(bytes.count - count)
        return bytes
    }
}
