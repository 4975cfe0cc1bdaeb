import Foundation
import GRDB
import SmartNationCore

/// Businesses keyed by UEN and the citizens authorised to log in for them.
public struct BusinessRegistry: Sendable {
    /// The most businesses one citizen may represent.
    public static let representationsPerCitizenMax = 50

    private let database: DatabasePool
    private let clock: @Sendable () -> Date

    /// A registry over the identity database.
    public init(database: DatabasePool, clock: @escaping @Sendable () -> Date = Date.init) {
        self.database = database
        self.clock = clock
    }

    /// Registers a business under a validated UEN.
    public func register(uen text: String, name: String) async throws(SmartNationError) -> Business {
        let uen = try UEN(text)
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard (1...200).contains(trimmed.count) else {
            throw SmartNationError(.identityNameInvalid, parameters: ["expected": "a business name of 1 to 200 characters"])
        }
        let business = Business(uen: uen, name: trimmed, registeredAt: clock())
        do {
            try await database.write { db in
                try db.execute(
                    sql: "INSERT INTO business (uen, name, registered_at) VALUES (?, ?, ?)",
                    arguments: [uen.value, trimmed, business.registeredAt.timeIntervalSince1970])
            }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
            throw SmartNationError(.identityBusinessExists, parameters: ["uen": uen.value], httpStatus: 409)
        } catch {
            throw .storage(error)
        }
        return business
    }

    /// Authorises a registered citizen to act for the business with `role` (replacing an earlier role).
    public func authorise(subject: String, for uenText: String, role: BusinessRepresentation.Role) async throws(SmartNationError) {
        let uen = try UEN(uenText)
        do {
            try await database.write { db in
                guard try Bool.fetchOne(db, sql: "SELECT 1 FROM business WHERE uen = ?", arguments: [uen.value]) == true else {
                    throw SmartNationError(.identityBusinessNotFound, parameters: ["uen": uen.value], httpStatus: 404)
                }
                guard try Bool.fetchOne(db, sql: "SELECT 1 FROM citizen WHERE subject = ?", arguments: [subject]) == true else {
                    throw SmartNationError(.identityCitizenNotFound, httpStatus: 404)
                }
                let held = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM business_representative WHERE subject = ?", arguments: [subject]) ?? 0
                guard held < Self.representationsPerCitizenMax else {
                    throw SmartNationError(.identityBusinessLimit, parameters: ["maximum": String(Self.representationsPerCitizenMax)], httpStatus: 409)
                }
                try db.execute(
                    sql: """
                        INSERT INTO business_representative (uen, subject, role) VALUES (?, ?, ?)
                        ON CONFLICT (uen, subject) DO UPDATE SET role = excluded.role
                        """,
                    arguments: [uen.value, subject, role.rawValue])
            }
        } catch {
            throw .storage(error)
        }
    }

    /// Withdraws a citizen's authority to act for the business.
    public func withdraw(subject: String, for uenText: String) async throws(SmartNationError) {
        let uen = try UEN(uenText)
        let removed: Bool
        do {
            removed = try await database.write { db in
                try db.execute(sql: "DELETE FROM business_representative WHERE uen = ? AND subject = ?", arguments: [uen.value, subject])
                return db.changesCount == 1
            }
        } catch {
            throw .storage(error)
        }
        guard removed else { throw SmartNationError(.identityBusinessNotRepresentative, parameters: ["uen": uen.value], httpStatus: 403) }
    }

    /// The citizen's authority to act for the business `uen`, or a refusal: a malformed UEN, an
    /// unknown business, or a citizen who does not represent it.
    public func representation(uen uenText: String, subject: String) async throws(SmartNationError) -> BusinessRepresentation {
        let uen = try UEN(uenText)
        let row = try database.fetchRow(sql: Self.representationQuery, arguments: [subject, uen.value])
        return try Self.representation(of: uen, subject: subject, row: row)
    }

    /// ``representation(uen:subject:)`` read inside the caller's transaction — the token endpoint's,
    /// which checks the authority in the transaction that issues the tokens.
    static func representation(uen uenText: String, subject: String, in db: Database) throws(SmartNationError) -> BusinessRepresentation {
        let uen = try UEN(uenText)
        let row: Row?
        do {
            row = try Row.fetchOne(db.cachedStatement(sql: representationQuery), arguments: [subject, uen.value])
        } catch {
            throw .storage(error)
        }
        return try representation(of: uen, subject: subject, row: row)
    }

    private static let representationQuery = """
        SELECT b.name, b.registered_at, r.role FROM business b
        LEFT JOIN business_representative r ON r.uen = b.uen AND r.subject = ? WHERE b.uen = ?
        """

    private static func representation(of uen: UEN, subject: String, row: Row?) throws(SmartNationError) -> BusinessRepresentation {
        guard let row else { throw SmartNationError(.identityBusinessNotFound, parameters: ["uen": uen.value], httpStatus: 404) }
        guard let roleText = row["role"] as String?, let role = BusinessRepresentation.Role(rawValue: roleText) else {
            throw SmartNationError(.identityBusinessNotRepresentative, parameters: ["uen": uen.value], httpStatus: 403)
        }
        return BusinessRepresentation(
            business: Business(uen: uen, name: row["name"], registeredAt: Date(timeIntervalSince1970: row["registered_at"])),
            subject: subject, role: role)
    }

    /// The businesses the citizen may act for, by UEN.
    public func representations(of subject: String) async throws(SmartNationError) -> [BusinessRepresentation] {
        let uens: [String]
        do {
            uens = try await database.read { db in
                try String.fetchAll(db, sql: "SELECT uen FROM business_representative WHERE subject = ? ORDER BY uen", arguments: [subject])
            }
        } catch {
            throw .storage(error)
        }
        var result: [BusinessRepresentation] = []
        for uen in uens { result.append(try await representation(uen: uen, subject: subject)) }
        return result
    }
}

extension SmartNationError.Code {
    /// A business with this UEN is already registered.
    public static let identityBusinessExists = Self("identity.business.exists")
    /// No business is registered under this UEN.
    public static let identityBusinessNotFound = Self("identity.business.not_found")
    /// The citizen is not authorised to act for this business.
    public static let identityBusinessNotRepresentative = Self("identity.business.not_representative")
    /// The citizen already represents the most businesses allowed.
    public static let identityBusinessLimit = Self("identity.business.limit")
}
