import Foundation
import Identity
import Logging
import SmartNationCore

/// `make run`'s demo data: one citizen who can log in and one development OpenID client. Loaded
/// once; later starts find the citizen and leave everything as it is.
enum IdentityDemoData {
    /// The demo citizen's NRIC.
    static let nric = "S1234567D"
    /// The demo citizen's password.
    static let password = "merlion-demo-2026"
    /// The demo client's redirect URI.
    static let redirectURI = "http://127.0.0.1:8765/callback"

    static func load(into platform: IdentityPlatform, logger: Logger) async throws {
        guard try await platform.citizens.citizen(nric: nric) == nil else { return }
        let citizen = try await platform.citizens.register(CitizenRegistration(
            nric: nric, name: "Tan Ah Kow", dateOfBirth: "1980-01-31", sex: .male, nationality: "SINGAPORE CITIZEN",
            address: try RegisteredAddress(block: "1", street: "Orchard Road", unit: "#01-01", postalCode: "238801"),
            mobile: "+6591234567", email: "ahkow@example.sg"))
        try await platform.passwordLogin.setPassword(password, for: citizen.subject)
        let client = try await platform.openID.clients.register(ClientRegistration(
            name: "Demo integrator", redirectURIs: [redirectURI], scopes: ["openid", "name", "uinfin", "dob", "email"],
            jwks: nil, dpopBoundAccessTokens: false))
        logger.notice("demo data loaded", metadata: [
            "citizen": "\(nric)", "password": "\(password)", "client_id": "\(client.client.clientID)",
            "client_secret": "\(client.secret ?? "")", "redirect_uri": "\(redirectURI)",
        ])
    }
}
