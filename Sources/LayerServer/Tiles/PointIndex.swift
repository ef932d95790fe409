import GRDB
import GeoCore
import TileRender

/// A point layer version held in memory for the tile path: ids, positions in the layer's CRS and
/// in every supported tile matrix set's CRS, attributes dictionary-encoded per field, and a grid
/// over the extent to find the points in a box. Built once per version (versions never change)
/// from one ordered scan of the feature table; a tile then costs no SQL, no blob decoding and no
/// PROJ call per point.
///
/// It holds the version's data as stored; the caller's restriction (area, hidden attributes,
/// opaque ids) is applied per tile by ``TileService``, exactly as on the SQLite path.
final class PointIndex: Sendable {
    /// The version's table (the index's identity: versions are immutable).
    let table: String
    let crs: CRS
    let fields: [Field]
    let fids: [Int64]
    /// Positions in the layer's CRS.
    let positions: [Position]
    /// Positions per target CRS (EPSG code); a point that cannot be transformed is NaN.
    let projected: [Int: [Position]]
    /// Per field: the code of each point's value, and the distinct values.
    let codes: [[UInt32]]
    let dictionaries: [[AttributeValue]]
    // The grid: `columns` x `rows` cells over `frame`; the points of cell c are
    // `order[cellStart[c]..<cellStart[c + 1]]`, in id order.
    let frame: Envelope
    let columns: Int
    let rows: Int
    let cellStart: [Int32]
    let order: [Int32]
    /// About how many bytes the index holds.
    let bytes: Int

    var count: Int { fids.count }

    private init(table: String, crs: CRS, fields: [Field], fids: [Int64], positions: [Position], projected: [Int: [Position]],
                 codes: [[UInt32]], dictionaries: [[AttributeValue]], frame: Envelope, columns: Int, rows: Int,
                 cellStart: [Int32], order: [Int32], bytes: Int) {
        self.table = table
        self.crs = crs
        self.fields = fields
        self.fids = fids
        self.positions = positions
        self.projected = projected
        self.codes = codes
        self.dictionaries = dictionaries
        self.frame = frame
        self.columns = columns
        self.rows = rows
        self.cellStart = cellStart
        self.order = order
        self.bytes = bytes
    }

    /// Points per grid cell, on average.
    static let pointsPerCell = 32

    /// Reads `version` (a point layer version) into an index; nil when a stored feature is not a
    /// plain 2D point (such versions stay on the SQLite path).
    static func load(_ version: LayerVersion, db: Database, transformers: TransformerPool) throws -> PointIndex? {
        let q = GeoPackageSchema.quote
        let fields = version.fields.filter { $0.type != .blob }
        let columnsSQL = (["fid", "geom"] + fields.map { q($0.name) }).joined(separator: ", ")
        var fids: [Int64] = [], positions: [Position] = []
        fids.reserveCapacity(version.featureCount)
        positions.reserveCapacity(version.featureCount)
        var codes = Array(repeating: [UInt32](), count: fields.count)
        for i in codes.indices { codes[i].reserveCapacity(version.featureCount) }
        var dictionaries = Array(repeating: [AttributeValue](), count: fields.count)
        var lookup = Array(repeating: [ExactValue: UInt32](), count: fields.count)
        var plain = true
        var reader = AttributeColumns(fields, first: 2)
        var row: [AttributeValue] = []
        try SQLiteQuery(db, sql: "SELECT \(columnsSQL) FROM \(q(version.tableName)) ORDER BY fid").run([]) { r in
            guard plain else { return }
            guard let blob = r.blob(1) else { return }
            guard let p = GeoPackageBinary.point(blob) else {
                // An empty point has nothing to show; anything else is not for this index.
                if case .point(nil)? = try? GeoPackageBinary.decode(blob).geometry { return }
                plain = false
                return
            }
            fids.append(r.int64(0))
            positions.append(p)
            reader.read(r, into: &row)
            for (i, value) in row.enumerated() {
                let key = ExactValue(value)
                if let code = lookup[i][key] {
                    codes[i].append(code)
                } else {
                    let code = UInt32(dictionaries[i].count)
                    dictionaries[i].append(value)
                    lookup[i][key] = code
                    codes[i].append(code)
                }
            }
        }
        guard plain else { return nil }

        var projected: [Int: [Position]] = [:]
        for tms in TileMatrixSet.supported where tms.crs != version.crs && projected[tms.crs.epsg] == nil {
            var out = positions
            try transformers.withTransformer(from: version.crs, to: tms.crs) { t in
                // One PROJ call over all points; a point outside the target's domain becomes NaN.
                do {
                    try t.transform(&out)
                } catch {
                    for i in out.indices where !out[i].isFinite {
                        out[i] = (try? t.transform(positions[i])) ?? Position(.nan, .nan)
                    }
                }
            }
            projected[tms.crs.epsg] = out
        }

        // The grid, square-ish cells over the extent.
        let n = positions.count
        let frame = version.extent
        let cells = max(1, n / pointsPerCell)
        let aspect = frame.height > 0 && frame.width > 0 ? frame.width / frame.height : 1
        let columns = max(1, min(4096, Int((Double(cells) * aspect).squareRoot().rounded(.up))))
        let rows = max(1, min(4096, (cells + columns - 1) / columns))
        func cell(_ p: Position) -> Int {
            let c = Self.slot(p.x, frame.minX, frame.width, columns), r = Self.slot(p.y, frame.minY, frame.height, rows)
            return r * columns + c
        }
        var cellStart = [Int32](repeating: 0, count: columns * rows + 1)
        let cellOf = positions.map(cell)
        for c in cellOf { cellStart[c + 1] += 1 }
        for c in 0..<(columns * rows) { cellStart[c + 1] += cellStart[c] }
        var fill = cellStart
        var order = [Int32](repeating: 0, count: n)
        for (i, c) in cellOf.enumerated() {
            order[Int(fill[c])] = Int32(i)
            fill[c] += 1
        }
        let strings = dictionaries.reduce(0) { total, values in
            values.reduce(total) { t, v in
                if case .string(let text) = v, text.utf8.count > 15 { return t + text.utf8.count + 32 }
                return t
            }
        }
        let bytes = n * (8 + 16 + 16 * projected.count + 4 * fields.count + 4) + cellStart.count * 4
            + dictionaries.reduce(0) { $0 + $1.count * 24 } + strings
        return PointIndex(table: version.tableName, crs: version.crs, fields: fields, fids: fids, positions: positions,
                          projected: projected, codes: codes, dictionaries: dictionaries, frame: frame, columns: columns,
                          rows: rows, cellStart: cellStart, order: order, bytes: bytes)
    }

