import Crypto
import Foundation
import GRDB
import SmartNationCore
import SwiftASN1
import Testing
import X509

@testable import Identity

@Suite("National PKI: the CAs' certificates are renewed before they end")
struct PKIRenewalTests {
    static let document = Data("Lease renewal, 1 Punggol Field #12-34.\n".utf8)

    /// A citizen certificate issued now, and a signature made with it now.
    private func signedNow(_ fixture: PKIFixture) async throws -> (certificate: IssuedCertificate, signature: Data, signingTime: Date) {
        let (certificate, key) = try await fixture.issueCitizen()
        let signature = try DocumentSigner.sign(
            Self.document, certificate: certificate.derEncoded, chain: [fixture.pki.issuingCertificate], privateKey: key,
            signingTime: fixture.clock.now)
        return (certificate, signature, fixture.clock.now)
    }

    /// Moves the clock to `offset` seconds after the moment `certificate` comes within `lead` of its end.
    private func advance(_ fixture: PKIFixture, to offset: TimeInterval, afterRenewalPointOf certificate: Data, lead: TimeInterval) throws {
        let end = try Certificate(derEncoded: Array(certificate)).notValidAfter
        fixture.clock.advance(by: end.timeIntervalSince(fixture.clock.now) - lead + offset)
    }

    /// The `authority.renewed` events in the outbox, oldest first.
    private func renewals(_ fixture: PKIFixture) async throws -> [AuthorityRenewed] {
        try await fixture.outboxEvents().filter { $0.type == AuthorityRenewed.eventType }.map { try $0.decodeData(as: AuthorityRenewed.self) }
    }

