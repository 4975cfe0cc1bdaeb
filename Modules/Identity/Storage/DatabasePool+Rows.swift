import GRDB
import SmartNationCore

extension DatabasePool {
    /// The first row of a read-only query, with database failures as ``SmartNationError/storage(_:file:line:)``.
    func fetchRow(sql: String, arguments: StatementArguments) async throws(SmartNationError) -> Row? {
        do {
            return try await read { db in try Row.fetchOne(db, sql: sql, arguments: arguments) }
        } catch {
            throw .storage(error)
        }
    }
}
