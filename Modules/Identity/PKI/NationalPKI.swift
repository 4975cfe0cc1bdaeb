import Crypto
import Foundation
import GRDB
import SmartNationCore
import X509

/// The national PKI: a root CA and an issuing CA (P-256), certificates for citizens and devices issued
/// from PKCS#10 requests, revocation with a CRL reissued on every change, and verification of
/// citizens' CMS document signatures. Each CA publishes a CRL (``currentCRL(of:)``): the issuing
/// CA's lists revoked certificates, the root's the revoked CAs (none), so relying parties can check
/// the whole chain.
///
/// The CAs are created the first time the PKI is opened and reused afterwards; their private keys are
/// stored sealed by ``SecretSealer`` (contexts `pki.root`, `pki.issuing`). Only the issuing CA's is
/// unsealed when the PKI opens, and kept in memory to sign; the root's is unsealed only while the
/// CAs are first made, while the root's CRL is signed — on a request for it when none is stored
/// or the stored one is past half of ``Configuration/revocationListValidity`` — and while the CAs'
/// certificates are renewed before they end (``authorities(at:)``), and is not kept beyond
/// that signing. (The sealing key itself stays in memory, so this narrows what a memory
/// disclosure exposes; it does not make the root key safe from one.) Issuing and revoking announce
/// `sg.smartnation.identity.certificate.issued` / `….revoked` through the identity outbox in the
/// same transaction.
///
/// ```swift
/// let pki = try await NationalPKI.open(database: database, sealer: sealer)
/// let certificate = try await pki.issueCitizenCertificate(subject: citizen.subject, signingRequest: csrDER)
/// let outcome = try await pki.verifySignature(signature, of: document)
/// ```
public struct NationalPKI: Sendable {
    /// The largest certificate signing request accepted, in bytes.
    public static let signingRequestSizeMax = 16 * 1024
    /// The largest document signed or verified, in bytes.
    public static let documentSizeMax = 16 * 1024 * 1024
    /// The largest CMS signature verified, in bytes.
    public static let signatureSizeMax = 64 * 1024
    /// The longest subject (citizen subject or device id) certified, in characters.
    public static let subjectLengthMax = 64
    /// The most live (unrevoked, unexpired) certificates of one kind a subject may hold, and the
    /// most it may be issued in any day, revoked or not — so neither the table nor the CRL grows
    /// without bound from one citizen's requests.
    public static let certificatesPerSubjectMax = 10

    /// What the certificates say and how long they last.
    public let configuration: Configuration
    let store: any PKIStore
    let sealer: SecretSealer
    let clock: @Sendable () -> Date
    /// The CA certificates in use, replaced when they are renewed.
    let inUse: AuthoritiesInUse

    /// Opens the PKI over the identity database, creating the CAs the first time.
    ///
    /// - Throws: ``SmartNationError/Code/identitySecretUnreadable`` when the stored keys do not open
    ///   under `sealer`'s key; ``SmartNationError/Code/configurationInvalidValue`` for a configuration
    ///   no certificate can be built from.
    public static func open(
        database: DatabasePool, sealer: SecretSealer, configuration: Configuration = Configuration(),
        clock: @escaping @Sendable () -> Date = Date.init
    ) async throws(SmartNationError) -> NationalPKI {
        try await open(store: SQLitePKIStore(database: database), sealer: sealer, configuration: configuration, clock: clock)
    }

    /// Opens the PKI over any ``PKIStore``, creating the CAs the first time.
    public static func open(
        store: any PKIStore, sealer: SecretSealer, configuration: Configuration = Configuration(),
        clock: @escaping @Sendable () -> Date = Date.init
    ) async throws(SmartNationError) -> NationalPKI {
        try configuration.check()
        var stored = try await store.authorities()
        if stored == nil {
            let now = wholeSeconds(clock())
            let start = now.addingTimeInterval(-clockSkewAllowance)
            let root = try CertificateAuthority.makeRoot(configuration: configuration, now: start)
            let issuing = try root.makeIssuing(configuration: configuration, now: start)
            let firstList = try RevocationListBuilder(authority: issuing).make(
                number: 1, thisUpdate: start, nextUpdate: now.addingTimeInterval(configuration.revocationListValidity), entries: [])
            let created = StoredAuthorities(
                rootCertificate: root.derEncoded, rootSealedKey: sealer.seal(root.privateKey.rawRepresentation, context: "pki.root"),
                issuingCertificate: issuing.derEncoded,
                issuingSealedKey: sealer.seal(issuing.privateKey.rawRepresentation, context: "pki.issuing"))
            stored = try await store.createAuthorities(created, firstRevocationList: firstList)
        }
        guard let stored else { preconditionFailure("the CAs were just loaded or stored") }
        let pki = NationalPKI(
            configuration: configuration, store: store, sealer: sealer, clock: clock,
            inUse: AuthoritiesInUse(
                rootCertificate: stored.rootCertificate,
                issuing: try unseal(stored.issuingCertificate, key: stored.issuingSealedKey, context: "pki.issuing", sealer: sealer)))
        _ = try await pki.authorities(at: wholeSeconds(clock()))
        return pki
    }

