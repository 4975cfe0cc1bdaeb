import COpenSSL
import Crypto
import Foundation
import GRDB
import SmartNationCore
import SwiftASN1
import X509

@testable import Identity

/// A fresh identity database with one citizen and a national PKI opened over it, on a clock moved by hand.
struct PKIFixture {
    let environment: IdentityTestEnvironment
    let sealer: SecretSealer
    let pki: NationalPKI

    var clock: ManualClock { environment.clock }
    var database: DatabasePool { environment.database }
    var subject: String { environment.subject }

    static func make(configuration: NationalPKI.Configuration = NationalPKI.Configuration()) async throws -> PKIFixture {
        let environment = try await IdentityTestEnvironment.make(
            registering: CitizenRegistration(
                nric: "S9812381D", name: "Lim Mei Ling", dateOfBirth: "1998-02-01", sex: .female, nationality: "SINGAPORE CITIZEN",
                address: try RegisteredAddress(block: "1", street: "Punggol Field", postalCode: "828731")))
        let sealer = SecretSealer.random()
        let clock = environment.clock
        let pki = try await NationalPKI.open(
            database: environment.database, sealer: sealer, configuration: configuration, clock: { clock.now })
        return PKIFixture(environment: environment, sealer: sealer, pki: pki)
    }

    func remove() {
        environment.remove()
    }

    /// Issues a citizen certificate for a new key.
    func issueCitizen() async throws -> (IssuedCertificate, P256.Signing.PrivateKey) {
        let key = P256.Signing.PrivateKey()
        let certificate = try await pki.issueCitizenCertificate(
            subject: subject, signingRequest: try signingRequest(commonName: subject, key: Certificate.PrivateKey(key)))
        return (certificate, key)
    }

    /// Every event in the outbox, oldest first.
    func outboxEvents() async throws -> [CloudEvent] {
        try await database.read { db in
            try Data.fetchAll(db, sql: "SELECT envelope FROM outbox_event ORDER BY sequence").map {
                try CloudEventCoding.decode(Array($0))
            }
        }
    }

    /// How many certificates are stored.
    func storedCertificateCount() async throws -> Int {
        try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM pki_certificate") ?? 0 }
    }
}

/// A PKCS#10 request for `CN=<commonName>`, in DER, signed by `key`.
func signingRequest(commonName: String, key: Certificate.PrivateKey) throws -> Data {
    let request = try CertificateSigningRequest(
        version: .v1, subject: DistinguishedName { CommonName(commonName) }, privateKey: key, attributes: .init())
    return try derEncoded(request)
}

/// Any swift-certificates value in DER.
func derEncoded(_ value: some DERSerializable) throws -> Data {
    var serializer = DER.Serializer()
    try serializer.serialize(value)
    return Data(serializer.serializedBytes)
}

/// What a CRL says, read with OpenSSL.
struct ParsedRevocationList {
    let number: Int
    let revokedSerials: [String: Int]
    let signedByIssuer: Bool

    /// Reads a DER CRL and checks its signature with the issuing CA's key.
    init(_ der: Data, issuer: Data) throws {
        var cursor: UnsafePointer<UInt8>?
        let crl: OpaquePointer? = der.withUnsafeBytes { raw in
            cursor = raw.baseAddress?.assumingMemoryBound(to: UInt8.self)
            return d2i_X509_CRL(nil, &cursor, raw.count)
        }
        let issuerCertificate: OpaquePointer? = issuer.withUnsafeBytes { raw in
            cursor = raw.baseAddress?.assumingMemoryBound(to: UInt8.self)
            return d2i_X509(nil, &cursor, raw.count)
        }
        guard let crl, let issuerCertificate else { throw CocoaError(.fileReadCorruptFile) }
        defer {
            X509_CRL_free(crl)
            X509_free(issuerCertificate)
        }
        signedByIssuer = X509_CRL_verify(crl, X509_get0_pubkey(issuerCertificate)) == 1
        let numberValue = X509_CRL_get_ext_d2i(crl, NID_crl_number, nil, nil)
        let numberInteger = numberValue?.assumingMemoryBound(to: ASN1_INTEGER.self)
        number = numberInteger.map { Int(ASN1_INTEGER_get($0)) } ?? -1
        ASN1_INTEGER_free(numberInteger)
        var serials: [String: Int] = [:]
        if let revoked = X509_CRL_get_REVOKED(crl) {
            for index in 0..<OPENSSL_sk_num(revoked) {
                let entry = OpaquePointer(OPENSSL_sk_value(revoked, index))
                let number = ASN1_INTEGER_to_BN(X509_REVOKED_get0_serialNumber(entry), nil)
                defer { BN_free(number) }
                let reasonValue = X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, nil, nil)?
                    .assumingMemoryBound(to: ASN1_ENUMERATED.self)
                defer { ASN1_ENUMERATED_free(reasonValue) }
                if let hex = BN_bn2hex(number) {
                    serials[String(cString: hex).lowercased()] = reasonValue.map { Int(ASN1_ENUMERATED_get($0)) } ?? 0
                    CRYPTO_free(hex, #file, #line)
                }
            }
        }
        revokedSerials = serials
    }
}
