import AccessPolicy
import Foundation
import GeoCore
import MVTTestSupport
import Testing
import TileRender
@testable import LayerServer

@Suite("Point index")
struct PointIndexTests {
    /// Every feature of a tile by id: position (extent units) and attributes as text.
    static func features(_ bytes: [UInt8]) throws -> [UInt64: (x: Int64, y: Int64, properties: [String: String])] {
        guard !bytes.isEmpty else { return [:] }
        var out: [UInt64: (x: Int64, y: Int64, properties: [String: String])] = [:]
        for layer in try MVTDecoder.decodeAndInterpret(bytes).layers {
            for f in layer.features {
                guard case .points(let ps) = try MVTGeometryDecoder.interpret(f.type, f.geometry), let p = ps.first, let id = f.id else { continue }
                var properties: [String: String] = [:]
                for pair in stride(from: 0, to: f.tags.count - 1, by: 2) {
                    properties[layer.keys[Int(f.tags[pair])]] = "\(layer.values[Int(f.tags[pair + 1])])"
                }
                out[id] = (p.x, p.y, properties)
            }
        }
        return out
    }

    @Test("tiles from the in-memory point index hold what tiles from SQLite hold (ids, positions, attributes), also for a reader limited to regions with a hidden attribute")
    func sameTilesAsSQLite() async throws {
        let t = try TempStore()
        let directory = t.directory
        let file = try await BlockingWork.run { try ImportConcurrencyTests.points(in: directory, count: 50_000) }
        try await t.importFile(file, layer: "points")
        let layer = try #require(try t.store.layer("points"))
        let sql = try t.tileService(configuration: TileConfiguration(pointIndexBytes: 0))
        let memory = try t.tileService()
        await memory.warm([layer])
        let index = try #require(memory.points.index(layer.current), "the index is ready after warming")
        #expect(index.count == 50_000)
        #expect(sql.points.index(layer.current) == nil, "a zero budget holds no index")

        let restrictions = [Restriction.none, Restriction(filter: .within(regions: ["VR09", "VR13"], areas: []), hiddenAttributes: ["KIND"])]
        let places = [Position(136_000, 456_000), Position(121_000, 487_000), Position(150_000, 470_000), Position(100_000, 430_000)]
        var compared = 0, restrictedFeatures = 0
        for tms in TileMatrixSet.supported {
            let centres = try t.transformers.withTransformer(from: .rdNew, to: tms.crs) { tr in try places.map { try tr.transform($0) } }
            for z in [9, 11, 13, 15] {
                let level = tms.id == TileMatrixSet.webMercatorQuad.id ? z : max(0, z - 3)
                for c in centres {
                    let tile = try #require(tms.tile(containing: c, z: level))
                    for restriction in restrictions {
                        let a = try Self.features(try await sql.render([(layer, restriction)], tms: tms, tile: tile, encoder: sql.mvt))
                        let b = try Self.features(try await memory.render([(layer, restriction)], tms: tms, tile: tile, encoder: memory.mvt))
                        // A point within a unit of the buffered tile's edge may fall either side:
                        // the index projects exactly, SQLite through the checked grid.
                        func nearEdge(_ f: (x: Int64, y: Int64, properties: [String: String])) -> Bool {
                            [f.x, f.y].contains { abs($0 + 64) <= 1 || abs($0 - 4160) <= 1 }
                        }
                        let onlyA = Set(a.keys).subtracting(b.keys), onlyB = Set(b.keys).subtracting(a.keys)
                        #expect(onlyA.allSatisfy { nearEdge(a[$0]!) } && onlyB.allSatisfy { nearEdge(b[$0]!) },
                                "\(tms.id) z\(level): \(onlyA.count) only from SQLite, \(onlyB.count) only from the index")
                        for (id, f) in a {
                            guard let g = b[id] else { continue }
                            #expect(abs(f.x - g.x) <= 1 && abs(f.y - g.y) <= 1 && f.properties == g.properties, "\(tms.id) z\(level) feature \(id)")
                        }
                        if restriction != .none {
                            #expect(b.values.allSatisfy { $0.properties["kind"] == nil })
                            restrictedFeatures += b.count
                        }
                        compared += a.count
                    }
                }
            }
        }
        #expect(compared > 20_000 && restrictedFeatures > 1000, "compared \(compared), restricted \(restrictedFeatures)")
    }

    @Test("the grid finds exactly the points in a box, and a budget too small for a version refuses it")
    func gridAndBudget() async throws {
        let t = try TempStore()
        let directory = t.directory
        let file = try await BlockingWork.run { try ImportConcurrencyTests.points(in: directory, count: 5_000) }
        try await t.importFile(file, layer: "points")
        let layer = try #require(try t.store.layer("points"))
        let index = try #require(try t.store.readSync { db in try PointIndex.load(layer.current, db: db, transformers: t.transformers) })
        for box in [Envelope(minX: 120_000, minY: 450_000, maxX: 150_000, maxY: 480_000), Envelope(minX: 0, minY: 0, maxX: 1e6, maxY: 1e6),
                    Envelope(minX: 136_000, minY: 456_000, maxX: 136_500, maxY: 456_500), Envelope(minX: -10, minY: -10, maxX: 0, maxY: 0)] {
            var found: [Int64] = []
            index.forEach(in: box) { found.append(index.fids[$0]) }
            let expected = index.positions.indices.filter { box.contains(index.positions[$0]) }.map { index.fids[$0] }
            #expect(Set(found) == Set(expected) && found.count == expected.count, "\(box)")
        }
        let tiny = try t.tileService(configuration: TileConfiguration(pointIndexBytes: 1024))
        await tiny.warm([layer])
        #expect(tiny.points.index(layer.current) == nil)
        #expect(tiny.points.bytes == 0)
    }
}
