import GRDB
import GeoCore
import TileRender

/// The query step of the tile path: which stored features of a layer version lie in a tile and
/// its buffer. It plans without touching the database, then reads rows from the version's
/// R-tree and decodes them. It knows nothing of the caller (the
/// restriction comes after it) or of the format (the encoder comes last).
struct TileQuery: Sendable {
    var layerID: String
    var version: LayerVersion
    var tms: TileMatrixSet
    /// The tile's bounds in the tile matrix set's CRS.
    var tileBounds: Envelope
    /// The tile and its buffer in the layer's CRS.
    var sourceBox: Envelope
    /// Whether the tile is of a point layer below its full-detail zoom: it holds every point
    /// unless it would exceed the tile budget, and is then clustered.
    var budgeted: Bool

    /// The plan for `tile` of the current version of `layer` with a buffer of `bufferFraction`
    /// of the tile's width; nil when nothing of the layer can be in the tile (outside its zoom
    /// range, its extent or its CRS's domain).
    static func plan(layer: Layer, tms: TileMatrixSet, tile: TileID, bufferFraction: Double,
                     configuration: TileConfiguration, transformers: TransformerPool) throws -> TileQuery? {
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
        let budgeted = TileConfiguration.clusters(version) && zoom < configuration.fullDetailZoom(of: layer.id)
        return TileQuery(layerID: layer.id, version: version, tms: tms, tileBounds: bounds, sourceBox: sourceBox, budgeted: budgeted)
    }

    /// One stored feature in the box.
    struct Row {
        let fid: Int64
        let statement: SQLiteQuery.Row

        /// The feature's position when it is a plain 2D point (no decoding of other geometry).
        var point: Position? {
            statement.blob(1).flatMap { GeoPackageBinary.point($0) }
        }

        /// The geometry in the layer's CRS; nil when the row has none.
        func geometry() throws -> Geometry? {
            guard let blob = statement.blob(1) else { return nil }
            return try GeoPackageBinary.decode(blob).geometry
        }
    }

    /// Reads the features in the box from the version's R-tree with `fields` (their values are
    /// `row.statement`'s columns 2...). Points come in id order, as from ``PointIndex``, so that a
    /// tile's feature order (which decides label placement in images and in map clients) does not
    /// depend on where the points were read from.
    func run(_ db: Database, fields: [Field], _ body: (Row) throws -> Void) throws {
        let q = GeoPackageSchema.quote
        let names = VersionTables(table: version.tableName)
        let columns = ["f.fid", "f.geom"] + fields.map { "f." + q($0.name) }
        let order = version.geometryType.family == .point ? " ORDER BY f.fid" : ""
        let sql = "SELECT \(columns.joined(separator: ", ")) FROM \(q(names.rtree)) r JOIN \(q(names.table)) f ON f.fid = r.id WHERE r.minx <= ? AND r.maxx >= ? AND r.miny <= ? AND r.maxy >= ?" + order
        try SQLiteQuery(db, sql: sql).run([sourceBox.maxX, sourceBox.minX, sourceBox.maxY, sourceBox.minY]) { row in
            try body(Row(fid: row.int64(0), statement: row))
        }
    }

    /// Reads `fields` of the features with the stored ids `fids`, in that order (their values are
    /// `row.statement`'s columns 0...).
    func attributes(_ db: Database, fields: [Field], fids: [Int64], _ body: (Int64, SQLiteQuery.Row) throws -> Void) throws {
        let q = GeoPackageSchema.quote
        let columns = fields.isEmpty ? ["fid"] : fields.map { q($0.name) }
        let query = try SQLiteQuery(db, sql: "SELECT \(columns.joined(separator: ", ")) FROM \(q(version.tableName)) WHERE fid = ?")
        for fid in fids {
            try query.run(fid: fid) { row in try body(fid, row) }
        }
    }
}
