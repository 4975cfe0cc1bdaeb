/// TLS settings for a connection: the certificate authorities to trust and, for mutual TLS,
/// the client's own certificate and private key (PEM files).
///
/// The broker's certificate is always verified, including its host name against `host`.
public struct MQTTTLSConfiguration: Sendable, Hashable {
    /// Debian's bundle of the system's trusted certificate authorities.
    public static let systemCertificateBundle = "/etc/ssl/certs/ca-certificates.crt"

    /// The PEM file of certificate authorities that may sign the broker's certificate.
    public var caFile: String
    /// The client certificate (PEM) for mutual TLS; set together with `keyFile`.
    public var certificateFile: String?
    /// The client's unencrypted private key (PEM) for mutual TLS; set together with `certificateFile`.
    public var keyFile: String?

    /// Creates TLS settings; by default the broker is verified against the system's trusted authorities.
    public init(
        caFile: String = MQTTTLSConfiguration.systemCertificateBundle,
        certificateFile: String? = nil,
        keyFile: String? = nil
    ) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
    }
}
