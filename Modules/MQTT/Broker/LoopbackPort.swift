#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// TCP ports on the loopback interface, 127.0.0.1.
public enum LoopbackPort {
    /// A port that was free a moment ago: binds 127.0.0.1:0, reads the port the kernel chose, closes.
    /// Another process may take it before you bind it, so use it at once.
    ///
    /// - Throws: `MQTTError` with code `systemError` when no socket can be bound.
    public static func findFree() throws(MQTTError) -> Int {
        let descriptor = try makeSocket()
        defer { close(descriptor) }
        var address = loopbackAddress(port: 0)
        let bound = withSocketAddress(&address) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        guard bound == 0 else { throw systemError("bind") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withSocketAddress(&address) { getsockname(descriptor, $0, &length) }
        guard named == 0 else { throw systemError("getsockname") }
        let port = Int(in_port_t(bigEndian: address.sin_port))
        assert((1...65_535).contains(port))
        return port
    }

    /// Whether something accepts TCP connections on 127.0.0.1 at `port` (a loopback connect
    /// succeeds or is refused at once).
    static func acceptsConnections(on port: Int) -> Bool {
        precondition((1...65_535).contains(port))
        guard let descriptor = try? makeSocket() else { return false }
        defer { close(descriptor) }
        var address = loopbackAddress(port: port)
        return withSocketAddress(&address) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } == 0
    }

    private static func makeSocket() throws(MQTTError) -> Int32 {
        #if canImport(Glibc)
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { throw systemError("socket") }
        return descriptor
    }

    private static func loopbackAddress(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(port).bigEndian
        address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
        return address
    }

    private static func withSocketAddress<Result>(
        _ address: inout sockaddr_in,
        _ body: (UnsafeMutablePointer<sockaddr>) -> Result
    ) -> Result {
        withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1, body)
        }
    }

    private static func systemError(_ call: String) -> MQTTError {
        MQTTError(.systemError, parameters: ["call": call, "reason": String(cString: strerror(errno))])
    }
}
