import AccessPolicy
import Foundation
import GRDB
import NIOCore
import GeoCore
import TileRender

/// Settings of vector tile production.
public struct TileConfiguration: Sendable, Hashable {
    /// MVT encoder settings (extent, buffer, simplification).
    public var mvt: MVTOptions
    /// The most a vector tile below a layer's full-detail zoom may weigh, gzipped. A tile of a
    /// point layer that would weigh more has its points clustered (`point_count`).
    public var budgetBytes: Int
    /// The WebMercatorQuad level from which every tile of a point layer holds every point (the
    /// equivalent level in other tile matrix sets), whatever its size.
    public var defaultFullDetailZoom: Int
    /// Per-layer full-detail zooms, overriding the default.
    public var fullDetailZooms: [String: Int]
    /// Memory for point layers held for the tile path (``PointIndex``); 0 turns it off.
    public var pointIndexBytes: Int

    /// Defaults: extent 4096, buffer 64, tolerance 4 units, a 500 KB budget, full detail from
    /// WebMercatorQuad level 13, point indexes in a 16th of the machine's memory (at most 2 GB).
    public init(mvt: MVTOptions = MVTOptions(), budgetBytes: Int = 500 * 1024, defaultFullDetailZoom: Int = 13,
                fullDetailZooms: [String: Int] = [:], pointIndexBytes: Int = PointIndexCache.defaultBudget) {
        self.mvt = mvt
        self.budgetBytes = budgetBytes
        self.defaultFullDetailZoom = defaultFullDetailZoom
        self.fullDetailZooms = fullDetailZooms
        self.pointIndexBytes = pointIndexBytes
    }

    /// The WebMercatorQuad level from which tiles of `layer` hold every point.
    public func fullDetailZoom(of layer: String) -> Int {
        fullDetailZooms[layer] ?? defaultFullDetailZoom
    }

    /// Whether tiles of `version` may be clustered: layers of single points. Multipoints, lines
    /// and polygons are never dropped or merged (their tiles may exceed the budget).
    static func clusters(_ version: LayerVersion) -> Bool {
        version.geometryType == .point
    }

    /// What of these settings changes the tiles of `layer`, in its cache keys and ETags: tiles
    /// made under another budget or full-detail zoom are never served for these.
    func contentKey(layer: String) -> String {
        // "ids 2": feature ids of limited readers are a reversible permutation since issue 13.
        "budget \(budgetBytes) full \(fullDetailZoom(of: layer)) ids 2"
    }

    /// The first level of `tms` whose tiles of `layer` hold every feature: every level for lines
    /// and polygons, the full-detail zoom's equivalent for points; nil when no level does.
    public func completeFromZoom(_ layer: Layer, _ tms: TileMatrixSet) -> Int? {
        let latitude = layer.current.extentWGS84.center.y
        let from = Self.clusters(layer.current) ? max(layer.minZoom, fullDetailZoom(of: layer.id)) : layer.minZoom
        return ZoomEquivalence.zoomRange(of: tms, minZoom: from, maxZoom: layer.maxZoom, latitude: latitude)?.lowerBound
    }

    /// Whether some tiles of `layer` in `tms` may hold clustered points (with `point_count`).
    public func mayCluster(_ layer: Layer, _ tms: TileMatrixSet) -> Bool {
        guard Self.clusters(layer.current) else { return false }
        let zooms = ZoomEquivalence.zoomRange(of: tms, minZoom: layer.minZoom, maxZoom: layer.maxZoom, latitude: layer.current.extentWGS84.center.y)
        guard let zooms else { return false }
        return (completeFromZoom(layer, tms) ?? Int.max) > zooms.lowerBound
    }


    /// Parses `layer=zoom,layer=zoom` (the `full-detail-zooms` setting).
    public static func parseFullDetailZooms(_ text: String) throws(StoreError) -> [String: Int] {
        var out: [String: Int] = [:]
        for item in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, let zoom = Int(parts[1]), (0...24).contains(zoom) else {
                throw StoreError(.invalidRequest, "full-detail-zooms must be layer=zoom pairs separated by commas, zoom 0...24; got \"\(item)\"")
            }
            try Layer.validate(id: parts[0])
            out[parts[0]] = zoom
        }
        return out
    }
}

/// Renders tiles of layer versions: the query (``TileQuery``), the caller's ``Restriction`` and
/// an encoder (MVT, PNG) as separate steps.
public final class TileService: Sendable {
    let store: LayerStore
    let transformers: TransformerPool
    /// Resolves decisions' spatial filters into areas.
    public let scope: SpatialScope
    /// The settings in force.
    public let configuration: TileConfiguration
    /// The vector-tile encoder of these settings.
    public let mvt: MVTTileEncoder
    /// Point layers held in memory for the tile path.
    let points: PointIndexCache

