import Foundation
import GRDB
import GeoCore

/// The GeoPackage 1.3 core tables, the R-tree extension, and the service tables.
enum GeoPackageSchema {
    /// `PRAGMA application_id` of a GeoPackage: the ASCII bytes "GPKG".
    static let applicationID: Int32 = 0x4750_4B47
    /// `PRAGMA user_version` for GeoPackage 1.3.0.
    static let userVersion = 10300

    static let coreTables = """
        CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (
          srs_name TEXT NOT NULL,
          srs_id INTEGER PRIMARY KEY,
          organization TEXT NOT NULL,
          organization_coordsys_id INTEGER NOT NULL,
          definition TEXT NOT NULL,
          description TEXT);
        CREATE TABLE IF NOT EXISTS gpkg_contents (
          table_name TEXT NOT NULL PRIMARY KEY,
          data_type TEXT NOT NULL,
          identifier TEXT UNIQUE,
          description TEXT DEFAULT '',
          last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
          min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE,
          srs_id INTEGER,
          CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
        CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (
          table_name TEXT NOT NULL,
          column_name TEXT NOT NULL,
          geometry_type_name TEXT NOT NULL,
          srs_id INTEGER NOT NULL,
          z TINYINT NOT NULL,
          m TINYINT NOT NULL,
          CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
          CONSTRAINT uk_gc_table_name UNIQUE (table_name),
          CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
          CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
        CREATE TABLE IF NOT EXISTS gpkg_extensions (
          table_name TEXT,
          column_name TEXT,
          extension_name TEXT NOT NULL,
          definition TEXT NOT NULL,
          scope TEXT NOT NULL,
          CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
        INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES
          ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
          ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system');
        """

    /// The service tables are registered as GeoPackage attribute tables, so GDAL and QGIS show
    /// them and (GDAL's LIST_ALL_TABLES=AUTO) do not list the unregistered R-tree tables.
    /// The version catalog table, under `name` (the migration builds the new shape beside the old).
    static func layerVersionTable(_ name: String) -> String {
        """
        CREATE TABLE IF NOT EXISTS \(name) (
        layer_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'staged', 'published', 'discarded', 'dropped')),
        table_name TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        checksum TEXT NOT NULL DEFAULT '',
        feature_count INTEGER NOT NULL DEFAULT 0,
        rejected_count INTEGER NOT NULL DEFAULT 0,
        source_file TEXT NOT NULL,
        source_driver TEXT NOT NULL,
        srs_id INTEGER NOT NULL,
        geometry_type TEXT NOT NULL,
        min_x REAL, min_y REAL, max_x REAL, max_y REAL,
        lon_min REAL, lat_min REAL, lon_max REAL, lat_max REAL,
        fields TEXT NOT NULL,
        thinning TEXT,
        uploaded_by TEXT, organisation TEXT, job_id TEXT, report TEXT, meta TEXT,
        staged_at TEXT, published_at TEXT, published_by TEXT,
        PRIMARY KEY (layer_id, version));
        """
    }

    static let serviceTables = """
        CREATE TABLE IF NOT EXISTS ls_meta (
          key TEXT PRIMARY KEY NOT NULL,
          value TEXT NOT NULL);
        INSERT OR IGNORE INTO ls_meta VALUES ('schema_version', '1'), ('catalog_generation', '0');
        CREATE TABLE IF NOT EXISTS ls_layer (
          id TEXT PRIMARY KEY NOT NULL,
          title TEXT NOT NULL,
          owner TEXT NOT NULL,
          sensitivity TEXT NOT NULL CHECK (sensitivity IN ('open', 'restricted', 'confidential')),
          min_zoom INTEGER NOT NULL,
          max_zoom INTEGER NOT NULL,
          current_version INTEGER NOT NULL,
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL);
        \(layerVersionTable("ls_layer_version"))
        INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description) VALUES
          ('ls_layer', 'attributes', 'ls_layer', 'Service catalog: layers and their current version'),
          ('ls_layer_version', 'attributes', 'ls_layer_version', 'Service catalog: stored layer versions'),
          ('ls_meta', 'attributes', 'ls_meta', 'Service metadata');
        """

    /// Creates the core and service tables when missing and stamps the file as a GeoPackage.
    static func create(in db: Database) throws {
        try db.execute(sql: "PRAGMA application_id = \(applicationID)")
        try db.execute(sql: "PRAGMA user_version = \(userVersion)")
        try db.execute(sql: coreTables)
        try db.execute(sql: serviceTables)
        try ensureSpatialReferenceSystem(.wgs84, in: db)
    }

    /// Inserts the `gpkg_spatial_ref_sys` row of `crs` (srs_id = EPSG code) when missing.
    static func ensureSpatialReferenceSystem(_ crs: CRS, in db: Database) throws {
        let exists = try Bool.fetchOne(db, sql: "SELECT 1 FROM gpkg_spatial_ref_sys WHERE srs_id = ?", arguments: [crs.epsg]) ?? false
        guard !exists else { return }
        let def = try crs.definition()
        try db.execute(sql: """
            INSERT INTO gpkg_spatial_ref_sys (srs_name, srs_id, organization, organization_coordsys_id, definition, description)
            VALUES (?, ?, 'EPSG', ?, ?, ?)
            """, arguments: [def.name, crs.epsg, crs.epsg, def.wkt, def.name])
    }

