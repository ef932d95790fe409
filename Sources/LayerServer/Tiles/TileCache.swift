import NIOCore
import Synchronization
import TileRender

/// The key of a cached tile. It always carries the access class, so tiles made for one class
/// of callers are never served to another, the layer version, so a publish or rollback
/// never serves an old tile, and the format (for PNG: the style, its version and the scale).
public struct TileCacheKey: Hashable, Sendable {
    public var accessClass: String
    public var layerID: String
    public var version: Int
    /// The encoder's ``TileEncoder/cacheKey``.
    public var format: String
    public var tileMatrixSet: String
    public var tile: TileID
}

/// A cached tile: its bytes and, once a client asked for it, their gzip form.
public struct CachedTile: Sendable {
    public var body: ByteBuffer
    public var gzipped: ByteBuffer?

    var cost: Int { body.readableBytes + (gzipped?.readableBytes ?? 0) + 128 }
}

/// An in-memory tile cache with a byte budget. Two generations: new entries go into the
/// young one; when it is full the old generation is dropped and the young one becomes old;
/// a hit in the old generation moves the entry back to the young one. O(1), approximately LRU.
public final class TileCache: Sendable {
    private struct State {
        var young: [TileCacheKey: CachedTile] = [:]
        var old: [TileCacheKey: CachedTile] = [:]
        var youngBytes = 0
        var oldBytes = 0
    }

    private let state = Mutex(State())
    /// Budget in bytes for both generations together; zero disables the cache.
    public let capacity: Int

    /// Creates a cache holding up to `capacity` bytes.
    public init(capacity: Int) {
        self.capacity = capacity
    }

    /// The cached tile, if any.
    public func get(_ key: TileCacheKey) -> CachedTile? {
        guard capacity > 0 else { return nil }
        return state.withLock { s in
            if let t = s.young[key] { return t }
            guard let t = s.old.removeValue(forKey: key) else { return nil }
            s.oldBytes -= t.cost
            Self.insert(key, t, into: &s, capacity: capacity)
            return t
        }
    }

    /// Stores a tile.
    public func put(_ key: TileCacheKey, _ tile: CachedTile) {
        guard capacity > 0, tile.cost <= capacity / 2 else { return }
        state.withLock { s in
            if let previous = s.old.removeValue(forKey: key) { s.oldBytes -= previous.cost }
            Self.insert(key, tile, into: &s, capacity: capacity)
        }
    }

    private static func insert(_ key: TileCacheKey, _ tile: CachedTile, into s: inout State, capacity: Int) {
        if let previous = s.young.updateValue(tile, forKey: key) { s.youngBytes -= previous.cost }
        s.youngBytes += tile.cost
        if s.youngBytes > capacity / 2 {
            s.old = s.young
            s.oldBytes = s.youngBytes
            s.young = [:]
            s.youngBytes = 0
        }
    }

    /// Drops every tile of a layer (all versions and access classes), e.g. after a publish.
    public func removeAll(layerID: String) {
        state.withLock { s in
            s.young = s.young.filter { $0.key.layerID != layerID }
            s.old = s.old.filter { $0.key.layerID != layerID }
            s.youngBytes = s.young.values.reduce(0) { $0 + $1.cost }
            s.oldBytes = s.old.values.reduce(0) { $0 + $1.cost }
        }
    }

    /// Entries and bytes held, for metrics and tests.
    public var usage: (entries: Int, bytes: Int) {
        state.withLock { s in (s.young.count + s.old.count, s.youngBytes + s.oldBytes) }
    }
}
