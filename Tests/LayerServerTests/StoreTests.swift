import Foundation
import GRDB
import GeoCore
import Testing
@testable import LayerServer

@Suite("Layer store")
struct StoreTests {
    @Test("an import is a standard GeoPackage feature table that GDAL's ogrinfo lists and reads")
    func ogrinfoReadsTheStore() async throws {
        let t = try TempStore()
        try await t.importFile(TestData.regionsRD, layer: "regions", sourceCRS: .rdNew)
        try await t.importFile(TestData.bag, layer: "addresses", sourceLayer: "verblijfsobjecten")
        let gpkg = t.store.configuration.databaseURL.path
        let list = try run("/usr/bin/ogrinfo", ["-ro", gpkg])
        #expect(list.status == 0, "\(list.output)")
        #expect(list.output.contains("regions_v1 (Multi Polygon)"), "\(list.output)")
        #expect(list.output.contains("addresses_v1 (Point)"), "\(list.output)")
        let features = try run("/usr/bin/ogrinfo", ["-ro", "-q", gpkg, "addresses_v1", "-where", "fid = 7"])
        #expect(features.status == 0)
        #expect(features.output.contains("OGRFeature(addresses_v1):7"), "\(features.output)")
        #expect(features.output.contains("POINT ("))
        let summary = try run("/usr/bin/ogrinfo", ["-ro", "-so", gpkg, "regions_v1"])
        #expect(summary.output.contains("Feature Count: 25"), "\(summary.output)")
        #expect(summary.output.contains("Amersfoort / RD New"))
        // The R-tree is consistent (SQLite's own check).
        let check = try t.store.readSync { db in try String.fetchOne(db, sql: "SELECT rtreecheck('rtree_addresses_v1_geom')") }
        #expect(check == "ok")
        let spatial = try run("/usr/bin/ogrinfo", ["-ro", "-q", gpkg, "addresses_v1", "-spat", "121000", "488900", "121100", "489000"])
        #expect(spatial.output.contains("OGRFeature(addresses_v1)"))
    }

    @Test("layer metadata and version history are recorded")
    func metadata() async throws {
        let t = try TempStore()
        let r1 = try await t.importFile(TestData.bag, layer: "addresses", owner: "Kadaster", sensitivity: .restricted, sourceLayer: "verblijfsobjecten")
        let r2 = try await t.importer.runDetached(ImportRequest(file: TestData.bag, layerID: "addresses", sourceLayer: "verblijfsobjecten"))
        #expect(r1.version == 1 && r2.version == 2)
        #expect(r1.checksum == r2.checksum, "same features, same checksum")
        let layer = try #require(try t.store.layer("addresses"))
        #expect(layer.owner == "Kadaster")
        #expect(layer.sensitivity == .restricted, "kept from the first import")
        #expect(layer.currentVersion == 2)
        #expect(layer.versions.map(\.number) == [2, 1])
        let v = layer.current
        #expect(v.featureCount == 1836)
        #expect(v.crs == .rdNew)
        #expect(v.geometryType == .point)
        #expect(v.extent.minX > 120_000 && v.extent.maxX < 122_000)
        #expect(v.extentWGS84.minX > 4.8 && v.extentWGS84.maxY < 52.5)
        #expect(v.checksum.count == 64)
        #expect(try t.store.readSync { db in try db.tableExists("ls_thin_" + v.tableName) } == false, "no thinning index any more: tiles are budgeted")
    }

    @Test("only the newest N versions are kept, and rollback makes an older one current")
    func keepAndRollback() async throws {
        let t = try TempStore(keepVersions: 3)
        for _ in 0..<5 { try await t.importFile(TestData.bag, layer: "a", sourceLayer: "ligplaatsen") }
        var layer = try #require(try t.store.layer("a"))
        #expect(layer.versions.map(\.number) == [5, 4, 3])
        #expect(!(try t.tables()).contains("a_v1"))
        #expect(!(try t.tables()).contains("rtree_a_v2_geom"))
        layer = try t.store.rollback(layerID: "a")
        #expect(layer.currentVersion == 4)
        layer = try t.store.rollback(layerID: "a", to: 3)
        #expect(layer.currentVersion == 3)
        #expect(throws: StoreError.self) { try t.store.rollback(layerID: "a", to: 1) }
        #expect(throws: StoreError.self) { try t.store.rollback(layerID: "a") }
        #expect(throws: StoreError.self) { try t.store.rollback(layerID: "missing") }
        // A new import after a rollback never drops the current version.
        try await t.importFile(TestData.bag, layer: "a", sourceLayer: "ligplaatsen")
        layer = try #require(try t.store.layer("a"))
        #expect(layer.currentVersion == 6)
        #expect(layer.versions.map(\.number) == [6, 5, 4])
    }