    /// Creates a tile service.
    public init(store: LayerStore, transformers: TransformerPool, scope: SpatialScope, configuration: TileConfiguration = TileConfiguration()) {
        self.store = store
        self.transformers = transformers
        self.scope = scope
        self.configuration = configuration
        mvt = MVTTileEncoder(options: configuration.mvt)
        points = PointIndexCache(budget: configuration.pointIndexBytes, store: store, transformers: transformers)
    }

    /// Builds the point indexes of `layers`' current versions now (the server calls it in the
    /// background at start; tools before they measure).
    public func warm(_ layers: [Layer]) async {
        for layer in layers { await points.warm(layer.current) }
    }

    /// Forgets point indexes of versions `layers` no longer hold.
    func keepPointIndexes(for layers: [Layer]) {
        points.keep(only: Set(layers.flatMap { $0.versions.map(\.tableName) }))
    }

    /// The MVT bytes (not compressed) of `tile` for the current version of `layer`, restricted
    /// to what the caller may see: features outside the decision's spatial filter and hidden
    /// attributes are not in the tile. Empty when nothing of the layer is left.
    public func render(layer: Layer, tms: TileMatrixSet, tile: TileID, restriction: Restriction) async throws -> [UInt8] {
        try await render([(layer, restriction)], tms: tms, tile: tile, encoder: mvt)
    }

    /// The tile of the current versions of `layers`, each restricted to what the caller may see,
    /// in the encoder's format: query (store), restriction (access decision), encoding, as
    /// three separate steps. Layers with nothing in the tile are left out of the encoder's input.
    ///
    /// Every feature in the tile and its buffer is in it, except for point layers below their
    /// full-detail zoom when the tile would exceed the budget: their points are then clustered
    /// (``PointClusters``), each kept point carrying `point_count`.
    ///
    /// All C work (PROJ, GEOS, SQLite, cairo) runs on a GRDB reader thread, not on the cooperative pool.
    public func render<E: TileEncoder>(_ layers: [(Layer, Restriction)], tms: TileMatrixSet, tile: TileID, encoder: E) async throws -> [UInt8] {
        guard let bounds = tms.bounds(of: tile) else { return [] }
        let budget = configuration.budgetBytes
        return try await store.read { db in
            var sinks: [E.Sink] = []
            /// Budgeted layers read whole, with their points, in case the tile is over budget.
            var whole: [(sink: Int, layer: BudgetedLayer)] = []
            for (layer, restriction) in layers {
                guard let query = try TileQuery.plan(layer: layer, tms: tms, tile: tile, bufferFraction: encoder.bufferFraction,
                                                     configuration: self.configuration, transformers: self.transformers),
                      let bound = try restriction.bind(to: query.sourceBox, crs: query.version.crs, scope: self.scope) else { continue }
                // A layer's own attribute named point_count is not carried: in tiles the name
                // always means a cluster's count.
                let fields = restriction.visibleFields(query.version.fields).filter {
                    $0.name.lowercased() != Self.pointCountField && encoder.wants(field: $0.name, layer: layer.id)
                }
                var sink = encoder.sink(layer: layer.id, fieldNames: fields.map(\.name), tileBounds: bounds)
                var points: [KeptPoint] = []
                guard query.budgeted else {
                    _ = try self.read(query, restricted: bound, fields: fields, db: db, into: &sink, keeping: &points, limit: nil)
                    sinks.append(sink)
                    continue
                }
                let budgeted = BudgetedLayer(query: query, bound: bound, fields: fields, tileBounds: bounds, bufferFraction: encoder.bufferFraction)
                // No point costs less than about 2 bytes gzipped: a tile with more than half the
                // budget in points is over it, and is clustered at once from ids and positions.
                if try self.read(query, restricted: bound, fields: fields, db: db, into: &sink, keeping: &points, limit: budget / 2) {
                    budgeted.points = points
                    whole.append((sinks.count, budgeted))
                    sinks.append(sink)
                } else {
                    budgeted.points = try self.positions(query, restricted: bound, frame: budgeted.frame, db: db)
                    sinks.append(try self.clustered(budgeted, target: budget / 16, encoder: encoder, db: db))
                }
            }
            var bytes = try encoder.encode(sinks, tileBounds: bounds)
            guard encoder.countsAgainstBudget, !whole.isEmpty else { return bytes }
            var (fits, size) = try Compression.fits(bytes, budget: budget)
            // Over the budget: cluster until it fits, aiming from the measured size per point.
            let points = whole.reduce(0) { $0 + $1.layer.points.count }
            var target = Int(Double(points) * Double(budget) / Double(max(size, 1)) * 0.9)
            var rounds = 0
            while !fits, rounds < 16 {
                for (index, layer) in whole {
                    sinks[index] = try self.clustered(layer, target: max(1, target * layer.points.count / max(points, 1)), encoder: encoder, db: db)
                }
                bytes = try encoder.encode(sinks, tileBounds: bounds)
                (fits, size) = try Compression.fits(bytes, budget: budget)
                target /= 2
                rounds += 1
            }
            return bytes
        }
    }

