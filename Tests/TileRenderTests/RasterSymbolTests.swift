import Foundation
import GeoCore
import Testing
@testable import TileRender

@Suite("Raster: symbols")
struct RasterSymbolTests {
    private static let label = #"""
        [{"id":"t","type":"symbol","source":"s","source-layer":"a",
          "layout":{"text-field":["get","name"],"text-size":16},
          "paint":{"text-color":"#000000","text-halo-color":"#ffffff","text-halo-width":2}}]
        """#

    @Test("a label draws black glyphs inside a white halo")
    func halo() throws {
        let image = try #require(RasterTestImage(png: try RasterFixture.render(Self.label, ["a": [RasterFixture.point(128, 128, ["name": .string("HHHH")])]])))
        var black = 0, white = 0
        for y in 100..<156 {
            for x in 80..<176 {
                if image.isColor(x, y, 0, 0, 0, tolerance: 30) { black += 1 }
                if image.isColor(x, y, 255, 255, 255, tolerance: 30) { white += 1 }
            }
        }
        #expect(black > 60)
        #expect(white > 60)
        // Nothing far from the label.
        #expect(image.paintedCount(x: 0..<256, y: 0..<90) == 0)
        #expect(image.paintedCount(x: 0..<60, y: 0..<256) == 0)
    }

    @Test("a label that would be cut by the tile edge is not drawn (PARTIALS FALSE)")
    func noCutLabels() throws {
        for (x, y) in [(4.0, 128.0), (252.0, 128.0), (128.0, 3.0), (128.0, 253.0), (30.0, 128.0)] {
            let png = try RasterFixture.render(Self.label, ["a": [RasterFixture.point(x, y, ["name": .string("Pompstation")])]])
            let image = try #require(RasterTestImage(png: png))
            #expect(image.paintedCount(x: 0..<256, y: 0..<256) == 0, "label at \(x), \(y)")
        }
        // The same label well inside is drawn, and nothing of it touches the border.
        let inside = try #require(RasterTestImage(png: try RasterFixture.render(Self.label, ["a": [RasterFixture.point(128, 128, ["name": .string("Pompstation")])]])))
        #expect(inside.paintedCount(x: 0..<256, y: 0..<256) > 100)
        #expect(inside.paintedCount(x: 0..<1, y: 0..<256) == 0 && inside.paintedCount(x: 255..<256, y: 0..<256) == 0)
    }

    @Test("two labels at one point: the first wins unless text-allow-overlap")
    func collision() throws {
        let one = ["a": [RasterFixture.point(128, 128, ["name": .string("AAAA")])]]
        let two = ["a": [RasterFixture.point(128, 128, ["name": .string("AAAA")]), RasterFixture.point(128, 128, ["name": .string("BBBB")])]]
        let single = try RasterFixture.render(Self.label, one)
        #expect(try RasterFixture.render(Self.label, two) == single)
        let overlap = Self.label.replacingOccurrences(of: #""text-size":16"#, with: #""text-size":16,"text-allow-overlap":true"#)
        let both = try RasterFixture.render(overlap, two)
        #expect(both != single)
        // Labels far apart do not collide.
        let apart = ["a": [RasterFixture.point(128, 60, ["name": .string("AAAA")]), RasterFixture.point(128, 200, ["name": .string("BBBB")])]]
        let image = try #require(RasterTestImage(png: try RasterFixture.render(Self.label, apart)))
        #expect(image.paintedCount(x: 0..<256, y: 40..<80) > 50 && image.paintedCount(x: 0..<256, y: 180..<220) > 50)
    }

    @Test("icons come from the sprite sheet of the request's pixel ratio")
    func icons() throws {
        let layers = #"""
            [{"id":"i","type":"symbol","source":"s","source-layer":"a","layout":{"icon-image":"hydrant"}}]
            """#
        let features = ["a": [RasterFixture.point(100, 100)]]
        // 1x: the 24 px hydrant centred on (100, 100): red near its left edge, white body in the middle.
        let one = try #require(RasterTestImage(png: try RasterFixture.render(layers, features, sprites: try RasterFixture.sprites())))
        #expect(one.isColor(88 + 3, 100, 0xC8, 0x10, 0x2E))
        #expect(one.isColor(100, 104, 255, 255, 255))
        #expect(one.alpha(100 + 14, 100) == 0)
        // 2x from the @2x sheet: twice as large.
        let two = try #require(RasterTestImage(png: try RasterFixture.render(layers, features, pixelRatio: 2, sprites: try RasterFixture.sprites())))
        #expect(two.isColor(176 + 6, 200, 0xC8, 0x10, 0x2E))
        #expect(two.alpha(200 + 26, 200) == 0)
        #expect(two.isColor(176 + 41, 200, 0xC8, 0x10, 0x2E))   // CSS x 20.5, right of the outlet
        // 2x with only the @1x sheet: scaled up, same footprint.
        let scaled = try #require(RasterTestImage(png: try RasterFixture.render(layers, features, pixelRatio: 2, sprites: try RasterFixture.sprites([1]))))
        #expect(scaled.isColor(176 + 41, 200, 0xC8, 0x10, 0x2E, tolerance: 30))
        #expect(scaled.alpha(200 + 26, 200) == 0)
    }

    @Test("icon-size, icon-anchor and icon-offset move and scale the icon; unknown icons draw nothing")
    func iconLayout() throws {
        let layers = #"""
            [{"id":"i","type":"symbol","source":"s","source-layer":"a",
              "layout":{"icon-image":"gas-station","icon-size":2,"icon-anchor":"top-left","icon-offset":[4,0]}}]
            """#
        // 16 px × 2 = 32 px, its top-left at (100 + 4·2, 100).
        let image = try #require(RasterTestImage(png: try RasterFixture.render(layers, ["a": [RasterFixture.point(100, 100)]], sprites: try RasterFixture.sprites())))
        #expect(image.alpha(106, 110) == 0)
        #expect(image.isColor(108 + 6, 106, 0xFF, 0xD2, 0x00, tolerance: 12))
        #expect(image.paintedCount(x: 108..<140, y: 100..<132) > 700)
        let unknown = layers.replacingOccurrences(of: "gas-station", with: "nope")
        let none = try #require(RasterTestImage(png: try RasterFixture.render(unknown, ["a": [RasterFixture.point(100, 100)]], sprites: try RasterFixture.sprites())))
        #expect(none.paintedCount(x: 0..<256, y: 0..<256) == 0)
    }

    @Test("icons collide with each other unless icon-allow-overlap; overlapping icons may cross the tile edge")
    func iconCollision() throws {
        let layers = #"""
            [{"id":"i","type":"symbol","source":"s","source-layer":"a","layout":{"icon-image":"water-facility"}}]
            """#
        let sprites = try RasterFixture.sprites()
        let near = ["a": [RasterFixture.point(100, 100), RasterFixture.point(110, 100)]]
        let first = try #require(RasterTestImage(png: try RasterFixture.render(layers, near, sprites: sprites)))
        #expect(first.alpha(100 + 13, 100) == 0)   // the second icon (x 102...118) was skipped
        let allow = layers.replacingOccurrences(of: #""water-facility""#, with: #""water-facility","icon-allow-overlap":true"#)
        let both = try #require(RasterTestImage(png: try RasterFixture.render(allow, near, sprites: sprites)))
        #expect(both.alpha(100 + 13, 100) > 200)
        // At the edge: skipped without overlap, half drawn with it.
        let edge = ["a": [RasterFixture.point(2, 100)]]
        #expect(try #require(RasterTestImage(png: try RasterFixture.render(layers, edge, sprites: sprites))).paintedCount(x: 0..<256, y: 0..<256) == 0)
        #expect(try #require(RasterTestImage(png: try RasterFixture.render(allow, edge, sprites: sprites))).alpha(3, 100) > 200)
    }

    @Test("text-anchor and text-offset (in ems) place the label")
    func textPlacement() throws {
        let layers = #"""
            [{"id":"t","type":"symbol","source":"s","source-layer":"a",
              "layout":{"text-field":"MMM","text-size":20,"text-anchor":"top-left","text-offset":[1,2]}}]
            """#
        let image = try #require(RasterTestImage(png: try RasterFixture.render(layers, ["a": [RasterFixture.point(50, 50)]])))
        // Block top-left at (50 + 20, 50 + 40): nothing above or left of it, ink just below and right.
        #expect(image.paintedCount(x: 0..<256, y: 0..<90) == 0)
        #expect(image.paintedCount(x: 0..<69, y: 0..<256) == 0)
        #expect(image.paintedCount(x: 70..<130, y: 90..<115) > 100)
    }

    @Test("lines get their label at their middle, polygons at their centroid")
    func lineAndPolygonLabels() throws {
        let layers = #"""
            [{"id":"t","type":"symbol","source":"s","source-layer":"a","layout":{"text-field":"X","text-size":12}}]
            """#
        let line = RenderFeature(geometry: .lineString([Position(20, 256 - 200), Position(220, 256 - 200)]))
        let square = RenderFeature(geometry: .polygon(Polygon(rings: [[Position(40, 40), Position(80, 40), Position(80, 80), Position(40, 80), Position(40, 40)]])))
        let image = try #require(RasterTestImage(png: try RasterFixture.render(layers, ["a": [line, square]])))
        #expect(image.paintedCount(x: 110..<130, y: 190..<210) > 10)     // line middle (120, 200)
        #expect(image.paintedCount(x: 50..<70, y: 186..<206) > 10)       // square centroid (60, 196)
        #expect(image.paintedCount(x: 0..<40, y: 0..<256) == 0)
    }
}
