import AccessPolicy
import CompressNIO
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import LayerServer
import NIOCore
import Testing

/// Issue 13, item 4: vector-tile packages (MBTiles) of an area and zoom range, per access class.
@Suite("MBTiles packages")
struct TilePackageTests {
    /// Around Utrecht and the HDSR area (VR09 and VR16), in CRS84.
    static let utrecht = "4.9,51.95,5.4,52.2"

    @Test("for each demo cast member the package holds exactly the tiles the tile route gives it, with the policy hash and time; hidden layers are missing")
    func perMember() async throws {
        let users = ["locc-viewer", "im-utrecht", "hdsr-editor", "standby-viewer", "stedin-viewer", "adhoc-viewer"]
        try await MapWorld.withServer { client in
            let now = client.service.clock()
            var (packaged, hidden) = (0, 0)
            for layer in ["hydrants", "gas_stations", "water_facilities"] { for user in users {
                let principal = try client.service.access.authenticate(authorization: "Bearer \(client.world.token(user))", at: now).get()
                let grant = client.service.access.readGrant(principal, layer: layer, at: now)
                let r = try await client.execute("/collections/\(layer)/tiles/WebMercatorQuad/mbtiles?bbox=\(Self.utrecht)&minzoom=9&maxzoom=12", as: user)
                guard grant.decision.allowed else {
                    #expect(r.status == .notFound, "\(user): \(r.status)")
                    hidden += 1
                    continue
                }
                #expect(r.status == .ok, "\(user): \(r.status) \(String(buffer: r.body).prefix(300))")
                #expect(r.headers[.contentType] == "application/vnd.sqlite3")
                #expect(r.headers[HTTPField.Name("Policy-Hash")!] == grant.decision.policyHash)
                let file = FileManager.default.temporaryDirectory.appendingPathComponent("package-\(UUID().uuidString).mbtiles")
                defer { try? FileManager.default.removeItem(at: file) }
                try Data(r.body.readableBytesView).write(to: file)
                let (metadata, tiles) = try await DatabaseQueue(path: file.path).read { db in
                    (Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT name, value FROM metadata").map { ($0[0] as String, $0[1] as String) }),
                     try Row.fetchAll(db, sql: "SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles").map {
                         ($0[0] as Int, $0[1] as Int, $0[2] as Int, $0[3] as Data)
                     })
                }
                #expect(metadata["format"] == "pbf" && metadata["minzoom"] == "9" && metadata["maxzoom"] == "12")
                #expect(metadata["layerserver_policy_hash"] == grant.decision.policyHash)
                #expect(metadata["layerserver_exported_at"]?.hasPrefix("20") == true)
                #expect(metadata["json"]?.contains("\"vector_layers\"") == true)
                for hidden in grant.decision.hiddenAttributes { #expect(metadata["json"]?.contains("\"\(hidden)\"") == false, "\(user): \(hidden)") }
                #expect(!tiles.isEmpty || layer != "hydrants", "\(user): no tiles")
                // Each tile is, gunzipped, the tile route's answer to this caller (rows flipped to TMS order).
                for (z, col, tmsRow, data) in tiles {
                    var compressed = ByteBuffer(bytes: data)
                    let inflated = try compressed.decompress(with: .gzip())
                    let row = (1 << z) - 1 - tmsRow
                    let served = try await client.execute("/collections/\(layer)/tiles/WebMercatorQuad/\(z)/\(row)/\(col)", as: user)
                    #expect(served.status == .ok && Array(served.body.readableBytesView) == Array(inflated.readableBytesView), "\(user) \(z)/\(row)/\(col)")
                }
                packaged += tiles.isEmpty ? 0 : 1
            } }
            #expect(packaged >= 6 && hidden >= 1, "\(packaged) packages, \(hidden) hidden")
            // Audited as a read of the features in the package's area, with their stored ids.
            try await client.service.access.recorder.flush()
            let records = try await client.service.store.read { db in try AuditLog.query(db, layer: "hydrants", organisation: "hdsr", limit: 100_000) }
            #expect(records.contains { $0.event.items.contains { $0.hasPrefix("mbtiles z9-12 v1: ") } })
            // From zoom 1 the lowest zoom's tiles and their buffers reach past ±180°: still audited.
            let low = try await client.execute("/collections/hydrants/tiles/WebMercatorQuad/mbtiles?bbox=\(Self.utrecht)&minzoom=1&maxzoom=3", as: "hdsr-editor")
            #expect(low.status == .ok)
            try await client.service.access.recorder.flush()
            let lowRecords = try await client.service.store.read { db in try AuditLog.query(db, layer: "hydrants", organisation: "hdsr", limit: 100_000) }
            let item = lowRecords.flatMap(\.event.items).first { $0.hasPrefix("mbtiles z1-3 v1: ") }
            #expect(item != nil && item?.hasSuffix("none") == false, "\(item ?? "no record")")
        }
    }

    @Test("outside the caller's area a package holds no tiles; bad areas, zooms, grids and sizes are 400s that say what to fix")
    func limits() async throws {
        try await MapWorld.withServer { client in
            // Groningen is outside HDSR's regions: the package is valid and empty.
            let r = try await client.execute("/collections/hydrants/tiles/WebMercatorQuad/mbtiles?bbox=6.5,53.1,6.7,53.3&minzoom=10&maxzoom=12", as: "hdsr-editor")
            #expect(r.status == .ok)
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("package-\(UUID().uuidString).mbtiles")
            defer { try? FileManager.default.removeItem(at: file) }
            try Data(r.body.readableBytesView).write(to: file)
            #expect(try await DatabaseQueue(path: file.path).read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tiles") } == 0)

            let hydrants = try #require(client.service.catalogLayer("hydrants"))
            let (minZoom, maxZoom) = (hydrants.minZoom, hydrants.maxZoom)
            let bad: [(String, String)] = [
                ("/collections/hydrants/tiles/NetherlandsRDNewQuad/mbtiles", "WebMercatorQuad tiles only"),
                ("/collections/hydrants/tiles/WebMercatorQuad/mbtiles?bbox=5,52,4,53", "bbox must be"),
                ("/collections/hydrants/tiles/WebMercatorQuad/mbtiles?bbox=1,2,3", "bbox must be"),
                ("/collections/hydrants/tiles/WebMercatorQuad/mbtiles?minzoom=40", "minzoom must be"),
                ("/collections/hydrants/tiles/WebMercatorQuad/mbtiles?bbox=3,50,7,54&minzoom=0&maxzoom=16", "more than 20000 tiles"),
                ("/collections/hydrants/tiles/WebMercatorQuad/mbtiles?zoom=3", "unknown parameter"),
                ("/collections/hydrants/tiles/WebMercatorQuad/mbtiles?minzoom=10&maxzoom=5", "minzoom not above maxzoom"),
                ("/collections/hydrants/tiles/WebMercatorQuad/mbtiles?minzoom=\(maxZoom + 1)", "minzoom"),
                ("/collections/hydrants/tiles/WebMercatorQuad/mbtiles?maxzoom=\(max(0, minZoom - 1))&minzoom=\(max(0, minZoom - 1))", "zoom range"),
            ]
            for (uri, message) in bad where !(uri.contains("minzoom=\(max(0, minZoom - 1))") && minZoom == 0) {
                let r = try await client.execute(uri, as: "locc-viewer")
                #expect(r.status == .badRequest && String(buffer: r.body).contains(message), "\(uri): \(r.status) \(String(buffer: r.body))")
            }
        }
    }

    @Test("at start only export files untouched for an hour go: newer ones may be another server's on the same data directory")
    func leftovers() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("layerserver-exports-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let exports = dir.appendingPathComponent("exports")
        try FileManager.default.createDirectory(at: exports, withIntermediateDirectories: true)
        let old = exports.appendingPathComponent("old.gpkg"), fresh = exports.appendingPathComponent("fresh.mbtiles")
        try Data([1]).write(to: old)
        try Data([2]).write(to: fresh)
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-7200)], ofItemAtPath: old.path)
        FeatureRoutes.clearExports(in: dir)
        #expect(!FileManager.default.fileExists(atPath: old.path))
        #expect(FileManager.default.fileExists(atPath: fresh.path))
    }

    @Test("a set of layers in one GeoPackage: each layer as the caller's items give it, the metadata and the audit; a hidden layer in the set is missing")
    func layerSet() async throws {
        try await MapWorld.withServer { client in
            let now = client.service.clock()
            for user in ["hdsr-editor", "locc-viewer"] {
                let principal = try client.service.access.authenticate(authorization: "Bearer \(client.world.token(user))", at: now).get()
                let readable = MapTests.layerIDs.filter { client.service.access.readGrant(principal, layer: $0, at: now).decision.allowed && $0 != "bag_addresses" }
                #expect(readable.count >= 2, "\(user): \(readable)")
                let r = try await client.execute("/exports/gpkg?collections=\(readable.joined(separator: ","))&bbox=4.9,51.9,5.5,52.3", as: user)
                #expect(r.status == .ok, "\(user): \(r.status) \(String(buffer: r.body).prefix(300))")
                let file = FileManager.default.temporaryDirectory.appendingPathComponent("set-\(UUID().uuidString).gpkg")
                defer { try? FileManager.default.removeItem(at: file) }
                try Data(r.body.readableBytesView).write(to: file)
                let queue = try DatabaseQueue(path: file.path)
                let metadata = try await queue.read { db in try String.fetchAll(db, sql: "SELECT metadata FROM gpkg_metadata").joined() }
                #expect(metadata.contains(readable.joined(separator: ",")))
                for id in readable {
                    let count = try await queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \"\(id)\"") ?? -1 }
                    let (_, features, _) = try await FeatureTests.allItems(client, id, as: user, query: "limit=1000&bbox=4.9,51.9,5.5,52.3")
                    #expect(count == features.count, "\(user) \(id): \(count) in the set, \(features.count) items")
                }
            }
            // Hidden or missing in the set: the answer of a missing layer, naming it.
            let hidden = try await client.execute("/exports/gpkg?collections=safety_regions,water_facilities", as: "adhoc-viewer")
            let missing = try await client.execute("/exports/gpkg?collections=safety_regions,no_such_layer", as: "adhoc-viewer")
            #expect(hidden.status == .notFound && missing.status == .notFound)
            #expect(String(buffer: hidden.body).replacingOccurrences(of: "water_facilities", with: "X") == String(buffer: missing.body).replacingOccurrences(of: "no_such_layer", with: "X"))
            for (uri, message) in [("/exports/gpkg", "give collections"), ("/exports/gpkg?collections=safety_regions,safety_regions", "each layer once"),
                                   ("/exports/gpkg?collections=safety_regions&collections=safety_regions", "each layer once"),
                                   ("/exports/gpkg?collections=safety_regions&filter=x", "unknown parameter")] {
                let r = try await client.execute(uri, as: "locc-viewer")
                #expect(r.status == .badRequest && String(buffer: r.body).contains(message), "\(uri): \(String(buffer: r.body))")
            }
            try await client.service.access.recorder.flush()
            let records = try await client.service.store.read { db in try AuditLog.query(db, layer: "hydrants", organisation: "hdsr", limit: 100_000) }
            #expect(records.contains { $0.event.items.contains { $0.hasPrefix("export gpkg v1: ") } })
        }
    }
}