    /// A budgeted layer of a tile and, once read, the points it holds.
    final class BudgetedLayer {
        let query: TileQuery
        let bound: Restriction.Bound
        let fields: [Field]
        /// The tile and its buffer in the tile matrix set's CRS: the clustering grid's frame.
        let frame: Envelope
        let tileBounds: Envelope
        var points: [KeptPoint] = []

        init(query: TileQuery, bound: Restriction.Bound, fields: [Field], tileBounds: Envelope, bufferFraction: Double) {
            self.query = query
            self.bound = bound
            self.fields = fields
            self.tileBounds = tileBounds
            frame = tileBounds.buffered(by: tileBounds.width * bufferFraction)
        }
    }

    /// The name of the count each clustered point carries.
    public static let pointCountField = "point_count"

    /// A sink holding the layer's points clustered to at most about `target`: the lowest-id point
    /// of each cluster with its visible attributes and `point_count`.
    func clustered<E: TileEncoder>(_ layer: BudgetedLayer, target: Int, encoder: E, db: Database) throws -> E.Sink {
        let clusters = PointClusters.make(layer.points, frame: layer.frame, target: target)
        let fields = layer.fields
        var sink = encoder.sink(layer: layer.query.layerID, fieldNames: fields.map(\.name) + [Self.pointCountField], tileBounds: layer.tileBounds)
        var attributes: [AttributeValue] = []
        // From the point index when it holds the version (its points are in id order).
        if let points = self.points.index(layer.query.version), let columns = points.columns(of: fields) {
            for cluster in clusters {
                let fid = cluster.representative.fid
                guard let i = points.position(of: fid) else { continue }
                points.attributes(of: i, columns: columns, into: &attributes)
                attributes.append(.int(Int64(cluster.count)))
                sink.add(id: layer.bound.id(fid), geometry: .point(cluster.representative.position), attributes: attributes)
            }
            return sink
        }
        var index = 0
        try layer.query.attributes(db, fields: fields, fids: clusters.map(\.representative.fid)) { fid, row in
            while index < clusters.count, clusters[index].representative.fid != fid { index += 1 }
            guard index < clusters.count else { return }
            let cluster = clusters[index]
            attributes.removeAll(keepingCapacity: true)
            for (i, field) in fields.enumerated() { attributes.append(row.attribute(Int32(i), field.type)) }
            attributes.append(.int(Int64(cluster.count)))
            sink.add(id: layer.bound.id(fid), geometry: .point(cluster.representative.position), attributes: attributes)
        }
        return sink
    }

    /// The query of an MVT tile of `layer` (for tests and tools that look inside the tile path).
    func plan(layer: Layer, tms: TileMatrixSet, tile: TileID) throws -> TileQuery? {
        try TileQuery.plan(layer: layer, tms: tms, tile: tile, bufferFraction: mvt.bufferFraction,
                           configuration: configuration, transformers: transformers)
    }

    /// Tiles with more points than this have them transformed through a ``GridTransform``.
    static let gridTransformThreshold = 256

