import Foundation
import GeoCore
import Hummingbird
import HummingbirdTesting
import Logging
@testable import LayerServer
import NIOCore
import Testing
import TileRender

/// Issue 12, the disk tier: a restart does not start cold; publish and rollback empty it.
@Suite("Tile cache disk tier end to end")
struct DiskTierTests {
    @Test("tiles written to disk are served after a restart; a publish and a rollback remove the layer's files")
    func restartAndPublish() async throws {
        let world = try await UploadWorld.make(points: 200)
        defer { world.remove() }
        let configure: @Sendable (inout ServerConfiguration) -> Void = { $0.tileDiskCacheBytes = 16 << 20 }
        let mercator = try Transformer(from: .wgs84, to: .webMercator)
        let utrecht = try #require(TileMatrixSet.webMercatorQuad.tile(containing: try mercator.transform(Position(5.12, 52.07)), z: 10))
        let paths = ["/collections/water_facilities/tiles/WebMercatorQuad/10/\(utrecht.row)/\(utrecht.col)",
                     "/collections/water_facilities/map/tiles/WebMercatorQuad/10/\(utrecht.row)/\(utrecht.col)"]
        let layerDirectory = world.directory.appendingPathComponent("tile-cache/water_facilities")
        let first: [[UInt8]] = try await world.withServer(configure: configure) { client in
            var bodies: [[UInt8]] = []
            for p in paths {
                let r = try await client.execute(p, as: "locc-viewer")
                #expect(r.status == .ok)
                bodies.append(Array(r.body.readableBytesView))
            }
            // Written behind the answers.
            for _ in 0..<50 where (client.service.cache.disk?.usage.files ?? 0) < 2 { try await Task.sleep(for: .milliseconds(50)) }
            #expect(client.service.cache.disk?.usage.files == 2)
            return bodies
        }
        try await world.withServer(configure: configure) { client in
            #expect(client.service.cache.disk?.usage.files == 2, "the second server found the first one's files")
            #expect(client.service.cache.usage.entries == 0)
            for (p, body) in zip(paths, first) {
                let r = try await client.execute(p, as: "locc-viewer")
                #expect(Array(r.body.readableBytesView) == body, "\(p)")
            }
            // Another access class gets its own tiles (the area-limited standby contractor's differ).
            _ = try await client.execute(paths[0], as: "standby-viewer")
            let v2 = try await client.uploadAndWait("water_facilities", text: GeoJSONFile.grid(100, gen: 2), name: "v2.geojson", as: "vitens-editor")
            #expect(v2.body["state"]?.string == "published")
            #expect(client.service.cache.disk?.usage.files == 0)
            #expect(!FileManager.default.fileExists(atPath: layerDirectory.appendingPathComponent("1").path))
            _ = try await client.execute(paths[0], as: "locc-viewer")
            for _ in 0..<50 where (client.service.cache.disk?.usage.files ?? 0) < 1 { try await Task.sleep(for: .milliseconds(50)) }
            #expect(try await client.execute("/collections/water_facilities/rollback", .post, as: "vitens-editor").status == .ok)
            #expect(client.service.cache.disk?.usage.files == 0)
        }
    }