    /// Calls `body` with the index of every point inside `box` (layer CRS), in id order.
    func forEach(in box: Envelope, _ body: (Int) throws -> Void) rethrows {
        guard box.intersects(frame), !fids.isEmpty else { return }
        let cs = Self.slot(box.minX, frame.minX, frame.width, columns)...Self.slot(box.maxX, frame.minX, frame.width, columns)
        let rs = Self.slot(box.minY, frame.minY, frame.height, rows)...Self.slot(box.maxY, frame.minY, frame.height, rows)
        var found: [Int32] = []
        for r in rs {
            for c in cs {
                let cellIndex = r * columns + c
                for k in Int(cellStart[cellIndex])..<Int(cellStart[cellIndex + 1]) {
                    let i = order[k]
                    if box.contains(positions[Int(i)]) { found.append(i) }
                }
            }
        }
        // Points are stored in id order: sorting the positions sorts by id.
        found.sort()
        for i in found { try body(Int(i)) }
    }

    /// The grid slot (0..<n) of `v` along an axis starting at `origin` of length `size`; values
    /// outside, infinite or NaN land in the nearest slot (clamped before any conversion to Int).
    @inline(__always)
    static func slot(_ v: Double, _ origin: Double, _ size: Double, _ n: Int) -> Int {
        guard size > 0 else { return 0 }
        let f = ((v - origin) / size * Double(n)).rounded(.down)
        guard f.isFinite else { return f == .infinity ? n - 1 : 0 }
        return Int(min(max(f, 0), Double(n - 1)))
    }

    /// The positions of every point in the CRS of `tms`.
    func positions(for crs: CRS) -> [Position]? {
        crs == self.crs ? positions : projected[crs.epsg]
    }

    /// The column of each of `fields` (by name; nil for BLOB fields, which tiles never carry),
    /// or nil when the index lacks one of them.
    func columns(of fields: [Field]) -> [Int?]? {
        var out: [Int?] = []
        for f in fields {
            if f.type == .blob {
                out.append(nil)
                continue
            }
            guard let i = self.fields.firstIndex(where: { $0.name == f.name }) else { return nil }
            out.append(i)
        }
        return out
    }

    /// The position in the index of the point with stored id `fid` (ids are held in ascending order).
    func position(of fid: Int64) -> Int? {
        var lo = 0, hi = fids.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if fids[mid] < fid { lo = mid + 1 } else { hi = mid }
        }
        return lo < fids.count && fids[lo] == fid ? lo : nil
    }

    /// The values of `columns` for point `i` (null for a BLOB field).
    @inline(__always)
    func attributes(of i: Int, columns: [Int?], into out: inout [AttributeValue]) {
        out.removeAll(keepingCapacity: true)
        for c in columns {
            if let c { out.append(dictionaries[c][Int(codes[c][i])]) } else { out.append(.null) }
        }
    }
}

/// An attribute value compared by its exact representation (bytes of a string, bits of a
/// double), unlike `AttributeValue`'s equality, which takes canonically equivalent strings and
/// 0.0 and -0.0 as equal: the index gives back exactly what is stored.
private struct ExactValue: Hashable {
    let tag: UInt8
    let bits: UInt64
    let bytes: [UInt8]

    init(_ value: AttributeValue) {
        switch value {
        case .null: (tag, bits, bytes) = (0, 0, [])
        case .bool(let b): (tag, bits, bytes) = (1, b ? 1 : 0, [])
        case .int(let n): (tag, bits, bytes) = (2, UInt64(bitPattern: n), [])
        case .double(let d): (tag, bits, bytes) = (3, d.bitPattern, [])
        case .string(let s): (tag, bits, bytes) = (4, 0, Array(s.utf8))
        case .blob(let b): (tag, bits, bytes) = (5, 0, b)
        }
    }
}
