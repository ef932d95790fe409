import Crypto
import Foundation
import GRDB

/// The access tables in the store: policy versions, API tokens (hashed) and the audit log.
/// Registered as GeoPackage attribute tables, like the catalog.
enum AccessSchema {
    static let tables = """
        CREATE TABLE IF NOT EXISTS ls_policy_version (
          seq INTEGER PRIMARY KEY NOT NULL,
          hash TEXT NOT NULL,
          created_at TEXT NOT NULL,
          actor TEXT NOT NULL,
          summary TEXT NOT NULL,
          body TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS ls_policy_version_hash ON ls_policy_version(hash);
        CREATE TABLE IF NOT EXISTS ls_token (
          id TEXT PRIMARY KEY NOT NULL,
          user_id TEXT NOT NULL,
          secret_sha256 TEXT NOT NULL,
          label TEXT NOT NULL,
          created_at TEXT NOT NULL,
          expires_at TEXT NOT NULL,
          revoked_at TEXT);
        CREATE TABLE IF NOT EXISTS ls_audit (
          seq INTEGER PRIMARY KEY NOT NULL,
          time TEXT NOT NULL,
          kind TEXT NOT NULL,
          subject TEXT NOT NULL,
          organisation TEXT NOT NULL,
          action TEXT NOT NULL,
          resource TEXT NOT NULL,
          decision TEXT NOT NULL,
          rules TEXT NOT NULL,
          policy_hash TEXT NOT NULL,
          count INTEGER NOT NULL,
          items TEXT NOT NULL,
          detail TEXT NOT NULL,
          prev_hash TEXT NOT NULL,
          hash TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS ls_audit_resource ON ls_audit(resource, time);
        CREATE TRIGGER IF NOT EXISTS ls_audit_no_update BEFORE UPDATE ON ls_audit
          BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        CREATE TRIGGER IF NOT EXISTS ls_audit_no_delete BEFORE DELETE ON ls_audit
          BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        INSERT OR IGNORE INTO ls_meta VALUES ('policy_generation', '0');
        INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description) VALUES
          ('ls_policy_version', 'attributes', 'ls_policy_version', 'Access policy versions (organisations, users, activities, layer conditions)'),
          ('ls_token', 'attributes', 'ls_token', 'API tokens: SHA-256 of the secret only'),
          ('ls_audit', 'attributes', 'ls_audit', 'Audit log: append-only, hash-chained');
        """

    /// Creates the tables when missing, and the URL-signing key on first use.
    static func create(in db: Database) throws {
        try db.execute(sql: tables)
        let hasKey = try String.fetchOne(db, sql: "SELECT value FROM ls_meta WHERE key = 'url_signing_key'") != nil
        if !hasKey {
            let key = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
            try db.execute(sql: "INSERT INTO ls_meta VALUES ('url_signing_key', ?)", arguments: [key.base64EncodedString()])
        }
    }

    /// True when the tables exist.
    static func exists(_ db: Database) throws -> Bool {
        try db.tableExists("ls_audit") && db.tableExists("ls_token") && db.tableExists("ls_policy_version")
    }

    static func policyGeneration(_ db: Database) throws -> Int {
        Int(try String.fetchOne(db, sql: "SELECT value FROM ls_meta WHERE key = 'policy_generation'") ?? "0") ?? 0
    }

    static func bumpPolicyGeneration(_ db: Database) throws {
        try db.execute(sql: "UPDATE ls_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'policy_generation'")
    }
}
