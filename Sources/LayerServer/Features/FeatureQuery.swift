import Foundation
import GRDB
import GRDBSQLite
import GeoCore

/// One feature as a caller may see it: its id for that caller, the stored id (for the audit
/// log only), the part of its geometry inside the caller's area (layer CRS; nil when it has
/// none), and its visible attributes.
struct VisibleFeature {
    var id: Int64
    var fid: Int64
    var geometry: Geometry?
    var attributes: [AttributeValue]
}

/// The query step of the feature routes (items, a single item, exports): which stored features
/// of one layer version match a box, a filter and a page position, in id order. The caller's
/// ``Restriction`` is applied to every row it yields (the same bound as on tiles: the area cut,
/// hidden attributes left out, opaque ids), so nothing outside the caller's view leaves it.
struct FeatureQuery {
    let version: LayerVersion
    /// The fields the caller may see, in the version's order.
    let fields: [Field]
    /// The R-tree box (layer CRS): the requested bbox, the caller's area and a top-level
    /// S_INTERSECTS, intersected. Nil: no spatial condition (every row, also those without geometry).
    let box: Envelope?
    let filter: FeatureFilterSQL?
    let bound: Restriction.Bound
    /// The requested bbox (layer CRS) for a caller limited to an area: the part of a feature it
    /// sees must meet it (the stored envelope may reach the box with a hidden part only).
    let visibleBox: Envelope?

    /// The query for a caller with `restriction`; nil when the caller sees nothing of the version
    /// inside `bbox` (layer CRS).
    static func make(version: LayerVersion, restriction: Restriction, scope: SpatialScope, bbox: Envelope?,
                     filter: FeatureFilterSQL?) throws -> FeatureQuery? {
        var box = bbox
        var filter = filter
        if let e = filter?.envelope { box = box.map { $0.intersection(e) } ?? e }
        if restriction.filter != .everywhere {
            // A caller limited to an area always reads through the R-tree: rows without a
            // geometry are in no area.
            guard let area = try scope.resolve(restriction.filter, crs: version.crs) else { return nil }
            box = (box ?? version.extent).intersection(area.envelope)
            // S_INTERSECTS tests what the caller sees: intersects(stored, L ∩ area) is
            // intersects(stored ∩ area, L), under OR and NOT too.
            if var f = filter, !f.geometries.isEmpty {
                f.geometries = try f.geometries.map { try GeometryOperations.intersection($0, area.geometry) }
                filter = f
            }
        }
        if let b = box, b.minX > b.maxX || b.minY > b.maxY { return nil }
        // Bound to the whole version, not to the box: features are served whole (not cut at
        // the bbox), so the area must cut them wherever they reach. The extent is widened so that
        // points on its edge (and single-point layers) are not clipped away.
        let e = version.extent
        let margin = max(e.maxX - e.minX, e.maxY - e.minY, 1) * 0.01
        guard let bound = try restriction.bind(to: e.buffered(by: margin), crs: version.crs, scope: scope) else { return nil }
        return FeatureQuery(version: version, fields: restriction.visibleFields(version.fields), box: box, filter: filter, bound: bound,
                            visibleBox: restriction.filter != .everywhere ? bbox : nil)
    }

    /// Where a page starts: after (ascending) or before (descending) a stored id.
    enum Position {
        case after(Int64)
        case before(Int64)
    }

    /// Reads up to `limit` visible features from `position`, in ascending stored-id order
    /// (a page before a position is read backwards and returned ascending), each restricted.
    func page(_ db: Database, from position: Position, limit: Int) throws -> [VisibleFeature] {
        var out: [VisibleFeature] = []
        var cursor = position
        // Rows the restriction drops (outside the caller's area) are replaced by reading on.
        let chunk = max(limit, 64)
        while out.count < limit {
            var last: Int64?
            var rows = 0
            try run(db, from: cursor, limit: chunk) { feature, fid in
                rows += 1
                last = fid
                if let feature, out.count < limit { out.append(feature) }
            }
            guard rows == chunk, let last else { break }
            switch cursor {
            case .after: cursor = .after(last)
            case .before: cursor = .before(last)
            }
        }
        if case .before = position { out.reverse() }
        return out
    }

    /// Every visible feature, in stored-id order (exports).
    func all(_ db: Database, _ body: (VisibleFeature) throws -> Void) throws {
        try run(db, from: .after(Int64.min), limit: nil) { feature, _ in
            if let feature { try body(feature) }
        }
    }

    /// The visible feature with the stored id `fid`, nil when there is none or the caller does not see it.
    func feature(_ db: Database, fid: Int64) throws -> VisibleFeature? {
        var found: VisibleFeature?
        try run(db, from: .after(Int64.min), limit: 1, only: fid) { feature, _ in found = feature }
        return found
    }

