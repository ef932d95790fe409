import Foundation
import GeoCore
import Testing
@testable import TileRender

/// styles/sprites holds what `layerserver sprites` draws: the committed sheet is the code's.
@Suite("Committed sprite sheet")
struct SpriteFilesTests {
    static let directory: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("styles/sprites")
    }()

    @Test("styles/sprites/layerserver{,@2x}.{png,json} are SpriteArt's sheets", arguments: [1, 2])
    func committed(_ ratio: Int) throws {
        let (png, index) = try SpriteArt.sheet(pixelRatio: ratio)
        let name = "layerserver" + (ratio == 2 ? "@2x" : "")
        let committedPNG = try Data(contentsOf: Self.directory.appendingPathComponent(name + ".png"))
        let committedIndex = try Data(contentsOf: Self.directory.appendingPathComponent(name + ".json"))
        #expect(try JSONValue.parse(committedIndex) == JSONValue.parse(Data(index)), "run `layerserver sprites` and commit styles/sprites")
        #expect(try RasterImage(png: Array(committedPNG)) == RasterImage(png: png), "run `layerserver sprites` and commit styles/sprites")
        let sheet = try SpriteSheet(png: Array(committedPNG), index: committedIndex)
        #expect(Set(sheet.names).isSuperset(of: ["hydrant", "gas-station", "water-facility", "protection-zone"]))
    }
}
