import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
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

    @Option(name: .long, help: "Let callers without a token read open layers: true or false (default false).")
    var anonymousAccess: String?

    @Option(name: .long, help: "JSON file naming the first administrator; applied while the policy has none.")
    var bootstrap: String?

    @Option(name: .long, help: "Tile cache size in MB (default 128; 0 turns it off).")
    var tileCacheMb: Int?

    @Option(name: .long, help: "Base URL used in links, e.g. https://maps.example.nl.")
    var publicUrl: String?

    var overrides: [String: String] {
        var o: [String: String] = [:]
        if let host { o["host"] = host }
        if let port { o["port"] = String(port) }
        if let anonymousAccess { o["anonymous-access"] = anonymousAccess }
        if let bootstrap { o["bootstrap"] = bootstrap }
        if let tileCacheMb { o["tile-cache-mb"] = String(tileCacheMb) }
        if let publicUrl { o["public-url"] = publicUrl }
        return o
    }
}

/// Every connection holds a file descriptor, and the header and idle timeouts only bound how
/// long a connection lasts: raise the soft open-files limit to the hard one, so that the
/// server is not limited by the default of 1024.
func raiseOpenFileLimit(logger: Logger) {
    #if os(Linux)
    var limit = rlimit()
    let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    guard getrlimit(resource, &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
    let before = limit.rlim_cur
    limit.rlim_cur = limit.rlim_max
    if setrlimit(resource, &limit) == 0 {
        logger.info("open-files limit raised", metadata: ["from": "\(before)", "to": "\(limit.rlim_cur)"])
    }
    #endif
}

/// Runs the server until SIGINT or SIGTERM.
func runServer(_ configuration: ServerConfiguration, logger: Logger, banner: @escaping @Sendable (String) -> Void) async throws {
    raiseOpenFileLimit(logger: logger)
    let transformers = TransformerPool()
    let service = try Server.makeService(configuration: configuration, transformers: transformers, logger: logger)
    if let file = configuration.bootstrapFile, let done = try Bootstrap.apply(file: file, to: service.access.store) {
        logger.notice("\(done)")
        try service.access.refresh()
    }
    let app = try Server.application(configuration: configuration, service: service, transformers: transformers, logger: logger) { port in
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
                print("layerserver listening on \(base) (data: \(config.store.dataDirectory.path), anonymous access \(config.access.anonymousAccess ? "on: open layers only" : "off"))")
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
        discussion: "The demo sets up a cast of partner organisations and prints a fresh token for each of its users.")

    @OptionGroup var store: StoreOptions
    @OptionGroup var server: ServerOptions

    @Option(name: .long, help: "Fixtures directory (default ./fixtures).")
    var fixtures: String = "fixtures"

    @Option(name: .long, help: "Number of generated hydrants.")
    var hydrants: Int = 30_000

    func run() async throws {
        let logger = makeLogger("layerserver")
        do {
            let config = try await store.serverConfiguration(extra: server.overrides)
            let fixtures = self.fixtures, hydrants = self.hydrants
            // GDAL work runs on the blocking thread pool, not on the cooperative pool.
            let cast = try await BlockingWork.run { try Self.prepare(config, fixtures: fixtures, hydrants: hydrants) }
            let tiles = try Self.exampleTiles()
            let width = cast.map(\.user.count).max() ?? 0
            let viewer = cast.first { $0.user == "im-utrecht" }?.token ?? "<token>"
            try await runServer(config, logger: logger) { base in
                // A sign-in link per member: the token rides in the fragment, which browsers do not send.
                let pad = String(repeating: " ", count: width)
                let tokens = cast.map { "  \($0.user.padding(toLength: width, withPad: " ", startingAt: 0))  \($0.token)\n  \(pad)  \($0.description)\n  \(pad)  \(base)/viewer#token=\($0.token)" }
                    .joined(separator: "\n")
                print("""

                layerserver demo on \(base), data in \(config.store.dataDirectory.path) (synthetic demo data)

                Demo tokens (shown once, valid 30 days; send as Authorization: Bearer <token>):
                \(tokens)

                The map viewer: open a member's link above in a browser (or \(base)/viewer and paste a token).

                Try (as the information manager of VR09; other tokens see other layers and areas):
                  curl -H 'Authorization: Bearer \(viewer)' \(base)/collections
                  \(base)/collections
                  \(base)/collections/hydrants
                  \(base)/collections/hydrants/tiles/WebMercatorQuad/tilejson
                  \(base)/collections/hydrants/tiles/NetherlandsRDNewQuad/tilejson
                  \(tiles.map { "\(base)\($0)" }.joined(separator: "\n  "))
                  \(base)/tileMatrixSets/NetherlandsRDNewQuad
                  \(base)/health/ready

                The operational picture as images (PNG from styles/operational-picture.json; each caller sees its own layers and areas):
                  curl -H 'Authorization: Bearer \(viewer)' -o map.png \(base)/styles/operational-picture/map/tiles/WebMercatorQuad/11/675/1053
                  \(base)/styles/operational-picture                                      (the MapLibre style, sources signed for the caller)
                  \(base)/collections/hydrants/map/tiles/NetherlandsRDNewQuad/{z}/{row}/{col}@2x
                  WMTS for QGIS/ArcGIS: \(base)/wmts/1.0.0/WMTSCapabilities.xml          (per caller; tile URLs in it are signed)

                The risk picture of VR09 (HDSR's high-water threat on the Lekdijk, Vitens' effect on a pumping station):
                  curl -H 'Authorization: Bearer \(viewer)' \(base)/pictures/VR09
                  curl -H 'Authorization: Bearer <standby-viewer token>' \(base)/pictures/VR09     (the threat; the effect only if its asset is in the exercise area)
                  curl -H 'Authorization: Bearer <adhoc-viewer token>' \(base)/pictures/VR09       (404: no picture for an ad-hoc partner)
                  curl -H 'Authorization: Bearer \(viewer)' \(base)/pictures/VR09/alerts
                  curl -N -H 'Authorization: Bearer \(viewer)' \(base)/pictures/VR09/events
                  See README.md, "The demo story", for every step.

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

    /// Builds the demo data when the store is empty and issues the cast's tokens (GDAL: call
    /// it off the cooperative pool).
    private static func prepare(_ config: ServerConfiguration, fixtures: String, hydrants: Int) throws -> [DemoCast.Member] {
        let store = try LayerStore(configuration: config.store)
        let reports = try DemoData.prepare(store: store, fixtures: URL(fileURLWithPath: fixtures), transformers: TransformerPool(),
                                           hydrants: hydrants) { print($0); fflush(nil) }
        if reports.isEmpty { print("using the existing data in \(config.store.dataDirectory.path)") }
        let cast = try DemoCast.apply(AccessStore(store: store))
        for line in try DemoPicture.apply(store: store, fixtures: URL(fileURLWithPath: fixtures), transformers: TransformerPool()) { print(line) }
        return cast
    }
}
