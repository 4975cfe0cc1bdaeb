import Foundation
import Hummingbird
import Identity
import SmartNationCore
import SmartNationHTTP

/// The operators' citizen registry under `/admin/identity`, behind the operator token:
///
/// - `POST /citizens`: `{"nric", "name", "date_of_birth", "sex" (F or M), "nationality", "address":
///   {"block", "street", "unit"?, "postal_code"}, "mobile"?, "email"?, "preferred_language"? (en, zh,
///   ms, ta)}`; 201 with the citizen's opaque `subject`. Each refusal — of the body, the address or a
///   field — has its own code and is audited as `…identity.registration.rejected`.
/// - `POST /citizens/{subject}/close`: `{"reason"}`; closes the account, revoking its sessions,
///   devices and certificates, and announces `…identity.citizen.closed`.
struct AdminCitizensAPI: Sendable {
    let platform: IdentityPlatform
    let adminAPI: AdminAPI

    struct Registration: Decodable {
        struct Address: Decodable {
            let block: String
            let street: String
            let unit: String?
            let postalCode: String

            enum CodingKeys: String, CodingKey {
                case block, street, unit
                case postalCode = "postal_code"
            }
        }

        let nric: String
        let name: String
        let dateOfBirth: String
        let sex: Sex
        let nationality: String
        let address: Address
        let mobile: String?
        let email: String?
        let preferredLanguage: PreferredLanguage?

        enum CodingKeys: String, CodingKey {
            case nric, name, sex, nationality, address, mobile, email
            case dateOfBirth = "date_of_birth"
            case preferredLanguage = "preferred_language"
        }
    }

    struct Closure: Decodable {
        let reason: String
    }

    func add<Context: RequestContext>(to router: Router<Context>) {
        let platform = platform
        let adminAPI = adminAPI
        let group = router.group("/admin/identity")
        group.post("/citizens") { request, context in
            try adminAPI.authorize(request)
            var request = request
            let registration = try await platform.citizens.auditingRejections { () async throws(SmartNationError) in
                let body = try await request.jsonBody(as: Registration.self, context: context)
                let address = try RegisteredAddress(
                    block: body.address.block, street: body.address.street, unit: body.address.unit, postalCode: body.address.postalCode)
                return CitizenRegistration(
                    nric: body.nric, name: body.name, dateOfBirth: body.dateOfBirth, sex: body.sex, nationality: body.nationality,
                    address: address, mobile: body.mobile, email: body.email, preferredLanguage: body.preferredLanguage ?? .english)
            }
            let citizen = try await platform.citizens.register(registration)
            return jsonResponse(Self.json(citizen), status: .created)
        }
        group.post("/citizens/{subject}/close") { request, context in
            try adminAPI.authorize(request)
            var request = request
            let body = try await request.jsonBody(as: Closure.self, context: context)
            let citizen = try await platform.closeCitizen(subject: try context.parameters.require("subject"), reason: body.reason)
            return jsonResponse(Self.json(citizen))
        }
    }

    private static func json(_ citizen: Citizen) -> JSONValue {
        .object([
            "subject": .string(citizen.subject), "nric": .string(citizen.nric.masked), "status": .string(citizen.status.rawValue),
            "registered_at": .string(citizen.registeredAt.formatted(.iso8601)),
            "closed_at": citizen.closedAt.map { .string($0.formatted(.iso8601)) } ?? .null,
        ])
    }
}
