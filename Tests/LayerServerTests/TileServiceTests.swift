import CompressNIO
import Foundation
import GeoCore
import GRDB
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

    /// The decoded features of a tile: stored id (the owner's view has no opaque ids), tile
    /// position (extent units) and `point_count` (1 when absent).
    static func decodePoints(_ bytes: [UInt8]) throws -> [(id: Int64, x: Int, y: Int, count: Int)] {
        guard !bytes.isEmpty else { return [] }
        return try MVTDecoder.decodeAndInterpret(bytes).layers.flatMap { layer in
            try layer.features.map { f in
                var count = 1
                for pair in stride(from: 0, to: f.tags.count - 1, by: 2) where layer.keys[Int(f.tags[pair])] == TileService.pointCountField {
                    switch layer.values[Int(f.tags[pair + 1])] {
                    case .int(let n), .sint(let n): count = Int(n)
                    case .uint(let n): count = Int(n)
                    default: count = -1
                    }
                }
                guard case .points(let ps) = try MVTGeometryDecoder.interpret(f.type, f.geometry), let p = ps.first else {
                    return (Int64(f.id ?? 0), Int.min, Int.min, count)
                }
                return (Int64(f.id ?? 0), Int(p.x), Int(p.y), count)
            }
        }
    }

    @Test("every point of a dense layer is in every tile from the full-detail zoom; below it, an over-budget tile holds clusters whose point_count sums to the points in the tile")
    func fidelity() async throws {
        let t = try TempStore()
        let directory = t.directory
        let file = try await BlockingWork.run { try Self.densePoints(in: directory, count: 40_000, size: 4_000) }
        try await t.importFile(file, layer: "dense")
        let layer = try #require(try t.store.layer("dense"))
        let budget = 48 * 1024
        let service = try t.tileService(configuration: TileConfiguration(budgetBytes: budget))
        // Every stored point, in the layer's CRS.
        let stored: [(fid: Int64, p: Position)] = try t.store.readSync { db in
            try Row.fetchAll(db, sql: "SELECT fid, geom FROM dense_v1").compactMap { row in
                let blob: Data = row["geom"]
                guard case .point(let p?) = try GeoPackageBinary.decode([UInt8](blob)).geometry else { return nil }
                return (row["fid"], p)
            }
        }
        #expect(stored.count == 40_000)
        let center = Position(138_000, 458_000)
        let extent = Double(service.configuration.mvt.extent), buffer = Double(service.configuration.mvt.buffer)
        var complete = 0, clustered = 0
        for tms in TileMatrixSet.supported {
            let positions = try t.transformers.withTransformer(from: .rdNew, to: tms.crs) { tr in try stored.map { try tr.transform($0.p) } }
            let c = try t.transformers.withTransformer(from: .rdNew, to: tms.crs) { try $0.transform(center) }
            for z in tms.zoomRange where z <= 18 {
                let tile = try #require(tms.tile(containing: c, z: z))
                let bounds = try #require(tms.bounds(of: tile))
                // The stored points inside the buffered tile, with a unit of slack either way for
                // rounding to the tile grid.
                func inside(_ margin: Double) -> Set<Int64> {
                    let lo = -buffer - margin, hi = extent + buffer + margin
                    return Set(zip(stored, positions).compactMap { s, p in
                        let x = (p.x - bounds.minX) / bounds.width * extent, y = (bounds.maxY - p.y) / bounds.height * extent
                        return x >= lo && x <= hi && y >= lo && y <= hi ? s.fid : nil
                    })
                }
                let inner = inside(-1), outer = inside(1)
                let bytes = try await service.render(layer: layer, tms: tms, tile: tile)
                let points = try Self.decodePoints(bytes)
                let ids = Set(points.map(\.id))
                #expect(ids.count == points.count, "\(tms.id) z\(z): a point twice")
                let sum = points.reduce(0) { $0 + $1.count }
                let wmZoom = ZoomEquivalence.webMercatorZoom(of: tms, z: z, latitude: layer.current.extentWGS84.center.y)
                if wmZoom >= service.configuration.fullDetailZoom(of: "dense") {
                    #expect(inner.isSubset(of: ids) && ids.isSubset(of: outer), "\(tms.id) z\(z): \(inner.subtracting(ids).count) points missing, \(ids.subtracting(outer).count) too many")
                    #expect(points.allSatisfy { $0.count == 1 })
                    if inner.count > 1000 { complete += 1 }
                } else if points.contains(where: { $0.count > 1 }) {
                    var buf = ByteBuffer(bytes: bytes)
                    let gz = try buf.compress(with: .gzip()).readableBytes
                    #expect(gz <= budget, "\(tms.id) z\(z): \(gz) bytes gzipped")
                    #expect(sum >= inner.count && sum <= outer.count, "\(tms.id) z\(z): point_count sums to \(sum), the tile holds \(inner.count)...\(outer.count)")
                    #expect(ids.isSubset(of: outer), "representatives are points of the tile")
                    clustered += 1
                } else {
                    // Under budget: every point.
                    #expect(inner.isSubset(of: ids) && ids.isSubset(of: outer), "\(tms.id) z\(z): \(inner.subtracting(ids).count) points missing")
                }
            }
        }
        #expect(complete >= 4 && clustered >= 4, "complete tiles \(complete), clustered tiles \(clustered)")
    }

    @Test("a multipoint layer is never clustered: an over-budget tile below full detail still holds every feature")
    func multipointsAreNotClustered() async throws {
        let t = try TempStore()
        let file = t.directory.appendingPathComponent("multi.gpkg")
        var rng = SystemRandomNumberGenerator()
        try VectorWriter.create(at: file.path, driver: "GPKG", layerName: "multi", crs: .rdNew, geometryType: .multiPoint,
                                fields: [Field(name: "n", type: .integer)]) { w in
            for i in 0..<3000 {
                let ps = (0..<2).map { _ in Position(136_000 + Double.random(in: 0..<2000, using: &rng), 456_000 + Double.random(in: 0..<2000, using: &rng)) }
                try w.write(Feature(id: Int64(i + 1), geometry: .multiPoint(ps), attributes: [.int(Int64(i))]))
            }
        }
        try await t.importFile(file, layer: "multi")
        let layer = try #require(try t.store.layer("multi"))
        #expect(layer.current.geometryType == .multiPoint)
        let service = try t.tileService(configuration: TileConfiguration(budgetBytes: 2048))
        let c = try Transformer(from: .rdNew, to: .webMercator).transform(Position(137_000, 457_000))
        let tile = try #require(TileMatrixSet.webMercatorQuad.tile(containing: c, z: 10))
        let bytes = try await service.render(layer: layer, tms: .webMercatorQuad, tile: tile)
        #expect(try Self.decodeCount(bytes) == 3000)
        #expect(bytes.count > 2048, "over the budget, and not clustered")
    }

    @Test("clusters count every point, respect their target, do not depend on read order, and leave lone points alone")
    func clusterGrid() {
        // 10,000 points 0.05 units apart in one corner (the finest cell is 0.024 units), three lone points elsewhere.
        var points: [KeptPoint] = []
        for i in 0..<10_000 {
            let p = Position(Double(i % 100) * 0.05, Double(i / 100) * 0.05)
            points.append(KeptPoint(fid: Int64(i + 10), position: p))
        }
        points += [KeptPoint(fid: 1, position: Position(90, 90)), KeptPoint(fid: 2, position: Position(50, 95)), KeptPoint(fid: 3, position: Position(95, 20))]
        let frame = Envelope(minX: 0, minY: 0, maxX: 100, maxY: 100)
        for target in [1, 4, 10, 100, 20_000] {
            let clusters = PointClusters.make(points.shuffled(), frame: frame, target: target)
            #expect(clusters.reduce(0) { $0 + $1.count } == points.count)
            #expect(clusters.count <= max(target, 1))
            #expect(Set(clusters.map(\.representative.fid)).count == clusters.count)
            if target >= 4 {
                #expect([1, 2, 3].allSatisfy { fid in clusters.contains { $0.representative.fid == fid && $0.count == 1 } }, "target \(target)")
            }
            // The same clusters whatever the order of the input.
            #expect(PointClusters.make(points.reversed(), frame: frame, target: target) == PointClusters.make(points, frame: frame, target: target))
        }
        #expect(PointClusters.make(points, frame: frame, target: 20_000).count == points.count, "no merging when every point fits")
    }

    @Test("a grid transform is within its tolerance of PROJ, and refuses when it cannot be")
    func gridTransform() throws {
        let tr = try Transformer(from: .rdNew, to: .webMercator)
        for (box, tolerance) in [(Envelope(minX: 120_000, minY: 480_000, maxX: 160_000, maxY: 520_000), 1.2),
                                 (Envelope(minX: 136_000, minY: 456_000, maxX: 137_000, maxY: 457_000), 0.02)] {
            let grid = try #require(GridTransform(tr, box: box, tolerance: tolerance))
            var worst = 0.0
            for i in 0..<200 {
                let p = Position(box.minX + box.width * Double(i % 20) / 19.3, box.minY + box.height * Double(i / 20) / 9.7)
                let exact = try tr.transform(p), fast = grid.apply(p)
                worst = max(worst, abs(exact.x - fast.x), abs(exact.y - fast.y))
            }
            #expect(worst <= tolerance * 1.5, "worst error \(worst) m for a tolerance of \(tolerance)")
        }
        // The whole Netherlands at a millimetre: bilinear interpolation cannot do it.
        #expect(GridTransform(tr, box: Envelope(minX: 0, minY: 300_000, maxX: 300_000, maxY: 620_000), tolerance: 0.001) == nil)
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
