import Foundation
import GRDB
import GeoCore
import Logging
import RiskPicture

/// The embedded layer store: one standard GeoPackage (`layers.gpkg`) in a data directory,
/// holding every layer version as a feature table with its R-tree, and the service tables
/// (`ls_layer`, `ls_layer_version`, `ls_meta`) beside them.
///
/// WAL mode: readers never wait for an import. Versions are immutable once written; the
/// current version of a layer changes only by moving its pointer in one transaction.
public final class LayerStore: Sendable {
    /// The configuration the store was opened with.
    public let configuration: StoreConfiguration
    let pool: DatabasePool
    let logger: Logger

    /// Opens (and on first use creates) the store, then removes what an interrupted import left:
    /// pending versions and feature tables no version refers to.
    public init(configuration: StoreConfiguration, logger: Logger = Logger(label: "layerserver.store")) throws {
        self.configuration = configuration
        self.logger = logger
        do {
            try FileManager.default.createDirectory(at: configuration.dataDirectory, withIntermediateDirectories: true)
        } catch {
            throw StoreError(.database, "cannot create the data directory: \(error.localizedDescription)", context: configuration.dataDirectory.path)
        }
        var config = Configuration()
        config.busyMode = .timeout(configuration.busyTimeout)
        config.maximumReaderCount = configuration.maximumReaders
        config.prepareDatabase { db in
            GeoPackageFunctions.register(in: db)
            // Tile reads walk R-tree and table pages: a 64 MB page cache per connection keeps
            // the hot ones. (Memory-mapping the file counts the mapped file once per connection
            // in the process's RSS.)
            try db.execute(sql: "PRAGMA cache_size = -65536")
            // INSERT OR REPLACE deletes the row it replaces: with recursive triggers on, that
            // delete meets the append-only tables' delete triggers too.
            try db.execute(sql: "PRAGMA recursive_triggers = ON")
        }
        do {
            pool = try DatabasePool(path: configuration.databaseURL.path, configuration: config)
            // Only a new file is written to here: opening an existing store for reading (the
            // server, `layers`) must not wait for an import's write transaction.
            let exists = try pool.read { db in try db.tableExists("ls_meta") && db.tableExists("gpkg_contents") }
            let accessTables = try pool.read { db in try AccessSchema.exists(db) }
            if !exists {
                try pool.write { db in
                    try GeoPackageSchema.create(in: db)
                    try AccessSchema.create(in: db)
                }
                // GDAL checks application_id in the main file's header before SQLite opens it;
                // a checkpoint moves the header out of the WAL.
                _ = try pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
            } else if !accessTables {
                // A store made before the access tables existed.
                try pool.write { db in try AccessSchema.create(in: db) }
            }
            if !(try pool.read { db in try UploadSchema.isCurrent(db) }) {
                try pool.write { db in try UploadSchema.migrate(db) }
            }
            if !(try pool.read { db in try SQLitePictureStore.exists(db) }) {
                try pool.write { db in try SQLitePictureStore.create(in: db) }
            }
        } catch {
            throw StoreError(.database, "cannot open the GeoPackage: \(error)", context: configuration.databaseURL.path)
        }
        try recover()
    }

    // MARK: Recovery

    /// Drops pending versions and orphaned version tables of layers the store knows. Runs at
    /// every open, but only writes when there is something to remove and no import is running
    /// (the import lock is free).
    /// - Returns: The names of the tables that were dropped.
    @discardableResult
    func recover() throws -> [String] {
        let needed = try withDatabaseError("looking for interrupted imports") {
            try pool.read { db in try Self.leftovers(db) }
        }
        guard needed else { return [] }
        guard let lock = try ImportLock.acquire(in: configuration.dataDirectory, wait: false) else {
            logger.info("an import is running; its pending version is left alone")
            return []
        }
        defer { withExtendedLifetime(lock) {} }
        return try withDatabaseError("recovering interrupted imports") {
            try pool.write { db -> [String] in
                var dropped: [String] = []
                let pending = try Row.fetchAll(db, sql: "SELECT layer_id, version, table_name FROM ls_layer_version WHERE state = 'pending'")
                for row in pending {
                    let names = VersionTables(table: row["table_name"])
                    try GeoPackageSchema.dropVersionTables(names, in: db)
                    try db.execute(sql: "DELETE FROM ls_layer_version WHERE layer_id = ? AND version = ?",
                                   arguments: [row["layer_id"] as String, row["version"] as Int])
                    dropped.append(names.table)
                }
                let known = Set(try String.fetchAll(db, sql: "SELECT table_name FROM ls_layer_version"))
                let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
                for name in try Self.orphanVersionTables(db, tables: tables, known: known) {
                    try GeoPackageSchema.dropVersionTables(VersionTables(table: name), in: db)
                    dropped.append(name)
                }
                // Thinning and R-tree tables whose feature table is gone.
                let all = Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'"))
                for name in all {
                    if let base = Self.auxiliaryBase(name), VersionTables.isVersionTableName(base),
                       !known.contains(base), !all.contains(base) {
                        try db.execute(sql: "DROP TABLE IF EXISTS \(GeoPackageSchema.quote(name))")
                        dropped.append(name)
                    }
                }
                try db.execute(sql: "DELETE FROM gpkg_contents WHERE table_name NOT IN (SELECT name FROM sqlite_master)")
                if !dropped.isEmpty {
                    logger.warning("removed leftovers of interrupted imports", metadata: ["tables": "\(dropped)"])
                }
                return dropped
            }
        }
    }