    /// Runs the query, restricts each feature and hands it, in the tile matrix set's CRS, to the
    /// sink. With a `limit`, the ids and positions of the points the sink took are kept in
    /// `points` too, and the read stops (returning false) once there are more than `limit`.
    func read<S: FeatureSink>(_ query: TileQuery, restricted bound: Restriction.Bound, fields: [Field], db: Database,
                              into sink: inout S, keeping points: inout [KeptPoint], limit: Int?) throws -> Bool {
        if let index = self.points.index(query.version), let projected = index.positions(for: query.tms.crs),
           let columns = index.columns(of: fields) {
            var attributes: [AttributeValue] = []
            attributes.reserveCapacity(fields.count)
            var complete = true
            index.forEach(in: query.sourceBox) { i in
                guard complete, bound.contains(index.positions[i]) else { return }
                let p = projected[i]
                guard p.isFinite else { return }
                index.attributes(of: i, columns: columns, into: &attributes)
                let fid = index.fids[i]
                guard sink.addPoint(id: bound.id(fid), position: p, attributes: attributes) else { return }
                if let limit {
                    points.append(KeptPoint(fid: fid, position: p))
                    if points.count > limit { complete = false }
                }
            }
            return complete
        }
        return try withProjection(query) { project in
            var attributes: [AttributeValue] = []
            attributes.reserveCapacity(fields.count)
            var columns = AttributeColumns(fields, first: 2)
            var complete = true
            try query.run(db, fields: fields) { row in
                guard complete else { return }
                // Points, the dense case, go without a geometry value.
                if let source = row.point {
                    guard bound.contains(source), let p = try? project.point(source) else { return }
                    columns.read(row.statement, into: &attributes)
                    guard sink.addPoint(id: bound.id(row.fid), position: p, attributes: attributes) else { return }
                    if let limit {
                        points.append(KeptPoint(fid: row.fid, position: p))
                        if points.count > limit { complete = false }
                    }
                    return
                }
                guard let stored = try row.geometry(), let geometry = try bound.geometry(stored) else { return }
                columns.read(row.statement, into: &attributes)
                // A feature that cannot be brought into the tile's CRS (outside its domain) is
                // left out of this tile; the rest of the tile is still served.
                guard let projected = try? project.geometry(geometry) else { return }
                let taken = sink.add(id: bound.id(row.fid), geometry: projected, attributes: attributes)
                if taken, let limit, case .point(let p?) = projected {
                    points.append(KeptPoint(fid: row.fid, position: p))
                    if points.count > limit { complete = false }
                }
            }
            return complete
        }
    }

    /// The ids and tile positions of every point of the query the caller may see, inside the
    /// buffered tile (no attributes read).
    func positions(_ query: TileQuery, restricted bound: Restriction.Bound, frame: Envelope, db: Database) throws -> [KeptPoint] {
        var out: [KeptPoint] = []
        if let index = self.points.index(query.version), let projected = index.positions(for: query.tms.crs) {
            index.forEach(in: query.sourceBox) { i in
                let p = projected[i]
                guard bound.contains(index.positions[i]), p.isFinite, frame.contains(p) else { return }
                out.append(KeptPoint(fid: index.fids[i], position: p))
            }
            return out
        }
        try withProjection(query) { project in
            try query.run(db, fields: []) { row in
                let projected: Position?
                if let source = row.point {
                    projected = bound.contains(source) ? try? project.point(source) : nil
                } else if let stored = try row.geometry(), let g = try bound.geometry(stored), case .point(let p?)? = try? project.geometry(g) {
                    projected = p
                } else {
                    projected = nil
                }
                guard let p = projected, frame.contains(p) else { return }
                out.append(KeptPoint(fid: row.fid, position: p))
            }
        }
        return out
    }

    /// Brings positions and geometries from the layer's CRS into the tile matrix set's for one
    /// tile: exactly, until the tile turns out to hold many points; from then on points go
    /// through a ``GridTransform`` checked to within an eighth of an MVT unit.
    struct Projection {
        let transformer: Transformer
        let identity: Bool
        let box: Envelope
        let tolerance: Double
        private var exact = 0
        private var grid: GridTransform?
        private var gridTried = false

        init(_ transformer: Transformer, query: TileQuery, extent: Int) {
            self.transformer = transformer
            identity = query.version.crs == query.tms.crs
            box = query.sourceBox
            tolerance = query.tileBounds.width / Double(extent) / 8
        }

        mutating func point(_ p: Position) throws -> Position {
            if identity { return p }
            if let grid { return grid.apply(p) }
            exact += 1
            if exact > TileService.gridTransformThreshold, !gridTried {
                gridTried = true
                grid = GridTransform(transformer, box: box, tolerance: tolerance)
            }
            return try transformer.transform(p)
        }

        mutating func geometry(_ g: Geometry) throws -> Geometry {
            if case .point(let p?) = g { return .point(try point(p)) }
            return try transformer.transform(g)
        }
    }

    private func withProjection<R>(_ query: TileQuery, _ body: (inout Projection) throws -> R) throws -> R {
        try transformers.withTransformer(from: query.version.crs, to: query.tms.crs) { transformer in
            var projection = Projection(transformer, query: query, extent: mvt.options.extent)
            return try body(&projection)
        }
    }
}
