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

/// Renders the vector tile of one layer version: an R-tree query in the layer's CRS, then
/// transform to the tile matrix set's CRS, clip, simplify and encode.
public final class TileService: Sendable {
    let store: LayerStore
    let transformers: TransformerPool
    /// Resolves decisions' spatial filters into areas.
    public let scope: SpatialScope
    /// The settings in force.
    public let configuration: TileConfiguration

    /// Creates a tile service.
    public init(store: LayerStore, transformers: TransformerPool, scope: SpatialScope, configuration: TileConfiguration = TileConfiguration()) {
        self.store = store
        self.transformers = transformers
        self.scope = scope
        self.configuration = configuration
    }

    /// What the access decision lets the caller see of a layer.
    public struct Restriction: Sendable, Hashable {
        /// Where features may be seen.
        public var filter: SpatialFilter
        /// Attributes left out of the tile.
        public var hiddenAttributes: Set<String>
        /// Ids that say nothing of the features the caller does not see; nil: the stored ids.
        var featureIDs: OpaqueFeatureIDs?

        public init(filter: SpatialFilter, hiddenAttributes: some Sequence<String>) {
            self.filter = filter
            // Lower-cased: matched case-insensitively against column names.
            self.hiddenAttributes = Set(hiddenAttributes.map { $0.lowercased() })
        }

        /// No restriction: for the owner, benchmarks and tests of the renderer itself.
        public static let none = Restriction(filter: .everywhere, hiddenAttributes: [])
    }

