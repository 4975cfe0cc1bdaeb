import Crypto
import Foundation
import GRDB
import SmartNationCore
import SwiftASN1
import Testing
import X509

@testable import Identity

@Suite("National PKI: the certificate authorities")
struct PKIAuthorityTests {
    @Test("the root and issuing CAs are created on first use and the same ones come back after reopening")
    func createdOnceAndReused() async throws {
        let fixture = try await PKIFixture.make()
        defer { fixture.remove() }
        let reopenedDatabase = try IdentityDatabase.open(in: fixture.environment.directory)
        let reopened = try await NationalPKI.open(database: reopenedDatabase, sealer: fixture.sealer)
        #expect(reopened.rootCertificate == fixture.pki.rootCertificate)
        #expect(reopened.issuingCertificate == fixture.pki.issuingCertificate)
        let count = try await fixture.database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM pki_authority") }
        #expect(count == 2)
    }

    @Test("the root is a 20-year CA with pathLen 1, the issuing CA a 10-year CA with pathLen 0 signed by the root, naming the root's CRL")
    func profiles() async throws {
        let fixture = try await PKIFixture.make()
        defer { fixture.remove() }
        let root = try Certificate(derEncoded: Array(fixture.pki.rootCertificate))
        let issuing = try Certificate(derEncoded: Array(fixture.pki.issuingCertificate))
        let year: TimeInterval = 365 * 86_400
        #expect(root.notValidAfter.timeIntervalSince(root.notValidBefore) == 20 * year)
        #expect(issuing.notValidAfter.timeIntervalSince(issuing.notValidBefore) == 10 * year)
        #expect(try root.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: 1))
        #expect(try issuing.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: 0))
        for certificate in [root, issuing] {
            #expect(try certificate.extensions.keyUsage == KeyUsage(keyCertSign: true, cRLSign: true))
            #expect(certificate.extensions.first { $0.oid == .X509ExtensionID.keyUsage }?.critical == true)
            #expect(P256.Signing.PublicKey(certificate.publicKey) != nil)
        }
        #expect(root.subject == root.issuer)
        #expect(issuing.issuer == root.subject)
        #expect(root.publicKey.isValidSignature(issuing.signature, for: issuing))
        let rootKeyIdentifier = try root.extensions.subjectKeyIdentifier?.keyIdentifier
        #expect(rootKeyIdentifier != nil)
        #expect(try issuing.extensions.authorityKeyIdentifier?.keyIdentifier == rootKeyIdentifier)
        let distributionPoint = issuing.extensions.first { $0.oid == [2, 5, 29, 31] }
        #expect(distributionPoint.map { Data($0.value).range(of: Data("http://127.0.0.1:8080/pki/crl/root.crl".utf8)) != nil } == true)
        #expect(distributionPoint?.critical == false)
        #expect(root.extensions.first { $0.oid == [2, 5, 29, 31] } == nil, "a trust anchor is not checked against a CRL")
    }

    @Test("the CA keys are sealed: their raw bytes are nowhere in the database files")
    func keysSealedAtRest() async throws {
        let fixture = try await PKIFixture.make()
        defer { fixture.remove() }
        let keys = try await fixture.database.read { db in
            try Data.fetchAll(db, sql: "SELECT sealed_private_key FROM pki_authority")
        }
        #expect(keys.count == 2)
        let files = try FileManager.default.contentsOfDirectory(at: fixture.environment.directory, includingPropertiesForKeys: nil)
        let bytes = try files.filter { $0.lastPathComponent.hasPrefix("identity.sqlite") }.map { try Data(contentsOf: $0) }
        #expect(!bytes.isEmpty)
        for raw in [try Self.rootKey(fixture).rawRepresentation, fixture.pki.issuing.privateKey.rawRepresentation] {
            #expect(raw.count == 32)
            #expect(bytes.allSatisfy { $0.range(of: raw) == nil })
        }
    }

    @Test("a sealer with another key cannot open the CAs")
    func wrongSealerKey() async throws {
        let fixture = try await PKIFixture.make()
        defer { fixture.remove() }
        await #expect(throws: SmartNationError(.identitySecretUnreadable)) {
            _ = try await NationalPKI.open(database: fixture.database, sealer: SecretSealer.random())
        }
    }

    @Test("a configuration with an unusable CRL URL is refused")
    func configurationChecked() async throws {
        let fixture = try await PKIFixture.make()
        defer { fixture.remove() }
        await #expect(throws: SmartNationError(.configurationInvalidValue)) {
            _ = try await NationalPKI.open(
                database: fixture.database, sealer: fixture.sealer, configuration: .init(crlBaseURL: "ftp://example.org/crl"))
        }
    }

    @Test("printing the PKI, as a careless log line would, never shows a CA key")
    func keysNeverPrinted() async throws {
        let fixture = try await PKIFixture.make()
        defer { fixture.remove() }
        let printed = [String(describing: fixture.pki), String(reflecting: fixture.pki), "\(fixture.pki.issuing)"].joined()
        for key in [try Self.rootKey(fixture), fixture.pki.issuing.privateKey] {
            let hex = key.rawRepresentation.map { String(format: "%02x", $0) }.joined()
            #expect(!printed.lowercased().contains(hex))
            #expect(!printed.contains(key.rawRepresentation.base64EncodedString()))
            #expect(!printed.contains(String(describing: Array(key.rawRepresentation))))
        }
        #expect(printed.contains("Smart Nation Issuing CA 1"))
    }

    @Test("an opened PKI never unseals the root CA's key: it opens and issues with the sealed root key unreadable")
    func rootKeyNotUnsealed() async throws {
        let fixture = try await PKIFixture.make()
        defer { fixture.remove() }
        try await fixture.database.write { db in
            try db.execute(sql: "UPDATE pki_authority SET sealed_private_key = zeroblob(60) WHERE role = 'root'")
        }
        let reopened = try await NationalPKI.open(database: fixture.database, sealer: fixture.sealer)
        #expect(reopened.rootCertificate == fixture.pki.rootCertificate)
        let issued = try await reopened.issueCitizenCertificate(
            subject: fixture.subject, signingRequest: try signingRequest(commonName: fixture.subject, key: Certificate.PrivateKey(P256.Signing.PrivateKey())))
        #expect(!issued.derEncoded.isEmpty, "it issues with the issuing CA's key alone")
    }

    /// The root CA's private key, unsealed from the database as only the PKI's creation needs it.
    private static func rootKey(_ fixture: PKIFixture) throws -> P256.Signing.PrivateKey {
        let sealed = try fixture.database.read { db in
            try Data.fetchOne(db, sql: "SELECT sealed_private_key FROM pki_authority WHERE role = 'root'")
        }
        return try P256.Signing.PrivateKey(rawRepresentation: try fixture.sealer.open(try #require(sealed), context: "pki.root"))
    }
}
