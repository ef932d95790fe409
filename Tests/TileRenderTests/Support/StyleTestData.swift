import Foundation
import GeoCore
@testable import TileRender

/// Shared data and helpers of the style tests.
enum StyleTestData {
    /// ../shared/data, found by walking up from this file (symlinks resolved), or /work/shared/data.
    static let shared: URL? = {
        var url = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        for _ in 0..<4 { url.deleteLastPathComponent() }
        let candidates = [url.appendingPathComponent("../shared/data"), URL(fileURLWithPath: "/work/shared/data")]
        return candidates.first { FileManager.default.fileExists(atPath: $0.path) }?.standardizedFileURL
    }()

    /// The style-spec validation fixtures directory.
    static var fixtures: URL? {
        shared?.appendingPathComponent("maplibre-style-spec/test/integration/style-spec/tests")
    }

    /// Loads a style from JSON text.
    static func style(_ json: String) throws -> Style {
        try Style.load(Data(json.utf8))
    }

    /// A style of one layer over a vector source "s" (source-layer "l"); `layer` is the layer's members
    /// after id/type/source.
    static func style(type: String, _ layer: String) throws -> Style {
        let source = type == "background" ? "" : #", "source": "s", "source-layer": "l""#
        return try style(#"{"version": 8, "sources": {"s": {"type": "vector", "tiles": ["t"]}}, "layers": [{"id": "x", "type": "\#(type)"\#(source)\#(layer.isEmpty ? "" : ", " + layer)}]}"#)
    }

    /// The single layer of `style(type:_:)`.
    static func layer(type: String, _ layer: String) throws -> StyleLayer {
        let s = try style(type: type, layer)
        guard let first = s.layers.first else { throw StyleValidationError(errors: ["no layer"]) }
        return first
    }

    /// The validation errors of a style, empty when it loads.
    static func errors(_ json: String) -> [String] {
        do {
            _ = try style(json)
            return []
        } catch let e as StyleValidationError {
            return e.errors
        } catch {
            return ["\(error)"]
        }
    }

    /// A feature.
    static func feature(_ properties: [String: AttributeValue] = [:], id: Int64? = nil,
                        type: StyleGeometryType = .point) -> StyleFeature {
        StyleFeature(id: id, properties: properties, geometryType: type)
    }
}
