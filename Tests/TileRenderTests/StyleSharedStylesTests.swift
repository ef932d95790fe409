import Foundation
import GeoCore
import Testing
@testable import TileRender

/// Every real style in ../shared/data/maplibre-styles loads; what it uses outside the subset becomes warnings
/// that name the layer and the property (or filter) path.
@Suite("Shared MapLibre styles")
struct StyleSharedStylesTests {
    /// The style documents under maplibre-styles (JSON files with "version": 8 and "layers"; sprite indexes
    /// are skipped), relative paths.
    static let styles: [String] = {
        guard let root = StyleTestData.shared?.appendingPathComponent("maplibre-styles"),
              let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
        var out: [String] = []
        for case let url as URL in walker where url.pathExtension == "json" {
            guard let data = try? Data(contentsOf: url),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  object["version"] as? Int == 8, object["layers"] != nil else { continue }
            out.append(String(url.path.dropFirst(root.path.count + 1)))
        }
        return out.sorted()
    }()

    @Test("the shared styles are found")
    func found() {
        #expect(Self.styles.count >= 7, "\(Self.styles)")
    }

    @Test("a shared style loads; its warnings name layer and property paths", arguments: styles)
    func loads(_ path: String) throws {
        let url = try #require(StyleTestData.shared).appendingPathComponent("maplibre-styles").appendingPathComponent(path)
        let style = try Style.load(Data(contentsOf: url))
        #expect(!style.layers.isEmpty)
        let pattern = #/^(layers\[\d+\] ".*": ((paint|layout)\.[a-z-]+ |filter(\[\d+\])*[ :]|layer type "|duplicate layer id)|(center|centerAltitude|zoom|bearing|pitch|roll)(\[\d+\])?: )/#
        for warning in style.warnings {
            #expect(warning.firstMatch(of: pattern) != nil, "\(warning)")
        }
    }

    @Test("a shared style renders at 1x and 2x with no data (nothing of PDOK's sources is here) without failing", arguments: styles)
    func rendersEmpty(_ path: String) throws {
        let url = try #require(StyleTestData.shared).appendingPathComponent("maplibre-styles").appendingPathComponent(path)
        let renderer = RasterRenderer(style: try Style.load(Data(contentsOf: url)))
        let bounds = try #require(TileMatrixSet.webMercatorQuad.bounds(of: TileID(z: 14, row: 5395, col: 8418)))
        for ratio in [1.0, 2.0] {
            let png = try renderer.render(RasterRequest(bounds: bounds, zoom: 14, pixelRatio: ratio)) { _, _ in [] }
            #expect(try RasterImage(png: png).width == Int(256 * ratio))
        }
    }

    /// PDOK's administrative-areas style over the data we have for its source layers: the municipalities
    /// (gemeentegebied, with PDOK's "naam") and the country outline (landgebied) from ../shared/data/nl-boundaries.
    @Test("the administrative-areas style draws municipalities, their labels and the country outline from real boundaries")
    func administrativeAreas() throws {
        let root = try #require(StyleTestData.shared)
        let styleURL = try #require(Self.styles.first { $0.hasSuffix("bestuurlijkegebieden_annotated.json") })
        let renderer = RasterRenderer(style: try Style.load(Data(contentsOf: root.appendingPathComponent("maplibre-styles").appendingPathComponent(styleURL))))
        func features(_ file: String, rename: [String: String]) throws -> [RenderFeature] {
            let doc = try JSONValue.parse(Data(contentsOf: root.appendingPathComponent("nl-boundaries/derived").appendingPathComponent(file)))
            return try (doc["features"]?.array ?? []).map { f in
                var properties: [String: AttributeValue] = [:]
                if case .object(let o)? = f["properties"] {
                    for (k, v) in o { if let s = v.string { properties[rename[k] ?? k] = .string(s) } }
                }
                return RenderFeature(geometry: try GeoJSON.geometry(from: f["geometry"] ?? .null), properties: properties)
            }
        }
        let municipalities = try features("gm_features_rd.geojson", rename: ["name": "naam"])
        let country = try features("nl_features_rd.geojson", rename: [:])
        #expect(municipalities.count > 300)
        // NetherlandsRDNewQuad level 5 over Utrecht (the style is PDOK's RD style); style zoom about 10.
        let tms = TileMatrixSet.netherlandsRDNewQuad
        let tile = try #require(tms.tile(containing: Position(136_000, 456_000), z: 5))
        let bounds = try #require(tms.bounds(of: tile))
        let request = RasterRequest(bounds: bounds, zoom: 10)
        let empty = try RasterImage(png: try renderer.render(request) { _, _ in [] })
        let drawn = try RasterImage(png: try renderer.render(request) { _, layer in
            switch layer { case "gemeentegebied": municipalities; case "landgebied": country; default: [] }
        })
        #expect(empty.paintedPixels == 0)
        #expect(drawn.paintedPixels > 2_000, "\(drawn.paintedPixels)")
        // Municipal boundaries in black (rgb(0,0,0), 1 px) and labels; no province data, so no red.
        var black = 0, red = 0
        for y in 0..<drawn.height { for x in 0..<drawn.width {
            let p = drawn.pixel(x, y)
            if p.a > 200 && p.r < 60 && p.g < 60 && p.b < 60 { black += 1 }
            if p.a > 200 && p.r > 200 && p.g < 60 && p.b < 60 { red += 1 }
        } }
        #expect(black > 500, "\(black)")
        #expect(red == 0)
    }
}
