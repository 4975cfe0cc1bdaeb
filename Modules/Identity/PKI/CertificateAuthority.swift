import Crypto
import Foundation
import SmartNationCore
import SwiftASN1
import X509

/// One of the PKI's two certificate authorities: its certificate and its private key, in memory only.
/// The key is kept sealed at rest and never logged (this type has no description that shows it).
struct CertificateAuthority: Sendable {
    /// The CA's certificate.
    let certificate: Certificate
    /// The CA's certificate, in DER.
    let derEncoded: Data
    /// The CA's key.
    let privateKey: P256.Signing.PrivateKey

    /// Pairs a certificate with its key; throws when the key is not the certificate's.
    init(derEncoded: Data, privateKey: P256.Signing.PrivateKey) throws(SmartNationError) {
        do {
            certificate = try Certificate(derEncoded: Array(derEncoded))
        } catch {
            throw SmartNationError(.identityPKIInternal, parameters: ["reason": "a stored CA certificate does not parse"], httpStatus: 500)
        }
        guard certificate.publicKey == Certificate.PublicKey(privateKey.publicKey) else {
            throw SmartNationError(.identityPKIInternal, parameters: ["reason": "a CA key does not match its certificate"], httpStatus: 500)
        }
        self.derEncoded = derEncoded
        self.privateKey = privateKey
    }

    /// The CA's subject key identifier, which its issued certificates and CRLs name as their authority key.
    var keyIdentifier: ArraySlice<UInt8> {
        SubjectKeyIdentifier(hash: certificate.publicKey).keyIdentifier
    }

    /// A new self-signed root CA: may sign one level of CA below it (pathLen 1), keyCertSign and cRLSign.
    static func makeRoot(configuration: NationalPKI.Configuration, now: Date) throws(SmartNationError) -> CertificateAuthority {
        let key = P256.Signing.PrivateKey()
        let name = try configuration.distinguishedName(commonName: configuration.rootCommonName)
        return try selfSigned(key: key, name: name, notBefore: now, notAfter: now.addingTimeInterval(configuration.rootValidity))
    }

    /// This root's key certified again, by itself, under the same name with a new serial: valid from
    /// when this certificate was until `configuration.rootValidity` after `now`. Whatever chained to
    /// the root before chains to the new certificate, at any time either covers.
    func recertifiedRoot(configuration: NationalPKI.Configuration, now: Date) throws(SmartNationError) -> CertificateAuthority {
        try Self.selfSigned(
            key: privateKey, name: certificate.subject, notBefore: certificate.notValidBefore,
            notAfter: now.addingTimeInterval(configuration.rootValidity))
    }

    private static func selfSigned(
        key: P256.Signing.PrivateKey, name: DistinguishedName, notBefore: Date, notAfter: Date
    ) throws(SmartNationError) -> CertificateAuthority {
        let publicKey = Certificate.PublicKey(key.publicKey)
        let certificate = try sign {
            try Certificate(
                version: .v3, serialNumber: CertificateSerial.random().certificateSerial, publicKey: publicKey,
                notValidBefore: notBefore, notValidAfter: notAfter,
                issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try authorityExtensions(pathLength: 1, publicKey: publicKey, issuerKeyIdentifier: nil, crlURL: nil),
                issuerPrivateKey: Certificate.PrivateKey(key))
        }
        return try CertificateAuthority(derEncoded: serialize(certificate), privateKey: key)
    }

    /// A new issuing CA below this root: signs end-entity certificates and CRLs only (pathLen 0), and
    /// names the root's CRL as its distribution point.
    func makeIssuing(configuration: NationalPKI.Configuration, now: Date) throws(SmartNationError) -> CertificateAuthority {
        try certify(
            key: P256.Signing.PrivateKey(), subject: try configuration.distinguishedName(commonName: configuration.issuingCommonName),
            notBefore: now, until: now.addingTimeInterval(configuration.issuingValidity), configuration: configuration)
    }

    /// `issuing`'s key certified again by this root, under the same name with a new serial and the
    /// current profile: valid from when `issuing`'s certificate was until
    /// `configuration.issuingValidity` after `now` (never beyond this root). Every certificate and CRL
    /// `issuing` signed verifies under the new certificate, at any time either covers.
    func recertified(_ issuing: CertificateAuthority, configuration: NationalPKI.Configuration, now: Date) throws(SmartNationError) -> CertificateAuthority {
        try certify(
            key: issuing.privateKey, subject: issuing.certificate.subject, notBefore: issuing.certificate.notValidBefore,
            until: now.addingTimeInterval(configuration.issuingValidity), configuration: configuration)
    }

    private func certify(
        key: P256.Signing.PrivateKey, subject: DistinguishedName, notBefore: Date, until end: Date, configuration: NationalPKI.Configuration
    ) throws(SmartNationError) -> CertificateAuthority {
        let publicKey = Certificate.PublicKey(key.publicKey)
        let issuing = try Self.sign {
            try Certificate(
                version: .v3, serialNumber: CertificateSerial.random().certificateSerial, publicKey: publicKey,
                notValidBefore: notBefore, notValidAfter: min(end, certificate.notValidAfter), issuer: certificate.subject, subject: subject,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Self.authorityExtensions(
                    pathLength: 0, publicKey: publicKey, issuerKeyIdentifier: keyIdentifier, crlURL: configuration.crlURL(of: .root)),
                issuerPrivateKey: Certificate.PrivateKey(privateKey))
        }
        return try CertificateAuthority(derEncoded: Self.serialize(issuing), privateKey: key)
    }

    private static func authorityExtensions(
        pathLength: Int, publicKey: Certificate.PublicKey, issuerKeyIdentifier: ArraySlice<UInt8>?, crlURL: String?
    ) throws -> Certificate.Extensions {
        let ownKeyIdentifier = SubjectKeyIdentifier(hash: publicKey)
        let distributionPoint = crlURL.map(CertificateProfile.crlDistributionPoint(url:))
        return try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: pathLength))
            Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            ownKeyIdentifier
            AuthorityKeyIdentifier(keyIdentifier: issuerKeyIdentifier ?? ownKeyIdentifier.keyIdentifier)
            if let distributionPoint { distributionPoint }
        }
    }

    /// Runs a swift-certificates signing step, turning its untyped errors into the PKI's internal error.
    static func sign(_ body: () throws -> Certificate) throws(SmartNationError) -> Certificate {
        do {
            return try body()
        } catch let error as SmartNationError {
            throw error
        } catch {
            throw SmartNationError(.identityPKIInternal, parameters: ["reason": "\(error)"], httpStatus: 500)
        }
    }

    /// A certificate in DER.
    static func serialize(_ certificate: Certificate) throws(SmartNationError) -> Data {
        do {
            var serializer = DER.Serializer()
            try serializer.serialize(certificate)
            return Data(serializer.serializedBytes)
        } catch {
            throw SmartNationError(.identityPKIInternal, parameters: ["reason": "\(error)"], httpStatus: 500)
        }
    }
}

extension CertificateAuthority: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The CA's subject only: a CA printed into a log never shows its key.
    var description: String { "CertificateAuthority(\(certificate.subject))" }

    var debugDescription: String { description }

    var customMirror: Mirror { Mirror(self, children: ["subject": certificate.subject.description]) }
}
