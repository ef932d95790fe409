import MVTTestSupport
import Foundation
import GeoCore
import Testing
import TileRender

/// Douglas-Peucker simplification (default tolerance 4 tile units).
struct MVTEncoderSimplificationTests {
    /// A dense line across the tile: a 1.5-unit wiggle (below tolerance) and a 400-unit bump.
    static let denseLine: [Position] = stride(from: 100.0, through: 4000, by: 2).map { x in
        let bump = max(0, 200 - abs(x - 2000)) * 2
        return Position(x, 2000 + 1.5 * sin(x / 7) + bump)
    }

    @Test("a dense line loses vertices but keeps its end points and shape")
    func denseLine() throws {
        let input = Self.denseLine
        let exact = try #require(try encodeAndDecode([InputFeature(geometry: .lineString(input))]))
        let simple = try #require(try encodeAndDecode([InputFeature(geometry: .lineString(input))], options: MVTOptions()))
        let full = try #require(exact.geometries[0].lineList?.first)
        let line = try #require(simple.geometries[0].lineList?.first)
        #expect(full.count > 1000)
        #expect(line.count < 20)
        #expect(line.first == full.first)
        #expect(line.last == full.last)
        // Every input vertex stays within the tolerance plus half a grid diagonal of the output.
        let worst = input.map { distance(tilePosition($0), toPolyline: line) }.max() ?? 0
        #expect(worst <= 4 + 0.75, "worst deviation \(worst)")
        // The bump's apex survives.
        #expect(line.contains { isNear($0, tilePosition(Position(2000, 2400))) })
    }

    @Test("a dense circle with a hole keeps its orientation and area")
    func denseCircle() throws {
        func circle(_ r: Double, _ n: Int) -> [Position] {
            let ring = (0..<n).map { i in
                Position(2048 + r * cos(Double(i) * 2 * .pi / Double(n)), 2048 + r * sin(Double(i) * 2 * .pi / Double(n)))
            }
            return ring + [ring[0]]
        }
        let poly = Polygon(rings: [circle(1500, 2000), circle(500, 1000).reversed()])
        let d = try #require(try encodeAndDecode([InputFeature(geometry: .polygon(poly))], options: MVTOptions()))
        let rings = try #require(d.geometries[0].polygonList?.first)
        try #require(rings.count == 2)
        #expect(rings[0].count < 200 && rings[0].count >= 8)
        #expect(rings[1].count < 100 && rings[1].count >= 8)
        #expect(doubleArea(rings[0]) > 0 && doubleArea(rings[1]) < 0)
        let area = Double(doubleArea(rings[0])) / 2
        #expect(abs(area - .pi * 1500 * 1500) / (.pi * 1500 * 1500) < 0.01)
    }
}
