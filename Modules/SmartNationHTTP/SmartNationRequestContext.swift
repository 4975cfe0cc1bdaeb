import Hummingbird
import NIOCore

/// The request context of the daemon's router: Hummingbird's core context plus the client's
/// address, which login throttling and audit events need.
public struct SmartNationRequestContext: RequestContext, RemoteAddressRequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The connected client's address.
    public let remoteAddress: SocketAddress?

    /// A context for a request arriving on `source.channel`.
    public init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The client's IP address as text, or `unknown`.
    public var clientAddress: String {
        remoteAddress?.ipAddress ?? "unknown"
    }
}
