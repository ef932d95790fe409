import ArgumentParser
import Foundation
import TileRender

/// Draws the project's sprite sheet (hydrant, gas station, water facility, ...) with cairo and
/// writes it where the styles expect it: `styles/sprites/layerserver{,@2x}.{png,json}`.
struct Sprites: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the project's sprite sheet (PNG + JSON index, @1x and @2x) for the styles.")

    @Option(name: .long, help: "Directory to write into.")
    var out: String = "styles/sprites"

    func run() throws {
        let dir = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for ratio in [1, 2] {
            let (png, index) = try SpriteArt.sheet(pixelRatio: ratio)
            let name = "layerserver" + (ratio == 2 ? "@2x" : "")
            try Data(png).write(to: dir.appendingPathComponent(name + ".png"), options: .atomic)
            try Data(index).write(to: dir.appendingPathComponent(name + ".json"), options: .atomic)
            print("wrote \(dir.appendingPathComponent(name).path).{png,json}: \(png.count) + \(index.count) bytes")
        }
    }
}