    /// Creates the feature table of a version, without R-tree triggers (added by `finishFeatureTable`).
    static func createFeatureTable(_ names: VersionTables, geometryType: GeometryType, columns: [Field], in db: Database) throws {
        var cols = ["\"fid\" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL", "\"geom\" \(geometryType.rawValue)"]
        cols += columns.map { "\(quote($0.name)) \($0.type.rawValue)" }
        try db.execute(sql: "CREATE TABLE \(quote(names.table)) (\(cols.joined(separator: ", ")))")
        try db.execute(sql: "CREATE VIRTUAL TABLE \(quote(names.rtree)) USING rtree(id, minx, maxx, miny, maxy)")
    }

    /// Registers a loaded feature table in the GeoPackage catalog and adds the R-tree
    /// triggers of GeoPackage 1.3 annex F.3, so GDAL and QGIS keep the index right.
    static func finishFeatureTable(_ names: VersionTables, identifier: String, description: String,
                                   geometryType: GeometryType, crs: CRS, extent: Envelope?, in db: Database) throws {
        try db.execute(sql: """
            INSERT INTO gpkg_contents (table_name, data_type, identifier, description, min_x, min_y, max_x, max_y, srs_id)
            VALUES (?, 'features', ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [names.table, identifier, description, extent?.minX, extent?.minY, extent?.maxX, extent?.maxY, crs.epsg])
        try db.execute(sql: """
            INSERT INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, z, m)
            VALUES (?, 'geom', ?, ?, 0, 0)
            """, arguments: [names.table, geometryType.rawValue, crs.epsg])
        try db.execute(sql: """
            INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope)
            VALUES (?, 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')
            """, arguments: [names.table])
        let t = quote(names.table), r = quote(names.rtree)
        let p = names.rtree
        let values = "NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)"
        try db.execute(sql: """
            CREATE TRIGGER "\(p)_insert" AFTER INSERT ON \(t)
              WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))
            BEGIN INSERT OR REPLACE INTO \(r) VALUES (\(values)); END;
            CREATE TRIGGER "\(p)_update1" AFTER UPDATE OF geom ON \(t)
              WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
            BEGIN INSERT OR REPLACE INTO \(r) VALUES (\(values)); END;
            CREATE TRIGGER "\(p)_update2" AFTER UPDATE OF geom ON \(t)
              WHEN OLD.fid = NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
            BEGIN DELETE FROM \(r) WHERE id = OLD.fid; END;
            CREATE TRIGGER "\(p)_update3" AFTER UPDATE ON \(t)
              WHEN OLD.fid != NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
            BEGIN DELETE FROM \(r) WHERE id = OLD.fid; INSERT OR REPLACE INTO \(r) VALUES (\(values)); END;
            CREATE TRIGGER "\(p)_update4" AFTER UPDATE ON \(t)
              WHEN OLD.fid != NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
            BEGIN DELETE FROM \(r) WHERE id IN (OLD.fid, NEW.fid); END;
            CREATE TRIGGER "\(p)_delete" AFTER DELETE ON \(t)
              WHEN old.geom NOT NULL
            BEGIN DELETE FROM \(r) WHERE id = OLD.fid; END;
            """)
    }

    /// Drops every table and catalog row of a version (feature table, R-trees, registrations).
    static func dropVersionTables(_ names: VersionTables, in db: Database) throws {
        try db.execute(sql: "DROP TABLE IF EXISTS \(quote(names.table))")
        try db.execute(sql: "DROP TABLE IF EXISTS \(quote(names.rtree))")
        try db.execute(sql: "DROP TABLE IF EXISTS \(quote(names.thin))")
        try db.execute(sql: "DELETE FROM gpkg_extensions WHERE table_name = ?", arguments: [names.table])
        try db.execute(sql: "DELETE FROM gpkg_geometry_columns WHERE table_name = ?", arguments: [names.table])
        try db.execute(sql: "DELETE FROM gpkg_contents WHERE table_name = ?", arguments: [names.table])
    }

    /// SQL identifier quoting.
    static func quote(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// The table names that belong to one layer version.
struct VersionTables: Hashable {
    /// The GeoPackage feature table, e.g. `hydrants_v3`.
    let table: String

    init(layerID: String, version: Int) {
        table = "\(layerID)_v\(version)"
    }

    init(table: String) {
        self.table = table
    }

    /// The standard GeoPackage R-tree of the geometry column.
    var rtree: String { "rtree_\(table)_geom" }
    /// The 3D thinning R-tree of a point version made before tiles were budgeted (dropped with it).
    var thin: String { "ls_thin_\(table)" }

    /// True when `name` looks like a version feature table: `<layer id>_v<number>`.
    static func isVersionTableName(_ name: String) -> Bool {
        guard let r = name.range(of: "_v", options: .backwards) else { return false }
        let id = String(name[..<r.lowerBound])
        let num = name[r.upperBound...]
        return !num.isEmpty && num.allSatisfy(\.isNumber) && (try? Layer.validate(id: id)) != nil
    }
}
