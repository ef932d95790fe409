import GeoCore

/// Builds one Mapbox Vector Tile 2.1 layer: geometry in the tile matrix set's CRS goes in,
/// is clipped to the buffered tile, simplified, snapped to the grid, oriented as the
/// specification requires and command-encoded; attributes are typed and deduplicated.
public struct MVTLayerBuilder {
    /// The layer name.
    public let name: String
    /// The options in force.
    public let options: MVTOptions
    /// How many features were added (after clipping dropped the empty ones).
    public private(set) var featureCount = 0

    private let fieldNames: [String]
    private let originX: Double
    private let originY: Double
    private let scaleX: Double
    private let scaleY: Double
    private let clipRect: TileGeometry.Rect

    private var keyIndex: [Int: UInt32] = [:]
    private var keys: [String] = []
    private var valueIndex: [AttributeValue: UInt32] = [:]
    private var values: [AttributeValue] = []
    private var features = ProtobufWriter()
    /// Per field: values seen and values that were new. A field whose values are nearly all
    /// distinct (ids, names) is no longer looked up for deduplication: hashing every value
    /// would cost more than the few bytes it could save.
    private var fieldSeen: [Int]
    private var fieldNew: [Int]
    private var fieldUnique: [Bool]
    /// Reused for the tags of point features.
    private var scratch: [UInt32] = []
    /// Per field, the value index of its previous value.
    private var lastIndex: [UInt32?]

    /// Creates a builder for a tile whose bounds (in the CRS of the geometries) are `tileBounds`.
    /// `fieldNames` name the attribute values passed to ``add(id:geometry:attributes:)``, in order.
    public init(name: String, fieldNames: [String], tileBounds: Envelope, options: MVTOptions = MVTOptions()) {
        self.name = name
        self.fieldNames = fieldNames
        self.options = options
        let extent = Double(options.extent)
        originX = tileBounds.minX
        originY = tileBounds.maxY
        scaleX = extent / tileBounds.width
        scaleY = extent / tileBounds.height
        let b = Double(options.buffer)
        clipRect = TileGeometry.Rect(minX: -b, minY: -b, maxX: extent + b, maxY: extent + b)
        fieldSeen = Array(repeating: 0, count: fieldNames.count)
        fieldNew = Array(repeating: 0, count: fieldNames.count)
        fieldUnique = Array(repeating: false, count: fieldNames.count)
        lastIndex = Array(repeating: nil, count: fieldNames.count)
    }

    /// The tile bounds grown by the buffer, in the CRS of the geometries: the box to query features in.
    public static func queryBounds(tileBounds: Envelope, options: MVTOptions) -> Envelope {
        tileBounds.buffered(by: tileBounds.width * Double(options.buffer) / Double(options.extent))
    }

    @inline(__always)
    private func toTile(_ p: Position) -> TilePoint {
        TilePoint(x: (p.x - originX) * scaleX, y: (originY - p.y) * scaleY)
    }

    /// Adds a feature. Returns false when nothing of it is left inside the buffered tile.
    @discardableResult
    public mutating func add(id: Int64?, geometry: Geometry, attributes: [AttributeValue]) -> Bool {
        if case .geometryCollection(let members) = geometry {
            // An MVT feature has one type: split a collection into one feature per family.
            var points: [Position] = [], lines: [[Position]] = [], polys: [Polygon] = []
            collect(members, &points, &lines, &polys)
            var added = false
            var nextID = id
            for g in [Geometry.multiPoint(points), .multiLineString(lines), .multiPolygon(polys)] where !g.isEmpty {
                if add(id: nextID, geometry: g, attributes: attributes) { added = true; nextID = nil }
            }
            return added
        }
        guard let (type, commands) = encodeGeometry(geometry), !commands.isEmpty else { return false }
        var f = ProtobufWriter()
        if let id, id >= 0 { f.uint(1, UInt64(id)) }
        f.packed(2, tags(attributes))
        f.uint(3, UInt64(type))
        f.packed(4, commands)
        features.message(2, f)
        featureCount += 1
        return true
    }

    private func collect(_ gs: [Geometry], _ points: inout [Position], _ lines: inout [[Position]], _ polys: inout [Polygon]) {
        for g in gs {
            switch g {
            case .point(let p): if let p { points.append(p) }
            case .multiPoint(let ps): points += ps
            case .lineString(let l): lines.append(l)
            case .multiLineString(let ls): lines += ls
            case .polygon(let p): polys.append(p)
            case .multiPolygon(let ps): polys += ps
            case .geometryCollection(let inner): collect(inner, &points, &lines, &polys)
            }
        }
    }

