import ArgumentParser
import Foundation
import GeoCore
import LayerServer
import TileRender

/// Renders a list of tiles in-process (no HTTP, no cache) and reports the rate: the part of
/// the benchmark that measures the tile path itself.
struct RenderTiles: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render-tiles",
        abstract: "Render tiles from a list of /collections/{id}/tiles/{tms}/{z}/{row}/{col} paths and report tiles per second.")

    @Argument(help: "File with one tile path per line.")
    var list: String

    @Option(name: .long, help: "Rounds over the list.")
    var rounds: Int = 3

    @Option(name: .long, help: "Concurrent renderers.")
    var concurrency: Int = 1

    @Option(name: .long, help: "Draw PNG tiles with this MapLibre style file instead of encoding MVT (the layer's features feed the style layers whose source-layer is its id).")
    var style: String?

    @Option(name: .long, help: "Write each tile of the first round into this directory (z-row-col.png or .mvt).")
    var out: String?

    @OptionGroup var store: StoreOptions

    func run() async throws {
        do {
            let config = try await store.serverConfiguration()
            let transformers = TransformerPool()
            let layerStore = try LayerStore(configuration: config.store)
            let service = TileService(store: layerStore, transformers: transformers, scope: try SpatialScope(transformers: transformers),
                                      configuration: config.tiles)
            let layers = Dictionary(uniqueKeysWithValues: try layerStore.layers().map { ($0.id, $0) })
            // As the server does at start: point layers in memory before the first tile.
            await service.warm(Array(layers.values))
            var jobs: [(Layer, TileMatrixSet, TileID)] = []
            for line in try String(contentsOfFile: list, encoding: .utf8).split(separator: "\n") {
                let p = line.split(separator: "/").map(String.init)
                guard p.count == 7, let layer = layers[p[1]], let tms = TileMatrixSet.named(p[3]),
                      let z = Int(p[4]), let row = Int(p[5]), let col = Int(p[6]) else {
                    throw ValidationError("cannot read tile path \(line)")
                }
                jobs.append((layer, tms, TileID(z: z, row: row, col: col)))
            }
            let renderer = try style.map { RasterRenderer(style: try Style.load(Data(contentsOf: URL(fileURLWithPath: $0)))) }
            let styleKey = style ?? ""
            let layerSources = renderer.map { StyleCatalog.bindings($0.style).layers } ?? [:]
            let outDirectory = out.map { URL(fileURLWithPath: $0) }
            if let outDirectory { try FileManager.default.createDirectory(at: outDirectory, withIntermediateDirectories: true) }
            let started = ContinuousClock.now
            var bytes = 0
            for round in 0..<rounds {
                bytes += try await withThrowingTaskGroup(of: Int.self) { group in
                    let perWorker = (jobs.count + concurrency - 1) / concurrency
                    for w in 0..<concurrency {
                        let slice = Array(jobs.dropFirst(w * perWorker).prefix(perWorker))
                        group.addTask {
                            var n = 0
                            for (l, t, id) in slice {
                                let bytes: [UInt8]
                                if let renderer {
                                    let encoder = RasterTileEncoder(renderer: renderer, styleKey: styleKey, zoom: Double(id.z), pixelRatio: 1,
                                                                    layerSources: layerSources)
                                    bytes = try await service.render([(l, .none)], tms: t, tile: id, encoder: encoder)
                                } else {
                                    bytes = try await service.render(layer: l, tms: t, tile: id, restriction: .none)
                                }
                                n += bytes.count
                                if round == 0, let outDirectory {
                                    let name = "\(id.z)-\(id.row)-\(id.col)." + (renderer == nil ? "mvt" : "png")
                                    try Data(bytes).write(to: outDirectory.appendingPathComponent(name))
                                }
                            }
                            return n
                        }
                    }
                    return try await group.reduce(0, +)
                }
            }
            let seconds = (ContinuousClock.now - started) / .seconds(1)
            let tiles = jobs.count * rounds
            print(String(format: "%d tiles in %.2f s: %.0f tiles/s, %.1f KB per tile", tiles, seconds, Double(tiles) / seconds, Double(bytes) / Double(tiles) / 1024))
        } catch let e as ValidationError {
            throw e
        } catch {
            throw fail(error)
        }
    }
}
