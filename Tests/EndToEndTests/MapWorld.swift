import Foundation
import GeoCore
@testable import LayerServer

/// The demo of `make run` (its layers, cast and risk picture; 4,000 hydrants) in one data
/// directory, built once per process, served with the repository's styles.
actor MapWorld {
    static let shared = MapWorld()
    private var building: Task<UploadWorld, any Error>?

    static let styles = ServerFixture.repository.appendingPathComponent("styles")

    func world() async throws -> UploadWorld {
        if let building { return try await building.value }
        let task = Task { try await Self.build() }
        building = task
        return try await task.value
    }

    private static func build() async throws -> UploadWorld { try await fresh(hydrants: 4_000) }

    /// A demo data directory of this test's own (for tests that change what they serve).
    static func fresh(hydrants: Int) async throws -> UploadWorld {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("layerserver-maps-\(UUID().uuidString)")
        return try await BlockingWork.run {
            let store = try LayerStore(configuration: StoreConfiguration(dataDirectory: dir))
            let fixtures = ServerFixture.repository.appendingPathComponent("fixtures")
            let transformers = TransformerPool()
            try DemoData.prepare(store: store, fixtures: fixtures, transformers: transformers, hydrants: hydrants) { _ in }
            _ = try DemoPicture.apply(store: store, fixtures: fixtures, transformers: transformers)
            let members = try DemoCast.apply(AccessStore(store: store))
            return UploadWorld(directory: dir, tokens: Dictionary(uniqueKeysWithValues: members.map { ($0.user, $0.token) }))
        }
    }

    /// Runs `test` against a server on the demo directory with the styles of `styles`.
    static func withServer<T: Sendable>(styles: URL = MapWorld.styles, cacheBytes: Int = 64 << 20,
                                        _ test: @escaping @Sendable (UploadClient) async throws -> T) async throws -> T {
        let world = try await shared.world()
        return try await world.withServer(cacheBytes: cacheBytes, configure: { $0.stylesDirectory = styles }, test)
    }
}
