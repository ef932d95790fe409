import Foundation
import Testing
@testable import GeoCore

@Suite("GEOS operations")
struct GeometryOperationsTests {
    static let bowtie = Geometry.polygon(Polygon(rings: [[Position(0, 0), Position(10, 10), Position(10, 0), Position(0, 10), Position(0, 0)]]))
    static let square = Geometry.polygon(Polygon(rings: [[Position(0, 0), Position(10, 0), Position(10, 10), Position(0, 10), Position(0, 0)]]))

    @Test("validity and its reason")
    func validity() throws {
        #expect(try GeometryOperations.isValid(Self.square))
        #expect(try !GeometryOperations.isValid(Self.bowtie))
        let reason = try GeometryOperations.invalidityReason(Self.bowtie)
        #expect(reason?.lowercased().contains("self-intersection") == true)
        #expect(try GeometryOperations.invalidityReason(Self.square) == nil)
    }

    @Test("make-valid turns a bow-tie into two valid triangles")
    func makeValid() throws {
        let fixed = try GeometryOperations.makeValid(Self.bowtie)
        #expect(try GeometryOperations.isValid(fixed))
        guard case .multiPolygon(let parts) = fixed else { Issue.record("expected a multipolygon, got \(fixed.type)"); return }
        #expect(parts.count == 2)
    }

    @Test("clip by rectangle and intersects")
    func clipAndIntersects() throws {
        let clipped = try GeometryOperations.clip(Self.square, to: Envelope(minX: 5, minY: 5, maxX: 20, maxY: 20))
        #expect(clipped.envelope == Envelope(minX: 5, minY: 5, maxX: 10, maxY: 10))
        let outside = try GeometryOperations.clip(Self.square, to: Envelope(minX: 50, minY: 50, maxX: 60, maxY: 60))
        #expect(outside.isEmpty)
        #expect(try GeometryOperations.intersects(Self.square, .point(Position(5, 5))))
        #expect(try !GeometryOperations.intersects(Self.square, .point(Position(50, 5))))
    }

    @Test("a ring of three positions is reported invalid or refused, never a crash")
    func badRing() {
        let g = Geometry.polygon(Polygon(rings: [[Position(0, 0), Position(1, 1), Position(0, 0)]]))
        let valid = try? GeometryOperations.isValid(g)
        #expect(valid != true)
    }

    @Test("concurrent stress: every thread gets its own context")
    func concurrent() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<16 {
                group.addTask {
                    for j in 0..<300 {
                        let d = Double(i * 1000 + j)
                        let sq = Geometry.polygon(Polygon(rings: [[Position(d, 0), Position(d + 10, 0), Position(d + 10, 10), Position(d, 10), Position(d, 0)]]))
                        #expect(try GeometryOperations.isValid(sq))
                        #expect(try !GeometryOperations.isValid(Self.bowtie))
                        let c = try GeometryOperations.clip(sq, to: Envelope(minX: d + 5, minY: 0, maxX: d + 20, maxY: 5))
                        #expect(c.envelope == Envelope(minX: d + 5, minY: 0, maxX: d + 10, maxY: 5))
                        _ = try GeometryOperations.makeValid(Self.bowtie)
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    @Test("a prepared area answers exactly as containsPoint, for the real safety regions and for polygons with holes")
    func preparedArea() throws {
        let json = try JSONValue.parse(try Data(contentsOf: TestData.repository.appendingPathComponent("fixtures/safety_regions.geojson")))
        var areas: [Geometry] = try json["features"]!.array!.prefix(8).map { try GeoJSON.geometry(from: $0["geometry"]!) }
        areas.append(.polygon(Polygon(rings: [[Position(0, 0), Position(10, 0), Position(10, 10), Position(0, 10)],
                                              [Position(2, 2), Position(8, 2), Position(8, 8), Position(2, 8)]])))
        areas.append(.multiPolygon([]))
        areas.append(.point(Position(1, 1)))
        var rng = SystemRandomNumberGenerator()
        var insideCount = 0
        for area in areas {
            let prepared = PreparedArea(area)
            let box = area.envelope ?? Envelope(minX: 0, minY: 0, maxX: 1, maxY: 1)
            for _ in 0..<4000 {
                let p = Position(Double.random(in: box.minX - 0.1...box.maxX + 0.1, using: &rng), Double.random(in: box.minY - 0.1...box.maxY + 0.1, using: &rng))
                let expected = area.containsPoint(p)
                #expect(prepared.contains(p) == expected, "\(p)")
                if expected { insideCount += 1 }
            }
            // Vertices and far or non-finite positions do not trap.
            if case .polygon(let polygon) = area, let v = polygon.rings.first?.first { #expect(prepared.contains(v) == area.containsPoint(v)) }
            _ = prepared.contains(Position(.infinity, .nan))
            _ = prepared.contains(Position(-1e300, 1e300))
        }
        #expect(insideCount > 4000)
    }
}
