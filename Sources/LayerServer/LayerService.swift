import AccessPolicy
import Crypto
import Foundation
import GeoCore
import Logging
import NIOCore
import Synchronization
import TileRender

/// The running service's state: the store, an in-memory snapshot of the catalog, the tile
/// renderer and cache, and the access control that every read goes through.
public final class LayerService: Sendable {
    /// The store.
    public let store: LayerStore
    /// The renderer.
    public let tiles: TileService
    /// The tile cache, partitioned by access class.
    public let cache: TileCache
    /// The access decisions, credentials and audit recorder.
    public let access: AccessControl
    /// The clock: the only source of "now" for decisions.
    public let clock: @Sendable () -> Date
    let logger: Logger

    struct Snapshot {
        var generation: Int
        var layers: [String: Layer]
    }

    private let snapshot: Mutex<Snapshot>

    /// Creates the service and loads the catalog.
    public init(store: LayerStore, tiles: TileService, cache: TileCache, access: AccessControl,
                clock: @escaping @Sendable () -> Date = { Date() }, logger: Logger = Logger(label: "layerserver")) throws {
        self.store = store
        self.tiles = tiles
        self.cache = cache
        self.access = access
        self.clock = clock
        self.logger = logger
        let generation = try store.catalogGeneration()
        let layers = try store.layers()
        snapshot = Mutex(Snapshot(generation: generation, layers: Dictionary(uniqueKeysWithValues: layers.map { ($0.id, $0) })))
    }

    /// Reloads the catalog when another process (an import, a rollback) changed it.
    /// - Returns: True when the catalog changed.
    @discardableResult
    public func refreshCatalog() async throws -> Bool {
        let known = snapshot.withLock { $0.generation }
        // One read transaction: the generation and the layers it describes.
        let fresh: (Int, [Layer])? = try await store.read { db in
            let generation = try LayerStore.generation(db)
            return generation == known ? nil : (generation, try LayerStore.loadLayers(db))
        }
        guard let (generation, layers) = fresh else { return false }
        let byID = Dictionary(uniqueKeysWithValues: layers.map { ($0.id, $0) })
        let changed: [String] = snapshot.withLock { s in
            let ids = Set(s.layers.keys).union(byID.keys).filter { s.layers[$0]?.currentVersion != byID[$0]?.currentVersion }
            s = Snapshot(generation: generation, layers: byID)
            return Array(ids)
        }
        for id in changed { cache.removeAll(layerID: id) }
        tiles.keepPointIndexes(for: layers)
        logger.info("catalog reloaded", metadata: ["generation": "\(generation)", "changed": "\(changed.sorted())"])
        return true
    }

    // MARK: Access-checked reads

    /// The layers `principal` may read, sorted by id. Hidden layers are simply absent (and
    /// their denials audited).
    public func visibleLayers(_ principal: Principal) -> [(layer: Layer, grant: LayerGrant)] {
        let now = clock()
        return snapshot.withLock { Array($0.layers.values) }
            .sorted { $0.id < $1.id }
            .compactMap { layer in
                let grant = access.readGrant(principal, layer: layer.id, at: now)
                if !grant.decision.allowed { access.audit(read: grant, item: nil, at: now) }
                return grant.decision.allowed ? (layer, grant) : nil
            }
    }

    /// The layer as a caller with `grant` may see it in documents: hidden attributes gone from
    /// every schema, and for a spatially limited caller the extents cut to its area.
    public func asSeen(_ layer: Layer, _ grant: LayerGrant) -> Layer {
        var seen = layer.hiding(grant.decision.hiddenAttributes)
        guard grant.decision.filter != .everywhere,
              let area = (try? tiles.scope.resolve(grant.decision.filter, crs: .wgs84))??.envelope else { return seen }
        seen.versions = seen.versions.map { v in
            var v = v
            let e = v.extentWGS84
            let cut = Envelope(minX: max(e.minX, area.minX), minY: max(e.minY, area.minY),
                               maxX: min(e.maxX, area.maxX), maxY: min(e.maxY, area.maxY))
            v.extentWGS84 = cut.minX <= cut.maxX && cut.minY <= cut.maxY ? cut : area
            return v
        }
        return seen
    }