    /// How far back certificates' `notBefore` and CRLs' `thisUpdate` are dated: a relying party
    /// whose clock runs a little behind would otherwise find a fresh certificate or CRL not yet
    /// valid (`openssl verify -crl_check`: "CRL is not yet valid").
    public static let clockSkewAllowance: TimeInterval = 300

    /// `date` without its fraction of a second: certificates and CRLs carry whole seconds, and the
    /// stored times must compare equal to what they carry.
    static func wholeSeconds(_ date: Date) -> Date {
        Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))
    }

    static func unseal(_ certificate: Data, key: Data, context: String, sealer: SecretSealer) throws(SmartNationError) -> CertificateAuthority {
        let raw = try sealer.open(key, context: context)
        guard let privateKey = try? P256.Signing.PrivateKey(rawRepresentation: raw) else {
            throw SmartNationError(.identitySecretUnreadable, parameters: ["context": context], httpStatus: 500)
        }
        return try CertificateAuthority(derEncoded: certificate, privateKey: privateKey)
    }

    /// The root CA with its key opened: for signing its CRL or renewing the CAs' certificates only.
    static func unsealRoot(of stored: StoredAuthorities, sealer: SecretSealer) throws(SmartNationError) -> CertificateAuthority {
        try unseal(stored.rootCertificate, key: stored.rootSealedKey, context: "pki.root", sealer: sealer)
    }

    private init(
        configuration: Configuration, store: any PKIStore, sealer: SecretSealer, clock: @escaping @Sendable () -> Date,
        inUse: AuthoritiesInUse
    ) {
        self.configuration = configuration
        self.store = store
        self.sealer = sealer
        self.clock = clock
        self.inUse = inUse
    }

    /// The root CA's certificate, in DER: the trust anchor relying parties install.
    public var rootCertificate: Data { inUse.current.rootCertificate }

    /// The issuing CA in use, held open to sign.
    var issuing: CertificateAuthority { inUse.current.issuing }

    /// The issuing CA's certificate, in DER: the intermediate between the root and every issued certificate.
    public var issuingCertificate: Data { issuing.derEncoded }

    /// The issuing and root CA certificates in PEM, issuing first: the `-CAfile` / `-untrusted`
    /// material a relying party needs.
    public var chainPEM: String {
        let (rootCertificate, issuing) = inUse.current
        return PEMText.encode(issuing.derEncoded, label: "CERTIFICATE") + PEMText.encode(rootCertificate, label: "CERTIFICATE")
    }

    /// Issues a citizen's signing certificate for the key in `signingRequest`, whose subject must be
    /// exactly `CN=<subject>`. `subject` is the citizen's opaque subject (never the NRIC), already
    /// authenticated by the caller; a closed account gets none (`identity.citizen.closed`), even when
    /// it closes while the request is being checked.
    public func issueCitizenCertificate(subject: String, signingRequest: Data) async throws(SmartNationError) -> IssuedCertificate {
        try await issue(.citizen, subject: subject, signingRequest: signingRequest)
    }

    /// Issues a device's client certificate for the key in `signingRequest`, whose subject must be
    /// exactly `CN=<deviceID>`.
    public func issueDeviceCertificate(deviceID: String, signingRequest: Data) async throws(SmartNationError) -> IssuedCertificate {
        try await issue(.device, subject: deviceID, signingRequest: signingRequest)
    }

    /// Issues a certificate; a refused request is audited as ``CertificateRequestRejected`` and
    /// stores nothing else.
    private func issue(_ kind: CertificateKind, subject: String, signingRequest: Data) async throws(SmartNationError) -> IssuedCertificate {
        do {
            return try await issueChecked(kind, subject: subject, signingRequest: signingRequest)
        } catch {
            guard error.httpStatus < 500 else { throw error }
            let event = try CloudEvent(
                CertificateRequestRejected(kind: kind, subject: subject.prefix(utf8ByteCount: Self.subjectLengthMax), code: error.code.rawValue),
                source: identityEventSource, time: clock())
            try await store.recordAudit(event)
            throw error
        }
    }

    private func issueChecked(_ kind: CertificateKind, subject: String, signingRequest: Data) async throws(SmartNationError) -> IssuedCertificate {
        guard !subject.isEmpty, subject.count <= Self.subjectLengthMax,
            subject.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_") })
        else {
            throw SmartNationError(.identityPKISubjectInvalid, parameters: ["expected": "1 to 64 letters, digits, - or _"])
        }
        let request = try SigningRequestCheck(signingRequest, commonName: subject)
        let now = Self.wholeSeconds(clock())
        let issuing = try await authorities(at: now).issuing
        assert(now < issuing.certificate.notValidAfter, "a renewed issuing CA is valid well past now")
        let notBefore = max(now.addingTimeInterval(-Self.clockSkewAllowance), issuing.certificate.notValidBefore)
        let notAfter = min(notBefore.addingTimeInterval(configuration.validity(of: kind)), issuing.certificate.notValidAfter)
        let serial = CertificateSerial.random()
        let certificate = try CertificateAuthority.sign {
            try Certificate(
                version: .v3, serialNumber: serial.certificateSerial, publicKey: request.publicKey,
                notValidBefore: notBefore, notValidAfter: notAfter, issuer: issuing.certificate.subject,
                subject: try configuration.distinguishedName(commonName: subject), signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try CertificateProfile(kind: kind).extensions(
                    publicKey: request.publicKey, issuerKeyIdentifier: issuing.keyIdentifier, crlURL: configuration.crlURL),
                issuerPrivateKey: Certificate.PrivateKey(issuing.privateKey))
        }
        let issued = IssuedCertificate(
            serialNumber: serial.hexadecimal, kind: kind, subject: subject, derEncoded: try CertificateAuthority.serialize(certificate),
            notBefore: notBefore, notAfter: notAfter, revocation: nil)
        let event = try CloudEvent(
            CertificateIssued(serialNumber: issued.serialNumber, kind: kind, subject: subject, notAfter: EventTimestamp.format(notAfter)),
            source: identityEventSource, subject: subject, time: now)
        try await store.insert(issued, announcing: event)
        return issued
    }

    /// The certificate with this serial number (hexadecimal, any case), revoked or not.
    public func certificate(serialNumber: String) async throws(SmartNationError) -> IssuedCertificate? {
        try await store.certificate(serialNumber: CertificateSerial(parsing: serialNumber).hexadecimal)
    }

    /// Every certificate issued to this citizen subject or device id, newest first.
    public func certificates(kind: CertificateKind, subject: String) async throws(SmartNationError) -> [IssuedCertificate] {
        try await store.certificates(kind: kind, subject: subject)
    }

    /// Revokes a certificate and reissues the issuing CA's CRL, in one step with the `certificate.revoked` event.
    /// A refusal is audited as ``CertificateRevocationRejected``, naming `requester` (the citizen
    /// subject asking, `nil` for an operator).
    ///
    /// - Throws: ``SmartNationError/Code/identityPKICertificateNotFound`` for a serial never issued,
    ///   ``SmartNationError/Code/identityPKICertificateRevoked`` when it is revoked already.
    public func revoke(serialNumber: String, reason: RevocationReason, requester: String? = nil) async throws(SmartNationError) -> IssuedCertificate {
        try await auditingRevocationRefusals(serialNumber: serialNumber, requester: requester) { () async throws(SmartNationError) in
            try await revokeUnaudited(serialNumber: serialNumber, reason: reason)
        }
    }

    /// Runs `body`, a caller's checks of a revocation request for `serialNumber` by `requester`
    /// (that the certificate is the caller's, that the reason is one of RFC 5280's), auditing a
    /// refusal as ``CertificateRevocationRejected`` as ``revoke(serialNumber:reason:requester:)``
    /// audits its own.
    public func auditingRevocationRefusals<Result: Sendable>(
        serialNumber: String, requester: String?, _ body: () async throws(SmartNationError) -> Result
    ) async throws(SmartNationError) -> Result {
        do {
            return try await body()
        } catch {
            guard error.httpStatus < 500 else { throw error }
            try await store.recordAudit(try CloudEvent(
                CertificateRevocationRejected(
                    serialNumber: serialNumber.prefix(utf8ByteCount: 64), requester: requester, code: error.code.rawValue),
                source: identityEventSource, subject: requester, time: clock()))
            throw error
        }
    }

    private func revokeUnaudited(serialNumber: String, reason: RevocationReason) async throws(SmartNationError) -> IssuedCertificate {
        let serial = try CertificateSerial(parsing: serialNumber).hexadecimal
        guard let certificate = try await store.certificate(serialNumber: serial) else {
            throw SmartNationError(.identityPKICertificateNotFound, httpStatus: 404)
        }
        let now = Self.wholeSeconds(clock())
        let event = try CloudEvent(
            CertificateRevoked(serialNumber: serial, kind: certificate.kind, subject: certificate.subject, reason: reason),
            source: identityEventSource, subject: certificate.subject, time: now)
        return try await store.revoke(
            serialNumber: serial, revocation: CertificateRevocation(date: now, reason: reason), announcing: event,
            reissue: revocationListMaker(signedBy: try await signer(of: .issuing), at: now))
    }

    /// Revokes every certificate of this kind and subject not yet revoked — expired ones too: the
    /// verifier checks validity at a signing time the signer states, so an expired certificate's key
    /// could otherwise still sign, backdated — each with its `certificate.revoked` event and a
    /// reissued CRL; returns those it revoked. Running it again revokes only what was issued since.
    public func revokeAll(kind: CertificateKind, subject: String, reason: RevocationReason) async throws(SmartNationError) -> [IssuedCertificate] {
        var revoked: [IssuedCertificate] = []
        for certificate in try await store.certificates(kind: kind, subject: subject) where certificate.revocation == nil {
            do {
                revoked.append(try await revokeUnaudited(serialNumber: certificate.serialNumber, reason: reason))
            } catch where error.code == .identityPKICertificateRevoked {
                continue
            }
        }
        return revoked
    }

    /// The current CRL of the CA in `role`, in DER, as `<crlBaseURL>/issuing.crl` or `…/root.crl`
    /// serves it. Reissued (with the next number) when half of its validity has passed, so a published
    /// CRL is never stale; the root's is first made when first asked for. Of concurrent requests
    /// that find it due, one reissues it and the others answer with that one: the store checks
    /// again in its transaction, and the root's key is unsealed there, only when it signs.
    public func currentCRL(of role: AuthorityRole = .issuing) async throws(SmartNationError) -> Data {
        let now = Self.wholeSeconds(clock())
        let reissueAfter = Self.clockSkewAllowance + configuration.revocationListValidity / 2
        let isCurrent: @Sendable (RevocationList) -> Bool = { list in
            now < list.thisUpdate.addingTimeInterval(reissueAfter) && now >= list.thisUpdate
        }
        if let list = try await store.revocationList(of: role), isCurrent(list) { return list.derEncoded }
        return try await store.reissueRevocationList(
            of: role, unlessCurrent: isCurrent, revocationListMaker(signedBy: try await signer(of: role), at: now)
        ).derEncoded
    }

    /// What gives the CA in `role` to sign a CRL: the issuing CA, held open; the root, unsealed only
    /// when the CRL is actually signed.
    private func signer(of role: AuthorityRole) async throws(SmartNationError) -> @Sendable () throws(SmartNationError) -> CertificateAuthority {
        switch role {
        case .issuing:
            let issuing = issuing
            return { issuing }
        case .root:
            guard let stored = try await store.authorities() else { preconditionFailure("an open PKI has its CAs stored") }
            let sealer = sealer
            return { () throws(SmartNationError) in
                try Self.unsealRoot(of: stored, sealer: sealer)
            }
        }
    }

    private func revocationListMaker(
        signedBy signer: @escaping @Sendable () throws(SmartNationError) -> CertificateAuthority, at now: Date
    ) -> RevocationListMaker {
        let thisUpdate = now.addingTimeInterval(-Self.clockSkewAllowance)
        let nextUpdate = now.addingTimeInterval(configuration.revocationListValidity)
        return { number, entries throws(SmartNationError) in
            try RevocationListBuilder(authority: try signer()).make(number: number, thisUpdate: thisUpdate, nextUpdate: nextUpdate, entries: entries)
        }
    }

    /// Checks a detached CMS signature over `document`: the signature, that it covers this document,
    /// the signer's chain to the root at the signed signingTime, and the issuing CA's current CRL. An invalid
    /// signature is a ``SignatureVerification/rejected(_:)`` value, not an error.
    ///
    /// - Throws: ``SmartNationError/Code/identityPKIInputTooLarge`` when the document or the signature
    ///   is over its limit (``documentSizeMax``, ``signatureSizeMax``).
    public func verifySignature(_ signature: Data, of document: Data) async throws(SmartNationError) -> SignatureVerification {
        guard document.count <= Self.documentSizeMax, signature.count <= Self.signatureSizeMax else {
            throw SmartNationError(
                .identityPKIInputTooLarge,
                parameters: ["documentMaximum": String(Self.documentSizeMax), "signatureMaximum": String(Self.signatureSizeMax)],
                httpStatus: 413)
        }
        let (rootCertificate, issuing) = try await authorities(at: Self.wholeSeconds(clock()))
        let verifier = SignatureVerifier(
            rootCertificate: rootCertificate, issuingCertificate: issuing.derEncoded, revocationList: try await currentCRL(), now: clock())
        return try verifier.verify(signature, of: document)
    }
}
