import MVTTestSupport
import Foundation
import GeoCore
import Testing
import TileRender

/// Clipping to the buffered tile. With the default options the buffered
/// tile is -64...4160 in tile units on both axes; in `unitTile` tile y = 4096 - CRS y.
struct MVTEncoderClippingTests {
    /// The buffered tile's corners in tile units, as a ring.
    static let bufferedSquare: [(x: Double, y: Double)] = [(-64, -64), (4160, -64), (4160, 4160), (-64, 4160)]

    @Test("points inside the buffer are kept, points beyond it dropped")
    func pointsAtTheBuffer() throws {
        var b = MVTLayerBuilder(name: "p", fieldNames: [], tileBounds: unitTile, options: exactOptions)
        let added = [Position(-40, 100), Position(4150, 4150), Position(-70, 100), Position(100, 4170)].map {
            b.add(id: 1, geometry: .point($0), attributes: [])
        }
        #expect(added == [true, true, false, false])
        #expect(b.featureCount == 2)
        let d = try #require(try encodeAndDecode([
            InputFeature(geometry: .multiPoint([Position(-40, 100), Position(-70, 100), Position(4150, 4150)])),
        ]))
        #expect(d.geometries[0].pointList == [MVTPoint(-40, 3996), MVTPoint(4150, -54)])
    }

    @Test("a polygon bigger than the tile is clipped to extent + buffer", arguments: [false, true])
    func bigPolygon(reversed: Bool) throws {
        var ring = square(-10_000, -10_000, 14_000, 14_000)
        if reversed { ring.reverse() }
        let d = try #require(try encodeAndDecode([InputFeature(geometry: .polygon(Polygon(rings: [ring])))]))
        let polys = try #require(d.geometries[0].polygonList)
        try #require(polys.count == 1 && polys[0].count == 1)
        #expect(isSameRing(polys[0][0], Self.bufferedSquare, tolerance: 0))
        #expect(doubleArea(polys[0][0]) > 0)
    }

    @Test("a polygon partly outside keeps its inside and stays within the buffer")
    func partialPolygon() throws {
        let ring = [Position(2000, 2000), Position(5000, 2000), Position(2000, 5000), Position(2000, 2000)]
        let d = try #require(try encodeAndDecode([InputFeature(geometry: .polygon(Polygon(rings: [ring])))]))
        let r = try #require(d.geometries[0].polygonList?.first?.first)
        #expect(r.allSatisfy { (-64...4160).contains($0.x) && (-64...4160).contains($0.y) })
        // In tile units the hypotenuse is x - y = 2904: it meets x = 4160 at y = 1256 and y = -64 at x = 2840.
        #expect(isSameRing(r, [(2000, 2096), (4160, 2096), (4160, 1256), (2840, -64), (2000, -64)], tolerance: 0), "\(r)")
        #expect(doubleArea(r) > 0)
    }

    @Test("a line crossing the tile is cut at the buffer edge")
    func lineCrossing() throws {
        let d = try #require(try encodeAndDecode([InputFeature(geometry: .lineString([Position(-1000, 2000), Position(5000, 2000)]))]))
        #expect(d.geometries[0].lineList == [[MVTPoint(-64, 2096), MVTPoint(4160, 2096)]])
    }

    @Test("a line that leaves and re-enters becomes two parts")
    func lineLeavesAndReturns() throws {
        let line = [Position(100, 100), Position(100, 6000), Position(300, 6000), Position(300, 100)]
        let d = try #require(try encodeAndDecode([InputFeature(geometry: .lineString(line))]))
        #expect(d.geometries[0].lineList == [
            [MVTPoint(100, 3996), MVTPoint(100, -64)],
            [MVTPoint(300, -64), MVTPoint(300, 3996)],
        ])
    }

    @Test("features wholly beyond the buffer are dropped, and so is an outside hole")
    func outsideDropped() throws {
        let far = square(5000, 5000, 6000, 6000)
        #expect(try encodeAndDecode([
            InputFeature(geometry: .polygon(Polygon(rings: [far]))),
            InputFeature(geometry: .lineString([Position(-500, -500), Position(-500, 9000)])),
        ]) == nil)
        let withHole = Polygon(rings: [square(-10_000, -10_000, 14_000, 14_000), far.reversed()])
        let d = try #require(try encodeAndDecode([InputFeature(geometry: .polygon(withHole))]))
        #expect(d.geometries[0].polygonList?.map(\.count) == [1])
    }

    @Test("queryBounds grows the tile by the buffer")
    func queryBounds() {
        let q = MVTLayerBuilder.queryBounds(tileBounds: unitTile, options: MVTOptions())
        #expect(q == Envelope(minX: -64, minY: -64, maxX: 4160, maxY: 4160))
    }

    @Test("random star polygons and walks: all output within the buffer and strictly valid")
    func randomGeometry() throws {
        var rng = SplitMix(seed: 42)
        var features: [InputFeature] = []
        for _ in 0..<200 {
            let cx = rng.next(in: -3000...7000), cy = rng.next(in: -3000...7000)
            let n = Int(rng.next(in: 3...40))
            var ring = (0..<n).map { i -> Position in
                let a = Double(i) / Double(n) * 2 * .pi, r = rng.next(in: 50...2500)
                return Position(cx + r * cos(a), cy + r * sin(a))
            }
            ring.append(ring[0])
            features.append(InputFeature(geometry: .polygon(Polygon(rings: [ring]))))
            var walk = [Position(cx, cy)]
            for _ in 0..<n { walk.append(Position(walk.last!.x + rng.next(in: -900...900), walk.last!.y + rng.next(in: -900...900))) }
            features.append(InputFeature(geometry: .lineString(walk)))
        }
        for options in [exactOptions, MVTOptions()] {
            let d = try #require(try encodeAndDecode(features, options: options))
            #expect(d.layer.features.count > 50)
            for g in d.geometries {
                #expect(allPoints(g).allSatisfy { (-64...4160).contains($0.x) && (-64...4160).contains($0.y) })
                for poly in g.polygonList ?? [] { #expect(doubleArea(poly[0]) > 0) }
            }
        }
    }

    // MARK: Ring validity after clipping (spec 4.3.4.4)
    //
    // Rings MUST NOT self-intersect or self-touch, and holes MUST lie inside their exterior.
    // Clipping each ring on its own (Sutherland-Hodgman) would join separate inside parts along
    // the buffer edge and lay a hole's cut edge on the exterior's; the clipper splits and joins
    // rings along the rectangle instead.

    @Test("a concave polygon whose arms leave the buffer is clipped into simple rings")
    func concaveClipIsSimple() throws {
        // A U open at the top; its bottom bar lies beyond the buffered tile (tile y > 4160).
        let u = [Position(1000, 3000), Position(1000, -1000), Position(3000, -1000), Position(3000, 3000),
                 Position(2500, 3000), Position(2500, -500), Position(1500, -500), Position(1500, 3000), Position(1000, 3000)]
        let d = try #require(try encodeAndDecode([InputFeature(geometry: .polygon(Polygon(rings: [u])))]))
        let polygons = try #require(d.geometries[0].polygonList)
        #expect(polygons.count == 2, "the two arms are two polygons: \(polygons)")
        for poly in polygons {
            #expect(poly.count == 1)
            #expect(isSimpleRing(poly[0]), "\(poly[0])")
            #expect(doubleArea(poly[0]) > 0)
        }
    }

    @Test("a hole crossing the buffer edge becomes a notch in the exterior")
    func holeAcrossBuffer() throws {
        let poly = Polygon(rings: [square(-10_000, -10_000, 14_000, 14_000), square(3000, 1000, 6000, 2000).reversed()])
        let d = try #require(try encodeAndDecode([InputFeature(geometry: .polygon(poly))]))
        let rings = try #require(d.geometries[0].polygonList?.first)
        #expect(rings.count == 1, "\(rings)")
        #expect(isSimpleRing(rings[0]), "\(rings[0])")
        #expect(doubleArea(rings[0]) > 0)
    }

    @Test("a polygon that surrounds the tile becomes the buffered tile; a hole that surrounds it leaves nothing")
    func surrounding() throws {
        let big = square(-50_000, -50_000, 50_000, 50_000)
        let d = try #require(try encodeAndDecode([InputFeature(geometry: .polygon(Polygon(rings: [big])))]))
        let ring = try #require(d.geometries[0].polygonList?.first?.first)
        #expect(Set(ring) == [MVTPoint(-64, -64), MVTPoint(4160, -64), MVTPoint(4160, 4160), MVTPoint(-64, 4160)])
        let holed = Polygon(rings: [big, square(-20_000, -20_000, 20_000, 20_000).reversed()])
        #expect(try encodeAndDecode([InputFeature(geometry: .polygon(holed))]) == nil)
    }

    @Test("random concave polygons crossing the tile edge always give simple rings")
    func randomConcave() throws {
        var rng = SplitMix(seed: 7)
        for _ in 0..<300 {
            // A star polygon centred near a tile edge.
            let cx = rng.next(in: -500...4600), cy = rng.next(in: -500...4600)
            let n = 5 + Int(rng.next() % 20)
            var ring: [Position] = []
            for k in 0..<n {
                let a = Double(k) / Double(n) * 2 * .pi
                let r = rng.next(in: 300...3000)
                ring.append(Position(cx + cos(a) * r, cy + sin(a) * r))
            }
            ring.append(ring[0])
            guard let d = try encodeAndDecode([InputFeature(geometry: .polygon(Polygon(rings: [ring])))]) else { continue }
            for poly in d.geometries[0].polygonList ?? [] {
                #expect(isSimpleRing(poly[0]), "\(poly[0])")
            }
        }
    }
}

/// A small deterministic generator (SplitMix64) so the random test is reproducible.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform Double in `range`.
    mutating func next(in range: ClosedRange<Double>) -> Double {
        range.lowerBound + Double(next() >> 11) / Double(1 << 53) * (range.upperBound - range.lowerBound)
    }
}
