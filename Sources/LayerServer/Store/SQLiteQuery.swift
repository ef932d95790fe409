import Foundation
import GRDB
import GRDBSQLite
import GeoCore

/// A cached SELECT stepped through the SQLite C API: the tile path's hot loop, where GRDB's
/// row decoding would cost more than the read. Column values are read in place.
///
/// - Important: Use inside one GRDB read or write closure, on its connection's thread.
struct SQLiteQuery {
    private let statement: Statement

    init(_ db: Database, sql: String) throws {
        statement = try db.cachedStatement(sql: sql)
    }

    /// One result row; valid only inside the `run` callback.
    struct Row {
        let handle: OpaquePointer

        func int64(_ i: Int32) -> Int64 { sqlite3_column_int64(handle, i) }

        /// The bytes of a BLOB column, nil when NULL.
        func blob(_ i: Int32) -> UnsafeRawBufferPointer? {
            guard let p = sqlite3_column_blob(handle, i) else { return nil }
            return UnsafeRawBufferPointer(start: p, count: Int(sqlite3_column_bytes(handle, i)))
        }

        /// The column as an attribute value of the given field type.
        func attribute(_ i: Int32, _ type: FieldType) -> AttributeValue {
            switch sqlite3_column_type(handle, i) {
            case SQLITE_NULL: return .null
            case SQLITE_INTEGER:
                let n = sqlite3_column_int64(handle, i)
                return type == .bool ? .bool(n != 0) : .int(n)
            case SQLITE_FLOAT: return .double(sqlite3_column_double(handle, i))
            case SQLITE_TEXT:
                guard let p = sqlite3_column_text(handle, i) else { return .null }
                let n = Int(sqlite3_column_bytes(handle, i))
                return .string(String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self))
            default:
                return blob(i).map { .blob(Array($0)) } ?? .null
            }
        }
    }

    /// Binds `arguments` (doubles, in order), steps through every row, and resets.
    func run(_ arguments: [Double], _ body: (Row) throws -> Void) throws {
        let h = statement.sqliteStatement
        sqlite3_reset(h)
        sqlite3_clear_bindings(h)
        defer { sqlite3_reset(h) }
        for (i, a) in arguments.enumerated() { sqlite3_bind_double(h, Int32(i + 1), a) }
        try step(h, body)
    }

    /// Binds one integer (a feature id), steps through every row, and resets.
    func run(fid: Int64, _ body: (Row) throws -> Void) throws {
        let h = statement.sqliteStatement
        sqlite3_reset(h)
        defer { sqlite3_reset(h) }
        sqlite3_bind_int64(h, 1, fid)
        try step(h, body)
    }

    private func step(_ h: OpaquePointer, _ body: (Row) throws -> Void) throws {
        while true {
            let rc = sqlite3_step(h)
            if rc == SQLITE_DONE { return }
            guard rc == SQLITE_ROW else {
                throw StoreError(.database, "query failed: \(String(cString: sqlite3_errmsg(sqlite3_db_handle(h))))")
            }
            try body(Row(handle: h))
        }
    }
}

/// Reads the attribute columns of consecutive rows. A text column whose bytes equal the previous
/// row's gives the previous value back (no new string, no UTF-8 check): features stored near each
/// other, as the tile path reads them, often share their owner, status or region.
struct AttributeColumns {
    private let fields: [Field]
    private let first: Int32
    private var lastText: [[UInt8]]
    private var lastValue: [AttributeValue]

    /// For `fields` at columns `first`, `first + 1`, ...
    init(_ fields: [Field], first: Int32) {
        self.fields = fields
        self.first = first
        lastText = Array(repeating: [], count: fields.count)
        lastValue = Array(repeating: .null, count: fields.count)
    }

    mutating func read(_ row: SQLiteQuery.Row, into out: inout [AttributeValue]) {
        out.removeAll(keepingCapacity: true)
        for (i, field) in fields.enumerated() {
            let column = first + Int32(i)
            guard sqlite3_column_type(row.handle, column) == SQLITE_TEXT, let p = sqlite3_column_text(row.handle, column) else {
                out.append(row.attribute(column, field.type))
                continue
            }
            let bytes = UnsafeBufferPointer(start: p, count: Int(sqlite3_column_bytes(row.handle, column)))
            if case .string = lastValue[i], lastText[i].elementsEqual(bytes) {
                out.append(lastValue[i])
                continue
            }
            let value = AttributeValue.string(String(decoding: bytes, as: UTF8.self))
            lastText[i] = Array(bytes)
            lastValue[i] = value
            out.append(value)
        }
    }
}
