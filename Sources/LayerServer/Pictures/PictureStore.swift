import Foundation
import GRDB
import RiskPicture

/// The store contract for risk pictures (DESIGN.md, "Storage"): implemented on the embedded
/// SQLite store (``SQLitePictureStore``); a PostgreSQL store implements the same protocol.
/// Routes never run SQL: they call these.
public protocol PictureStore: Sendable {
    /// A region's picture as stored; an empty picture when nothing was contributed yet.
    func picture(region: String) throws -> RegionPicture
    /// The regions that have a picture, sorted.
    func regions() throws -> [String]
    /// Applies `step` to a region's picture in one transaction together with the audit record
    /// `audit` makes of its result. What the step adds (items, state changes, versions) is
    /// appended; nothing stored is changed or removed. A step that throws writes nothing.
    func change<T: Sendable>(region: String, audit: (T) -> AuditEvent, _ step: (inout RegionPicture) throws -> T) throws -> T
    /// A number that grows with every change to any picture (for other processes to notice).
    func generation() throws -> Int
    /// Published versions in the order they were published, after position `after` (0: from the
    /// first), at most `limit`: the live events' sequence, the same in every process.
    func published(after: Int64, limit: Int) throws -> [PublishedVersion]
    /// The position of the last publication (0 before the first).
    func lastPublished() throws -> Int64
}

/// A published version's place in the sequence of all publications.
public struct PublishedVersion: Sendable, Hashable {
    public var seq: Int64
    public var region: String
    public var number: Int
}

/// Risk pictures in `layers.gpkg`: three append-only tables (items, their state changes,
/// versions), registered as GeoPackage attribute tables, next to the audit log whose records
/// are written in the same transactions.
public struct SQLitePictureStore: PictureStore {
    let store: LayerStore

    public init(store: LayerStore) {
        self.store = store
    }

    static let tables = """
        CREATE TABLE IF NOT EXISTS ls_picture_item (
          id TEXT PRIMARY KEY NOT NULL,
          region TEXT NOT NULL,
          kind TEXT NOT NULL,
          organisation TEXT NOT NULL,
          author TEXT NOT NULL,
          submitted_at TEXT NOT NULL,
          contribution TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS ls_picture_item_region ON ls_picture_item(region);
        CREATE TABLE IF NOT EXISTS ls_picture_state (
          item_id TEXT NOT NULL REFERENCES ls_picture_item(id),
          seq INTEGER NOT NULL,
          state TEXT NOT NULL,
          at TEXT NOT NULL,
          actor TEXT NOT NULL,
          reason TEXT,
          version INTEGER,
          PRIMARY KEY (item_id, seq));
        CREATE TABLE IF NOT EXISTS ls_picture_version (
          region TEXT NOT NULL,
          number INTEGER NOT NULL,
          published_at TEXT NOT NULL,
          published_by TEXT NOT NULL,
          items TEXT NOT NULL,
          PRIMARY KEY (region, number));
        CREATE TRIGGER IF NOT EXISTS ls_picture_item_kept BEFORE UPDATE ON ls_picture_item
          BEGIN SELECT RAISE(ABORT, 'risk-picture items are kept as submitted'); END;
        CREATE TRIGGER IF NOT EXISTS ls_picture_item_no_delete BEFORE DELETE ON ls_picture_item
          BEGIN SELECT RAISE(ABORT, 'risk-picture items are never deleted'); END;
        CREATE TRIGGER IF NOT EXISTS ls_picture_state_kept BEFORE UPDATE ON ls_picture_state
          BEGIN SELECT RAISE(ABORT, 'risk-picture states are appended, not changed'); END;
        CREATE TRIGGER IF NOT EXISTS ls_picture_state_no_delete BEFORE DELETE ON ls_picture_state
          BEGIN SELECT RAISE(ABORT, 'risk-picture states are never deleted'); END;
        CREATE TRIGGER IF NOT EXISTS ls_picture_version_kept BEFORE UPDATE ON ls_picture_version
          BEGIN SELECT RAISE(ABORT, 'published risk-picture versions are immutable'); END;
        CREATE TRIGGER IF NOT EXISTS ls_picture_version_no_delete BEFORE DELETE ON ls_picture_version
          BEGIN SELECT RAISE(ABORT, 'published risk-picture versions are never deleted'); END;
        INSERT OR IGNORE INTO ls_meta VALUES ('picture_generation', '0');
        INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description) VALUES
          ('ls_picture_item', 'attributes', 'ls_picture_item', 'Risk-picture contributions (threats, effects, cancellations), as submitted'),
          ('ls_picture_state', 'attributes', 'ls_picture_state', 'Risk-picture item states: submitted, accepted, rejected, published, superseded, cancelled, expired'),
          ('ls_picture_version', 'attributes', 'ls_picture_version', 'Published risk-picture versions per region');
        """

    /// Creates the tables when missing (every open: the statements are idempotent and cheap).
    static func create(in db: Database) throws {
        try db.execute(sql: tables)
    }

