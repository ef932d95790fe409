/// A polygonal area prepared for many point tests: each polygon's edges are sorted into
/// horizontal bands, so a test looks only at the edges whose height range holds the point
/// instead of every vertex of the area. It answers exactly as ``Geometry/containsPoint(_:)``
/// (the same even-odd rule on the same edges: an edge can only flip the answer for a point whose
/// y lies within the edge's y range, and such an edge is in that point's band).
public struct PreparedArea: Sendable {
    private struct Edge {
        let a: Position
        let b: Position
    }

    private struct PreparedPolygon {
        let box: Envelope
        let minY: Double
        let bandHeight: Double
        let bands: [[Edge]]
    }

    private let polygons: [PreparedPolygon]

    /// Prepares the polygons of `area` (other geometry types contain no points).
    public init(_ area: Geometry) {
        var polygons: [PreparedPolygon] = []
        func add(_ polygon: Polygon) {
            let rings = polygon.rings.filter { $0.count >= 3 }
            guard let box = Geometry.polygon(Polygon(rings: rings)).envelope else { return }
            let edgeCount = rings.reduce(0) { $0 + $1.count }
            let bandCount = max(1, min(4096, edgeCount / 8))
            let height = box.height > 0 ? box.height / Double(bandCount) : 1
            var bands = Array(repeating: [Edge](), count: bandCount)
            func band(_ y: Double) -> Int {
                let f = ((y - box.minY) / height).rounded(.down)
                guard f.isFinite else { return 0 }
                return Int(min(max(f, 0), Double(bandCount - 1)))
            }
            for ring in rings {
                var j = ring.count - 1
                for i in 0..<ring.count {
                    let a = ring[i], b = ring[j]
                    for k in band(min(a.y, b.y))...band(max(a.y, b.y)) { bands[k].append(Edge(a: a, b: b)) }
                    j = i
                }
            }
            polygons.append(PreparedPolygon(box: box, minY: box.minY, bandHeight: height, bands: bands))
        }
        func collect(_ g: Geometry) {
            switch g {
            case .polygon(let p): add(p)
            case .multiPolygon(let ps): ps.forEach(add)
            case .geometryCollection(let parts): parts.forEach(collect)
            default: break
            }
        }
        collect(area)
        self.polygons = polygons
    }

    /// True when `p` lies inside the area (even-odd rule per polygon, so holes are outside).
    public func contains(_ p: Position) -> Bool {
        for polygon in polygons where polygon.box.contains(p) {
            let f = ((p.y - polygon.minY) / polygon.bandHeight).rounded(.down)
            let k = f.isFinite ? Int(min(max(f, 0), Double(polygon.bands.count - 1))) : 0
            var inside = false
            for e in polygon.bands[k] where (e.a.y > p.y) != (e.b.y > p.y) && p.x < (e.b.x - e.a.x) * (p.y - e.a.y) / (e.b.y - e.a.y) + e.a.x {
                inside.toggle()
            }
            if inside { return true }
        }
        return false
    }
}
