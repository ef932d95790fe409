extension Geometry {
    /// True when `p` lies inside this polygon or multipolygon (even-odd rule per polygon, so
    /// holes are outside). Points exactly on a boundary may fall either way. Non-polygonal
    /// geometries contain no points.
    public func containsPoint(_ p: Position) -> Bool {
        switch self {
        case .polygon(let polygon): return Self.inside(p, polygon)
        case .multiPolygon(let polygons): return polygons.contains { Self.inside(p, $0) }
        case .geometryCollection(let parts): return parts.contains { $0.containsPoint(p) }
        default: return false
        }
    }

    static func inside(_ p: Position, _ polygon: Polygon) -> Bool {
        var inside = false
        for ring in polygon.rings where ring.count >= 3 {
            var j = ring.count - 1
            for i in 0..<ring.count {
                let a = ring[i], b = ring[j]
                if (a.y > p.y) != (b.y > p.y), p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x {
                    inside.toggle()
                }
                j = i
            }
        }
        return inside
    }
}
