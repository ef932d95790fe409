import ArgumentParser
import Foundation
import GeoCore
import LayerServer
import Logging
import TileRender

/// Renders an area of a layer into the tile cache's disk tier for a user's access class.
struct Seed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render an area of a layer into the tile cache's disk tier for a user's access class, ahead of an incident.")

    @Option(name: .long, help: "Layer id.") var layer: String
    @Option(name: .long, help: "Tile matrix set: WebMercatorQuad or NetherlandsRDNewQuad.") var tms: String = "WebMercatorQuad"
    @Option(name: .long, help: "Zoom levels, e.g. 10-14 (or one level).") var zooms: String
    @Option(name: .long, help: "Area as minLon,minLat,maxLon,maxLat (default: the layer's extent as the user sees it).") var bbox: String?
    @Option(name: .customLong("as"), help: "The user whose access class the tiles are made for.") var user: String
    @Option(name: .long, help: "mvt (vector tiles) or png (the layer in its default style, as /collections/{id}/map/tiles draws it).") var format: String = "mvt"
    @Option(name: .long, help: "Image scale for png: 1 or 2 (@2x).") var scale: Int = 1
    @OptionGroup var store: StoreOptions

    func run() async throws {
        do {
            guard let matrixSet = TileMatrixSet.named(tms) else {
                throw ValidationError("unknown tile matrix set \"\(tms)\"; use " + TileMatrixSet.supported.map(\.id).joined(separator: " or "))
            }
            let parts = zooms.split(separator: "-").map { Int($0) }
            guard let lo = parts.first ?? nil, let hi = parts.last ?? nil, parts.count <= 2, lo <= hi else {
                throw ValidationError("--zooms is a level or a range like 10-14, got \"\(zooms)\"")
            }
            var area: Envelope?
            if let bbox {
                let v = bbox.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
                guard v.count == 4, v[0] < v[2], v[1] < v[3], v.allSatisfy(\.isFinite) else {
                    throw ValidationError("--bbox is minLon,minLat,maxLon,maxLat with min < max, got \"\(bbox)\"")
                }
                area = Envelope(minX: v[0], minY: v[1], maxX: v[2], maxY: v[3])
            }
            guard ["mvt", "png"].contains(format) else { throw ValidationError("--format is mvt or png, got \"\(format)\"") }
            guard [1, 2].contains(scale) else { throw ValidationError("--scale is 1 or 2, got \(scale)") }
            let config = try await store.serverConfiguration()
            var logger = Logger(label: "layerserver.seed")
            logger.logLevel = .warning
            let service = try Server.makeService(configuration: config, transformers: TransformerPool(), logger: logger)
            let seeder = try TileSeeder(service: service)
            let plan = try seeder.plan(layer: layer, user: user, tms: matrixSet, zooms: lo...hi, bbox: area)
            let bar = ProgressBar(label: "seed \(layer) \(matrixSet.id) z\(lo)-\(hi)")
            let started = ContinuousClock.now
            let report: @Sendable (Int, Int, Int) -> Void = { done, total, bytes in
                bar.update("rendering", fraction: Double(done) / Double(max(total, 1)), detail: "\(done)/\(total) tiles, \(bytes / 1024) KB")
            }
            let (written, bytes): (Int, Int)
            if format == "png" {
                let (styles, _) = try StyleCatalog.load(directory: config.stylesDirectory, defaultStyle: config.defaultStyle)
                let maps = MapService(layers: service, pictures: nil, styles: styles)
                (written, bytes) = try await seeder.runImages(plan, maps: maps, pixelRatio: Double(scale), progress: report)
            } else {
                (written, bytes) = try await seeder.run(plan, progress: report)
            }
            bar.finish()
            let seconds = (ContinuousClock.now - started) / .seconds(1)
            print(String(format: "seeded %d %@ tiles (%d with features, %.1f MB) of %@ v%d for %@'s access class in %.1f s",
                         plan.tiles.count, format, written, Double(bytes) / 1_048_576, layer, plan.layer.currentVersion, user, seconds))
        } catch let e as ValidationError {
            throw e
        } catch {
            throw fail(error)
        }
    }
}
