import Foundation
@testable import LayerServer
import NIOCore
import Testing
import TileRender

/// The disk tier of the tile cache.
@Suite("Tile cache on disk")
struct DiskTileCacheTests {
    static func directory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("layerserver-disk-\(UUID().uuidString)")
    }

    static func key(_ i: Int, layer: String = "hydrants", version: Int = 1, accessClass: String = "c") -> TileCacheKey {
        TileCacheKey(accessClass: accessClass, layerID: layer, version: version, format: "mvt", tileMatrixSet: "WebMercatorQuad",
                     tile: TileID(z: 14, row: i, col: 7))
    }

    static func body(_ i: Int, size: Int = 300) -> [UInt8] { (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i) } }

    @Test("tiles survive a restart; another access class or version never sees them")
    func restart() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try DiskTileCache(directory: dir, capacity: 1 << 20)
        for i in 0..<20 { first.write(Self.key(i), Self.body(i)) }
        let second = try DiskTileCache(directory: dir, capacity: 1 << 20)
        #expect(second.usage.files == 20)
        for i in 0..<20 { #expect(second.read(Self.key(i)) == Self.body(i)) }
        #expect(second.read(Self.key(3, accessClass: "other")) == nil)
        #expect(second.read(Self.key(3, version: 2)) == nil)
        // Keys of pictures and whole styles are not kept on disk.
        second.write(Self.key(1, layer: "style:operational-picture", version: 0), Self.body(1))
        #expect(second.read(Self.key(1, layer: "style:operational-picture", version: 0)) == nil)
        #expect(second.usage.files == 20)
    }

    @Test("a truncated or altered file is deleted, never served; half-written files are removed at start")
    func corrupt() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cache = try DiskTileCache(directory: dir, capacity: 1 << 20)
        cache.write(Self.key(1), Self.body(1))
        cache.write(Self.key(2), Self.body(2))
        let truncated = try #require(cache.file(Self.key(1)))
        let handle = try FileHandle(forWritingTo: truncated)
        try handle.truncate(atOffset: 100)
        try handle.close()
        #expect(cache.read(Self.key(1)) == nil)
        #expect(!FileManager.default.fileExists(atPath: truncated.path))
        let altered = try #require(cache.file(Self.key(2)))
        var bytes = try [UInt8](Data(contentsOf: altered))
        bytes[bytes.count - 1] ^= 0xFF
        try Data(bytes).write(to: altered)
        #expect(cache.read(Self.key(2)) == nil)
        #expect(!FileManager.default.fileExists(atPath: altered.path))
        // A write interrupted before its rename leaves a temporary file: gone at the next start.
        let leftover = altered.deletingLastPathComponent().appendingPathComponent(".tmp-interrupted")
        try Data([1, 2, 3]).write(to: leftover)
        _ = try DiskTileCache(directory: dir, capacity: 1 << 20)
        #expect(!FileManager.default.fileExists(atPath: leftover.path))
    }

    @Test("publish and rollback empty both tiers for the layer; the budget holds, oldest first")
    func removalAndBudget() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let disk = try DiskTileCache(directory: dir, capacity: 40_000)
        let cache = TileCache(capacity: 1 << 20, disk: disk)
        for i in 0..<10 {
            disk.write(Self.key(i), Self.body(i))
            disk.write(Self.key(i, layer: "gas_stations"), Self.body(i))
            cache.put(Self.key(i), CachedTile(body: ByteBuffer(bytes: Self.body(i)), gzipped: nil))
        }
        cache.removeAll(layerID: "hydrants")
        #expect(cache.get(Self.key(3)) == nil)
        #expect(disk.read(Self.key(3)) == nil)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("hydrants").path))
        #expect(disk.read(Self.key(3, layer: "gas_stations")) == Self.body(3))
        // 200 files of 338 bytes into 40,000: the newest stay.
        for i in 0..<200 { disk.write(Self.key(1_000 + i), Self.body(i)) }
        #expect(disk.usage.bytes <= 40_000)
        #expect(disk.read(Self.key(1_199)) == Self.body(199))
        #expect(disk.read(Self.key(1_000)) == nil)
    }
}