    static func exists(_ db: Database) throws -> Bool {
        try db.tableExists("ls_picture_version") && db.tableExists("ls_picture_state") && db.tableExists("ls_picture_item")
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = .sortedKeys
        e.dateEncodingStrategy = .iso8601
        return e
    }()

    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return d
    }()

    public func picture(region: String) throws -> RegionPicture {
        try store.withDatabaseError("reading the risk picture of \(region)") {
            try store.pool.read { db in try Self.load(region, db) }
        }
    }

    public func regions() throws -> [String] {
        try store.withDatabaseError("listing risk pictures") {
            try store.pool.read { db in try String.fetchAll(db, sql: "SELECT DISTINCT region FROM ls_picture_item ORDER BY region") }
        }
    }

    public func published(after: Int64, limit: Int) throws -> [PublishedVersion] {
        try store.withDatabaseError("reading published risk-picture versions") {
            try store.pool.read { db in
                // The table's rowid: rows are only ever appended, so it is the order of publication.
                try Row.fetchAll(db, sql: "SELECT rowid, region, number FROM ls_picture_version WHERE rowid > ? ORDER BY rowid LIMIT ?",
                                 arguments: [after, max(1, limit)]).map { PublishedVersion(seq: $0[0], region: $0[1], number: $0[2]) }
            }
        }
    }

    public func lastPublished() throws -> Int64 {
        try store.withDatabaseError("reading the last risk-picture publication") {
            try store.pool.read { db in try Int64.fetchOne(db, sql: "SELECT MAX(rowid) FROM ls_picture_version") ?? 0 }
        }
    }

    public func generation() throws -> Int {
        try store.pool.read { db in Int(try String.fetchOne(db, sql: "SELECT value FROM ls_meta WHERE key = 'picture_generation'") ?? "0") ?? 0 }
    }

    public func change<T: Sendable>(region: String, audit: (T) -> AuditEvent, _ step: (inout RegionPicture) throws -> T) throws -> T {
        try store.withDatabaseError("changing the risk picture of \(region)") {
            try store.pool.write { db in
                let before = try Self.load(region, db)
                var after = before
                let result = try step(&after)
                try Self.append(from: before, to: after, in: db)
                try AuditLog.append([audit(result)], in: db)
                try db.execute(sql: "UPDATE ls_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'picture_generation'")
                return result
            }
        }
    }

    static func load(_ region: String, _ db: Database) throws -> RegionPicture {
        var histories: [String: [StateChange]] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT s.* FROM ls_picture_state s JOIN ls_picture_item i ON i.id = s.item_id
            WHERE i.region = ? ORDER BY s.item_id, s.seq
            """, arguments: [region]) {
            guard let state = ItemState(rawValue: row["state"]) else {
                throw StoreError(.database, "a stored risk-picture state is not known: \(row["state"] as String? ?? "")")
            }
            histories[row["item_id"], default: []].append(StateChange(state: state, at: LayerStore.timestamp(row["at"] as String), by: row["actor"],
                                                                      reason: row["reason"], version: row["version"]))
        }
        let items = try Row.fetchAll(db, sql: "SELECT id, contribution FROM ls_picture_item WHERE region = ? ORDER BY id", arguments: [region]).map { row in
            let contribution = try decoder.decode(Contribution.self, from: Data((row["contribution"] as String).utf8))
            return Item(contribution: contribution, history: histories[row["id"]] ?? [])
        }
        let versions = try Row.fetchAll(db, sql: "SELECT * FROM ls_picture_version WHERE region = ? ORDER BY number", arguments: [region]).map { row in
            PictureVersion(number: row["number"], publishedAt: LayerStore.timestamp(row["published_at"] as String), publishedBy: row["published_by"],
                           items: try decoder.decode([ItemID].self, from: Data((row["items"] as String).utf8)))
        }
        do {
            return try RegionPicture(restoring: region, items: items, versions: versions)
        } catch {
            throw StoreError(.database, "the stored risk picture of \(region) is inconsistent: \(error)")
        }
    }

    /// Writes what `after` has beyond `before`.
    static func append(from before: RegionPicture, to after: RegionPicture, in db: Database) throws {
        for (id, item) in after.items.sorted(by: { $0.key < $1.key }) {
            let known = before.items[id]
            if known == nil {
                let c = item.contribution
                try db.execute(sql: """
                    INSERT INTO ls_picture_item (id, region, kind, organisation, author, submitted_at, contribution) VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [id, c.region, c.content?.kind ?? "cancel", c.organisation, c.author, LayerStore.timestamp(c.submittedAt),
                                     String(decoding: try encoder.encode(c), as: UTF8.self)])
            }
            let from = known?.history.count ?? 0
            for (seq, change) in item.history.enumerated().dropFirst(from) {
                try db.execute(sql: "INSERT INTO ls_picture_state (item_id, seq, state, at, actor, reason, version) VALUES (?, ?, ?, ?, ?, ?, ?)",
                               arguments: [id, seq, change.state.rawValue, LayerStore.timestamp(change.at), change.by, change.reason, change.version])
            }
        }
        for v in after.versions.dropFirst(before.versions.count) {
            try db.execute(sql: "INSERT INTO ls_picture_version (region, number, published_at, published_by, items) VALUES (?, ?, ?, ?, ?)",
                           arguments: [after.region, v.number, LayerStore.timestamp(v.publishedAt), v.publishedBy,
                                       String(decoding: try encoder.encode(v.items), as: UTF8.self)])
        }
    }
}
