import Foundation
import GeoCore
import Testing
@testable import TileRender

@Suite("Raster: sprites")
struct RasterSpriteTests {
    @Test("SpriteArt sheets at 1x and 2x round-trip through SpriteSheet with a MapLibre index")
    func roundTrip() throws {
        for ratio in [1, 2] {
            let (png, index) = try SpriteArt.sheet(pixelRatio: ratio)
            let sheet = try SpriteSheet(png: png, index: Data(index))
            #expect(sheet.names == ["gas-station", "hydrant", "protection-zone", "water-facility"])
            let json = try JSONValue.parse(Data(index))
            for (name, size) in SpriteArt.icons {
                let entry = try #require(json[name])
                #expect(entry["width"]?.number == Double(size * ratio))
                #expect(entry["height"]?.number == Double(size * ratio))
                #expect(entry["pixelRatio"]?.number == Double(ratio))
                #expect(entry["y"]?.number == 0)
                let css = try #require(sheet.cssSize(name))
                #expect(css.width == Double(size) && css.height == Double(size))
            }
            let image = try #require(RasterTestImage(png: png))
            #expect(image.height == 24 * ratio)
            // Hydrant: red background near its corner, white body in the middle.
            #expect(image.isColor(3 * ratio, 12 * ratio, 0xC8, 0x10, 0x2E))
            #expect(image.isColor(12 * ratio, 16 * ratio, 255, 255, 255))
            // Gas station (x 26...41): yellow corner, black flame centre.
            let gx = (24 + 2) * ratio
            #expect(image.isColor(gx + 3 * ratio, 3 * ratio, 0xFF, 0xD2, 0x00))
            #expect(image.isColor(gx + 8 * ratio, 7 * ratio, 0, 0, 0))
            // Water facility (x 44...59): blue disc.
            let wx = (24 + 2 + 16 + 2) * ratio
            #expect(image.isColor(wx + 3 * ratio, 8 * ratio, 0x1F, 0x5F, 0xA8))
            // Nothing drawn in the gaps between icons.
            #expect(image.paintedCount(x: (24 * ratio)..<(26 * ratio), y: 0..<image.height) == 0)
        }
    }

    @Test("SpriteSheet refuses bad PNGs, bad JSON and icons outside the image")
    func refusesBadInput() throws {
        let (png, _) = try SpriteArt.sheet(pixelRatio: 1)
        #expect(throws: TileRenderError.self) { try SpriteSheet(png: [1, 2, 3], index: Data("{}".utf8)) }
        #expect(throws: TileRenderError.self) { try SpriteSheet(png: png, index: Data("[1]".utf8)) }
        #expect(throws: TileRenderError.self) { try SpriteSheet(png: png, index: Data("not json".utf8)) }
        let outside = #"{"a":{"x":90,"y":0,"width":20,"height":20,"pixelRatio":1}}"#
        #expect(throws: TileRenderError.self) { try SpriteSheet(png: png, index: Data(outside.utf8)) }
        let fractional = #"{"a":{"x":0.5,"y":0,"width":2,"height":2}}"#
        #expect(throws: TileRenderError.self) { try SpriteSheet(png: png, index: Data(fractional.utf8)) }
        #expect(throws: TileRenderError.self) { try SpriteArt.sheet(pixelRatio: 0) }
        let fine = try SpriteSheet(png: png, index: Data(#"{"a":{"x":0,"y":0,"width":2,"height":2}}"#.utf8))
        #expect(fine.names == ["a"])
        #expect(fine.cssSize("a")?.width == 2)
    }
}
