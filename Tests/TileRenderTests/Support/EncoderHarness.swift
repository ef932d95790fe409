import MVTTestSupport
import GeoCore
import Testing
import TileRender

/// One feature to hand to the encoder.
struct InputFeature {
    var id: Int64? = nil
    var geometry: Geometry
    var attributes: [AttributeValue] = []
}

/// A layer produced by our encoder, read back with the strict decoder.
struct DecodedLayer: Equatable {
    var layer: MVTDecoder.Layer
    /// The interpreted geometry of each feature, in order.
    var geometries: [MVTGeometry]

    /// The attributes of feature `i`, resolved through the layer's keys and values.
    func attributes(_ i: Int) -> [String: MVTDecoder.Value] {
        let tags = layer.features[i].tags
        var out: [String: MVTDecoder.Value] = [:]
        for k in stride(from: 0, to: tags.count, by: 2) {
            out[layer.keys[Int(tags[k])]] = layer.values[Int(tags[k + 1])]
        }
        return out
    }
}

/// Options with simplification off: output equals input up to quantisation.
let exactOptions = MVTOptions(simplificationTolerance: 0)

/// Tile bounds where one tile unit is one CRS unit (with y flipped: tile y = 4096 - y).
let unitTile = Envelope(minX: 0, minY: 0, maxX: 4096, maxY: 4096)

/// Encodes `features` into one layer, decodes the tile strictly and interprets every geometry.
/// Returns nil when the encoder produced zero bytes.
func encodeAndDecode(_ features: [InputFeature], fields: [String] = [], bounds: Envelope = unitTile,
                     options: MVTOptions = exactOptions, name: String = "test",
                     sourceLocation: SourceLocation = #_sourceLocation) throws -> DecodedLayer? {
    var builder = MVTLayerBuilder(name: name, fieldNames: fields, tileBounds: bounds, options: options)
    for f in features { builder.add(id: f.id, geometry: f.geometry, attributes: f.attributes) }
    let bytes = try MVTEncoder.encode([builder])
    if bytes.isEmpty { return nil }
    let tile = try MVTDecoder.decode(bytes)
    let layer = try #require(tile.layers.count == 1 ? tile.layers[0] : nil, sourceLocation: sourceLocation)
    let geometries = try layer.features.map { try MVTGeometryDecoder.interpret($0.type, $0.geometry) }
    return DecodedLayer(layer: layer, geometries: geometries)
}

/// The tile-space position (x right, y down, 0...extent) of a CRS position, unrounded.
func tilePosition(_ p: Position, bounds: Envelope = unitTile, extent: Int = 4096) -> (x: Double, y: Double) {
    ((p.x - bounds.minX) * Double(extent) / bounds.width, (bounds.maxY - p.y) * Double(extent) / bounds.height)
}

/// True when `a` is within `tolerance` of `(x, y)` on both axes.
func isNear(_ a: MVTPoint, _ e: (x: Double, y: Double), tolerance: Double = 0.5) -> Bool {
    abs(Double(a.x) - e.x) <= tolerance && abs(Double(a.y) - e.y) <= tolerance
}

/// True when the points match `expected` one to one, each within `tolerance`.
func matches(_ points: [MVTPoint], _ expected: [(x: Double, y: Double)], tolerance: Double = 0.5) -> Bool {
    points.count == expected.count && zip(points, expected).allSatisfy { isNear($0, $1, tolerance: tolerance) }
}

/// True when the open ring `ring` equals the closed or open ring `expected` within `tolerance`,
/// up to the starting vertex and the direction.
func isSameRing(_ ring: [MVTPoint], _ expected: [(x: Double, y: Double)], tolerance: Double = 0.5) -> Bool {
    var e = expected
    if e.count > 1, let f = e.first, let l = e.last, f == l { e.removeLast() }
    guard ring.count == e.count else { return false }
    for candidate in [e, e.reversed()] {
        for shift in 0..<candidate.count {
            let rotated = Array(candidate[shift...] + candidate[..<shift])
            if matches(ring, rotated, tolerance: tolerance) { return true }
        }
    }
    return false
}

/// Twice the signed surveyor's area of an open ring in tile coordinates (positive = exterior).
func doubleArea(_ ring: [MVTPoint]) -> Int64 {
    (try? MVTGeometryDecoder.doubleArea(ring)) ?? 0
}

