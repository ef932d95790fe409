import Foundation
import Testing
@testable import LayerServer

@Suite("Server configuration")
struct ConfigurationTests {
    @Test("flags win over environment, environment over the file, the file over defaults")
    func precedence() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(UUID().uuidString).json")
        try #"{"host": "0.0.0.0", "port": 9000, "data": "/srv/file", "anonymous-access": true, "tile-cache-mb": 16}"#
            .write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let c = try await ServerConfiguration.load(overrides: ["port": "9100"], configFile: file.path,
                                                   environment: ["LAYERSERVER_DATA": "/srv/env", "LAYERSERVER_PORT": "9050"])
        #expect(c.port == 9100)
        #expect(c.store.dataDirectory.path == "/srv/env")
        #expect(c.host == "0.0.0.0")
        #expect(c.access.anonymousAccess)
        #expect(c.tileCacheBytes == 16 << 20)
        let d = try await ServerConfiguration.load(overrides: [:], configFile: nil, environment: [:])
        #expect(d.host == "127.0.0.1" && d.port == 8080 && !d.access.anonymousAccess)
        #expect(d.store.keepVersions == 5)
    }

    @Test("cors-origins: a list, *, and * refused together with anonymous access; tile budget settings")
    func crossOriginAndTiles() async throws {
        let listed = try await ServerConfiguration.load(overrides: ["cors-origins": "https://a.example,http://localhost:5173"], configFile: nil, environment: [:])
        #expect(listed.crossOrigin == .origins(["https://a.example", "http://localhost:5173"]))
        let any = try await ServerConfiguration.load(overrides: [:], configFile: nil, environment: ["LAYERSERVER_CORS_ORIGINS": "*"])
        #expect(any.crossOrigin == .any)
        await #expect(throws: StoreError.self) {
            try await ServerConfiguration.load(overrides: ["cors-origins": "*", "anonymous-access": "true"], configFile: nil, environment: [:])
        }
        await #expect(throws: StoreError.self) { try await ServerConfiguration.load(overrides: ["cors-origins": "https://kéké.example"], configFile: nil, environment: [:]) }
        let tiles = try await ServerConfiguration.load(overrides: ["tile-budget-kb": "256", "full-detail-zoom": "12", "full-detail-zooms": "hydrants=14"],
                                                       configFile: nil, environment: [:])
        #expect(tiles.tiles.budgetBytes == 256 * 1024 && tiles.tiles.fullDetailZoom(of: "hydrants") == 14 && tiles.tiles.fullDetailZoom(of: "x") == 12)
        await #expect(throws: StoreError.self) { try await ServerConfiguration.load(overrides: ["full-detail-zooms": "hydrants"], configFile: nil, environment: [:]) }
    }

    @Test("bad values are refused with the key named")
    func badValues() async throws {
        await #expect(throws: StoreError.self) { try await ServerConfiguration.load(overrides: ["port": "http"], configFile: nil, environment: [:]) }
        await #expect(throws: StoreError.self) { try await ServerConfiguration.load(overrides: ["port": "70000"], configFile: nil, environment: [:]) }
        await #expect(throws: StoreError.self) {
            try await ServerConfiguration.load(overrides: [:], configFile: nil, environment: ["LAYERSERVER_ANONYMOUS_ACCESS": "sometimes"])
        }
        await #expect(throws: StoreError.self) { try await ServerConfiguration.load(overrides: [:], configFile: "/nonexistent.json", environment: [:]) }
    }
}
