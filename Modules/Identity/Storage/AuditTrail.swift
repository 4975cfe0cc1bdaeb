import GRDB
import SmartNationCore

/// Where the identity platform records what it refused or allowed: login successes and failures,
/// refused OAuth requests and certificate requests. Events go to the platform's outbox and so to
/// the durable event log.
public protocol AuditTrail: Sendable {
    /// Appends an audit event to the platform's outbox.
    func recordAudit(_ event: CloudEvent) async throws(SmartNationError)
}

/// The audit trail in `identity.sqlite`'s outbox, each event in a transaction of its own.
public struct OutboxAuditTrail: AuditTrail {
    private let database: DatabasePool

    /// An audit trail writing to `database`'s outbox.
    public init(database: DatabasePool) {
        self.database = database
    }

    public func recordAudit(_ event: CloudEvent) async throws(SmartNationError) {
        do {
            try await database.write { db in try Outbox.enqueue(event, in: db) }
        } catch {
            throw SmartNationError.storage(error)
        }
    }
}
