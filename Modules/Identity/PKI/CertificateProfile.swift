import Foundation
import SwiftASN1
import X509

/// The extensions of an end-entity certificate of each ``CertificateKind``: not a CA, the kind's key
/// usage and extended key usage, key identifiers, and the CRL distribution point.
struct CertificateProfile {
    let kind: CertificateKind

    func extensions(
        publicKey: Certificate.PublicKey, issuerKeyIdentifier: ArraySlice<UInt8>, crlURL: String
    ) throws -> Certificate.Extensions {
        let keyUsage: KeyUsage
        let extendedKeyUsage: ExtendedKeyUsage
        switch kind {
        case .citizen:
            keyUsage = KeyUsage(digitalSignature: true, nonRepudiation: true)
            extendedKeyUsage = try ExtendedKeyUsage([.emailProtection])
        case .device:
            keyUsage = KeyUsage(digitalSignature: true, keyAgreement: true)
            extendedKeyUsage = try ExtendedKeyUsage([.clientAuth])
        }
        let distributionPoint = Self.crlDistributionPoint(url: crlURL)
        return try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(keyUsage)
            extendedKeyUsage
            SubjectKeyIdentifier(hash: publicKey)
            AuthorityKeyIdentifier(keyIdentifier: issuerKeyIdentifier)
            distributionPoint
        }
    }

    /// The CRL distribution points extension (RFC 5280 4.2.1.13), which swift-certificates has no
    /// type for: one distribution point whose full name is the URI.
    ///
    /// `SEQUENCE { SEQUENCE { [0] { [0] { [6] IA5String } } } }` — the outer `[0]` tags the
    /// DistributionPointName choice (explicit, as a CHOICE always is), the inner `[0]` is fullName's
    /// implicit GeneralNames, `[6]` the implicit uniformResourceIdentifier.
    static func crlDistributionPoint(url: String) -> Certificate.Extension {
        var serializer = DER.Serializer()
        serializer.appendConstructedNode(identifier: .sequence) { points in
            points.appendConstructedNode(identifier: .sequence) { point in
                point.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) { name in
                    name.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) { names in
                        names.appendPrimitiveNode(identifier: ASN1Identifier(tagWithNumber: 6, tagClass: .contextSpecific)) { bytes in
                            bytes.append(contentsOf: url.utf8)
                        }
                    }
                }
            }
        }
        return Certificate.Extension(oid: [2, 5, 29, 31], critical: false, value: serializer.serializedBytes[...])
    }
}
