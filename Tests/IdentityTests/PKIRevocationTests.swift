import Crypto
import Foundation
import GRDB
import SmartNationCore
import SwiftASN1
import Testing
import X509

@testable import Identity

@Suite("National PKI: revocation and the CRL")
struct PKIRevocationTests {
    @Test("the first CRL is number 1, signed by the issuing CA, and lists nothing")
    func firstRevocationList() async throws {
        let fixture = try await PKIFixture.make()
        defer { fixture.remove() }
        let list = try ParsedRevocationList(try await fixture.pki.currentCRL(), issuer: fixture.pki.issuingCertificate)
        #expect(list.signedByIssuer)
        #expect(list.number == 1)
        #expect(list.revokedSerials.isEmpty)
    }

    @Test("the root publishes a CRL of its own, signed by the root, listing no CA; revoking a certificate leaves it be; it is reissued as it ages")
    func rootRevocationList() async throws {
        let fixture = try await PKIFixture.make()
        defer { fixture.remove() }
        let first = try await fixture.pki.currentCRL(of: .root)
        let parsed = try ParsedRevocationList(first, issuer: fixture.pki.rootCertificate)
        #expect(parsed.signedByIssuer)
        #expect(try ParsedRevocationList(first, issuer: fixture.pki.issuingCertificate).signedByIssuer == false)
        #expect(parsed.number == 1)
        #expect(parsed.revokedSerials.isEmpty)
        let (issued, _) = try await fixture.issueCitizen()
        _ = try await fixture.pki.revoke(serialNumber: issued.serialNumber, reason: .keyCompromise)
        #expect(try await fixture.pki.currentCRL(of: .root) == first, "a certificate's revocation is the issuing CA's to list")
        #expect(try ParsedRevocationList(try await fixture.pki.currentCRL(), issuer: fixture.pki.issuingCertificate).number == 2,
                "the issuing CA's numbers run on their own")
        fixture.clock.advance(by: 4 * 86_400)
        let aged = try ParsedRevocationList(try await fixture.pki.currentCRL(of: .root), issuer: fixture.pki.rootCertificate)
        #expect(aged.number == 2)
        #expect(aged.revokedSerials.isEmpty)
    }

    @Test("concurrent first requests for the root's CRL make one, numbered 1, and all answer with it")
    func concurrentFirstRootRevocationList() async throws {
        let fixture = try await PKIFixture.make()
        defer { fixture.remove() }
        let pki = fixture.pki
        let answers = try await withThrowingTaskGroup(of: Data.self) { group in
            for _ in 0..<8 { group.addTask { try await pki.currentCRL(of: .root) } }
            return try await group.reduce(into: Set<Data>()) { $0.insert($1) }
        }
        #expect(answers.count == 1)
        #expect(try ParsedRevocationList(try #require(answers.first), issuer: pki.rootCertificate).number == 1)
    }

    @Test("revoking puts the serial and reason on a new CRL with a higher number, and announces it")
    func revokeListsSerial() async throws {
        let fixture = try await PKIFixture.make()
        defer { fixture.remove() }
        let (first, _) = try await fixture.issueCitizen()
        let (second, _) = try await fixture.issueCitizen()
        fixture.clock.advance(by: 60)
        let revoked = try await fixture.pki.revoke(serialNumber: first.serialNumber, reason: .keyCompromise)
        #expect(revoked.revocation == CertificateRevocation(date: fixture.clock.now, reason: .keyCompromise))
        #expect(try await fixture.pki.certificate(serialNumber: first.serialNumber)?.revocation == revoked.revocation)
        let afterFirst = try ParsedRevocationList(try await fixture.pki.currentCRL(), issuer: fixture.pki.issuingCertificate)
        #expect(afterFirst.signedByIssuer)
        #expect(afterFirst.number == 2)
        #expect(afterFirst.revokedSerials == [first.serialNumber: 1])
        _ = try await fixture.pki.revoke(serialNumber: second.serialNumber, reason: .unspecified)
        let afterSecond = try ParsedRevocationList(try await fixture.pki.currentCRL(), issuer: fixture.pki.issuingCertificate)
        #expect(afterSecond.number == 3)
        #expect(afterSecond.revokedSerials == [first.serialNumber: 1, second.serialNumber: 0])
        let event = try #require(try await fixture.outboxEvents().first { $0.type == CertificateRevoked.eventType })
        #expect(
            try event.decodeData(as: CertificateRevoked.self)
                == CertificateRevoked(serialNumber: first.serialNumber, kind: .citizen, subject: fixture.subject, reason: .keyCompromise))
    }

    @Test("revoking twice, an unknown serial or a malformed one is refused, audited, and changes nothing else")
    func refusedRevocations() async throws {
        let fixture = try await PKIFixture.make()
        defer { fixture.remove() }
        let (issued, _) = try await fixture.issueCitizen()
        _ = try await fixture.pki.revoke(serialNumber: issued.serialNumber, reason: .superseded)
        let events = try await fixture.outboxEvents().count
        let crl = try await fixture.pki.currentCRL()
        await #expect(throws: SmartNationError(.identityPKICertificateRevoked)) {
            _ = try await fixture.pki.revoke(serialNumber: issued.serialNumber, reason: .keyCompromise)
        }
        await #expect(throws: SmartNationError(.identityPKICertificateNotFound)) {
            _ = try await fixture.pki.revoke(serialNumber: "0123456789abcdef0123456789abcdef", reason: .keyCompromise, requester: fixture.subject)
        }
        for malformed in ["", "xyz", "00", String(repeating: "a", count: 41)] {
            await #expect(throws: SmartNationError(.identityPKISerialMalformed)) {
                _ = try await fixture.pki.revoke(serialNumber: malformed, reason: .keyCompromise)
            }
        }
        let audited = try await fixture.outboxEvents().dropFirst(events).map { try $0.decodeData(as: CertificateRevocationRejected.self) }
        #expect(audited.map(\.code) == [SmartNationError.Code.identityPKICertificateRevoked, .identityPKICertificateNotFound].map(\.rawValue)
            + Array(repeating: SmartNationError.Code.identityPKISerialMalformed.rawValue, count: 4))
        #expect(audited.last?.serialNumber == String(repeating: "a", count: 41), "the serial as named")
        #expect(audited.map(\.requester) == [nil, fixture.subject, nil, nil, nil, nil], "a citizen's refused request names them")
        #expect(try await fixture.pki.currentCRL() == crl)
        #expect(try await fixture.pki.certificate(serialNumber: issued.serialNumber)?.revocation?.reason == .superseded)
    }

    @Test("the CRL is reissued with the next number once half its validity has passed")
    func reissuedWhenAging() async throws {
        let fixture = try await PKIFixture.make()
        defer { fixture.remove() }
        let first = try await fixture.pki.currentCRL()
        fixture.clock.advance(by: 3 * 86_400)
        #expect(try await fixture.pki.currentCRL() == first)
        fixture.clock.advance(by: 86_400)
        let second = try ParsedRevocationList(try await fixture.pki.currentCRL(), issuer: fixture.pki.issuingCertificate)
        #expect(second.number == 2)
    }

    @Test("revokeAll revokes a subject's certificates of one kind, expired ones too, skips the revoked, and finds nothing more the second time")
    func revokeAllOfSubject() async throws {
        let fixture = try await PKIFixture.make()
        defer { fixture.remove() }
        let (expiring, _) = try await fixture.issueCitizen()
        fixture.clock.advance(by: expiring.notAfter.timeIntervalSince(fixture.clock.now) - 60)
        let (live, _) = try await fixture.issueCitizen()
        let (alreadyRevoked, _) = try await fixture.issueCitizen()
        _ = try await fixture.pki.revoke(serialNumber: alreadyRevoked.serialNumber, reason: .keyCompromise)
        fixture.clock.advance(by: 120)
        let revoked = try await fixture.pki.revokeAll(kind: .citizen, subject: fixture.subject, reason: .cessationOfOperation)
        #expect(Set(revoked.map(\.serialNumber)) == [live.serialNumber, expiring.serialNumber])
        #expect(try await fixture.pki.certificate(serialNumber: expiring.serialNumber)?.revocation?.reason == .cessationOfOperation,
                "an expired certificate's key could still sign with a backdated signing time")
        #expect(try await fixture.pki.certificate(serialNumber: alreadyRevoked.serialNumber)?.revocation?.reason == .keyCompromise)
        #expect(try await fixture.pki.revokeAll(kind: .citizen, subject: fixture.subject, reason: .cessationOfOperation).isEmpty)
        #expect(try await fixture.pki.revokeAll(kind: .device, subject: fixture.subject, reason: .cessationOfOperation).isEmpty)
    }
}
