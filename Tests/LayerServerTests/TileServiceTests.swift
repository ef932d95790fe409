import CompressNIO
import Foundation
import GeoCore
import MVTTestSupport
import NIOCore
import Testing
import TileRender
@testable import LayerServer

@Suite("Tile service")
struct TileServiceTests {
    /// A dense point layer: `count` points in a `size` m square around Utrecht.
    static func densePoints(in directory: URL, count: Int, size: Double) throws -> URL {
        let file = directory.appendingPathComponent("dense-\(count).gpkg")
        var rng = SystemRandomNumberGenerator()
        try VectorWriter.create(at: file.path, driver: "GPKG", layerName: "dense", crs: .rdNew, geometryType: .point,
                                fields: [Field(name: "n", type: .integer)]) { w in
            for i in 0..<count {
                let p = Position(136_000 + Double.random(in: 0..<size, using: &rng), 456_000 + Double.random(in: 0..<size, using: &rng))
                try w.write(Feature(id: Int64(i), geometry: .point(p), attributes: [.int(Int64(i))]))
            }
        }
        return file
    }

    static func decodeCount(_ bytes: [UInt8]) throws -> Int {
        guard !bytes.isEmpty else { return 0 }
        return try MVTDecoder.decodeAndInterpret(bytes).layers.reduce(0) { $0 + $1.features.count }
    }

