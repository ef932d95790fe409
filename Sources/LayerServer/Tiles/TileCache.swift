import Foundation
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

/// An in-memory tile cache with a byte budget that holds a working set and resists scans
/// (W-TinyLFU): new tiles enter a small window (1% of the budget); a tile leaving the window
/// joins the main part only when it has been asked for more often lately than the tile it would
/// push out (a frequency sketch keeps the counts, also of tiles not cached). A cyclic pass over
/// more tiles than fit therefore keeps the part that fits instead of evicting everything, as an
/// LRU would. Both parts evict their least recently used tile. Amortised O(1) per operation.
public final class TileCache: Sendable {
    private struct Entry {
        var tile: CachedTile
        var cost: Int
        var inWindow: Bool
        /// Position in its part's recency order (the latest stamp counts).
        var stamp: UInt64
    }

    /// A least-recently-used order with lazy deletion: a touch appends the key with a new stamp;
    /// pairs whose entry moved on (a newer stamp, the other part, gone) are skipped when they reach
    /// the front, and dropped in an occasional compaction.
    private struct Recency {
        let isWindow: Bool
        var queue: [(key: TileCacheKey, stamp: UInt64)] = []
        var head = 0

        mutating func touch(_ key: TileCacheKey, _ stamp: UInt64) { queue.append((key, stamp)) }

        func isLive(_ pair: (key: TileCacheKey, stamp: UInt64), _ entries: [TileCacheKey: Entry]) -> Bool {
            guard let e = entries[pair.key] else { return false }
            return e.inWindow == isWindow && e.stamp == pair.stamp
        }

        /// The least recently used live key, left in front (stale pairs before it are dropped).
        mutating func oldest(_ entries: [TileCacheKey: Entry]) -> TileCacheKey? {
            while head < queue.count {
                if isLive(queue[head], entries) { return queue[head].key }
                head += 1
            }
            return nil
        }

        /// Removes the front pair (after ``oldest(_:)`` found it live).
        mutating func dropFront() { head += 1 }

        /// Drops consumed and stale pairs once they outnumber the live ones.
        mutating func compact(_ entries: [TileCacheKey: Entry]) {
            guard queue.count > 64, queue.count - head > 2 * entries.count + 64 || head > queue.count / 2 else { return }
            queue = queue[head...].filter { isLive($0, entries) }
            head = 0
        }
    }

    private struct State {
        var entries: [TileCacheKey: Entry] = [:]
        var window = Recency(isWindow: true)
        var main = Recency(isWindow: false)
        var windowBytes = 0
        var mainBytes = 0
        var stamp: UInt64 = 0
        var sketch: FrequencySketch
        var hits = 0
        var misses = 0
    }

    private let state: Mutex<State>
    /// Budget in bytes for the whole cache; zero disables it.
    public let capacity: Int
    private let windowCapacity: Int

    /// The disk tier, if configured (`tile-disk-cache-mb`).
    public let disk: DiskTileCache?

    /// Creates a cache holding up to `capacity` bytes in memory, with an optional disk tier.
    public init(capacity: Int, disk: DiskTileCache? = nil) {
        self.capacity = capacity
        self.disk = disk
        windowCapacity = max(capacity / 100, min(capacity, 256 << 10))
        // A counter per 512 bytes of budget (at least 4,096 per row): several per entry that fits,
        // so one-off tiles rarely share counters with the working set (4 bytes a counter column:
        // 8 MB of sketch for the 768 MB default on a 24 GiB machine).
        state = Mutex(State(sketch: FrequencySketch(width: min(1 << 21, max(4_096, capacity / 512)))))
    }

    /// The default budget: a thirty-second of the machine's memory, at most 1 GB (`tile-cache-mb` overrides it).
    public static var defaultCapacity: Int {
        min(Int(ProcessInfo.processInfo.physicalMemory / 32), 1 << 30)
    }

    /// The cached tile, if any.
    public func get(_ key: TileCacheKey) -> CachedTile? {
        guard capacity > 0 else { return nil }
        let hash = key.hashValue
        return state.withLock { s in
            s.sketch.increment(hash)
            guard var e = s.entries[key] else {
                s.misses += 1
                return nil
            }
            s.hits += 1
            s.stamp += 1
            e.stamp = s.stamp
            s.entries[key] = e
            if e.inWindow { s.window.touch(key, e.stamp) } else { s.main.touch(key, e.stamp) }
            return e.tile
        }
    }