/// True when the open ring has no self-intersection, self-tangency or collinear overlap:
/// only consecutive edges may meet, and only at their shared vertex.
func isSimpleRing(_ ring: [MVTPoint]) -> Bool {
    let n = ring.count
    func orient(_ a: MVTPoint, _ b: MVTPoint, _ c: MVTPoint) -> Int64 {
        let v = (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x)
        return v > 0 ? 1 : (v < 0 ? -1 : 0)
    }
    func onSegment(_ p: MVTPoint, _ a: MVTPoint, _ b: MVTPoint) -> Bool {
        orient(a, b, p) == 0 && min(a.x, b.x) <= p.x && p.x <= max(a.x, b.x) && min(a.y, b.y) <= p.y && p.y <= max(a.y, b.y)
    }
    func touch(_ a: MVTPoint, _ b: MVTPoint, _ c: MVTPoint, _ d: MVTPoint) -> Bool {
        let o1 = orient(a, b, c), o2 = orient(a, b, d), o3 = orient(c, d, a), o4 = orient(c, d, b)
        if o1 != o2 && o3 != o4 && o1 != 0 && o2 != 0 && o3 != 0 && o4 != 0 { return true }
        return onSegment(c, a, b) || onSegment(d, a, b) || onSegment(a, c, d) || onSegment(b, c, d)
    }
    /// Two edges meeting at `shared` fold back over each other when p, shared, q are
    /// collinear and p and q lie on the same side of `shared`.
    func foldsBack(_ p: MVTPoint, _ shared: MVTPoint, _ q: MVTPoint) -> Bool {
        orient(p, shared, q) == 0 && (p.x - shared.x) * (q.x - shared.x) + (p.y - shared.y) * (q.y - shared.y) > 0
    }
    guard n >= 3 else { return false }
    for i in 0..<n {
        for j in (i + 1)..<n {
            let a = ring[i], b = ring[(i + 1) % n], c = ring[j], d = ring[(j + 1) % n]
            if j == i + 1 {
                if foldsBack(a, b, d) { return false }
            } else if i == 0 && j == n - 1 {
                if foldsBack(b, a, c) { return false }
            } else if touch(a, b, c, d) {
                return false
            }
        }
    }
    return true
}

/// The shortest distance from `p` to the polyline `line`.
func distance(_ p: (x: Double, y: Double), toPolyline line: [MVTPoint]) -> Double {
    var best = Double.infinity
    for (a, b) in zip(line, line.dropFirst()) {
        let ax = Double(a.x), ay = Double(a.y), dx = Double(b.x) - ax, dy = Double(b.y) - ay
        let len = dx * dx + dy * dy
        let t = len == 0 ? 0 : max(0, min(1, ((p.x - ax) * dx + (p.y - ay) * dy) / len))
        best = min(best, ((p.x - ax - t * dx) * (p.x - ax - t * dx) + (p.y - ay - t * dy) * (p.y - ay - t * dy)).squareRoot())
    }
    return best
}

/// Every point of a geometry.
func allPoints(_ g: MVTGeometry) -> [MVTPoint] {
    switch g {
    case .unknown: []
    case .points(let ps): ps
    case .lineStrings(let ls): ls.flatMap { $0 }
    case .polygons(let polys): polys.flatMap { $0.flatMap { $0 } }
    }
}

/// True when two open rings share any point: a vertex on the other's edge or crossing edges.
func ringsTouch(_ r1: [MVTPoint], _ r2: [MVTPoint]) -> Bool {
    func orient(_ a: MVTPoint, _ b: MVTPoint, _ c: MVTPoint) -> Int64 {
        let v = (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x)
        return v > 0 ? 1 : (v < 0 ? -1 : 0)
    }
    func onSegment(_ p: MVTPoint, _ a: MVTPoint, _ b: MVTPoint) -> Bool {
        orient(a, b, p) == 0 && min(a.x, b.x) <= p.x && p.x <= max(a.x, b.x) && min(a.y, b.y) <= p.y && p.y <= max(a.y, b.y)
    }
    for i in r1.indices {
        let a = r1[i], b = r1[(i + 1) % r1.count]
        for j in r2.indices {
            let c = r2[j], d = r2[(j + 1) % r2.count]
            let o1 = orient(a, b, c), o2 = orient(a, b, d), o3 = orient(c, d, a), o4 = orient(c, d, b)
            if o1 * o2 < 0 && o3 * o4 < 0 { return true }
            if onSegment(c, a, b) || onSegment(d, a, b) || onSegment(a, c, d) || onSegment(b, c, d) { return true }
        }
    }
    return false
}

extension MVTGeometry {
    /// The points of a POINT geometry, else nil.
    var pointList: [MVTPoint]? { if case .points(let p) = self { p } else { nil } }
    /// The lines of a LINESTRING geometry, else nil.
    var lineList: [[MVTPoint]]? { if case .lineStrings(let l) = self { l } else { nil } }
    /// The polygons (rings, exterior first) of a POLYGON geometry, else nil.
    var polygonList: [[[MVTPoint]]]? { if case .polygons(let p) = self { p } else { nil } }
}

/// A closed square ring with corners (x0, y0) and (x1, y1), counter-clockwise in a y-up CRS.
func square(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double) -> [Position] {
    [Position(x0, y0), Position(x1, y0), Position(x1, y1), Position(x0, y1), Position(x0, y0)]
}
