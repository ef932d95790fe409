import GRDB
import GeoCore
import TileRender

/// The query step of the tile path: which stored features of a layer version lie in a tile and
/// its buffer. It plans without touching the database, then reads rows from the version's
/// R-tree (or its thinning index) and decodes them. It knows nothing of the caller (the
/// restriction comes after it) or of the format (the encoder comes last).
struct TileQuery: Sendable {
    var layerID: String
    var version: LayerVersion
    var tms: TileMatrixSet
    /// The tile's bounds in the tile matrix set's CRS.
    var tileBounds: Envelope
    /// The tile and its buffer in the layer's CRS.
    var sourceBox: Envelope
    /// The thinning level of a point layer's tile, nil: every point.
    var thinningLevel: Int?

    /// The plan for `tile` of the current version of `layer` with a buffer of `bufferFraction`
    /// of the tile's width; nil when nothing of the layer can be in the tile (outside its zoom
    /// range, its extent or its CRS's domain).
    static func plan(layer: Layer, tms: TileMatrixSet, tile: TileID, bufferFraction: Double,
                     cellsPerTile: Int, transformers: TransformerPool) throws -> TileQuery? {
        guard let bounds = tms.bounds(of: tile) else { return nil }
        let version = layer.current
        let zoom = ZoomEquivalence.webMercatorZoom(of: tms, z: tile.z, latitude: version.extentWGS84.center.y)
        guard zoom >= layer.minZoom, zoom <= layer.maxZoom else { return nil }
        let query = bounds.buffered(by: bounds.width * bufferFraction)
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
            level = PointThinner.queryLevel(grid: grid, tileWidth: max(sourceBox.width, sourceBox.height), cellsPerTile: cellsPerTile)
        }
        return TileQuery(layerID: layer.id, version: version, tms: tms, tileBounds: bounds, sourceBox: sourceBox, thinningLevel: level)
    }

    /// One stored feature in the box.
    struct Row {
        let fid: Int64
        /// In the layer's CRS.
        let geometry: Geometry
        /// The thinning level at which the point first shows (0 without a thinning index).
        let level: Int
        let statement: SQLiteQuery.Row
    }

    /// Reads the features in the box with `fields` (their values are `row.statement`'s columns
    /// 2...). `extraLevels` reads that many finer thinning levels than the plan's (for a tile on
    /// the edge of a caller's area, which thins again among the points it may see).
    func run(_ db: Database, fields: [Field], extraLevels: Int = 0, _ body: (Row) throws -> Void) throws {
        let names = VersionTables(table: version.tableName)
        let q = GeoPackageSchema.quote
        var columns = ["f.fid", "f.geom"] + fields.map { "f." + q($0.name) }
        var sql: String
        var arguments = [sourceBox.maxX, sourceBox.minX, sourceBox.maxY, sourceBox.minY]
        let thinned = version.thinning != nil
        if thinned {
            columns.append("r.minl")
            sql = "SELECT \(columns.joined(separator: ", ")) FROM \(q(names.thin)) r JOIN \(q(names.table)) f ON f.fid = r.id WHERE r.minx <= ? AND r.maxx >= ? AND r.miny <= ? AND r.maxy >= ?"
            if let thinningLevel {
                sql += " AND r.minl <= ?"
                arguments.append(Double(thinningLevel + extraLevels))
            }
        } else {
            sql = "SELECT \(columns.joined(separator: ", ")) FROM \(q(names.rtree)) r JOIN \(q(names.table)) f ON f.fid = r.id WHERE r.minx <= ? AND r.maxx >= ? AND r.miny <= ? AND r.maxy >= ?"
        }
        let levelColumn = Int32(fields.count + 2)
        try SQLiteQuery(db, sql: sql).run(arguments) { row in
            guard let blob = row.blob(1) else { return }
            let geometry = try GeoPackageBinary.decode(blob).geometry
            try body(Row(fid: row.int64(0), geometry: geometry, level: thinned ? Int(row.int64(levelColumn)) : 0, statement: row))
        }
    }
}