    /// Stores a tile (replacing the key's earlier one).
    public func put(_ key: TileCacheKey, _ tile: CachedTile) {
        guard capacity > 0, tile.cost <= capacity / 2 else { return }
        state.withLock { s in
            s.stamp += 1
            if var e = s.entries[key] {
                // A new form of a cached tile (its gzip form): same place, new bytes.
                if e.inWindow { s.windowBytes += tile.cost - e.cost } else { s.mainBytes += tile.cost - e.cost }
                e.tile = tile
                e.cost = tile.cost
                e.stamp = s.stamp
                s.entries[key] = e
                if e.inWindow { s.window.touch(key, e.stamp) } else { s.main.touch(key, e.stamp) }
            } else {
                s.entries[key] = Entry(tile: tile, cost: tile.cost, inWindow: true, stamp: s.stamp)
                s.window.touch(key, s.stamp)
                s.windowBytes += tile.cost
            }
            Self.settle(&s, window: windowCapacity, main: capacity - windowCapacity)
        }
    }

    /// Moves tiles out of the window while it is over its budget: into the main part when there is
    /// room, or when asked for more often than the main part's least recently used tile (which
    /// then goes); otherwise the tile is dropped. Then the main part is brought within its budget.
    private static func settle(_ s: inout State, window: Int, main: Int) {
        while s.windowBytes > window {
            guard let key = s.window.oldest(s.entries), var candidate = s.entries[key] else { break }
            s.window.dropFront()
            s.windowBytes -= candidate.cost
            let frequency = s.sketch.frequency(key.hashValue)
            var admit = true
            while s.mainBytes + candidate.cost > main {
                guard let victim = s.main.oldest(s.entries) else { break }
                guard frequency > s.sketch.frequency(victim.hashValue) else {
                    // The victim stays, but goes to the back: the next candidate meets the next
                    // one, so one popular tile at the front (or a sketch collision) cannot block
                    // every admission while the working set moves on.
                    s.main.dropFront()
                    s.stamp += 1
                    s.entries[victim]?.stamp = s.stamp
                    s.main.touch(victim, s.stamp)
                    admit = false
                    break
                }
                s.main.dropFront()
                if let gone = s.entries.removeValue(forKey: victim) { s.mainBytes -= gone.cost }
            }
            if admit, s.mainBytes + candidate.cost <= main {
                candidate.inWindow = false
                s.stamp += 1
                candidate.stamp = s.stamp
                s.entries[key] = candidate
                s.main.touch(key, candidate.stamp)
                s.mainBytes += candidate.cost
            } else {
                s.entries.removeValue(forKey: key)
            }
        }
        s.window.compact(s.entries)
        s.main.compact(s.entries)
    }

    /// Drops every tile of a layer (all versions, formats and access classes) from both tiers,
    /// e.g. after a publish or a rollback.
    public func removeAll(layerID: String) {
        disk?.removeAll(layerID: layerID)
        state.withLock { s in
            s.entries = s.entries.filter { $0.key.layerID != layerID }
            s.windowBytes = s.entries.values.reduce(0) { $0 + ($1.inWindow ? $1.cost : 0) }
            s.mainBytes = s.entries.values.reduce(0) { $0 + ($1.inWindow ? 0 : $1.cost) }
        }
    }

    /// Entries and bytes held, for metrics and tests.
    public var usage: (entries: Int, bytes: Int) {
        state.withLock { s in (s.entries.count, s.windowBytes + s.mainBytes) }
    }

    /// How often `key` was asked for lately, as the cache estimates it (for tests).
    func frequency(_ key: TileCacheKey) -> Int {
        state.withLock { $0.sketch.frequency(key.hashValue) }
    }

    /// Hits and misses of ``get(_:)`` since the cache was made.
    public var lookups: (hits: Int, misses: Int) {
        state.withLock { s in (s.hits, s.misses) }
    }
}
