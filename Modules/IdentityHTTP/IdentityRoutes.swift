import Hummingbird
import Identity

/// Every HTTP route of the identity platform, for the daemon or an integrator's own Hummingbird
/// application:
///
/// - OpenID provider: `/.well-known/openid-configuration`, `/oauth2/jwks`, `/oauth2/par`,
///   `/oauth2/authorize` (login and consent pages), `/oauth2/token`, `/oauth2/userinfo`,
///   `/oauth2/revoke`, `/oauth2/introspect`, `/oauth2/device_authorization`, `/oauth2/device` (the
///   device grant's verification page).
/// - Citizen app: `/api/identity/sessions`, `/api/identity/consents`,
///   `/api/identity/device-authorizations/{user_code}`, `/api/identity/totp`,
///   `/api/identity/recovery-codes`, `/api/identity/devices`; devices log in at
///   `/api/identity/device-challenges` and `/api/identity/device-sessions`.
/// - Operators (bearer operator token): `/admin/identity/citizens`, `/admin/identity/citizens/{subject}/close`,
///   `/admin/identity/clients`, `/admin/identity/businesses`, `/admin/identity/signing-keys/rotate`,
///   `/admin/identity/device-certificates`, `/admin/identity/certificates/{serial}/revoke`.
/// - National PKI: `/pki/crl/issuing.crl`, `/pki/crl/root.crl`, `/pki/ca/…`, `/api/identity/certificates`,
///   `/api/identity/signatures/verify`.
public struct IdentityRoutes: Sendable {
    private let platform: IdentityPlatform
    private let adminToken: String

    /// Routes over `platform`; `adminToken` guards the operators' routes.
    public init(platform: IdentityPlatform, adminToken: String) {
        self.platform = platform
        self.adminToken = adminToken
    }

    /// Adds the routes to `router`.
    public func add<Context: RemoteAddressRequestContext>(to router: Router<Context>) {
        OAuthEndpoints(provider: platform.openID).add(to: router)
        AuthorizationPages(platform: platform).add(to: router)
        DeviceVerificationPage().add(to: router)
        let citizenAPI = CitizenAPI(platform: platform)
        let adminAPI = AdminAPI(platform: platform, adminToken: adminToken)
        citizenAPI.add(to: router)
        CitizenAccountAPI(platform: platform, citizenAPI: citizenAPI).add(to: router)
        DeviceAPI(platform: platform, citizenAPI: citizenAPI).add(to: router)
        adminAPI.add(to: router)
        AdminCitizensAPI(platform: platform, adminAPI: adminAPI).add(to: router)
        PKIRoutes(platform: platform, citizenAPI: citizenAPI, adminAPI: adminAPI).add(to: router)
    }
}
