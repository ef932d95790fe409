import MVTTestSupport
import GeoCore
import Testing
import TileRender

/// Geometry round trips of MVTLayerBuilder + MVTEncoder through the strict decoder, with
/// simplification off: output must equal input within quantisation (0.5 unit).
struct MVTEncoderTests {
    @Test("a point lands on the rounded tile position")
    func point() throws {
        let p = Position(100.4, 200.6)
        let d = try #require(try encodeAndDecode([InputFeature(geometry: .point(p))]))
        #expect(d.layer.features[0].type == .point)
        let pts = try #require(d.geometries[0].pointList)
        #expect(pts == [MVTPoint(100, 3895)])
        #expect(matches(pts, [tilePosition(p)]))
    }

    @Test("a multipoint keeps every point, in order")
    func multiPoint() throws {
        let input = [Position(10, 10), Position(4000.2, 20.7), Position(2048, 2048), Position(-30, 4100)]
        let d = try #require(try encodeAndDecode([InputFeature(geometry: .multiPoint(input))]))
        #expect(matches(try #require(d.geometries[0].pointList), input.map { tilePosition($0) }))
    }

    @Test("a line string keeps every vertex")
    func lineString() throws {
        let input = (0..<50).map { i in Position(Double(i) * 80.3 + 5, i % 2 == 0 ? 1000.2 : 1300.7) }
        let d = try #require(try encodeAndDecode([InputFeature(geometry: .lineString(input))]))
        #expect(d.layer.features[0].type == .lineString)
        let lines = try #require(d.geometries[0].lineList)
        #expect(lines.count == 1)
        #expect(matches(lines[0], input.map { tilePosition($0) }))
    }

    @Test("a multi line string keeps its parts")
    func multiLineString() throws {
        let a = [Position(10, 10), Position(500, 900), Position(1000, 20)]
        let b = [Position(3000, 3000), Position(3500.5, 3100.5)]
        let d = try #require(try encodeAndDecode([InputFeature(geometry: .multiLineString([a, b]))]))
        let lines = try #require(d.geometries[0].lineList)
        #expect(lines.count == 2)
        #expect(matches(lines[0], a.map { tilePosition($0) }))
        #expect(matches(lines[1], b.map { tilePosition($0) }))
    }

    @Test("polygon rings are oriented exterior-positive, hole-negative whatever the input orientation",
          arguments: [false, true], [false, true])
    func polygonWithHole(reverseExterior: Bool, reverseHole: Bool) throws {
        var exterior = [Position(100, 100), Position(3000, 200), Position(3900, 3500), Position(500, 3800), Position(100, 100)]
        var hole = square(1000, 1000, 2000, 2000).reversed() as [Position]
        if reverseExterior { exterior.reverse() }
        if reverseHole { hole.reverse() }
        let d = try #require(try encodeAndDecode([InputFeature(geometry: .polygon(Polygon(rings: [exterior, hole])))]))
        #expect(d.layer.features[0].type == .polygon)
        let polys = try #require(d.geometries[0].polygonList)
        try #require(polys.count == 1 && polys[0].count == 2)
        #expect(doubleArea(polys[0][0]) > 0)
        #expect(doubleArea(polys[0][1]) < 0)
        #expect(isSameRing(polys[0][0], exterior.map { tilePosition($0) }))
        #expect(isSameRing(polys[0][1], hole.map { tilePosition($0) }))
    }

    @Test("a multipolygon keeps each polygon with its own holes")
    func multiPolygon() throws {
        let a = Polygon(rings: [square(100, 100, 900, 900)])
        let b = Polygon(rings: [square(2000, 2000, 4000, 4000), square(2500, 2500, 3000, 3000)])
        let d = try #require(try encodeAndDecode([InputFeature(geometry: .multiPolygon([a, b]))]))
        let polys = try #require(d.geometries[0].polygonList)
        #expect(polys.map(\.count) == [1, 2])
        #expect(isSameRing(polys[0][0], a.rings[0].map { tilePosition($0) }))
        #expect(isSameRing(polys[1][0], b.rings[0].map { tilePosition($0) }))
        #expect(isSameRing(polys[1][1], b.rings[1].map { tilePosition($0) }))
    }