    /// The MVT bytes (not compressed) of `tile` for the current version of `layer`, restricted
    /// to what the caller may see: features outside the decision's spatial filter and hidden
    /// attributes are not in the tile. Empty when nothing of the layer is left.
    ///
    /// All C work (PROJ, GEOS, SQLite) runs on a GRDB reader thread, not on the cooperative pool.
    public func render(layer: Layer, tms: TileMatrixSet, tile: TileID, restriction: Restriction) async throws -> [UInt8] {
        guard restriction.filter != .nowhere else { return [] }
        return try await store.read { db in
            guard let plan = try self.plan(layer: layer, tms: tms, tile: tile) else { return [] }
            var area: Geometry?
            if let resolved = try self.scope.resolve(restriction.filter, crs: plan.version.crs) {
                guard resolved.envelope.intersects(plan.sourceBox) else { return [] }
                let local = try GeometryOperations.clip(resolved.geometry, to: plan.sourceBox)
                guard local.envelope != nil else { return [] }
                // A tile wholly inside the area needs no per-feature test.
                if try !GeometryOperations.contains(local, .polygon(plan.sourceBox.polygon)) { area = local }
            }
            return try Self.execute(plan, db: db, transformers: self.transformers, mvt: self.configuration.mvt,
                                    area: area, hidden: restriction.hiddenAttributes, ids: restriction.featureIDs)
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

    /// Levels below the tile's thinning level that a tile on the edge of a caller's area reads,
    /// to thin among the points the caller sees (see ``execute``).
    static let edgeLevels = 2

    static func execute(_ plan: Plan, db: Database, transformers: TransformerPool, mvt: MVTOptions,
                        area: Geometry? = nil, hidden: Set<String> = [], ids: OpaqueFeatureIDs? = nil) throws -> [UInt8] {
        let v = plan.version
        let names = VersionTables(table: v.tableName)
        let fields = v.fields.filter { $0.type != .blob && !hidden.contains($0.name.lowercased()) }
        let q = GeoPackageSchema.quote
        var columns = ["f.fid", "f.geom"] + fields.map { "f." + q($0.name) }
        var sql: String
        var arguments = [plan.sourceBox.maxX, plan.sourceBox.minX, plan.sourceBox.maxY, plan.sourceBox.minY]
        // A thinned tile on the edge of the caller's area: the stored thinning chose one point per
        // cell among all points, and a cell whose choice lies outside the area would show as a
        // gap that tells of hidden points. Such a tile reads a few finer levels too and thins
        // again among the points inside the area (by level, then id).
        let edge = area != nil && plan.thinningLevel != nil
        if v.thinning != nil {
            columns.append("r.minl")
            sql = "SELECT \(columns.joined(separator: ", ")) FROM \(q(names.thin)) r JOIN \(q(names.table)) f ON f.fid = r.id WHERE r.minx <= ? AND r.maxx >= ? AND r.miny <= ? AND r.maxy >= ?"
            if let level = plan.thinningLevel {
                sql += " AND r.minl <= ?"
                arguments.append(Double(edge ? level + edgeLevels : level))
            }
        } else {
            sql = "SELECT \(columns.joined(separator: ", ")) FROM \(q(names.rtree)) r JOIN \(q(names.table)) f ON f.fid = r.id WHERE r.minx <= ? AND r.maxx >= ? AND r.miny <= ? AND r.maxy >= ?"
        }
        var builder = MVTLayerBuilder(name: plan.layerID, fieldNames: fields.map(\.name), tileBounds: plan.tileBounds, options: mvt)
        let hasher = ids?.hasher()
        /// Points on the edge of the area, held back to be thinned among themselves.
        var held: [(level: Int, fid: Int64, source: Position, geometry: Geometry, attributes: [AttributeValue])] = []
        let query = try SQLiteQuery(db, sql: sql)
        try transformers.withTransformer(from: v.crs, to: plan.tms.crs) { transformer in
            var attributes: [AttributeValue] = []
            attributes.reserveCapacity(fields.count)
            try query.run(arguments) { row in
                guard let blob = row.blob(1) else { return }
                var geometry = try GeoPackageBinary.decode(blob).geometry
                if let area {
                    guard let inside = try Self.restrict(geometry, to: area) else { return }
                    geometry = inside
                }
                attributes.removeAll(keepingCapacity: true)
                for (i, field) in fields.enumerated() {
                    attributes.append(row.attribute(Int32(i + 2), field.type))
                }
                // A feature that cannot be brought into the tile's CRS (outside its domain) is
                // left out of this tile; the rest of the tile is still served.
                guard let projected = try? transformer.transform(geometry) else { return }
                let fid = row.int64(0)
                if edge, case .point(let p?) = geometry {
                    held.append((Int(row.int64(Int32(fields.count + 2))), fid, p, projected, attributes))
                    return
                }
                builder.add(id: hasher.map { $0.id(fid) } ?? fid, geometry: projected, attributes: attributes)
            }
        }
        if edge, let grid = v.thinning, let level = plan.thinningLevel {
            var taken = Set<UInt64>()
            for p in held.sorted(by: { ($0.level, $0.fid) < ($1.level, $1.fid) }) where taken.insert(grid.cell(p.source, level: level)).inserted {
                builder.add(id: hasher.map { $0.id(p.fid) } ?? p.fid, geometry: p.geometry, attributes: p.attributes)
            }
        }
        return try MVTEncoder.encode([builder])
    }

    /// The part of `g` inside `area` (both in the layer's CRS), nil when nothing is inside.
    /// Points are tested one by one; lines and polygons are cut with GEOS.
    static func restrict(_ g: Geometry, to area: Geometry) throws -> Geometry? {
        switch g {
        case .point(let p?):
            return area.containsPoint(p) ? g : nil
        case .multiPoint(let ps):
            let kept = ps.filter { area.containsPoint($0) }
            return kept.isEmpty ? nil : .multiPoint(kept)
        default:
            guard let e = g.envelope, let a = area.envelope, e.intersects(a) else { return nil }
            var cut = try GeometryOperations.intersection(g, area)
            if case .geometryCollection(let parts) = cut {
                // Keep the parts of the feature's own dimension (drop touching points and edges).
                let polygons = parts.flatMap { p -> [Polygon] in
                    switch p { case .polygon(let q): [q]; case .multiPolygon(let qs): qs; default: [] }
                }
                let lines = parts.flatMap { p -> [[Position]] in
                    switch p { case .lineString(let l): [l]; case .multiLineString(let ls): ls; default: [] }
                }
                cut = !polygons.isEmpty ? .multiPolygon(polygons) : .multiLineString(lines)
            }
            return cut.envelope == nil ? nil : cut
        }
    }

}
