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

/// Renders the vector tile of one layer version: an R-tree query in the layer's CRS, then
/// transform to the tile matrix set's CRS, clip, simplify and encode.
public final class TileService: Sendable {
    let store: LayerStore
    let transformers: TransformerPool
    /// The settings in force.
    public let configuration: TileConfiguration

    /// Creates a tile service.
    public init(store: LayerStore, transformers: TransformerPool, configuration: TileConfiguration = TileConfiguration()) {
        self.store = store
        self.transformers = transformers
        self.configuration = configuration
    }

    /// The MVT bytes (not compressed) of `tile` for the current version of `layer`; empty when
    /// the tile holds no features of it. The caller has already decided that the caller may see it.
    ///
    /// All C work (PROJ, SQLite) runs on a GRDB reader thread, not on the cooperative pool.
    public func render(layer: Layer, tms: TileMatrixSet, tile: TileID) async throws -> [UInt8] {
        try await store.read { db in
            guard let plan = try self.plan(layer: layer, tms: tms, tile: tile) else { return [] }
            return try Self.execute(plan, db: db, transformers: self.transformers, mvt: self.configuration.mvt)
        }
    }

    /// Everything the database step needs, decided before touching the database.
    struct Plan: Sendable {
        var layerID: String
        var version: LayerVersion
        var tms: TileMatrixSet
        var tileBounds: Envelope
        var sourceBox: Envelope
        var thinningLevel: Int?
    }

    func plan(layer: Layer, tms: TileMatrixSet, tile: TileID) throws -> Plan? {
        guard let bounds = tms.bounds(of: tile) else { return nil }
        let version = layer.current
        let zoom = ZoomEquivalence.webMercatorZoom(of: tms, z: tile.z, latitude: version.extentWGS84.center.y)
        guard zoom >= layer.minZoom, zoom <= layer.maxZoom else { return nil }
        let query = MVTLayerBuilder.queryBounds(tileBounds: bounds, options: configuration.mvt)
        let sourceBox: Envelope
        do {
            sourceBox = try transformers.withTransformer(from: tms.crs, to: version.crs) { try $0.transformBounds(query) }
        } catch let e as GeoError where e.code == .transform {
            // The tile lies outside the domain of the layer's CRS: nothing of the layer is in it.
            return nil
        }
        guard sourceBox.intersects(version.extent) else { return nil }
        var level: Int?
        if let grid = version.thinning {
            level = PointThinner.queryLevel(grid: grid, tileWidth: max(sourceBox.width, sourceBox.height),
                                            cellsPerTile: configuration.cellsPerTile)
        }
        return Plan(layerID: layer.id, version: version, tms: tms, tileBounds: bounds, sourceBox: sourceBox, thinningLevel: level)
    }

    static func execute(_ plan: Plan, db: Database, transformers: TransformerPool, mvt: MVTOptions) throws -> [UInt8] {
        let v = plan.version
        let names = VersionTables(table: v.tableName)
        let fields = v.fields.filter { $0.type != .blob }
        let q = GeoPackageSchema.quote
        let columns = (["f.fid", "f.geom"] + fields.map { "f." + q($0.name) }).joined(separator: ", ")
        var sql: String
        var arguments = [plan.sourceBox.maxX, plan.sourceBox.minX, plan.sourceBox.maxY, plan.sourceBox.minY]
        if v.thinning != nil {
            sql = "SELECT \(columns) FROM \(q(names.thin)) r JOIN \(q(names.table)) f ON f.fid = r.id WHERE r.minx <= ? AND r.maxx >= ? AND r.miny <= ? AND r.maxy >= ?"
            if let level = plan.thinningLevel {
                sql += " AND r.minl <= ?"
                arguments.append(Double(level))
            }
        } else {
            sql = "SELECT \(columns) FROM \(q(names.rtree)) r JOIN \(q(names.table)) f ON f.fid = r.id WHERE r.minx <= ? AND r.maxx >= ? AND r.miny <= ? AND r.maxy >= ?"
        }
        var builder = MVTLayerBuilder(name: plan.layerID, fieldNames: fields.map(\.name), tileBounds: plan.tileBounds, options: mvt)
        let query = try SQLiteQuery(db, sql: sql)
        try transformers.withTransformer(from: v.crs, to: plan.tms.crs) { transformer in
            var attributes: [AttributeValue] = []
            attributes.reserveCapacity(fields.count)
            try query.run(arguments) { row in
                guard let blob = row.blob(1) else { return }
                let geometry = try GeoPackageBinary.decode(blob).geometry
                attributes.removeAll(keepingCapacity: true)
                for (i, field) in fields.enumerated() {
                    attributes.append(row.attribute(Int32(i + 2), field.type))
                }
                // A feature that cannot be brought into the tile's CRS (outside its domain) is
                // left out of this tile; the rest of the tile is still served.
                guard let projected = try? transformer.transform(geometry) else { return }
                builder.add(id: row.int64(0), geometry: projected, attributes: attributes)
            }
        }
        return try MVTEncoder.encode([builder])
    }

}
