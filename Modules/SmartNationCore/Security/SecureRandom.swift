#if canImport(Glibc)
import Glibc
#endif

/// Random bytes for secrets — tokens, salts, keys, serial numbers — from the system's
/// cryptographically secure generator (`getentropy(3)`, over `getrandom(2)`, on Linux).
public enum SecureRandom {
    /// `count` random bytes. On Linux one `getentropy(3)` call fills up to 256 of them (a token needs
    /// 32); elsewhere the standard library's system generator draws them eight at a time.
    public static func bytes(_ count: Int) -> [UInt8] {
        precondition(count >= 0, "a byte count is not negative")
        #if canImport(Glibc)
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var filled = 0
            while filled < count {
                let chunk = min(count - filled, 256)
                let result = getentropy(buffer.baseAddress! + filled, chunk)
                precondition(result == 0, "getentropy(3) failed: errno \(errno)")
                filled += chunk
            }
            initialized = count
        }
        #else
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8]()
        bytes.reserveCapacity(count + 7)
        while bytes.count < count {
            withUnsafeBytes(of: generator.next() as UInt64) { bytes.append(contentsOf: $0) }
        }
        bytes.removeLast(bytes.count - count)
        return bytes
        #endif
    }
}