    @Test("a geometry collection becomes one feature per family; the id goes to the first")
    func geometryCollection() throws {
        let g = Geometry.geometryCollection([
            .point(Position(10, 10)),
            .lineString([Position(100, 100), Position(200, 300)]),
            .polygon(Polygon(rings: [square(500, 500, 800, 800)])),
            .geometryCollection([.point(Position(20, 30))]),
        ])
        let d = try #require(try encodeAndDecode([InputFeature(id: 9, geometry: g, attributes: [.string("x")])], fields: ["k"]))
        #expect(d.layer.features.map(\.type) == [.point, .lineString, .polygon])
        #expect(d.layer.features.map(\.id) == [9, nil, nil])
        #expect(Set(d.layer.features.map(\.tags)) == [[0, 0]])
        #expect(d.geometries[0].pointList?.count == 2)
    }

    @Test("a real RD New tile: tile units follow the tile matrix set")
    func rdNewTile() throws {
        let tms = TileMatrixSet.netherlandsRDNewQuad
        // Near Amersfoort; (155000, 463000) itself is the centre of the RD grid and so a tile corner.
        let centre = Position(155_090.5, 463_120.25)
        let tile = try #require(tms.tile(containing: centre, z: 12))
        let bounds = try #require(tms.bounds(of: tile))
        #expect(abs(bounds.width - 3440.64 / 4096 * 256) < 1e-6)
        let ring = square(centre.x - 40, centre.y - 30, centre.x + 50, centre.y + 20)
        #expect(bounds.contains(Position(centre.x - 40, centre.y - 30)) && bounds.contains(Position(centre.x + 50, centre.y + 20)))
        let line = [Position(bounds.minX + 1, bounds.minY + 1), centre, Position(bounds.maxX - 1, bounds.maxY - 1)]
        let d = try #require(try encodeAndDecode([
            InputFeature(geometry: .point(centre)),
            InputFeature(geometry: .polygon(Polygon(rings: [ring]))),
            InputFeature(geometry: .lineString(line)),
        ], bounds: bounds))
        #expect(matches(try #require(d.geometries[0].pointList), [tilePosition(centre, bounds: bounds)]))
        let poly = try #require(d.geometries[1].polygonList)
        #expect(doubleArea(poly[0][0]) > 0)
        #expect(isSameRing(poly[0][0], ring.map { tilePosition($0, bounds: bounds) }))
        #expect(matches(try #require(d.geometries[2].lineList)[0], line.map { tilePosition($0, bounds: bounds) }))
    }

    @Test("a custom extent is written and used for the grid")
    func customExtent() throws {
        let options = MVTOptions(extent: 512, buffer: 8, simplificationTolerance: 0)
        let p = Position(1024, 1024)  // the centre of unitTile
        let d = try #require(try encodeAndDecode([InputFeature(geometry: .point(p))], options: options))
        #expect(d.layer.extent == 512)
        #expect(d.layer.version == 2)
        #expect(d.geometries[0].pointList == [MVTPoint(128, 384)])
    }

    @Test("near-duplicate vertices never produce a zero LineTo or a repeated closing point")
    func nearDuplicates() throws {
        let line = [Position(100, 100), Position(100.1, 100.2), Position(100.3, 99.9), Position(200, 100), Position(200.2, 100.1)]
        let ring = [Position(100, 100), Position(900, 100), Position(900.2, 100.3), Position(900, 900), Position(100, 900),
                    Position(100.2, 100.1), Position(100, 100)]
        let d = try #require(try encodeAndDecode([
            InputFeature(geometry: .lineString(line)), InputFeature(geometry: .polygon(Polygon(rings: [ring]))),
        ]))
        // The strict decoder already refuses zero LineTo deltas and repeated closing points.
        #expect(d.geometries[0].lineList == [[MVTPoint(100, 3996), MVTPoint(200, 3996)]])
        #expect(d.geometries[1].polygonList?[0][0].count == 4)
    }

    @Test("geometry that collapses on the grid is dropped, not emitted invalid")
    func collapsedGeometry() throws {
        let tiny = Polygon(rings: [square(10, 10, 10.3, 10.3)])
        let flat = Polygon(rings: [[Position(10, 10), Position(500, 10), Position(900, 10.2), Position(10, 10)]])
        let short = [Position(10, 10), Position(10.2, 10.3)]
        for g in [Geometry.polygon(tiny), .polygon(flat), .lineString(short), .lineString([]), .point(nil), .multiPoint([])] {
            #expect(try encodeAndDecode([InputFeature(geometry: g)]) == nil, "\(g)")
        }
    }
}
