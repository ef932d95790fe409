import Foundation
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
}
