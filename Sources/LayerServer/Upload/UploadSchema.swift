import GRDB

/// The upload tables: jobs, and the history columns and states of layer versions (added to
/// stores made before uploads existed).
enum UploadSchema {
    static let jobs = """
        CREATE TABLE IF NOT EXISTS ls_job (
          id TEXT PRIMARY KEY NOT NULL,
          layer_id TEXT NOT NULL,
          state TEXT NOT NULL CHECK (state IN ('receiving', 'queued', 'running', 'staged', 'published', 'failed')),
          subject TEXT NOT NULL,
          organisation TEXT NOT NULL,
          file_name TEXT NOT NULL,
          bytes INTEGER NOT NULL DEFAULT 0,
          options TEXT NOT NULL,
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL,
          version INTEGER,
          report TEXT,
          error TEXT,
          instance TEXT);
        CREATE INDEX IF NOT EXISTS ls_job_layer ON ls_job (layer_id, created_at);
        INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description) VALUES
          ('ls_job', 'attributes', 'ls_job', 'Service: upload jobs');
        """

    /// True when nothing needs creating or migrating (so a read-only open writes nothing).
    static func isCurrent(_ db: Database) throws -> Bool {
        guard try db.tableExists("ls_job"), try db.columns(in: "ls_job").contains(where: { $0.name == "instance" }) else { return false }
        let sql = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'ls_layer_version'") ?? ""
        return sql.contains("'staged'")
    }

    /// Creates the job table and brings ls_layer_version to the current shape: a table rebuild,
    /// because SQLite cannot change a CHECK constraint in place. One transaction (the caller's).
    static func migrate(_ db: Database) throws {
        try db.execute(sql: jobs)
        if try !db.columns(in: "ls_job").contains(where: { $0.name == "instance" }) {
            try db.execute(sql: "ALTER TABLE ls_job ADD COLUMN instance TEXT")
        }
        let sql = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'ls_layer_version'") ?? ""
        guard !sql.contains("'staged'") else { return }
        let existing = Set(try Row.fetchAll(db, sql: "PRAGMA table_info(ls_layer_version)").map { $0["name"] as String })
        try db.execute(sql: "DROP TABLE IF EXISTS ls_layer_version_new")
        try db.execute(sql: GeoPackageSchema.layerVersionTable("ls_layer_version_new"))
        let wanted = Set(try Row.fetchAll(db, sql: "PRAGMA table_info(ls_layer_version_new)").map { $0["name"] as String })
        let columns = existing.intersection(wanted).sorted().map { "\"\($0)\"" }.joined(separator: ", ")
        try db.execute(sql: "INSERT INTO ls_layer_version_new (\(columns)) SELECT \(columns) FROM ls_layer_version")
        try db.execute(sql: "DROP TABLE ls_layer_version")
        try db.execute(sql: "ALTER TABLE ls_layer_version_new RENAME TO ls_layer_version")
    }
}