    /// The layer and the caller's grant if it exists and the caller may read it; nil otherwise
    /// (the two are indistinguishable). The read, or the denial, is audited with `item` (a tile
    /// id, or nil for metadata).
    public func visibleLayer(_ id: String, _ principal: Principal, item: @autoclosure () -> String? = nil) -> (layer: Layer, grant: LayerGrant)? {
        let now = clock()
        guard let layer = snapshot.withLock({ $0.layers[id] }) else { return nil }
        let grant = access.readGrant(principal, layer: id, at: now)
        access.audit(read: grant, item: item(), at: now)
        return grant.decision.allowed ? (layer, grant) : nil
    }

    /// The layer and the caller's grant if it exists and the caller may read it; nil otherwise.
    /// A denial is audited here; an allowed read is left to the caller to audit once it knows
    /// what it served (the feature routes record the ids of the features).
    func grantedLayer(_ id: String, _ principal: Principal) -> (layer: Layer, grant: LayerGrant)? {
        let now = clock()
        guard let layer = snapshot.withLock({ $0.layers[id] }) else { return nil }
        let grant = access.readGrant(principal, layer: id, at: now)
        guard grant.decision.allowed else {
            access.audit(read: grant, item: nil, at: now)
            return nil
        }
        return (layer, grant)
    }

    /// How many layers the catalog holds (for `/metrics`).
    var catalogCount: Int { snapshot.withLock { $0.layers.count } }

    /// The layer regardless of access: for administration and explanations only.
    public func catalogLayer(_ id: String) -> Layer? {
        snapshot.withLock { $0.layers[id] }
    }

    // MARK: Tiles

    /// A tile ready to send: its body (empty when the tile has no features).
    public struct TileResult: Sendable {
        public var body: ByteBuffer
        public var isGzipped: Bool
    }

    /// The ETag of a tile: a digest of the layer version, its zoom limits, the access class
    /// and the encoder (format, style, scale, settings; computed once per layer version and
    /// format), then the tile address. Computed without rendering, so a matching
    /// If-None-Match costs no database work.
    public func etag(layer: Layer, grant: LayerGrant, format: String, tms: TileMatrixSet, tile: TileID) -> String {
        let key = "\(layer.id)|\(layer.currentVersion)|\(layer.minZoom)|\(layer.maxZoom)|\(grant.accessClass)|\(format)"
        let prefix = etagPrefixes.withLock { $0[key] } ?? {
            let input = "\(key)|\(layer.current.checksum)|\(tiles.configuration.contentKey(layer: layer.id))"
            let hex = Self.hex(SHA256.hash(data: Data(input.utf8)).prefix(10))
            etagPrefixes.withLock { p in
                if p.count > 10_000 { p.removeAll() }
                p[key] = hex
            }
            return hex
        }()
        return Self.etag(prefix, tms: tms, tile: tile)
    }

    /// `"prefix-w12-34-56"`: a digest of what the tile shows, then its address.
    static func etag(_ prefix: String, tms: TileMatrixSet, tile: TileID) -> String {
        "\"\(prefix)-\(tms.id == TileMatrixSet.webMercatorQuad.id ? "w" : "r")\(tile.z)-\(tile.row)-\(tile.col)\""
    }

    private let etagPrefixes = Mutex<[String: String]>([:])
    /// Tiles being rendered, by key (single flight).
    private let renders = Mutex<[TileCacheKey: Task<[UInt8], Error>]>([:])

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The tile in the encoder's format, from the cache or rendered. The caller must have
    /// obtained `layer` through ``visibleLayer(_:_:item:)``. When the version it names was dropped
    /// meanwhile (another process published and pruned it before this server's catalog caught
    /// up), the catalog is reloaded and the current version served instead.
    /// With `followPublish` false, a version replaced while the tile was made is an error
    /// instead of a tile of the new version (a package names one version).
    public func tile(layer: Layer, grant: LayerGrant, tms: TileMatrixSet, tile: TileID, encoder: some TileEncoder, gzip: Bool,
                     followPublish: Bool = true) async throws -> TileResult {
        do {
            return try await cachedTile(layer: layer, grant: grant, tms: tms, tile: tile, encoder: encoder, gzip: gzip)
        } catch {
            guard followPublish, try await refreshCatalog() else { throw error }
            guard let fresh = catalogLayer(layer.id) else { throw StoreError(.notFound, "no layer \"\(layer.id)\"") }
            guard fresh.currentVersion != layer.currentVersion else { throw error }
            return try await cachedTile(layer: fresh, grant: grant, tms: tms, tile: tile, encoder: encoder, gzip: gzip)
        }
    }

