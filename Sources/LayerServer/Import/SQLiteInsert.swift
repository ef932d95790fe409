import Foundation
import GRDB
import GRDBSQLite
import GeoCore

/// A prepared INSERT bound through the SQLite C API: the import's hot path, where GRDB's
/// boxed arguments would cost more than the insert itself.
///
/// - Important: Lives inside one `DatabasePool.write` closure, on its connection's thread.
struct SQLiteInsert {
    let statement: Statement
    let db: Database

    init(_ db: Database, sql: String) throws {
        self.db = db
        statement = try db.makeStatement(sql: sql)
    }

    private var handle: OpaquePointer { statement.sqliteStatement }

    func bind(_ index: Int32, _ v: Int64) { sqlite3_bind_int64(handle, index, v) }
    func bind(_ index: Int32, _ v: Double) { sqlite3_bind_double(handle, index, v) }
    func bindNull(_ index: Int32) { sqlite3_bind_null(handle, index) }

    func bind(_ index: Int32, _ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { raw in
            // SQLITE_TRANSIENT: SQLite copies the bytes before this returns.
            sqlite3_bind_blob(handle, index, raw.baseAddress, Int32(raw.count), unsafeBitCast(-1, to: sqlite3_destructor_type.self))
        }
    }

    /// Binds bytes as a BLOB (copied by SQLite).
    func bindBytes(_ index: Int32, _ bytes: UnsafeRawBufferPointer) {
        sqlite3_bind_blob(handle, index, bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(bytes.count),
                          unsafeBitCast(-1, to: sqlite3_destructor_type.self))
    }

    /// Binds UTF-8 bytes as TEXT (copied by SQLite).
    func bindText(_ index: Int32, _ utf8: UnsafeRawBufferPointer) {
        let p = (utf8.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!).assumingMemoryBound(to: CChar.self)
        sqlite3_bind_text(handle, index, p, Int32(utf8.count), unsafeBitCast(-1, to: sqlite3_destructor_type.self))
    }

    func bind(_ index: Int32, _ s: String) {
        var s = s
        _ = s.withUTF8 { u in
            sqlite3_bind_text(handle, index, u.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) },
                              Int32(u.count), unsafeBitCast(-1, to: sqlite3_destructor_type.self))
        }
    }

    func bind(_ index: Int32, _ value: AttributeValue) {
        switch value {
        case .null: bindNull(index)
        case .bool(let b): bind(index, Int64(b ? 1 : 0))
        case .int(let n): bind(index, n)
        case .double(let d): if d.isFinite { bind(index, d) } else { bindNull(index) }
        case .string(let s): bind(index, s)
        case .blob(let b): bind(index, b)
        }
    }

    /// Runs the insert and resets the statement for the next row.
    func step() throws {
        let rc = sqlite3_step(handle)
        sqlite3_reset(handle)
        guard rc == SQLITE_DONE else {
            throw StoreError(.database, "insert failed: \(String(cString: sqlite3_errmsg(sqlite3_db_handle(handle))))")
        }
    }
}
