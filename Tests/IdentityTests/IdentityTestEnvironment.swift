import Foundation
import GRDB
import Synchronization

@testable import Identity

/// A clock tests move by hand.
final class ManualClock: Sendable {
    private let current: Mutex<Date>

    init(_ start: Date = Date(timeIntervalSince1970: 1_795_000_000)) {
        current = Mutex(start)
    }

    var now: Date { current.withLock { $0 } }

    func advance(by seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }
}

/// A fresh identity database in a temporary directory, a clock moved by hand, and one registered
/// citizen: what the device, session and login tests start from.
struct IdentityTestEnvironment {
    let directory: URL
    let clock: ManualClock
    let database: DatabasePool
    let registry: CitizenRegistry
    let subject: String

    static func make(registering registration: CitizenRegistration) async throws -> IdentityTestEnvironment {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("identity-\(UUID().uuidString)")
        let database = try IdentityDatabase.open(in: directory)
        let clock = ManualClock()
        let registry = CitizenRegistry(store: SQLiteCitizenStore(database: database), auditTrail: OutboxAuditTrail(database: database), clock: { clock.now })
        let citizen = try await registry.register(registration)
        return IdentityTestEnvironment(
            directory: directory, clock: clock, database: database, registry: registry, subject: citizen.subject)
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}