    /// True when a pending version or an orphaned version table is in the file.
    static func leftovers(_ db: Database) throws -> Bool {
        if try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ls_layer_version WHERE state = 'pending'") ?? 0 > 0 { return true }
        let known = Set(try String.fetchAll(db, sql: "SELECT table_name FROM ls_layer_version"))
        let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
        if try !orphanVersionTables(db, tables: tables, known: known).isEmpty { return true }
        return tables.contains { name in
            guard let base = auxiliaryBase(name) else { return false }
            return VersionTables.isVersionTableName(base) && !known.contains(base) && !tables.contains(base)
        }
    }

    /// Version tables (`<layer>_v<n>`) with no version row, for layers the store knows: a table
    /// someone else added to the GeoPackage under a name of that shape is left alone.
    static func orphanVersionTables(_ db: Database, tables: [String], known: Set<String>) throws -> [String] {
        let layerIDs = Set(try String.fetchAll(db, sql: "SELECT id FROM ls_layer UNION SELECT layer_id FROM ls_layer_version"))
        return tables.filter { name in
            guard VersionTables.isVersionTableName(name), !known.contains(name),
                  let r = name.range(of: "_v", options: .backwards) else { return false }
            return layerIDs.contains(String(name[..<r.lowerBound]))
        }
    }

    /// The feature table an R-tree or thinning table belongs to.
    static func auxiliaryBase(_ name: String) -> String? {
        if name.hasPrefix("ls_thin_") { return String(name.dropFirst("ls_thin_".count)) }
        if name.hasPrefix("rtree_"), name.hasSuffix("_geom") { return String(name.dropFirst("rtree_".count).dropLast("_geom".count)) }
        return nil
    }

    // MARK: Catalog

    /// A number that changes whenever a layer's current version changes (any process).
    public func catalogGeneration() throws -> Int {
        try withDatabaseError("reading the catalog generation") {
            try pool.read { db in try Self.generation(db) }
        }
    }

    /// Every published layer with its kept versions, sorted by id.
    public func layers() throws -> [Layer] {
        try withDatabaseError("reading the catalog") {
            try pool.read { db in try Self.loadLayers(db) }
        }
    }

    /// One published layer, or nil.
    public func layer(_ id: String) throws -> Layer? {
        try layers().first { $0.id == id }
    }

    static func loadLayers(_ db: Database) throws -> [Layer] {
        let versionRows = try Row.fetchAll(db, sql: "SELECT * FROM ls_layer_version WHERE state = 'published' ORDER BY layer_id, version DESC")
        var versions: [String: [LayerVersion]] = [:]
        for row in versionRows {
            let v = try version(from: row)
            versions[v.layerID, default: []].append(v)
        }
        return try Row.fetchAll(db, sql: "SELECT * FROM ls_layer ORDER BY id").compactMap { row in
            let id: String = row["id"]
            guard let vs = versions[id], vs.contains(where: { $0.number == row["current_version"] }) else { return nil }
            return Layer(id: id, title: row["title"], owner: row["owner"],
                         sensitivity: Sensitivity(rawValue: row["sensitivity"]) ?? .confidential,
                         minZoom: row["min_zoom"], maxZoom: row["max_zoom"], currentVersion: row["current_version"],
                         versions: vs, createdAt: timestamp(row["created_at"]), updatedAt: timestamp(row["updated_at"]))
        }
    }

    static func version(from row: Row) throws -> LayerVersion {
        let decoder = JSONDecoder()
        let fields = try decoder.decode([Field].self, from: Data((row["fields"] as String).utf8))
        return LayerVersion(
            layerID: row["layer_id"], number: row["version"], tableName: row["table_name"],
            createdAt: timestamp(row["created_at"]), checksum: row["checksum"],
            featureCount: row["feature_count"], rejectedCount: row["rejected_count"],
            sourceFile: row["source_file"], sourceDriver: row["source_driver"],
            crs: CRS(epsg: row["srs_id"]), geometryType: GeometryType(rawValue: row["geometry_type"]) ?? .geometry,
            extent: Envelope(minX: row["min_x"] ?? 0, minY: row["min_y"] ?? 0, maxX: row["max_x"] ?? 0, maxY: row["max_y"] ?? 0),
            extentWGS84: Envelope(minX: row["lon_min"] ?? 0, minY: row["lat_min"] ?? 0, maxX: row["lon_max"] ?? 0, maxY: row["lat_max"] ?? 0),
            fields: fields)
    }

