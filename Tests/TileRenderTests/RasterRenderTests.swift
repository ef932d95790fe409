import Foundation
import GeoCore
import Testing
@testable import TileRender

@Suite("Raster: fill, line, circle")
struct RasterRenderTests {
    @Test("background and fill: colour inside, hole and outside untouched, 1 px outline")
    func fill() throws {
        let ring = [Position(50, 50), Position(200, 50), Position(200, 200), Position(50, 200), Position(50, 50)]
        let hole = [Position(100, 100), Position(150, 100), Position(150, 150), Position(100, 150), Position(100, 100)]
        let polygon = RenderFeature(id: 1, geometry: .polygon(Polygon(rings: [ring, hole])), properties: [:])
        let png = try RasterFixture.render(#"""
            [{"id":"bg","type":"background","paint":{"background-color":"#0000ff"}},
             {"id":"f","type":"fill","source":"s","source-layer":"a",
              "paint":{"fill-color":"#ff0000","fill-outline-color":"#00ff00"}}]
            """#, ["a": [polygon]])
        let image = try #require(RasterTestImage(png: png))
        #expect(image.width == 256 && image.height == 256)
        #expect(image.isColor(75, 75, 255, 0, 0))        // inside the ring
        #expect(image.isColor(125, 125, 0, 0, 255))      // in the hole: background
        #expect(image.isColor(20, 20, 0, 0, 255))        // outside
        #expect(image.rgba(50, 120).g > 100)             // the outline straddles x = 50
        #expect(image.rgba(75, 120).g == 0)
    }

    @Test("fill-opacity makes a translucent fill; a transparent fill draws nothing")
    func fillOpacity() throws {
        let square = RenderFeature(geometry: .polygon(Polygon(rings: [[Position(0, 0), Position(256, 0), Position(256, 256), Position(0, 256)]])))
        let half = try #require(RasterTestImage(png: try RasterFixture.render(#"""
            [{"id":"f","type":"fill","source":"s","source-layer":"a","paint":{"fill-color":"#ff0000","fill-opacity":0.5}}]
            """#, ["a": [square]])))
        #expect(abs(half.alpha(128, 128) - 128) <= 2)
        let none = try #require(RasterTestImage(png: try RasterFixture.render(#"""
            [{"id":"f","type":"fill","source":"s","source-layer":"a","paint":{"fill-color":"#ff0000","fill-opacity":0}}]
            """#, ["a": [square]])))
        #expect(none.paintedCount(x: 0..<256, y: 0..<256) == 0)
    }

    @Test("line of width 4 paints on the line and not 10 px away; polygons get outlines")
    func line() throws {
        let line = RenderFeature(geometry: .lineString([Position(20, 128), Position(236, 128)]))
        let image = try #require(RasterTestImage(png: try RasterFixture.render(#"""
            [{"id":"l","type":"line","source":"s","source-layer":"a","paint":{"line-color":"#000000","line-width":4}}]
            """#, ["a": [line]])))
        #expect(image.isColor(128, 127, 0, 0, 0) && image.isColor(128, 128, 0, 0, 0))
        #expect(image.alpha(128, 138) == 0 && image.alpha(128, 118) == 0)
        #expect(image.alpha(128, 125) == 0)               // 3 px from the centre line: outside the 4 px stroke
        #expect(image.alpha(10, 128) == 0)                // butt caps end at the line's ends
        let ring = RenderFeature(geometry: .polygon(Polygon(rings: [[Position(50, 50), Position(200, 50), Position(200, 200), Position(50, 50)]])))
        let outline = try #require(RasterTestImage(png: try RasterFixture.render(#"""
            [{"id":"l","type":"line","source":"s","source-layer":"a","paint":{"line-color":"#ff0000","line-width":2}}]
            """#, ["a": [ring]])))
        #expect(outline.isColor(120, 206, 255, 0, 0, tolerance: 10))   // bottom edge Y = 50 → y = 206
        #expect(outline.alpha(150, 160) == 0)                           // not filled
    }

    @Test("line-dasharray is scaled by the width: 4 px line, [2, 2] gives 8 px dashes and 8 px gaps")
    func dashes() throws {
        let line = RenderFeature(geometry: .lineString([Position(0, 128), Position(256, 128)]))
        let image = try #require(RasterTestImage(png: try RasterFixture.render(#"""
            [{"id":"l","type":"line","source":"s","source-layer":"a",
              "paint":{"line-color":"#000000","line-width":4,"line-dasharray":[2,2]}}]
            """#, ["a": [line]])))
        for start in stride(from: 0, to: 240, by: 16) {
            #expect(image.alpha(start + 4, 128) == 255)     // middle of a dash
            #expect(image.alpha(start + 12, 128) == 0)      // middle of a gap
        }
    }

    @Test("circle: fill within the radius, stroke ring outside it, transparent beyond")
    func circle() throws {
        let png = try RasterFixture.render(#"""
            [{"id":"c","type":"circle","source":"s","source-layer":"a",
              "paint":{"circle-radius":6,"circle-color":"#ff0000","circle-stroke-color":"#ffffff","circle-stroke-width":2}}]
            """#, ["a": [RasterFixture.point(100.5, 100.5), RenderFeature(geometry: .multiPoint([Position(30.5, 256 - 30.5)]))]])
        let image = try #require(RasterTestImage(png: png))
        #expect(image.isColor(100, 100, 255, 0, 0))
        #expect(image.isColor(104, 100, 255, 0, 0))       // 4 px from the centre
        #expect(image.isColor(107, 100, 255, 255, 255))   // 6.5...7.5: the white ring
        #expect(image.alpha(110, 100) == 0)               // beyond radius + stroke
        #expect(image.isColor(30, 30, 255, 0, 0))         // multipoint member
    }

    @Test("translucent circles: fill and stroke opacities apply separately")
    func translucentCircle() throws {
        let image = try #require(RasterTestImage(png: try RasterFixture.render(#"""
            [{"id":"c","type":"circle","source":"s","source-layer":"a",
              "paint":{"circle-radius":10,"circle-color":"#0000ff","circle-opacity":0.5,
                       "circle-stroke-color":"#000000","circle-stroke-width":3,"circle-stroke-opacity":1}}]
            """#, ["a": [RasterFixture.point(128.5, 128.5)]])))
        #expect(abs(image.alpha(128, 128) - 128) <= 2)
        #expect(image.isColor(140, 128, 0, 0, 0))         // 11.5 px: inside the opaque stroke ring
    }

    @Test("@2x renders 512 px with every size doubled")
    func retina() throws {
        let png = try RasterFixture.render(#"""
            [{"id":"c","type":"circle","source":"s","source-layer":"a","paint":{"circle-radius":6,"circle-color":"#ff0000"}}]
            """#, ["a": [RasterFixture.point(100, 100)]], pixelRatio: 2)
        let image = try #require(RasterTestImage(png: png))
        #expect(image.width == 512 && image.height == 512)
        #expect(image.isColor(200 + 10, 200, 255, 0, 0))  // radius 12 device px
        #expect(image.alpha(200 + 14, 200) == 0)
    }

    @Test("filters, zoom ranges and visibility decide what is drawn")
    func filtersAndZoom() throws {
        let layers = #"""
            [{"id":"c","type":"circle","source":"s","source-layer":"a","minzoom":10,
              "filter":["==",["get","kind"],"yes"],"paint":{"circle-radius":5,"circle-color":"#ff0000"}}]
            """#
        let features = ["a": [RasterFixture.point(50, 50, ["kind": .string("yes")]), RasterFixture.point(150, 150, ["kind": .string("no")])]]
        let shown = try #require(RasterTestImage(png: try RasterFixture.render(layers, features, zoom: 12)))
        #expect(shown.alpha(50, 50) == 255 && shown.alpha(150, 150) == 0)
        let hidden = try #require(RasterTestImage(png: try RasterFixture.render(layers, features, zoom: 9)))
        #expect(hidden.paintedCount(x: 0..<256, y: 0..<256) == 0)
    }

    @Test("bad requests throw instead of drawing")
    func badRequests() throws {
        let style = try Style.load(Data(#"{"version":8,"sources":{},"layers":[]}"#.utf8))
        let renderer = RasterRenderer(style: style)
        let flat = RasterRequest(bounds: Envelope(minX: 0, minY: 0, maxX: 0, maxY: 10), zoom: 1)
        #expect(throws: TileRenderError.self) { try renderer.render(flat) { _, _ in [] } }
        let huge = RasterRequest(bounds: Envelope(minX: 0, minY: 0, maxX: 1, maxY: 1), zoom: 1, size: 100_000)
        #expect(throws: TileRenderError.self) { try renderer.render(huge) { _, _ in [] } }
        let empty = try #require(RasterTestImage(png: try renderer.render(RasterRequest(
            bounds: Envelope(minX: 0, minY: 0, maxX: 1, maxY: 1), zoom: 1)) { _, _ in [] }))
        #expect(empty.width == 256 && empty.paintedCount(x: 0..<256, y: 0..<256) == 0)
    }
}
