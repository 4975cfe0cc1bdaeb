import Foundation

extension URLComponents {
    /// The URL's origin as a browser serialises it (RFC 6454 §6.2): lower-case scheme and host, and
    /// the port only when it is not the scheme's default (443 for `https`, 80 for `http`); `nil`
    /// unless the scheme is `http` or `https` and there is a host. What the authorization pages
    /// compare a post's `Origin` with, and where a DPoP proof's `htu` is normalised from.
    package var webOrigin: String? {
        guard let scheme = scheme?.lowercased(), scheme == "https" || scheme == "http",
              let host = host?.lowercased(), !host.isEmpty
        else { return nil }
        let defaultPort = scheme == "https" ? 443 : 80
        let port = port.flatMap { $0 == defaultPort ? nil : ":\($0)" } ?? ""
        return scheme + "://" + host + port
    }
}