    @Test("a failing import leaves the previous version current and nothing half-written")
    func failingImport() async throws {
        let t = try TempStore()
        try await t.importFile(TestData.bag, layer: "a", sourceLayer: "ligplaatsen")
        let before = try t.tables()
        let broken = TestData.url("geopackage/pdok-geopackage-validator/tests/data/test_broken_geopackage.gpkg")
        await #expect(throws: StoreError.self) { try await t.importFile(broken, layer: "a") }
        await #expect(throws: StoreError.self) { try await t.importFile(TestData.bag, layer: "a", sourceLayer: "nope") }
        await #expect(throws: StoreError.self) { try await t.importFile(TestData.fixture("safety_regions.geojson"), layer: "a", sourceCRS: .rdNew) }
        let layer = try #require(try t.store.layer("a"))
        #expect(layer.currentVersion == 1)
        #expect(try t.tables() == before)
        #expect(try t.pendingVersions() == 0)
    }

    @Test("an import interrupted before publishing is removed at the next start")
    func interruptedImport() async throws {
        let t = try TempStore()
        try await t.importFile(TestData.bag, layer: "a", sourceLayer: "ligplaatsen")
        let importer = LayerImporter(store: t.store, transformers: t.transformers, datasetOptions: .standard,
                                     logger: .init(label: "test"), stopBeforePublish: true)
        let report = try await importer.runDetached(ImportRequest(file: TestData.bag, layerID: "a", sourceLayer: "verblijfsobjecten"))
        #expect(report.version == 2)
        #expect(try t.tables().contains("a_v2"))
        #expect(try t.pendingVersions() == 1)
        #expect(try t.store.layer("a")?.currentVersion == 1, "a pending version is never served")
        // Reopen: the store cleans up.
        let reopened = try LayerStore(configuration: t.store.configuration)
        let tables = try reopened.readSync { db in Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master")) }
        #expect(!tables.contains("a_v2"))
        #expect(!tables.contains("rtree_a_v2_geom"))
        #expect(!tables.contains("ls_thin_a_v2"))
        #expect(try reopened.layer("a")?.currentVersion == 1)
        let contents = try reopened.readSync { db in try String.fetchAll(db, sql: "SELECT table_name FROM gpkg_contents WHERE data_type = 'features'") }
        #expect(contents == ["a_v1"])
    }

    @Test("GeoPackage R-tree triggers work through GRDB (ST_* functions are registered)")
    func triggers() async throws {
        let t = try TempStore()
        try await t.importFile(TestData.bag, layer: "a", sourceLayer: "ligplaatsen")
        try await t.store.pool.write { db in
            let blob = Data(GeoPackageBinary.encode(.point(Position(1000, 2000)), srsID: 28992))
            try db.execute(sql: "UPDATE a_v1 SET geom = ? WHERE fid = 1", arguments: [blob])
            let box = try Row.fetchOne(db, sql: "SELECT minx, maxy FROM rtree_a_v1_geom WHERE id = 1")
            #expect(box?["minx"] == 1000.0)
            #expect(box?["maxy"] == 2000.0)
        }
    }

    @Test("bad layer ids and a new layer without owner are refused")
    func badRequests() async throws {
        let t = try TempStore()
        for id in ["", "Hydrants", "1a", "a-b", "gpkg_x", "rtree_x", "ls_x", String(repeating: "a", count: 41), "a\"b"] {
            await #expect(throws: StoreError.self, "\(id)") { try await t.importFile(TestData.bag, layer: id, sourceLayer: "ligplaatsen") }
        }
        await #expect(throws: StoreError.self) {
            try await t.importer.runDetached(ImportRequest(file: TestData.bag, layerID: "a", sourceLayer: "ligplaatsen"))
        }
        await #expect(throws: StoreError.self) {
            try await t.importFile(TestData.bag, layer: "a", sourceLayer: "ligplaatsen", minZoom: 10, maxZoom: 5)
        }
    }

    @Test("a file with several layers asks which one, naming them")
    func multiLayer() async throws {
        let t = try TempStore()
        do {
            try await t.importFile(TestData.bag, layer: "a")
            Issue.record("imported a multi-layer file without --source-layer")
        } catch let e as StoreError {
            #expect(e.description.contains("bag.gpkg"))
            #expect(e.description.contains("verblijfsobjecten"))
            #expect(e.description.contains("--source-layer"))
        }
    }
}

