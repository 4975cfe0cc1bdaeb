import Foundation

/// PEM armour (RFC 7468) around DER bytes, for certificates and CRLs handed to tools that want text.
enum PEMText {
    /// `der` as PEM with the given label (`CERTIFICATE`, `X509 CRL`), base64 in 64-character lines.
    static func encode(_ der: Data, label: String) -> String {
        let base64 = der.base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN \(label)-----\n\(base64)\n-----END \(label)-----\n"
    }
}
