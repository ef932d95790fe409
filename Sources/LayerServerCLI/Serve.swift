import ArgumentParser
import Foundation
import GeoCore
import Hummingbird
import LayerServer
import Logging
import TileRender

/// Flags shared by `serve` and `demo`.
struct ServerOptions: ParsableArguments {
    @Option(name: .long, help: "Address to listen on (default 127.0.0.1).")
    var host: String?

    @Option(name: .long, help: "Port to listen on (default 8080; 0 picks a free port).")
    var port: Int?

    @Option(name: .long, help: "Highest layer sensitivity served: open, restricted or confidential (default open).")
    var maximumSensitivity: String?

    @Option(name: .long, help: "Tile cache size in MB (default 128; 0 turns it off).")
    var tileCacheMb: Int?

    @Option(name: .long, help: "Base URL used in links, e.g. https://maps.example.nl.")
    var publicUrl: String?

    var overrides: [String: String] {
        var o: [String: String] = [:]
        if let host { o["host"] = host }
        if let port { o["port"] = String(port) }
        if let maximumSensitivity { o["maximum-sensitivity"] = maximumSensitivity }
        if let tileCacheMb { o["tile-cache-mb"] = String(tileCacheMb) }
        if let publicUrl { o["public-url"] = publicUrl }
        return o
    }
}

/// Runs the server until SIGINT or SIGTERM.
func runServer(_ configuration: ServerConfiguration, logger: Logger, banner: @escaping @Sendable (String) -> Void) async throws {
    let transformers = TransformerPool()
    let service = try Server.makeService(configuration: configuration, transformers: transformers, logger: logger)
    let app = Server.application(configuration: configuration, service: service, transformers: transformers, logger: logger) { port in
        let host = configuration.host == "0.0.0.0" ? "127.0.0.1" : configuration.host
        banner("http://\(host):\(port)")
    }
    try await app.runService()
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the layers of a data directory over HTTP.")

    @OptionGroup var store: StoreOptions
    @OptionGroup var server: ServerOptions

    func run() async throws {
        let logger = makeLogger("layerserver")
        do {
            let config = try await store.serverConfiguration(extra: server.overrides)
            try await runServer(config, logger: logger) { base in
                print("layerserver listening on \(base) (data: \(config.store.dataDirectory.path), serving up to \(config.access.maximumSensitivity.rawValue))")
                fflush(nil)
            }
        } catch {
            throw fail(error)
        }
    }
}

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build a demo data directory from fixtures/ if there is none, then serve it.",
        discussion: "The demo serves every sensitivity (synthetic data) unless --maximum-sensitivity says otherwise.")

    @OptionGroup var store: StoreOptions
    @OptionGroup var server: ServerOptions

    @Option(name: .long, help: "Fixtures directory (default ./fixtures).")
    var fixtures: String = "fixtures"

    @Option(name: .long, help: "Number of generated hydrants.")
    var hydrants: Int = 30_000

    func run() async throws {
        let logger = makeLogger("layerserver")
        do {
            var extra = server.overrides
            if extra["maximum-sensitivity"] == nil { extra["maximum-sensitivity"] = "confidential" }
            let config = try await store.serverConfiguration(extra: extra)
            let fixtures = self.fixtures, hydrants = self.hydrants
            // GDAL work runs on the blocking thread pool, not on the cooperative pool.
            try await BlockingWork.run { try Self.prepare(config, fixtures: fixtures, hydrants: hydrants) }
            let tiles = try Self.exampleTiles()
            try await runServer(config, logger: logger) { base in
                print("""

                layerserver demo on \(base), data in \(config.store.dataDirectory.path)
                serving layers up to sensitivity "\(config.access.maximumSensitivity.rawValue)" (synthetic demo data)

                Try:
                  \(base)/collections
                  \(base)/collections/hydrants
                  \(base)/collections/hydrants/tiles/WebMercatorQuad/tilejson
                  \(base)/collections/hydrants/tiles/NetherlandsRDNewQuad/tilejson
                  \(tiles.map { "\(base)\($0)" }.joined(separator: "\n  "))
                  \(base)/tileMatrixSets/NetherlandsRDNewQuad
                  \(base)/health/ready

                """)
                fflush(nil)
            }
        } catch {
            throw fail(error)
        }
    }

    /// Tiles that hold demo data: hydrants around the Dam in Amsterdam (where the real BAG
    /// address points are) in both grids, and the safety regions over the middle of the country.
    static func exampleTiles() throws -> [String] {
        let dam = Position(121_329.84, 487_357.11)
        let damMercator = try Transformer(from: .rdNew, to: .webMercator).transform(dam)
        func path(_ layer: String, _ tms: TileMatrixSet, _ p: Position, _ z: Int) -> String? {
            tms.tile(containing: p, z: z).map { "/collections/\(layer)/tiles/\(tms.id)/\($0.z)/\($0.row)/\($0.col)" }
        }
        return [
            path("hydrants", .webMercatorQuad, damMercator, 14),
            path("hydrants", .netherlandsRDNewQuad, dam, 10),
            path("safety_regions", .netherlandsRDNewQuad, Position(155_123, 463_321), 3),
        ].compactMap { $0 }
    }

    /// Builds the demo data when the store is empty (GDAL: call it off the cooperative pool).
    private static func prepare(_ config: ServerConfiguration, fixtures: String, hydrants: Int) throws {
        let store = try LayerStore(configuration: config.store)
        let reports = try DemoData.prepare(store: store, fixtures: URL(fileURLWithPath: fixtures), transformers: TransformerPool(),
                                           hydrants: hydrants) { print($0); fflush(nil) }
        if reports.isEmpty { print("using the existing data in \(config.store.dataDirectory.path)") }
    }
}
