import GRDB
import GRDBSQLite

/// Executes the event log's prepared insert through SQLite's C API.
///
/// Appending is the log's hot path: binding the values through GRDB's `StatementArguments` (an array
/// of existentials per row) cost as much as SQLite's own work, so the binding is done here directly.
/// The statement is still prepared, cached and finalised by GRDB, inside GRDB's transaction.
enum RawInsert {
    /// SQLite copies bound bytes before `bind` returns (`SQLITE_TRANSIENT`).
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// Runs the insert once.
    static func execute(
        _ statement: Statement,
        in db: Database,
        sequence: Int64,
        type: String,
        appendedAt: Int64,
        envelope: [UInt8]
    ) throws {
        let handle = statement.sqliteStatement
        defer {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
        }
        try check(sqlite3_bind_int64(handle, 1, sequence), db)
        try check(bindText(type, at: 2, in: handle), db)
        try check(sqlite3_bind_int64(handle, 3, appendedAt), db)
        try check(envelope.withUnsafeBytes { sqlite3_bind_blob(handle, 4, $0.baseAddress, Int32($0.count), transient) }, db)
        let code = sqlite3_step(handle)
        guard code == SQLITE_DONE else { throw error(code, db) }
    }

    private static func bindText(_ text: String, at index: Int32, in handle: OpaquePointer) -> Int32 {
        precondition(!text.isEmpty, "the type is checked non-empty before binding")
        var text = text
        return text.withUTF8 { bytes in
            sqlite3_bind_text(
                handle, index, UnsafeRawPointer(bytes.baseAddress!).assumingMemoryBound(to: CChar.self),
                Int32(bytes.count), transient)
        }
    }

    private static func check(_ code: Int32, _ db: Database) throws {
        guard code == SQLITE_OK else { throw error(code, db) }
    }

    private static func error(_ code: Int32, _ db: Database) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
    }
}
