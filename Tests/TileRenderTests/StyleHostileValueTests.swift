import Foundation
import GeoCore
import Testing
@testable import TileRender

/// Partners' attribute values reach style expressions: none of them may stop the renderer.
@Suite("Style expressions and hostile values")
struct StyleHostileValueTests {
    @Test("NaN and infinities from attributes give the default, not a crash (one-stop interpolate, steps, arithmetic)")
    func notANumber() throws {
        let layer = try StyleTestData.layer(type: "circle", #"""
            "paint": {
              "circle-radius": ["interpolate", ["linear"], ["*", ["to-number", ["get", "v"]], 0], 5, 10],
              "circle-stroke-width": ["step", ["/", ["to-number", ["get", "v"]], ["to-number", ["get", "v"]]], 1, 2, 3],
              "circle-opacity": ["interpolate", ["exponential", 2], ["-", ["to-number", ["get", "v"]], ["to-number", ["get", "v"]]], 0, 0.5, 10, 1]
            }
            """#)
        for v in ["1e400", "-1e400", "nan", "0"] {
            let f = StyleTestData.feature(["v": .string(v)])
            let radius = layer.number("circle-radius", f, zoom: 10)
            #expect(radius.map { $0.isFinite && $0 >= 0 } ?? true, "\(v): \(String(describing: radius))")
            _ = layer.number("circle-stroke-width", f, zoom: 10)
            let opacity = layer.number("circle-opacity", f, zoom: 10)
            #expect(opacity.map { (0...1).contains($0) } ?? true, "\(v)")
        }
        // The same through the renderer, with points carrying such values.
        let renderer = RasterRenderer(style: try StyleTestData.style(type: "circle", #""paint": {"circle-radius": ["interpolate", ["linear"], ["*", ["to-number", ["get", "v"]], 0], 5, 10]}"#))
        let bounds = Envelope(minX: 0, minY: 0, maxX: 256, maxY: 256)
        let points = ["1e400", "nan", "3"].map { RenderFeature(geometry: .point(Position(128, 128)), properties: ["v": .string($0)]) }
        let png = try renderer.render(RasterRequest(bounds: bounds, zoom: 10)) { _, _ in points }
        #expect(try RasterImage(png: png).width == 256)
    }
}
