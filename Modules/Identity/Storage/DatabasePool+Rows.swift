import GRDB
import SmartNationCore

extension DatabasePool {
    /// The first row of a read-only query, with database failures as ``SmartNationError/storage(_:file:line:)``.
    ///
    /// Reads run synchronously on the caller's thread: a pool read never waits for a reader (the
    /// daemon admits fewer requests at once than the pool has readers), so an inline read costs less
    /// than the two thread hops of an asynchronous one.
    func fetchRow(sql: String, arguments: StatementArguments) throws(SmartNationError) -> Row? {
        do {
            return try read { db in try Row.fetchOne(db, sql: sql, arguments: arguments) }
        } catch {
            throw .storage(error)
        }
    }
}
