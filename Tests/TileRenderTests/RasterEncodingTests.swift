import CCairo
import Foundation
import GeoCore
import Testing
@testable import TileRender

/// The PNG tile encoder and what it asks of the store.
@Suite("PNG tile encoding")
struct RasterEncodingTests {
    @Test("our PNG writer gives the pixels cairo's own writer gives (straight alpha, translucent and transparent pixels)")
    func pngWriter() throws {
        let surface = try CairoSupport.imageSurface(CAIRO_FORMAT_ARGB32, width: 64, height: 48)
        defer { cairo_surface_destroy(surface) }
        let cr = try CairoSupport.context(surface)
        cairo_set_source_rgba(cr, 0.9, 0.2, 0.1, 0.35)
        cairo_arc(cr, 30, 20, 15, 0, 2 * .pi)
        cairo_fill(cr)
        cairo_set_source_rgba(cr, 0.1, 0.4, 0.8, 1)
        cairo_rectangle(cr, 40, 30, 20, 10)
        cairo_fill(cr)
        cairo_destroy(cr)
        let ours = try RasterImage(png: try PNGEncoder.encode(surface))
        let cairos = try RasterImage(png: try CairoSupport.png(surface))
        #expect(ours.width == 64 && ours.height == 48)
        #expect(ours.differingPixels(from: cairos, tolerance: 1) == 0)
        #expect(ours.paintedPixels > 500 && ours.paintedPixels < 64 * 48)
    }

    @Test("a style's reads: the properties its filters and paint/layout read; zoom-only properties are feature-constant")
    func reads() throws {
        let style = try StyleTestData.style(#"""
            {"version": 8, "sources": {"a": {"type": "vector", "tiles": ["t"]}, "b": {"type": "vector", "tiles": ["t"]}},
             "layers": [
               {"id": "c", "type": "circle", "source": "a", "source-layer": "hydrants", "filter": ["==", ["get", "kind"], "x"],
                "paint": {"circle-radius": ["interpolate", ["linear"], ["zoom"], 10, 2, 16, 6],
                          "circle-color": ["match", ["get", "status"], "ok", "#0f0", "#f00"]}},
               {"id": "t", "type": "symbol", "source": "a", "source-layer": "hydrants", "layout": {"text-field": "{name} ({diameter})"}},
               {"id": "o", "type": "line", "source": "b", "source-layer": "other", "paint": {"line-width": ["get", "w"]}}
             ]}
            """#)
        let renderer = RasterRenderer(style: style)
        #expect(renderer.readProperties(source: "a", sourceLayer: "hydrants") == ["kind", "status", "name", "diameter"])
        #expect(renderer.readProperties(source: "b", sourceLayer: "other") == ["w"])
        #expect(renderer.readProperties(source: "b", sourceLayer: "hydrants").isEmpty)
        let circle = try #require(style.layers.first)
        #expect(circle.isFeatureConstant("circle-radius"))
        #expect(!circle.isFeatureConstant("circle-color"))
        #expect(circle.isFeatureConstant("circle-stroke-width"))
        // The encoder reads only those attributes, and only for the layer bound to the source.
        let encoder = RasterTileEncoder(renderer: renderer, styleKey: "s", zoom: 12, pixelRatio: 1, layerSources: ["a": "hydrants"])
        #expect(encoder.wants(field: "kind", layer: "hydrants"))
        #expect(!encoder.wants(field: "inspected", layer: "hydrants"))
        #expect(!encoder.wants(field: "w", layer: "other"), "source b is bound to no layer")
    }

    @Test("features reach style layers only through their bound source: a layer named like another source's layer draws nothing there")
    func binding() throws {
        let style = try StyleTestData.style(#"""
            {"version": 8, "sources": {"risk": {"type": "vector", "tiles": ["t"]}},
             "layers": [{"id": "f", "type": "fill", "source": "risk", "source-layer": "risk_picture", "paint": {"fill-color": "#f00"}}]}
            """#)
        let square = Geometry.polygon(Polygon(rings: [[Position(0, 0), Position(256, 0), Position(256, 256), Position(0, 256), Position(0, 0)]]))
        let bounds = Envelope(minX: 0, minY: 0, maxX: 256, maxY: 256)
        func draw(_ encoder: RasterTileEncoder) throws -> RasterImage {
            var sink = encoder.sink(layer: "risk_picture", fieldNames: [], tileBounds: bounds)
            sink.add(id: 1, geometry: square, attributes: [])
            return try RasterImage(png: try encoder.encode([sink], tileBounds: bounds))
        }
        let renderer = RasterRenderer(style: style)
        // A store layer called risk_picture, with no binding for the source: nothing.
        #expect(try draw(RasterTileEncoder(renderer: renderer, styleKey: "s", zoom: 10, pixelRatio: 1, layerSources: [:])).paintedPixels == 0)
        // Bound to the source: drawn.
        #expect(try draw(RasterTileEncoder(renderer: renderer, styleKey: "s", zoom: 10, pixelRatio: 1,
                                           layerSources: ["risk": "risk_picture"])).paintedPixels == 256 * 256)
    }
}