    private mutating func tags(_ attributes: [AttributeValue]) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(attributes.count * 2)
        tags(attributes, into: &out)
        return out
    }

    private mutating func tags(_ attributes: [AttributeValue], into out: inout [UInt32]) {
        for (i, v) in attributes.enumerated() where i < fieldNames.count {
            switch v {
            case .null, .blob: continue
            case .double(let d) where !d.isFinite: continue
            default: break
            }
            let k: UInt32
            if let existing = keyIndex[i] {
                k = existing
            } else {
                k = UInt32(keys.count)
                keys.append(fieldNames[i])
                keyIndex[i] = k
            }
            let vi: UInt32
            if fieldUnique[i] {
                vi = UInt32(values.count)
                values.append(v)
            } else if let last = lastIndex[i], values[Int(last)] == v {
                // The same value as this field's previous one (common in storage order): no hashing.
                fieldSeen[i] += 1
                out.append(k)
                out.append(last)
                continue
            } else if let existing = valueIndex[v] {
                vi = existing
            } else {
                vi = UInt32(values.count)
                values.append(v)
                valueIndex[v] = vi
                fieldNew[i] += 1
            }
            if !fieldUnique[i] {
                fieldSeen[i] += 1
                if fieldSeen[i] >= 32, fieldNew[i] * 10 > fieldSeen[i] * 9 { fieldUnique[i] = true }
                lastIndex[i] = vi
            }
            out.append(k)
            out.append(vi)
        }
    }

    /// Adds a point feature, as `add` does with `.point(position)`, but written straight into the
    /// layer without per-feature buffers (dense point layers are the hot path).
    @discardableResult
    public mutating func addPoint(id: Int64?, position: Position, attributes: [AttributeValue]) -> Bool {
        let t = toTile(position)
        guard clipRect.contains(t), let g = TileGeometry.grid(t) else { return false }
        var scratch = self.scratch
        self.scratch = []
        scratch.removeAll(keepingCapacity: true)
        tags(attributes, into: &scratch)
        defer { self.scratch = scratch }
        let zx = UInt64(zigzag32(g.x)), zy = UInt64(zigzag32(g.y))
        // Feature body: id (1), tags (2, packed), type (3) = POINT, geometry (4, packed: MoveTo(1), x, y).
        var tagBytes = 0
        for v in scratch { tagBytes += ProtobufWriter.varintSize(UInt64(v)) }
        let geometryBytes = 1 + ProtobufWriter.varintSize(zx) + ProtobufWriter.varintSize(zy)
        var body = 2 + 1 + ProtobufWriter.varintSize(UInt64(geometryBytes)) + geometryBytes
        if let id, id >= 0 { body += 1 + ProtobufWriter.varintSize(UInt64(id)) }
        if tagBytes > 0 { body += 1 + ProtobufWriter.varintSize(UInt64(tagBytes)) + tagBytes }
        features.key(2, .lengthDelimited)
        features.varint(UInt64(body))
        if let id, id >= 0 { features.uint(1, UInt64(id)) }
        if tagBytes > 0 {
            features.key(2, .lengthDelimited)
            features.varint(UInt64(tagBytes))
            for v in scratch { features.varint(UInt64(v)) }
        }
        features.uint(3, 1)
        features.key(4, .lengthDelimited)
        features.varint(UInt64(geometryBytes))
        features.varint(9)  // MoveTo, count 1
        features.varint(zx)
        features.varint(zy)
        featureCount += 1
        return true
    }

    // MARK: Geometry

    private func encodeGeometry(_ g: Geometry) -> (UInt32, [UInt32])? {
        var enc = CommandEncoder()
        switch g {
        case .point(let p):
            guard let p else { return nil }
            let t = toTile(p)
            guard clipRect.contains(t), let g = TileGeometry.grid(t) else { return nil }
            enc.moveTo([g])
            return (1, enc.commands)
        case .multiPoint(let ps):
            var seen = Set<GridPoint>()
            var grid: [GridPoint] = []
            for p in ps {
                let t = toTile(p)
                guard clipRect.contains(t), let q = TileGeometry.grid(t) else { continue }
                if seen.insert(q).inserted { grid.append(q) }
            }
            guard !grid.isEmpty else { return nil }
            enc.moveTo(grid)
            return (1, enc.commands)
        case .lineString(let l):
            encodeLines([l], &enc)
            return enc.commands.isEmpty ? nil : (2, enc.commands)
        case .multiLineString(let ls):
            encodeLines(ls, &enc)
            return enc.commands.isEmpty ? nil : (2, enc.commands)
        case .polygon(let p):
            encodePolygon(p, &enc)
            return enc.commands.isEmpty ? nil : (3, enc.commands)
        case .multiPolygon(let ps):
            for p in ps { encodePolygon(p, &enc) }
            return enc.commands.isEmpty ? nil : (3, enc.commands)
        case .geometryCollection:
            return nil
        }
    }

    private func encodeLines(_ lines: [[Position]], _ enc: inout CommandEncoder) {
        for line in lines {
            let tile = line.map(toTile)
            for part in TileGeometry.clipLine(tile, to: clipRect) {
                let simple = TileGeometry.simplify(part, tolerance: options.simplificationTolerance)
                let grid = TileGeometry.quantize(simple)
                guard grid.count >= 2 else { continue }
                enc.moveTo([grid[0]])
                enc.lineTo(grid[1...])
            }
        }
    }

    private func encodePolygon(_ polygon: Polygon, _ enc: inout CommandEncoder) {
        let clipped = PolygonClipper(rect: clipRect).clip(polygon.rings.map { $0.map(toTile) })
        for rings in clipped {
            guard let exterior = ring(rings[0], exterior: true) else { continue }
            enc.ring(exterior)
            for hole in rings.dropFirst() {
                if let r = ring(hole, exterior: false) { enc.ring(r) }
            }
        }
    }

    /// A clipped ring simplified, snapped and oriented: exterior rings get a positive
    /// surveyor's area in tile coordinates (clockwise on screen), interior rings negative.
    private func ring(_ clipped: [TilePoint], exterior: Bool) -> [GridPoint]? {
        guard clipped.count >= 3 else { return nil }
        let simple = TileGeometry.simplifyRing(clipped, tolerance: options.simplificationTolerance)
        guard var grid = TileGeometry.quantizeRing(simple) else { return nil }
        let area = TileGeometry.signedArea(grid)
        if (area > 0) != exterior { grid.reverse() }
        return grid
    }

    // MARK: Output

    /// The encoded `Layer` message, or nil when the layer has no features (encoders must not
    /// write empty layers).
    func encoded() -> ProtobufWriter? {
        guard featureCount > 0 else { return nil }
        var layer = ProtobufWriter()
        layer.uint(15, 2)
        layer.string(1, name)
        layer.bytes.append(contentsOf: features.bytes)
        for k in keys { layer.string(3, k) }
        for v in values {
            var m = ProtobufWriter()
            switch v {
            case .string(let s): m.string(1, s)
            case .double(let d): m.double(3, d)
            case .int(let n): if n >= 0 { m.uint(5, UInt64(n)) } else { m.sint(6, n) }
            case .bool(let b): m.bool(7, b)
            case .null, .blob: continue
            }
            layer.message(4, m)
        }
        layer.uint(5, UInt64(options.extent))
        return layer
    }
}

