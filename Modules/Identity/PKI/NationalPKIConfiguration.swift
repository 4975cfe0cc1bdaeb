import Foundation
import SmartNationCore
import X509

extension NationalPKI {
    /// What the PKI's certificates say and how long they last. The defaults suit a single machine.
    public struct Configuration: Sendable, Hashable {
        /// One year of 365 days, in seconds.
        public static let year: TimeInterval = 365 * 86_400

        /// Where the CRLs are published, without the file name: certificates carry
        /// `<crlBaseURL>/issuing.crl` as their CRL distribution point, and the issuing CA's
        /// certificate `<crlBaseURL>/root.crl`.
        public var crlBaseURL: String
        /// The organisation (O) in every certificate's subject.
        public var organisation: String
        /// The country (C) in every certificate's subject, two letters.
        public var country: String
        /// The root CA's common name.
        public var rootCommonName: String
        /// The issuing CA's common name.
        public var issuingCommonName: String
        /// How long the root CA is valid, in seconds.
        public var rootValidity: TimeInterval
        /// How long the issuing CA is valid, in seconds (never beyond the root).
        public var issuingValidity: TimeInterval
        /// How long a citizen's certificate is valid, in seconds.
        public var citizenValidity: TimeInterval
        /// How long a device's certificate is valid, in seconds.
        public var deviceValidity: TimeInterval
        /// How long a CRL is valid (its nextUpdate after its thisUpdate), in seconds. The issuing CA's
        /// CRL is reissued on every revocation; each CA's, when asked for once half of this has passed.
        public var revocationListValidity: TimeInterval

        /// A configuration; every value has a default.
        public init(
            crlBaseURL: String = "http://127.0.0.1:8080/pki/crl",
            organisation: String = "Smart Nation",
            country: String = "SG",
            rootCommonName: String = "Smart Nation Root CA",
            issuingCommonName: String = "Smart Nation Issuing CA 1",
            rootValidity: TimeInterval = 20 * year,
            issuingValidity: TimeInterval = 10 * year,
            citizenValidity: TimeInterval = 2 * year,
            deviceValidity: TimeInterval = 1 * year,
            revocationListValidity: TimeInterval = 7 * 86_400
        ) {
            self.crlBaseURL = crlBaseURL
            self.organisation = organisation
            self.country = country
            self.rootCommonName = rootCommonName
            self.issuingCommonName = issuingCommonName
            self.rootValidity = rootValidity
            self.issuingValidity = issuingValidity
            self.citizenValidity = citizenValidity
            self.deviceValidity = deviceValidity
            self.revocationListValidity = revocationListValidity
        }

        /// The issuing CA's CRL distribution point, as certificates carry it.
        public var crlURL: String { crlURL(of: .issuing) }

        /// Where the CRL of the CA in `role` is published.
        public func crlURL(of role: AuthorityRole) -> String {
            (crlBaseURL.hasSuffix("/") ? String(crlBaseURL.dropLast()) : crlBaseURL) + "/" + role.crlFileName
        }

        /// How long a certificate of `kind` is valid, in seconds.
        public func validity(of kind: CertificateKind) -> TimeInterval {
            switch kind {
            case .citizen: citizenValidity
            case .device: deviceValidity
            }
        }

        /// Refuses values no certificate can be built from.
        func check() throws(SmartNationError) {
            let validities = [rootValidity, issuingValidity, citizenValidity, deviceValidity, revocationListValidity]
            guard validities.allSatisfy({ $0 >= 3_600 && $0 <= 50 * Self.year }),
                country.count == 2, country.allSatisfy({ $0.isASCII && $0.isUppercase }),
                !organisation.isEmpty, organisation.count <= 64,
                !rootCommonName.isEmpty, rootCommonName.count <= 64, !issuingCommonName.isEmpty, issuingCommonName.count <= 64,
                let url = URL(string: crlURL), ["http", "https"].contains(url.scheme), crlURL.count <= 200
            else {
                throw SmartNationError(
                    .configurationInvalidValue,
                    parameters: ["key": "identity.pki", "expected": "validities of 1 hour to 50 years, a 2-letter country, an http(s) CRL URL"])
            }
        }

        /// `CN=<commonName>, O=<organisation>, C=<country>`.
        func distinguishedName(commonName: String) throws(SmartNationError) -> DistinguishedName {
            do {
                return try DistinguishedName {
                    CountryName(country)
                    OrganizationName(organisation)
                    CommonName(commonName)
                }
            } catch {
                throw SmartNationError(.identityPKIInternal, parameters: ["reason": "\(error)"], httpStatus: 500)
            }
        }
    }
}
