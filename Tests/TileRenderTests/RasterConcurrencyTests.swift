import Foundation
import GeoCore
import Testing
@testable import TileRender

@Suite("Raster: concurrency")
struct RasterConcurrencyTests {
    @Test("8 tasks × 20 renders (circles, lines, icons, labels in several fonts) equal the serial render")
    func stress() async throws {
        let layers = #"""
            [{"id":"bg","type":"background","paint":{"background-color":"#f2efe9"}},
             {"id":"l","type":"line","source":"s","source-layer":"a","paint":{"line-color":"#d7301f","line-width":3,"line-dasharray":[2,1]}},
             {"id":"c","type":"circle","source":"s","source-layer":"p",
              "paint":{"circle-radius":6,"circle-color":"#ff0000","circle-stroke-color":"#ffffff","circle-stroke-width":1}},
             {"id":"i","type":"symbol","source":"s","source-layer":"p","layout":{"icon-image":"hydrant","text-field":["get","name"],
              "text-size":11,"text-anchor":"top","text-offset":[0,1.2],"text-font":["Open Sans Bold"]},
              "paint":{"text-halo-color":"#ffffff","text-halo-width":1}},
             {"id":"t","type":"symbol","source":"s","source-layer":"p","layout":{"text-field":["get","name"],"text-size":13,
              "text-font":["Noto Sans Italic"],"text-allow-overlap":true}}]
            """#
        let json = #"{"version":8,"sources":{"s":{"type":"vector","tiles":["x"]}},"layers":"# + layers + "}"
        let renderer = RasterRenderer(style: try Style.load(Data(json.utf8)), sprites: try RasterFixture.sprites())
        let points: [RenderFeature] = (0..<60).map { (i: Int) -> RenderFeature in
            let position = Position(Double((i * 37) % 256), Double((i * 91) % 256))
            return RenderFeature(id: Int64(i), geometry: .point(position), properties: ["name": .string("Punt \(i)")])
        }
        let lines = [RenderFeature(geometry: .lineString([Position(-20, 10), Position(120, 240), Position(280, 30)]))]
        let features: @Sendable (String, String) -> [RenderFeature] = { _, layer in layer == "p" ? points : lines }
        let requests = [1.0, 2.0].map {
            RasterRequest(bounds: Envelope(minX: 0, minY: 0, maxX: 256, maxY: 256), zoom: 15, pixelRatio: $0)
        }
        let serial = try requests.map { try renderer.render($0, features: features) }
        #expect(try #require(RasterTestImage(png: serial[1])).width == 512)

        let mismatches = try await withThrowingTaskGroup(of: Int.self) { group in
            for task in 0..<8 {
                group.addTask {
                    var bad = 0
                    for i in 0..<20 {
                        let k = (task + i) % 2
                        if try renderer.render(requests[k], features: features) != serial[k] { bad += 1 }
                    }
                    return bad
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(mismatches == 0)
    }
}
