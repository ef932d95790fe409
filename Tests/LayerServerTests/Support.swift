import Foundation
import GRDB
import GeoCore
import TileRender
@testable import LayerServer

/// Where the shared peer fixtures live (../shared/data next to the checkout).
enum TestData {
    static let repository: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    static let root: URL = {
        let candidates = [repository.appendingPathComponent("../shared/data"), URL(fileURLWithPath: "/work/shared/data")]
        return candidates.first { FileManager.default.fileExists(atPath: $0.path) }!.standardizedFileURL
    }()

    static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }
    static func fixture(_ name: String) -> URL { repository.appendingPathComponent("fixtures").appendingPathComponent(name) }

    static let bag = url("pdok-gokoala/internal/ogc/features/datasources/geopackage/testdata/bag.gpkg")
    static let regionsRD = url("nl-boundaries/derived/vr_features_rd.geojson")
    static let municipalities = url("nl-boundaries/derived/gm_features_wgs84.geojson")
}

/// A store in a fresh temporary directory, removed at deinit.
final class TempStore {
    let directory: URL
    let store: LayerStore
    let transformers = TransformerPool()

    init(keepVersions: Int = 5) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("layerserver-test-\(UUID().uuidString)")
        store = try LayerStore(configuration: StoreConfiguration(dataDirectory: directory, keepVersions: keepVersions))
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    var importer: LayerImporter { LayerImporter(store: store, transformers: transformers) }

    /// A tile service over this store.
    func tileService(configuration: TileConfiguration = TileConfiguration()) throws -> TileService {
        TileService(store: store, transformers: transformers, scope: try SpatialScope(transformers: transformers), configuration: configuration)
    }

    @discardableResult
    func importFile(_ url: URL, layer: String, owner: String = "Test owner", sensitivity: Sensitivity = .open,
                    sourceLayer: String? = nil, sourceCRS: CRS? = nil, minZoom: Int? = nil, maxZoom: Int? = nil) async throws -> ImportReport {
        try await importer.runDetached(ImportRequest(file: url, layerID: layer, owner: owner, sensitivity: sensitivity,
                                                     sourceCRS: sourceCRS, sourceLayer: sourceLayer, minZoom: minZoom, maxZoom: maxZoom))
    }

    /// Every table in the file.
    func tables() throws -> Set<String> {
        try store.readSync { db in Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")) }
    }

    /// Pending (unpublished) version rows.
    func pendingVersions() throws -> Int {
        try store.readSync { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ls_layer_version WHERE state = 'pending'") ?? 0 }
    }

    /// Version feature tables that no version row refers to.
    func orphanTables() throws -> [String] {
        let known = try store.readSync { db in Set(try String.fetchAll(db, sql: "SELECT table_name FROM ls_layer_version")) }
        return try tables().filter { name in
            let base = name.hasPrefix("ls_thin_") ? String(name.dropFirst(8))
                : name.hasPrefix("rtree_") && name.hasSuffix("_geom") ? String(name.dropFirst(6).dropLast(5)) : name
            return VersionTables.isVersionTableName(base) && !known.contains(base)
        }.sorted()
    }
}

extension TileService {
    /// The unrestricted tile: tests of the renderer itself.
    func render(layer: Layer, tms: TileMatrixSet, tile: TileID) async throws -> [UInt8] {
        try await render(layer: layer, tms: tms, tile: tile, restriction: .none)
    }
}

/// Runs a command and returns its exit status and output.
func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}
