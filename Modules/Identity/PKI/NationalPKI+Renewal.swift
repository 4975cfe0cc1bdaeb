import Foundation
import SmartNationCore
import Synchronization
import X509

/// The root certificate and the issuing CA a ``NationalPKI`` publishes and signs with, replaced
/// together when their certificates are renewed.
final class AuthoritiesInUse: Sendable {
    /// The root CA's certificate, in DER, and the issuing CA (its certificate and key).
    typealias Authorities = (rootCertificate: Data, issuing: CertificateAuthority)

    private let state: Mutex<Authorities>

    init(rootCertificate: Data, issuing: CertificateAuthority) {
        state = Mutex((rootCertificate, issuing))
    }

    /// The certificates in use, read together.
    var current: Authorities { state.withLock { $0 } }

    /// Puts renewed certificates in use.
    func replace(with authorities: Authorities) {
        state.withLock { $0 = authorities }
    }
}

extension NationalPKI {
    /// How close to its end the issuing CA's certificate is renewed: the longest validity of an
    /// end-entity certificate, so that every certificate gets its full validity — but at most half
    /// the issuing CA's and the root's own validity, so a renewed certificate is not due again at once.
    public var issuingRenewalLead: TimeInterval {
        min(max(configuration.citizenValidity, configuration.deviceValidity), configuration.issuingValidity / 2, configuration.rootValidity / 2)
    }

    /// How close to its end the root's certificate is renewed, when the issuing CA's is: the issuing
    /// CA's validity, so the renewed issuing CA gets all of it — but at most half the root's own.
    public var rootRenewalLead: TimeInterval {
        min(configuration.issuingValidity, configuration.rootValidity / 2)
    }

    /// The root's certificate and the issuing CA to sign and verify with at `now`, their certificates
    /// first renewed when the issuing CA's ends within ``issuingRenewalLead``.
    ///
    /// A renewal certifies the same keys again under the same names, with new serials: the root
    /// signs the issuing CA's key with a validity from its first certificate's start to
    /// `Configuration.issuingValidity` from now, and first, when the root's own certificate ends within
    /// ``rootRenewalLead``, certifies its own key again the same way. Because the keys, names and
    /// starts are kept, every certificate, CRL and signature made before verifies under the new
    /// certificates, and the CRLs go on as they were. The new certificates are stored with an
    /// ``AuthorityRenewed`` event each, in one transaction, unless another process renewed them
    /// first — then its certificates are used. The root's key is unsealed only for this.
    func authorities(at now: Date) async throws(SmartNationError) -> AuthoritiesInUse.Authorities {
        let current = inUse.current
        guard Self.ends(current.issuing, within: issuingRenewalLead, of: now) else { return current }
        return try await renewAuthorities(at: now)
    }

    /// Renews the CAs' certificates when due (``authorities(at:)``), or takes up a renewal
    /// another process stored, so ``rootCertificate``, ``issuingCertificate`` and ``chainPEM`` are
    /// current. Serving the chain calls this first; issuing and verifying do it themselves.
    public func renewAuthoritiesIfDue() async throws(SmartNationError) {
        _ = try await authorities(at: Self.wholeSeconds(clock()))
    }

    private func renewAuthorities(at now: Date) async throws(SmartNationError) -> AuthoritiesInUse.Authorities {
        guard let stored = try await store.authorities() else { preconditionFailure("an open PKI has its CAs stored") }
        let key = inUse.current.issuing.privateKey
        var issuing = try CertificateAuthority(derEncoded: stored.issuingCertificate, privateKey: key)
        var rootCertificate = stored.rootCertificate
        if Self.ends(issuing, within: issuingRenewalLead, of: now) {
            var root = try Self.unsealRoot(of: stored, sealer: sealer)
            var events: [CloudEvent] = []
            if Self.ends(root, within: rootRenewalLead, of: now) {
                root = try root.recertifiedRoot(configuration: configuration, now: now)
                events.append(try renewalEvent(of: .root, root, at: now))
            }
            issuing = try root.recertified(issuing, configuration: configuration, now: now)
            events.append(try renewalEvent(of: .issuing, issuing, at: now))
            var renewed = stored
            renewed.rootCertificate = root.derEncoded
            renewed.issuingCertificate = issuing.derEncoded
            let storedAfter = try await store.renewAuthorities(stored, to: renewed, announcing: events)
            rootCertificate = storedAfter.rootCertificate
            issuing = try CertificateAuthority(derEncoded: storedAfter.issuingCertificate, privateKey: key)
        }
        inUse.replace(with: (rootCertificate, issuing))
        return (rootCertificate, issuing)
    }

    private static func ends(_ authority: CertificateAuthority, within lead: TimeInterval, of now: Date) -> Bool {
        authority.certificate.notValidAfter.timeIntervalSince(now) < lead
    }

    private func renewalEvent(of role: AuthorityRole, _ authority: CertificateAuthority, at now: Date) throws(SmartNationError) -> CloudEvent {
        try CloudEvent(
            AuthorityRenewed(
                role: role, serialNumber: authority.certificate.serialNumber.hexadecimal,
                notAfter: EventTimestamp.format(authority.certificate.notValidAfter)),
            source: identityEventSource, time: now)
    }
}