    @Test("seeding renders an area for one user's access class; the server serves those files to that class only")
    func seed() async throws {
        let world = try await UploadWorld.make(points: 400)
        defer { world.remove() }
        var config = ServerConfiguration(host: "127.0.0.1", port: 0, store: StoreConfiguration(dataDirectory: world.directory))
        config.tileDiskCacheBytes = 16 << 20
        let offline = try Server.makeService(configuration: config, transformers: TransformerPool(), logger: Logger(label: "seed"))
        let seeder = try TileSeeder(service: offline)
        // Refusals say what is wrong.
        #expect(throws: StoreError.self) { try seeder.plan(layer: "water_facilities", user: "nobody", tms: .webMercatorQuad, zooms: 9...11) }
        #expect(throws: StoreError.self) { try seeder.plan(layer: "water_facilities", user: "adhoc-viewer", tms: .webMercatorQuad, zooms: 9...11) }
        #expect(throws: StoreError.self) { try seeder.plan(layer: "water_facilities", user: "locc-viewer", tms: .webMercatorQuad, zooms: 0...30) }
        let plan = try seeder.plan(layer: "water_facilities", user: "standby-viewer", tms: .webMercatorQuad, zooms: 9...11)
        #expect(!plan.tiles.isEmpty)
        let (written, _) = try await seeder.run(plan)
        #expect(written > 0)
        let files = try #require(offline.cache.disk?.usage.files)
        #expect(files == plan.tiles.count)
        let withFeatures = try #require(plan.tiles.first { t in
            offline.cache.disk.map { d in
                (d.read(offline.tileKey(layer: plan.layer, grant: plan.grant, tms: .webMercatorQuad, tile: t, encoder: offline.tiles.mvt)) ?? []).count > 0
            } ?? false
        })
        try await world.withServer(configure: { $0.tileDiskCacheBytes = 16 << 20 }) { client in
            let path = "/collections/water_facilities/tiles/WebMercatorQuad/\(withFeatures.z)/\(withFeatures.row)/\(withFeatures.col)"
            let standby = try await client.execute(path, as: "standby-viewer")
            #expect(standby.status == .ok)
            // Served from the seeded file: nothing new written for this class.
            try await Task.sleep(for: .milliseconds(300))
            #expect(client.service.cache.disk?.usage.files == files)
            // Another class renders its own.
            let locc = try await client.execute(path, as: "locc-viewer")
            #expect(locc.status == .ok)
            for _ in 0..<50 where (client.service.cache.disk?.usage.files ?? 0) == files { try await Task.sleep(for: .milliseconds(50)) }
            #expect(client.service.cache.disk?.usage.files == files + 1)
        }
        // The seeding is in the audit log.
        let store = try LayerStore(configuration: StoreConfiguration(dataDirectory: world.directory))
        let page = try await store.read { db in try AuditLog.page(db, kind: .change, limit: 1000) }
        let seeded = page.records.filter { (r: AuditRecord) -> Bool in r.event.action == "seed" && r.event.resource == "layer:water_facilities" }
        #expect(seeded.count == 1)
    }

    @Test("seeding images: the layer's PNG tiles for one class land on disk and the map route serves exactly those bytes")
    func seedImages() async throws {
        let world = try await UploadWorld.make(points: 400)
        defer { world.remove() }
        var config = ServerConfiguration(host: "127.0.0.1", port: 0, store: StoreConfiguration(dataDirectory: world.directory))
        config.tileDiskCacheBytes = 16 << 20
        config.stylesDirectory = MapWorld.styles
        let offline = try Server.makeService(configuration: config, transformers: TransformerPool(), logger: Logger(label: "seed"))
        let seeder = try TileSeeder(service: offline)
        let (styles, _) = try StyleCatalog.load(directory: MapWorld.styles)
        let maps = MapService(layers: offline, pictures: nil, styles: styles)
        let plan = try seeder.plan(layer: "water_facilities", user: "standby-viewer", tms: .webMercatorQuad, zooms: 10...10)
        let (written, _) = try await seeder.runImages(plan, maps: maps, pixelRatio: 2)
        #expect(written > 0)
        let files = try #require(offline.cache.disk?.usage.files)
        #expect(files == plan.tiles.count)
        let entry = try styles.layerStyle(plan.layer)
        let stored = plan.tiles.compactMap { t -> (TileID, [UInt8])? in
            let key = offline.tileKey(layer: plan.layer, grant: plan.grant, tms: .webMercatorQuad, tile: t,
                                      encoder: maps.encoder(entry, tms: .webMercatorQuad, tile: t, pixelRatio: 2))
            guard let bytes = offline.cache.disk?.read(key), !bytes.isEmpty else { return nil }
            return (t, bytes)
        }
        let (tile, seeded) = try #require(stored.first)
        #expect(Array(seeded.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "a PNG")
        try await world.withServer(configure: { $0.tileDiskCacheBytes = 16 << 20; $0.stylesDirectory = MapWorld.styles }) { client in
            let r = try await client.execute("/collections/water_facilities/map/tiles/WebMercatorQuad/\(tile.z)/\(tile.row)/\(tile.col)@2x", as: "standby-viewer")
            #expect(r.status == .ok)
            #expect(Array(r.body.readableBytesView) == seeded, "served from the seeded file")
            try await Task.sleep(for: .milliseconds(300))
            #expect(client.service.cache.disk?.usage.files == files, "nothing rendered again")
        }
    }
}
