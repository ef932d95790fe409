import AccessPolicy
import Foundation
import GeoCore
import TileRender

/// Renders an area of a layer into the tile cache's disk tier for one user's access class ahead
/// of an incident (`layerserver seed`), so the first map of a region on duty is served from disk.
/// The tiles are exactly those the server would make for any caller of that class: the same
/// read decision, restriction, encoder settings and cache key: vector tiles (MVT) as
/// `/collections/{id}/tiles` serves them, or images (PNG, 1x or 2x) of the layer in its default
/// style as `/collections/{id}/map/tiles` serves them.
public struct TileSeeder: Sendable {
    let service: LayerService
    let disk: DiskTileCache

    /// A seeder over a service that has a disk tier.
    public init(service: LayerService) throws(StoreError) {
        guard let disk = service.cache.disk else {
            throw StoreError(.invalidRequest, "seeding fills the tile cache's disk tier: set tile-disk-cache-mb (flag, LAYERSERVER_TILE_DISK_CACHE_MB or the config file)")
        }
        self.service = service
        self.disk = disk
    }

    /// What to seed: the tiles and the grant they are made for.
    public struct Plan: Sendable {
        public var layer: Layer
        public var grant: LayerGrant
        public var tms: TileMatrixSet
        public var tiles: [TileID]
    }

    /// The tiles of `layerID` over `bbox` (longitude/latitude; default the layer's extent as
    /// `user` may see it) at `zooms` in `tms`, for `user`'s access class.
    /// - Throws: `StoreError` for an unknown user or layer, a user who may not read the layer
    ///   (with the decision's reasons), zooms outside the tile matrix set, or more than
    ///   `limit` tiles.
    public func plan(layer layerID: String, user: String, tms: TileMatrixSet, zooms: ClosedRange<Int>,
                     bbox: Envelope? = nil, limit: Int = 1_000_000) throws -> Plan {
        guard let principal = service.access.localPrincipal(user: user) else {
            throw StoreError(.notFound, "no user \"\(user)\"; see `layerserver admin show`")
        }
        guard let layer = service.catalogLayer(layerID) else { throw StoreError(.notFound, "no layer \"\(layerID)\"") }
        guard tms.zoomRange.contains(zooms.lowerBound), tms.zoomRange.contains(zooms.upperBound) else {
            throw StoreError(.invalidRequest, "zooms \(zooms.lowerBound)-\(zooms.upperBound) are outside \(tms.id) (\(tms.zoomRange.lowerBound)-\(tms.zoomRange.upperBound))")
        }
        let grant = service.access.readGrant(principal, layer: layerID, at: service.clock())
        guard grant.decision.allowed else {
            throw StoreError(.forbidden, "\(user) may not read \(layerID): " + grant.decision.reasons.joined(separator: "; "))
        }
        let seen = service.asSeen(layer, grant).current.extentWGS84
        let area = bbox ?? seen
        let box = try service.tiles.transformers.withTransformer(from: .wgs84, to: tms.crs) { try $0.transformBounds(area) }
        var tiles: [TileID] = []
        for z in zooms {
            guard let range = tms.tileRange(covering: box, z: z) else { continue }
            let count = range.rows.count * range.cols.count
            guard tiles.count + count <= limit else {
                throw StoreError(.invalidRequest, "that is more than \(limit) tiles; seed a smaller area (--bbox) or fewer zooms")
            }
            for row in range.rows { for col in range.cols { tiles.append(TileID(z: z, row: row, col: col)) } }
        }
        return Plan(layer: layer, grant: grant, tms: tms, tiles: tiles)
    }

    /// Renders the plan's vector tiles into the disk tier; `progress(done, total, bytes)` after
    /// each. The seeding is audited as one change by the local operator.
    /// - Returns: Tiles written (those with content) and their bytes.
    public func run(_ plan: Plan, progress: @Sendable (Int, Int, Int) -> Void = { _, _, _ in }) async throws -> (tiles: Int, bytes: Int) {
        let encoder = service.tiles.mvt
        return try await run(plan, format: "MVT", progress: progress) { _ in encoder }
    }

    /// Renders the plan's images (the layer in its default style, as `maps` draws it at
    /// `pixelRatio`) into the disk tier.
    public func runImages(_ plan: Plan, maps: MapService, pixelRatio: Double,
                          progress: @Sendable (Int, Int, Int) -> Void = { _, _, _ in }) async throws -> (tiles: Int, bytes: Int) {
        let entry = try maps.styles.layerStyle(plan.layer)
        return try await run(plan, format: "PNG @\(Int(pixelRatio))x", progress: progress) { tile in
            maps.encoder(entry, tms: plan.tms, tile: tile, pixelRatio: pixelRatio)
        }
    }

    private func run<E: TileEncoder>(_ plan: Plan, format: String, progress: @Sendable (Int, Int, Int) -> Void,
                                     encoder: (TileID) -> E) async throws -> (tiles: Int, bytes: Int) {
        let restriction = Restriction(plan.grant, layer: plan.layer, secret: service.access.keyBytes)
        var written = 0, bytes = 0
        for (i, tile) in plan.tiles.enumerated() {
            let encoder = encoder(tile)
            let body = try await service.tiles.render([(plan.layer, restriction)], tms: plan.tms, tile: tile, encoder: encoder)
            let key = service.tileKey(layer: plan.layer, grant: plan.grant, tms: plan.tms, tile: tile, encoder: encoder)
            try await BlockingWork.run { [disk] in disk.write(key, body) }
            if !body.isEmpty { written += 1 }
            bytes += body.count
            progress(i + 1, plan.tiles.count, bytes)
        }
        let now = service.clock()
        service.access.recorder.record(.change, subject: "local-operator", organisation: "", action: "seed", resource: "layer:\(plan.layer.id)",
                                       decision: "allow", rules: [], policyHash: plan.grant.decision.policyHash, item: nil,
                                       detail: "seeded \(plan.tiles.count) \(format) \(plan.tms.id) tiles (\(written) with features) of version \(plan.layer.currentVersion) for the access class \(plan.grant.accessClass)",
                                       at: now)
        try await service.access.recorder.flush(now: now)
        return (written, bytes)
    }
}
