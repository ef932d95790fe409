import AccessPolicy
import Foundation
import GRDB
import GeoCore
import TileRender

/// Settings of vector tile production.
public struct TileConfiguration: Sendable, Hashable {
    /// MVT encoder settings (extent, buffer, simplification).
    public var mvt: MVTOptions
    /// Point thinning: a point layer tile keeps at most about `cellsPerTile`² points,
    /// one per grid cell, until the zoom where every point fits.
    public var cellsPerTile: Int

    /// Defaults: extent 4096, buffer 64, tolerance 4 units, 64 thinning cells per tile side.
    public init(mvt: MVTOptions = MVTOptions(), cellsPerTile: Int = 64) {
        self.mvt = mvt
        self.cellsPerTile = cellsPerTile
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

    /// Creates a tile service.
    public init(store: LayerStore, transformers: TransformerPool, scope: SpatialScope, configuration: TileConfiguration = TileConfiguration()) {
        self.store = store
        self.transformers = transformers
        self.scope = scope
        self.configuration = configuration
        mvt = MVTTileEncoder(options: configuration.mvt)
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
    /// All C work (PROJ, GEOS, SQLite, cairo) runs on a GRDB reader thread, not on the cooperative pool.
    public func render<E: TileEncoder>(_ layers: [(Layer, Restriction)], tms: TileMatrixSet, tile: TileID, encoder: E) async throws -> [UInt8] {
        guard let bounds = tms.bounds(of: tile) else { return [] }
        return try await store.read { db in
            var sinks: [E.Sink] = []
            for (layer, restriction) in layers {
                guard let query = try TileQuery.plan(layer: layer, tms: tms, tile: tile, bufferFraction: encoder.bufferFraction,
                                                     cellsPerTile: self.configuration.cellsPerTile, transformers: self.transformers),
                      let bound = try restriction.bind(to: query.sourceBox, crs: query.version.crs, scope: self.scope) else { continue }
                let fields = restriction.visibleFields(query.version.fields).filter { encoder.wants(field: $0.name, layer: layer.id) }
                var sink = encoder.sink(layer: layer.id, fieldNames: fields.map(\.name), tileBounds: bounds)
                try Self.read(query, restricted: bound, fields: fields, db: db, transformers: self.transformers, into: &sink)
                sinks.append(sink)
            }
            return try encoder.encode(sinks, tileBounds: bounds)
        }
    }

    /// The query of an MVT tile of `layer` (for tests and tools that look inside the tile path).
    func plan(layer: Layer, tms: TileMatrixSet, tile: TileID) throws -> TileQuery? {
        try TileQuery.plan(layer: layer, tms: tms, tile: tile, bufferFraction: mvt.bufferFraction,
                           cellsPerTile: configuration.cellsPerTile, transformers: transformers)
    }

    /// Levels below the tile's thinning level that a tile on the edge of a caller's area reads,
    /// to thin among the points the caller sees (see ``read``).
    static let edgeLevels = 2

    /// Runs the query, restricts each feature and hands it, in the tile matrix set's CRS, to the sink.
    static func read<S: FeatureSink>(_ query: TileQuery, restricted bound: Restriction.Bound, fields: [Field], db: Database,
                                     transformers: TransformerPool, into sink: inout S) throws {
        // A thinned tile on the edge of the caller's area: the stored thinning chose one point per
        // cell among all points, and a cell whose choice lies outside the area would show as a
        // gap that tells of hidden points. Such a tile reads a few finer levels too and thins
        // again among the points inside the area (by level, then id).
        let edge = bound.area != nil && query.thinningLevel != nil
        /// Points on the edge of the area, held back to be thinned among themselves.
        var held: [(level: Int, fid: Int64, source: Position, geometry: Geometry, attributes: [AttributeValue])] = []
        try transformers.withTransformer(from: query.version.crs, to: query.tms.crs) { transformer in
            var attributes: [AttributeValue] = []
            attributes.reserveCapacity(fields.count)
            try query.run(db, fields: fields, extraLevels: edge ? edgeLevels : 0) { row in
                guard let geometry = try bound.geometry(row.geometry) else { return }
                attributes.removeAll(keepingCapacity: true)
                for (i, field) in fields.enumerated() {
                    attributes.append(row.statement.attribute(Int32(i + 2), field.type))
                }
                // A feature that cannot be brought into the tile's CRS (outside its domain) is
                // left out of this tile; the rest of the tile is still served.
                guard let projected = try? transformer.transform(geometry) else { return }
                if edge, case .point(let p?) = geometry {
                    held.append((row.level, row.fid, p, projected, attributes))
                    return
                }
                sink.add(id: bound.id(row.fid), geometry: projected, attributes: attributes)
            }
        }
        if edge, let grid = query.version.thinning, let level = query.thinningLevel {
            var taken = Set<UInt64>()
            for p in held.sorted(by: { ($0.level, $0.fid) < ($1.level, $1.fid) }) where taken.insert(grid.cell(p.source, level: level)).inserted {
                sink.add(id: bound.id(p.fid), geometry: p.geometry, attributes: p.attributes)
            }
        }
    }
}
