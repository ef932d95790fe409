import Foundation
import GeoCore
import Hummingbird
import HummingbirdTesting
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
}