/// Encodes finished layers into one tile.
public enum MVTEncoder {
    /// The tile bytes (uncompressed protobuf). Empty when no layer has a feature.
    /// - Throws: `TileRenderError(.duplicateLayerName)` when two layers with features share a name.
    public static func encode(_ layers: [MVTLayerBuilder]) throws(TileRenderError) -> [UInt8] {
        var tile = ProtobufWriter()
        var names = Set<String>()
        for l in layers {
            guard let m = l.encoded() else { continue }
            guard names.insert(l.name).inserted else {
                throw TileRenderError(.duplicateLayerName, "two layers of one tile are named \"\(l.name)\"")
            }
            tile.message(3, m)
        }
        return tile.bytes
    }
}

/// MVT geometry command stream writer: MoveTo, LineTo and ClosePath with zigzag deltas.
struct CommandEncoder {
    var commands: [UInt32] = []
    private var cursor = GridPoint(x: 0, y: 0)

    @inline(__always)
    private static func command(_ id: UInt32, _ count: Int) -> UInt32 { (id & 0x7) | (UInt32(count) << 3) }

    @inline(__always)
    private mutating func delta(_ p: GridPoint) {
        commands.append(zigzag32(p.x &- cursor.x))
        commands.append(zigzag32(p.y &- cursor.y))
        cursor = p
    }

    mutating func moveTo(_ ps: [GridPoint]) {
        commands.append(Self.command(1, ps.count))
        for p in ps { delta(p) }
    }

    mutating func lineTo(_ ps: ArraySlice<GridPoint>) {
        commands.append(Self.command(2, ps.count))
        for p in ps { delta(p) }
    }

    mutating func ring(_ r: [GridPoint]) {
        moveTo([r[0]])
        lineTo(r[1...])
        commands.append(Self.command(7, 1))
    }
}