    @Test("near its end the issuing CA is certified again with the same key, name and start; what it issued and signed before still verifies")
    func issuingRenewal() async throws {
        let fixture = try await PKIFixture.make()
        defer { fixture.remove() }
        let original = try Certificate(derEncoded: Array(fixture.pki.issuingCertificate))
        let rootBefore = fixture.pki.rootCertificate
        let (earlier, signedEarlier, signingTime) = try await signedNow(fixture)

        try advance(fixture, to: -60, afterRenewalPointOf: fixture.pki.issuingCertificate, lead: fixture.pki.issuingRenewalLead)
        _ = try await fixture.issueCitizen()
        #expect(fixture.pki.issuingCertificate == Data(try derEncoded(original)), "not yet due: the certificate is kept")
        #expect(try await renewals(fixture).isEmpty)

        fixture.clock.advance(by: 120)
        let (later, _) = try await fixture.issueCitizen()
        let renewed = try Certificate(derEncoded: Array(fixture.pki.issuingCertificate))
        #expect(renewed.serialNumber != original.serialNumber)
        #expect(renewed.publicKey == original.publicKey && renewed.subject == original.subject && renewed.issuer == original.issuer)
        #expect(renewed.notValidBefore == original.notValidBefore, "it keeps its start, so whatever was signed before falls within it")
        #expect(renewed.notValidAfter == fixture.clock.now.addingTimeInterval(fixture.pki.configuration.issuingValidity))
        #expect(try renewed.extensions.basicConstraints == original.extensions.basicConstraints)
        #expect(try renewed.extensions.keyUsage == original.extensions.keyUsage)
        #expect(Array(renewed.extensions) == Array(original.extensions), "the same profile: constraints, key usage, key identifiers, CRL")
        let root = try Certificate(derEncoded: Array(rootBefore))
        #expect(root.publicKey.isValidSignature(renewed.signature, for: renewed), "the root certifies it")
        #expect(fixture.pki.rootCertificate == rootBefore, "the root, far from its end, is not renewed")

        let laterCertificate = try Certificate(derEncoded: Array(later.derEncoded))
        #expect(laterCertificate.notValidAfter == laterCertificate.notValidBefore.addingTimeInterval(fixture.pki.configuration.citizenValidity),
                "every certificate gets its full validity: the renewal comes while the old certificate still covers it")
        let earlierCertificate = try Certificate(derEncoded: Array(earlier.derEncoded))
        #expect(renewed.publicKey.isValidSignature(earlierCertificate.signature, for: earlierCertificate))
        #expect(try await fixture.pki.verifySignature(signedEarlier, of: Self.document)
                == .valid(SignatureSigner(subject: fixture.subject, serialNumber: earlier.serialNumber, signingTime: signingTime)),
                "a signature made years before the renewal still verifies")
        let crl = try await fixture.pki.currentCRL()
        #expect(try ParsedRevocationList(crl, issuer: fixture.pki.issuingCertificate).signedByIssuer, "the CRL goes on under the same key")

        let announced = try await renewals(fixture)
        #expect(announced == [AuthorityRenewed(
            role: .issuing, serialNumber: renewed.serialNumber.hexadecimal, notAfter: EventTimestamp.format(renewed.notValidAfter))])
        let reopened = try await NationalPKI.open(database: fixture.database, sealer: fixture.sealer, clock: { fixture.clock.now })
        #expect(reopened.issuingCertificate == fixture.pki.issuingCertificate, "the renewed certificate is the stored one")
        _ = try await fixture.issueCitizen()
        #expect(try await renewals(fixture).count == 1, "a renewed certificate is not due again")
    }

    @Test("when the issuing CA is renewed near the root's end, the root is certified again first, with the same key, name and start")
    func rootRenewal() async throws {
        let fixture = try await PKIFixture.make()
        defer { fixture.remove() }
        let originalRoot = try Certificate(derEncoded: Array(fixture.pki.rootCertificate))
        let (earlier, signedEarlier, signingTime) = try await signedNow(fixture)
        try advance(fixture, to: 60, afterRenewalPointOf: fixture.pki.rootCertificate, lead: fixture.pki.rootRenewalLead)
        _ = try await fixture.issueCitizen()
        let root = try Certificate(derEncoded: Array(fixture.pki.rootCertificate))
        let issuing = try Certificate(derEncoded: Array(fixture.pki.issuingCertificate))
        #expect(root.serialNumber != originalRoot.serialNumber)
        #expect(root.publicKey == originalRoot.publicKey && root.subject == originalRoot.subject && root.issuer == originalRoot.subject)
        #expect(root.notValidBefore == originalRoot.notValidBefore)
        #expect(root.notValidAfter == fixture.clock.now.addingTimeInterval(fixture.pki.configuration.rootValidity))
        #expect(root.publicKey.isValidSignature(root.signature, for: root), "self-signed")
        #expect(root.publicKey.isValidSignature(issuing.signature, for: issuing))
        #expect(issuing.notValidAfter == fixture.clock.now.addingTimeInterval(fixture.pki.configuration.issuingValidity))
        #expect(try await renewals(fixture).map(\.role) == [.root, .issuing])
        #expect(try await fixture.pki.verifySignature(signedEarlier, of: Self.document)
                == .valid(SignatureSigner(subject: fixture.subject, serialNumber: earlier.serialNumber, signingTime: signingTime)),
                "a signature made before both renewals verifies under the renewed chain")
        #expect(try ParsedRevocationList(try await fixture.pki.currentCRL(of: .root), issuer: fixture.pki.rootCertificate).signedByIssuer)
    }

    @Test("a PKI that issues nothing picks up another's renewal once its own certificates are due: for its chain and for verifying")
    func renewalSeenWithoutIssuing() async throws {
        let fixture = try await PKIFixture.make()
        defer { fixture.remove() }
        let reader = try await NationalPKI.open(database: fixture.database, sealer: fixture.sealer, clock: { fixture.clock.now })
        let original = reader.issuingCertificate
        try advance(fixture, to: 60, afterRenewalPointOf: original, lead: fixture.pki.issuingRenewalLead)
        _ = try await fixture.issueCitizen()
        #expect(reader.issuingCertificate == original, "not asked yet")
        try await reader.renewAuthoritiesIfDue()
        #expect(reader.issuingCertificate == fixture.pki.issuingCertificate && reader.issuingCertificate != original)
        #expect(try await renewals(fixture).count == 1, "it used the stored renewal rather than making its own")
    }

    @Test("concurrent issuances that find the issuing CA due renew it once")
    func concurrentRenewal() async throws {
        let fixture = try await PKIFixture.make()
        defer { fixture.remove() }
        let other = try await NationalPKI.open(database: fixture.database, sealer: fixture.sealer, clock: { fixture.clock.now })
        try advance(fixture, to: 60, afterRenewalPointOf: fixture.pki.issuingCertificate, lead: fixture.pki.issuingRenewalLead)
        let issued = try await withThrowingTaskGroup(of: IssuedCertificate.self) { group in
            for index in 0..<6 {
                let pki = index.isMultiple(of: 2) ? fixture.pki : other
                group.addTask {
                    let key = P256.Signing.PrivateKey()
                    return try await pki.issueCitizenCertificate(
                        subject: fixture.subject, signingRequest: try signingRequest(commonName: fixture.subject, key: Certificate.PrivateKey(key)))
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(issued.count == 6)
        #expect(try await renewals(fixture).count == 1, "one renewal is stored, by whichever came first: the others find it stored and use it")
        let stored = try await NationalPKI.open(database: fixture.database, sealer: fixture.sealer, clock: { fixture.clock.now })
        #expect(fixture.pki.issuingCertificate == stored.issuingCertificate && other.issuingCertificate == stored.issuingCertificate)
    }
}