    // MARK: Publishing and rollback

    /// Makes an earlier kept version current again. Without `version`, the newest version
    /// older than the current one.
    /// - Returns: The layer after the change.
    @discardableResult
    public func rollback(layerID: String, to version: Int? = nil, change: VersionChange = VersionChange(actor: .localOperator())) throws -> Layer {
        try Layer.validate(id: layerID)
        try withDatabaseError("rolling back \(layerID)") {
            try pool.write { db in
                guard let layer = try Self.loadLayers(db).first(where: { $0.id == layerID }) else {
                    throw StoreError(.notFound, "no layer \"\(layerID)\"")
                }
                try Self.checkAuthority(layerID, change: change, in: db)
                let target: Int
                if let version {
                    guard layer.versions.contains(where: { $0.number == version }) else {
                        let kept = layer.versions.map { String($0.number) }.joined(separator: ", ")
                        throw StoreError(.notFound, "layer \(layerID) has no version \(version); kept versions: \(kept)")
                    }
                    target = version
                } else {
                    guard let previous = layer.versions.map(\.number).filter({ $0 < layer.currentVersion }).max() else {
                        throw StoreError(.notFound, "layer \(layerID) has no version older than \(layer.currentVersion) to roll back to")
                    }
                    target = previous
                }
                try db.execute(sql: "UPDATE ls_layer SET current_version = ?, updated_at = ? WHERE id = ?",
                               arguments: [target, Self.timestamp(Date()), layerID])
                try Self.bumpGeneration(db)
                let checksum = layer.versions.first { $0.number == target }?.checksum ?? ""
                try change.audit("rollback", layer: layerID, detail: "rolled back \(layerID) from v\(layer.currentVersion) to v\(target) (checksum \(checksum))", in: db)
            }
        }
        guard let layer = try layer(layerID) else { throw StoreError(.notFound, "no layer \"\(layerID)\"") }
        return layer
    }

    static func generation(_ db: Database) throws -> Int {
        Int(try String.fetchOne(db, sql: "SELECT value FROM ls_meta WHERE key = 'catalog_generation'") ?? "0") ?? 0
    }

    static func bumpGeneration(_ db: Database) throws {
        try db.execute(sql: "UPDATE ls_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'catalog_generation'")
    }

    /// Drops versions beyond the newest `keep`, never the current one.
    static func prune(layerID: String, keep: Int, in db: Database) throws -> [Int] {
        let current = try Int.fetchOne(db, sql: "SELECT current_version FROM ls_layer WHERE id = ?", arguments: [layerID])
        let numbers = try Int.fetchAll(db, sql: "SELECT version FROM ls_layer_version WHERE layer_id = ? AND state = 'published' ORDER BY version DESC", arguments: [layerID])
        var dropped: [Int] = []
        for n in numbers.dropFirst(max(keep, 1)) where n != current {
            try GeoPackageSchema.dropVersionTables(VersionTables(layerID: layerID, version: n), in: db)
            // The row stays, for the history.
            try db.execute(sql: "UPDATE ls_layer_version SET state = 'dropped' WHERE layer_id = ? AND version = ?", arguments: [layerID, n])
            dropped.append(n)
        }
        return dropped
    }

    // MARK: Reading

    /// Runs `body` on a read-only connection, off the cooperative thread pool (GRDB's reader queues).
    public func read<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        try await pool.read(body)
    }

    /// Runs `body` on a read-only connection, blocking the calling thread.
    public func readSync<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.read(body)
    }

    // MARK: Helpers

    // nonisolated(unsafe): ISO8601DateFormatter is not Sendable; every use goes through
    // `timestampLock`, so no two threads touch it at once.
    nonisolated(unsafe) static let timestampFormatter: ISO8601DateFormatter = {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f
    }()
    static let timestampLock = NSLock()

    static func timestamp(_ date: Date) -> String {
        timestampLock.withLock { timestampFormatter.string(from: date) }
    }

    static func timestamp(_ text: String) -> Date {
        timestampLock.withLock { timestampFormatter.date(from: text) } ?? Date(timeIntervalSince1970: 0)
    }

    func withDatabaseError<T>(_ what: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let e as StoreError {
            throw e
        } catch let e as RiskPictureError {
            // A refused step of the risk-picture domain: the caller's to fix, not the database's.
            throw e
        } catch {
            throw StoreError(.database, "\(what) failed: \(error)", context: configuration.databaseURL.path)
        }
    }
}
