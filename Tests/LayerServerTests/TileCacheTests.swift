import Foundation
@testable import LayerServer
import NIOCore
import Testing
import TileRender

/// The memory tier of the tile cache: a working set survives scans and cyclic passes.
@Suite("Tile cache")
struct TileCacheTests {
    static func key(_ i: Int, accessClass: String = "c", layer: String = "a") -> TileCacheKey {
        TileCacheKey(accessClass: accessClass, layerID: layer, version: 1, format: "mvt", tileMatrixSet: "WebMercatorQuad",
                     tile: TileID(z: 14, row: i / 1000, col: i % 1000))
    }

    static func tile(_ bytes: Int) -> CachedTile {
        CachedTile(body: ByteBuffer(bytes: [UInt8](repeating: 7, count: bytes)), gzipped: nil)
    }

    /// A map client's way: look up, and store on a miss.
    static func request(_ cache: TileCache, _ key: TileCacheKey, bytes: Int = 872) -> Bool {
        if cache.get(key) != nil { return true }
        cache.put(key, tile(bytes))
        return false
    }

    @Test("a cyclic pass over twice what fits keeps a hit ratio above 35% (an LRU keeps 0%)")
    func cyclic() {
        // 1,000 entries of 1 KB (cost with overhead) fit; the pass cycles over 2,000.
        let cache = TileCache(capacity: 1_000 * 1_000)
        var hits = 0, requests = 0
        for round in 0..<6 {
            for i in 0..<2_000 {
                let hit = Self.request(cache, Self.key(i))
                if round >= 2 { requests += 1; if hit { hits += 1 } }
            }
        }
        let ratio = Double(hits) / Double(requests)
        #expect(ratio > 0.35, "hit ratio \(ratio)")
        #expect(cache.usage.bytes <= cache.capacity)
    }

    @Test("a hot working set survives a scan of ten times the capacity in one-off tiles")
    func scan() {
        let cache = TileCache(capacity: 1_000 * 1_000)
        for _ in 0..<4 { for i in 0..<500 { _ = Self.request(cache, Self.key(i)) } }
        for i in 10_000..<20_000 { _ = Self.request(cache, Self.key(i)) }
        let survivors = (0..<500).filter { cache.get(Self.key($0)) != nil }.count
        #expect(survivors >= 450, "\(survivors) of 500 hot tiles left after the scan")
    }

    @Test("a new working set replaces an old one that is no longer asked for")
    func adapts() {
        let cache = TileCache(capacity: 1_000 * 1_000)
        for _ in 0..<4 { for i in 0..<800 { _ = Self.request(cache, Self.key(i)) } }
        for _ in 0..<8 { for i in 5_000..<5_800 { _ = Self.request(cache, Self.key(i)) } }
        let fresh = (5_000..<5_800).filter { cache.get(Self.key($0)) != nil }.count
        #expect(fresh >= 600, "\(fresh) of 800 tiles of the new working set cached")
    }

    @Test("budget, replacement of a key's bytes, layer removal and access classes under the new policy")
    func bookkeeping() {
        let cache = TileCache(capacity: 200_000)
        for i in 0..<1_000 { cache.put(Self.key(i, layer: i % 2 == 0 ? "a" : "b"), Self.tile(900)) }
        #expect(cache.usage.bytes <= 200_000)
        // The gzip form replaces the entry's bytes in place.
        let k = Self.key(999_999)
        cache.put(k, Self.tile(100))
        var withGzip = cache.get(k)
        #expect(withGzip != nil)
        withGzip?.gzipped = ByteBuffer(bytes: [1, 2, 3])
        cache.put(k, withGzip!)
        #expect(cache.get(k)?.gzipped?.readableBytes == 3)
        // Another access class never sees it.
        #expect(cache.get(Self.key(999_999, accessClass: "other")) == nil)
        cache.removeAll(layerID: "a")
        #expect(cache.usage.entries > 0)
        cache.removeAll(layerID: "b")
        #expect(cache.usage.entries == 0 && cache.usage.bytes == 0)
        // Concurrent use stays within the budget.
        DispatchQueue.concurrentPerform(iterations: 8) { t in
            for i in 0..<2_000 { _ = Self.request(cache, Self.key(t * 10_000 + i % 700)) }
        }
        #expect(cache.usage.bytes <= 200_000)
    }
}