    /// The MVT tile (see ``tile(layer:grant:tms:tile:encoder:gzip:)``).
    public func tile(layer: Layer, grant: LayerGrant, tms: TileMatrixSet, tile: TileID, gzip: Bool, followPublish: Bool = true) async throws -> TileResult {
        try await self.tile(layer: layer, grant: grant, tms: tms, tile: tile, encoder: tiles.mvt, gzip: gzip, followPublish: followPublish)
    }

    private func cachedTile(layer: Layer, grant: LayerGrant, tms: TileMatrixSet, tile: TileID, encoder: some TileEncoder, gzip: Bool) async throws -> TileResult {
        guard grant.decision.allowed else { throw StoreError(.notFound, "no layer \"\(layer.id)\"") }
        let key = tileKey(layer: layer, grant: grant, tms: tms, tile: tile, encoder: encoder)
        let restriction = Restriction(grant, layer: layer, secret: access.keyBytes)
        let tiles = self.tiles
        return try await cached(key, gzip: gzip) {
            try await tiles.render([(layer, restriction)], tms: tms, tile: tile, encoder: encoder)
        }
    }

    /// The cache key of a layer's tile for a grant's access class: the version, the encoder and
    /// the tile settings that change what a tile holds (budget, full-detail zoom).
    public func tileKey(layer: Layer, grant: LayerGrant, tms: TileMatrixSet, tile: TileID, encoder: some TileEncoder) -> TileCacheKey {
        TileCacheKey(accessClass: grant.accessClass, layerID: layer.id, version: layer.currentVersion,
                     format: encoder.cacheKey + "|" + tiles.configuration.contentKey(layer: layer.id), tileMatrixSet: tms.id, tile: tile)
    }

    /// The cached entry of `key`, or `render`'s bytes stored under it; gzipped on demand
    /// (and the gzip form kept beside the plain one).
    func cached(_ key: TileCacheKey, gzip: Bool, render: @escaping @Sendable () async throws -> [UInt8]) async throws -> TileResult {
        var entry: CachedTile
        let format = key.format.hasPrefix("png") ? "png" : "mvt"
        if let hit = cache.get(key) {
            entry = hit
            access.metrics.tile(format: format, source: .memory)
        } else if let disk = cache.disk, disk.accepts(key), let stored = try await BlockingWork.run({ disk.read(key) }) {
            entry = CachedTile(body: ByteBuffer(bytes: stored), gzipped: nil)
            cache.put(key, entry)
            access.metrics.tile(format: format, source: .disk)
        } else {
            // One render per key at a time: concurrent misses of the same tile wait for it.
            let (flight, leads) = renders.withLock { inFlight -> (Task<[UInt8], Error>, Bool) in
                if let running = inFlight[key] { return (running, false) }
                let task = Task { try await render() }
                inFlight[key] = task
                return (task, true)
            }
            let bytes: [UInt8]
            do {
                bytes = try await flight.value
            } catch {
                if leads { _ = renders.withLock { $0.removeValue(forKey: key) } }
                throw error
            }
            entry = CachedTile(body: ByteBuffer(bytes: bytes), gzipped: nil)
            // A wait for another request's render counts as a render: the tile was not in a cache.
            access.metrics.tile(format: format, source: .rendered)
            if leads {
                cache.put(key, entry)
                _ = renders.withLock { $0.removeValue(forKey: key) }
                if let disk = cache.disk, disk.accepts(key) {
                    // Written behind the answer; a failed write only costs a later render.
                    Task.detached { _ = try? await BlockingWork.run { disk.write(key, bytes) } }
                }
            }
        }
        guard gzip, entry.body.readableBytes > 0 else {
            return TileResult(body: entry.body, isGzipped: false)
        }
        if let gz = entry.gzipped { return TileResult(body: gz, isGzipped: true) }
        let gz = try Compression.gzip(entry.body)
        entry.gzipped = gz
        cache.put(key, entry)
        return TileResult(body: gz, isGzipped: true)
    }
}