    @Test("point thinning bounds every tile of a dense layer, and the deepest zoom shows every point")
    func thinning() async throws {
        let t = try TempStore()
        let directory = t.directory
        let file = try await BlockingWork.run { try Self.densePoints(in: directory, count: 200_000, size: 4_000) }
        try await t.importFile(file, layer: "dense")
        let layer = try #require(try t.store.layer("dense"))
        let service = try t.tileService()
        let center = Position(138_000, 458_000)
        let cells = service.configuration.cellsPerTile
        for tms in TileMatrixSet.supported {
            let c = try t.transformers.withTransformer(from: .rdNew, to: tms.crs) { try $0.transform(center) }
            var largest = 0
            for z in tms.zoomRange where z <= 20 {
                let tile = try #require(tms.tile(containing: c, z: z))
                let bytes = try await service.render(layer: layer, tms: tms, tile: tile)
                let n = try Self.decodeCount(bytes)
                // One point per thinning cell, and the query box is the tile plus its buffer.
                let bound = Int(pow(Double(cells) * (1 + 2 * 64.0 / 4096) + 2, 2)) * 2
                #expect(n <= bound, "\(tms.id) z\(z): \(n) points")
                var buffer = ByteBuffer(bytes: bytes)
                let gz = bytes.isEmpty ? 0 : try buffer.compress(with: .gzip()).readableBytes
                #expect(gz < 500_000, "\(tms.id) z\(z): \(gz) bytes gzipped")
                largest = max(largest, gz)
            }
            #expect(largest > 0)
        }
        // At a zoom where thinning stops, a tile holds exactly the points inside it.
        let tms = TileMatrixSet.netherlandsRDNewQuad
        let tile = try #require(tms.tile(containing: center, z: 16))
        let bounds = try #require(tms.bounds(of: tile))
        let query = MVTLayerBuilder.queryBounds(tileBounds: bounds, options: service.configuration.mvt)
        let expected = try t.store.readSync { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM rtree_dense_v1_geom WHERE minx >= ? AND maxx <= ? AND miny >= ? AND maxy <= ?",
                             arguments: [query.minX, query.maxX, query.minY, query.maxY]) ?? 0
        }
        let got = try Self.decodeCount(try await service.render(layer: layer, tms: tms, tile: tile))
        #expect(abs(got - expected) <= 2, "got \(got), R-tree says \(expected)")
    }

    @Test("tiles below a layer's min zoom and above its max zoom are empty")
    func zoomLimits() async throws {
        let t = try TempStore()
        try await t.importFile(TestData.bag, layer: "a", sourceLayer: "verblijfsobjecten", minZoom: 12, maxZoom: 16)
        let layer = try #require(try t.store.layer("a"))
        let service = try t.tileService()
        let dam = try Transformer(from: .rdNew, to: .webMercator).transform(Position(121_100, 488_900))
        for z in [10, 11, 12, 16, 17] {
            let tile = TileMatrixSet.webMercatorQuad.tile(containing: dam, z: z)!
            let n = try Self.decodeCount(try await service.render(layer: layer, tms: .webMercatorQuad, tile: tile))
            #expect((n > 0) == (12...16).contains(z), "z\(z): \(n)")
        }
        // RD levels follow by ground resolution: RD z7 (26.9 m) ~ WebMercator z12 at 52 N.
        let rdTile = TileMatrixSet.netherlandsRDNewQuad.tile(containing: Position(121_100, 488_900), z: 7)!
        #expect(try Self.decodeCount(try await service.render(layer: layer, tms: .netherlandsRDNewQuad, tile: rdTile)) > 0)
        let rdLow = TileMatrixSet.netherlandsRDNewQuad.tile(containing: Position(121_100, 488_900), z: 5)!
        #expect(try Self.decodeCount(try await service.render(layer: layer, tms: .netherlandsRDNewQuad, tile: rdLow)) == 0)
    }

    @Test("polygon tiles carry the geometry within quantisation and the attributes typed")
    func polygonContent() async throws {
        let t = try TempStore()
        try await t.importFile(TestData.regionsRD, layer: "regions", sourceCRS: .rdNew)
        let layer = try #require(try t.store.layer("regions"))
        var config = TileConfiguration()
        config.mvt.simplificationTolerance = 0
        let service = try t.tileService(configuration: config)
        let tms = TileMatrixSet.netherlandsRDNewQuad
        let tile = TileID(z: 0, row: 0, col: 0)
        let decoded = try MVTDecoder.decodeAndInterpret(try await service.render(layer: layer, tms: tms, tile: tile))
        let mvt = try #require(decoded.layers.first)
        #expect(mvt.features.count == 25)
        #expect(mvt.values.contains(.string("VR01")))
        // Every vertex of region VR01's exterior lies within half a grid unit of the source vertex.
        var source: Geometry?
        try GeoCore.VectorDataset.withDataset(at: TestData.regionsRD.path) { ds in
            try ds.readFeatures(layer: 0) { r in if case .feature(let f) = r, source == nil { source = f.geometry } }
        }
        let bounds = try #require(tms.bounds(of: tile))
        let scale = 4096 / bounds.width
        guard case .multiPolygon(let polys)? = source else { Issue.record("no source polygon"); return }
        // Feature ids follow storage (Hilbert) order, so find VR01, the file's first region, by its code.
        let codeKey = try #require(mvt.keys.firstIndex(of: "code")).asUInt32
        let vr01 = try #require(mvt.values.firstIndex(of: .string("VR01"))).asUInt32
        let f = try #require(mvt.features.first { f in
            stride(from: 0, to: f.tags.count, by: 2).contains { f.tags[$0] == codeKey && f.tags[$0 + 1] == vr01 }
        })
        guard case .polygons(let rings) = try MVTGeometryDecoder.interpret(f.type, f.geometry) else { Issue.record("not polygons"); return }
        let expected = polys[0].exterior.map { MVTPoint(Int64((($0.x - bounds.minX) * scale).rounded()), Int64(((bounds.maxY - $0.y) * scale).rounded())) }
        let got = Set(rings.flatMap { $0.flatMap { $0 } })
        let matched = expected.filter { got.contains($0) }.count
        #expect(Double(matched) / Double(expected.count) > 0.6, "\(matched) of \(expected.count) vertices")
    }

    @Test("the cache key carries the access class, and the cache respects its budget")
    func cache() {
        let cache = TileCache(capacity: 10_000)
        let tile = TileID(z: 1, row: 0, col: 0)
        let open = TileCacheKey(accessClass: "ceiling:open", layerID: "a", version: 1, format: "mvt", tileMatrixSet: "WebMercatorQuad", tile: tile)
        var restricted = open
        restricted.accessClass = "ceiling:restricted"
        cache.put(restricted, CachedTile(body: ByteBuffer(bytes: [1, 2, 3]), gzipped: nil))
        #expect(cache.get(open) == nil)
        #expect(cache.get(restricted)?.body.readableBytes == 3)
        for i in 0..<200 {
            var k = open
            k.tile = TileID(z: 10, row: i, col: 0)
            cache.put(k, CachedTile(body: ByteBuffer(bytes: [UInt8](repeating: 0, count: 500)), gzipped: nil))
        }
        #expect(cache.usage.bytes <= 10_000)
        cache.removeAll(layerID: "a")
        #expect(cache.usage.entries == 0)
    }

    @Test("absurd coordinates and latitudes never trap")
    func robustness() throws {
        #expect(ZoomEquivalence.webMercatorZoom(of: .netherlandsRDNewQuad, z: 5, latitude: 120) >= -64)
        #expect(ZoomEquivalence.webMercatorZoom(of: .netherlandsRDNewQuad, z: 5, latitude: .nan) >= -64)
        var b = MVTLayerBuilder(name: "x", fieldNames: [], tileBounds: Envelope(minX: 0, minY: 0, maxX: 100, maxY: 100))
        let far = Position(1e308, 1e308)
        let addedFar = b.add(id: 1, geometry: .point(far), attributes: [])
        #expect(!addedFar)
        b.add(id: 2, geometry: .lineString([Position(10, 10), far, Position(20, 20)]), attributes: [])
        b.add(id: 3, geometry: .polygon(Polygon(rings: [[Position(10, 10), far, Position(20, 10), Position(10, 10)]])), attributes: [])
        _ = try MVTDecoder.decodeAndInterpret(try MVTEncoder.encode([b]))
        #expect(TileMatrixSet.webMercatorQuad.tile(containing: far, z: 10) == nil)
        #expect(TileMatrixSet.webMercatorQuad.tileRange(covering: Envelope(minX: -1e308, minY: -1e308, maxX: 1e308, maxY: 1e308), z: 3) != nil)
    }
}

extension Int {
    var asUInt32: UInt32 { UInt32(self) }
}