@Suite("Import lock")
struct ImportLockTests {
    @Test("recovery leaves the pending version of a running import alone")
    func recoveryWaitsForRunningImport() async throws {
        let t = try TempStore()
        try await t.importFile(TestData.bag, layer: "a", sourceLayer: "ligplaatsen")
        let importer = LayerImporter(store: t.store, transformers: t.transformers, datasetOptions: .standard,
                                     logger: .init(label: "test"), stopBeforePublish: true)
        _ = try await importer.runDetached(ImportRequest(file: TestData.bag, layerID: "a", sourceLayer: "verblijfsobjecten"))
        // Another import (here: this test) holds the lock: opening the store must not drop v2.
        let lock = try #require(try ImportLock.acquire(in: t.directory, wait: false))
        let other = try LayerStore(configuration: t.store.configuration)
        #expect(try other.readSync { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ls_layer_version WHERE state = 'pending'") } == 1)
        #expect(try ImportLock.acquire(in: t.directory, wait: false) == nil, "the lock is exclusive")
        withExtendedLifetime(lock) {}
        _ = consume lock
        // Lock released (the import "died"): the next open cleans up.
        let after = try LayerStore(configuration: t.store.configuration)
        #expect(try after.readSync { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ls_layer_version WHERE state = 'pending'") } == 0)
        #expect(try after.layer("a")?.currentVersion == 1)
    }

    @Test("a store made before uploads opens: ls_layer_version gains its states and history columns, ls_job appears, nothing is lost")
    func migratesOldStores() async throws {
        let t = try TempStore()
        try await t.importFile(TestData.bag, layer: "a", sourceLayer: "ligplaatsen")
        let before = try #require(try t.store.layer("a"))
        // Back to the shape of issue 3: the old CHECK, no history columns, no job table.
        try await t.store.pool.write { db in
            try db.execute(sql: "DROP TABLE ls_job")
            try db.execute(sql: """
                CREATE TABLE old_versions (layer_id TEXT NOT NULL, version INTEGER NOT NULL,
                  state TEXT NOT NULL CHECK (state IN ('pending', 'published')), table_name TEXT NOT NULL UNIQUE,
                  created_at TEXT NOT NULL, checksum TEXT NOT NULL DEFAULT '', feature_count INTEGER NOT NULL DEFAULT 0,
                  rejected_count INTEGER NOT NULL DEFAULT 0, source_file TEXT NOT NULL, source_driver TEXT NOT NULL,
                  srs_id INTEGER NOT NULL, geometry_type TEXT NOT NULL, min_x REAL, min_y REAL, max_x REAL, max_y REAL,
                  lon_min REAL, lat_min REAL, lon_max REAL, lat_max REAL, fields TEXT NOT NULL, thinning TEXT,
                  PRIMARY KEY (layer_id, version))
                """)
            try db.execute(sql: """
                INSERT INTO old_versions SELECT layer_id, version, state, table_name, created_at, checksum, feature_count,
                  rejected_count, source_file, source_driver, srs_id, geometry_type, min_x, min_y, max_x, max_y,
                  lon_min, lat_min, lon_max, lat_max, fields, thinning FROM ls_layer_version
                """)
            try db.execute(sql: "DROP TABLE ls_layer_version")
            try db.execute(sql: "ALTER TABLE old_versions RENAME TO ls_layer_version")
        }
        let reopened = try LayerStore(configuration: t.store.configuration)
        #expect(try reopened.layer("a") == before)
        try reopened.readSync { db in
            #expect(try db.tableExists("ls_job"))
            let sql = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'ls_layer_version'") ?? ""
            #expect(sql.contains("'staged'") && sql.contains("uploaded_by"))
        }
        #expect(try reopened.history("a").map(\.version) == [1])
    }

    @Test("a table of another tool named like a version table is not touched")
    func foreignTablesSurvive() async throws {
        let t = try TempStore()
        try await t.importFile(TestData.bag, layer: "a", sourceLayer: "ligplaatsen")
        try await t.store.pool.write { db in try db.execute(sql: "CREATE TABLE roads_v1 (id INTEGER PRIMARY KEY)") }
        let reopened = try LayerStore(configuration: t.store.configuration)
        #expect(try reopened.readSync { db in try db.tableExists("roads_v1") })
    }
}
