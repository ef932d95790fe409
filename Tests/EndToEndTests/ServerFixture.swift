import Foundation
import GeoCore
import Hummingbird
import HummingbirdTesting
import LayerServer
import Logging
import NIOCore

/// A data directory with a few real and generated layers, shared by the end-to-end tests.
/// Built once per process (the import is the slow part).
actor ServerFixture {
    static let shared = ServerFixture()

    private var built: URL?

    static let repository: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    static let sharedData: URL = {
        let candidates = [repository.appendingPathComponent("../shared/data"), URL(fileURLWithPath: "/work/shared/data")]
        return candidates.first { FileManager.default.fileExists(atPath: $0.path) }!.standardizedFileURL
    }()

    /// Layers: `regions` (open, RD polygons), `hydrants` (restricted, 20,000 generated points),
    /// `zones` (confidential, generated polygons).
    func dataDirectory() async throws -> URL {
        if let built { return built }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("layerserver-e2e-\(UUID().uuidString)")
        try await BlockingWork.run {
            let store = try LayerStore(configuration: StoreConfiguration(dataDirectory: dir))
            let transformers = TransformerPool()
            let importer = LayerImporter(store: store, transformers: transformers)
            let generator = try FixtureGenerator(fixtures: Self.repository.appendingPathComponent("fixtures"), transformers: transformers)
            let hydrants = dir.appendingPathComponent("hydrants.gpkg")
            let zones = dir.appendingPathComponent("zones.gpkg")
            try generator.generate(.hydrants, count: 20_000, to: hydrants)
            try generator.generate(.protectionZones, count: 60, to: zones)
            _ = try importer.run(ImportRequest(file: Self.sharedData.appendingPathComponent("nl-boundaries/derived/vr_features_rd.geojson"),
                                               layerID: "regions", title: "Veiligheidsregio's", owner: "IFV", sensitivity: .open, sourceCRS: .rdNew))
            _ = try importer.run(ImportRequest(file: hydrants, layerID: "hydrants", title: "Brandkranen", owner: "VR", sensitivity: .restricted))
            _ = try importer.run(ImportRequest(file: zones, layerID: "zones", title: "Beschermingszones", owner: "Vitens", sensitivity: .confidential))
        }
        built = dir
        return dir
    }

    /// Runs `test` against the real server listening on a free port.
    static func withServer<T: Sendable>(ceiling: Sensitivity = .restricted, cacheBytes: Int = 64 << 20,
                                        _ test: @escaping @Sendable (any TestClientProtocol) async throws -> T) async throws -> T {
        let dir = try await shared.dataDirectory()
        var config = ServerConfiguration(host: "127.0.0.1", port: 0, store: StoreConfiguration(dataDirectory: dir),
                                         access: AccessGate(maximumSensitivity: ceiling), tileCacheBytes: cacheBytes)
        config.catalogPollInterval = .milliseconds(200)
        var logger = Logger(label: "e2e")
        logger.logLevel = .warning
        let transformers = TransformerPool()
        let service = try Server.makeService(configuration: config, transformers: transformers, logger: logger)
        let app = Server.application(configuration: config, service: service, transformers: transformers, logger: logger)
        return try await app.test(.live) { client in try await test(client) }
    }
}

extension TestResponse {
    var bytes: [UInt8] { Array(body.readableBytesView) }
    var text: String { String(buffer: body) }
    func json() throws -> JSONValue { try JSONValue.parse(Data(body.readableBytesView)) }
}