    /// Runs the SELECT; `body` gets each row's restricted feature (nil when the caller does not
    /// see it) and stored id.
    private func run(_ db: Database, from position: Position, limit: Int?, only: Int64? = nil,
                     _ body: (VisibleFeature?, Int64) throws -> Void) throws {
        let q = GeoPackageSchema.quote
        let names = VersionTables(table: version.tableName)
        var sql = "SELECT f.fid, f.geom" + fields.map { ", f." + q($0.name) }.joined()
        var arguments: [DatabaseValue] = []
        var conditions: [String] = []
        if let box {
            sql += " FROM \(q(names.rtree)) r CROSS JOIN \(q(names.table)) f ON f.fid = r.id"
            conditions.append("r.minx <= ? AND r.maxx >= ? AND r.miny <= ? AND r.maxy >= ?")
            arguments += [box.maxX, box.minX, box.maxY, box.minY].map(\.databaseValue)
        } else {
            sql += " FROM \(q(names.table)) f"
        }
        if let only {
            conditions.append("f.fid = ?")
            arguments.append(only.databaseValue)
        } else {
            switch position {
            case .after(let fid): conditions.append("f.fid > ?"); arguments.append(fid.databaseValue)
            case .before(let fid): conditions.append("f.fid < ?"); arguments.append(fid.databaseValue)
            }
        }
        if let filter {
            conditions.append(filter.sql)
            arguments += filter.arguments
        }
        sql += " WHERE " + conditions.joined(separator: " AND ")
        if case .before = position { sql += " ORDER BY f.fid DESC" } else { sql += " ORDER BY f.fid" }
        if let limit { sql += " LIMIT \(limit)" }

        let function = filter.flatMap { $0.geometries.isEmpty ? nil : Self.intersectsFunction($0.geometries) }
        if let function { db.add(function: function) }
        defer { if let function { db.remove(function: function) } }

        let statement = try db.makeStatement(sql: sql)
        try statement.setArguments(StatementArguments(arguments))
        let handle = statement.sqliteStatement
        var columns = AttributeColumns(fields, first: 2)
        var attributes: [AttributeValue] = []
        while true {
            let rc = sqlite3_step(handle)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else {
                throw StoreError(.database, "feature query failed: \(String(cString: sqlite3_errmsg(db.sqliteConnection)))")
            }
            let row = SQLiteQuery.Row(handle: handle)
            let fid = row.int64(0)
            let stored: Geometry? = try row.blob(1).flatMap { b in
                let g = try GeoPackageBinary.decode(b).geometry
                return g.envelope == nil ? nil : g
            }
            let visible: Geometry?
            if bound.area != nil {
                // The area cuts what the caller sees; a feature with nothing inside is not seen.
                let cut: Geometry?
                if case .point(let p?)? = stored {
                    cut = bound.contains(p) ? stored : nil
                } else {
                    cut = try stored.flatMap { try bound.geometry($0) }
                }
                guard let cut, try meetsVisibleBox(cut) else { try body(nil, fid); continue }
                visible = cut
            } else {
                visible = stored
            }
            columns.read(row, into: &attributes)
            try body(VisibleFeature(id: bound.id(fid), fid: fid, geometry: visible, attributes: attributes), fid)
        }
    }

    /// Whether the visible part of a feature meets the requested bbox (always, without one).
    private func meetsVisibleBox(_ g: Geometry) throws -> Bool {
        guard let visibleBox else { return true }
        if case .point(let p?) = g { return visibleBox.contains(p) }
        guard let e = g.envelope, e.intersects(visibleBox) else { return false }
        return try GeometryOperations.intersects(g, .polygon(visibleBox.polygon))
    }

    /// `ls_s_intersects(geom, i)`: whether a stored geometry intersects the i-th literal.
    static func intersectsFunction(_ literals: [Geometry]) -> DatabaseFunction {
        let envelopes = literals.map(\.envelope)
        return DatabaseFunction(FeatureFilterSQL.functionName, argumentCount: 2, pure: true) { values in
            guard let i = Int.fromDatabaseValue(values[1]), literals.indices.contains(i), let literalBox = envelopes[i],
                  let blob = Data.fromDatabaseValue(values[0]) else { return 0 }
            guard let (_, g) = try? GeoPackageBinary.decode(blob), let box = g.envelope, box.intersects(literalBox) else { return 0 }
            return ((try? GeometryOperations.intersects(g, literals[i])) ?? false) ? 1 : 0
        }
    }
}

extension Envelope {
    /// The common part of two envelopes; min above max when they do not meet.
    func intersection(_ o: Envelope) -> Envelope {
        Envelope(minX: max(minX, o.minX), minY: max(minY, o.minY), maxX: min(maxX, o.maxX), maxY: min(maxY, o.maxY))
    }
}
