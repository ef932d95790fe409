import GeoCore

/// A position in tile space: x right, y down, 0...extent across the tile.
struct TilePoint: Equatable {
    var x: Double
    var y: Double
}

/// An integer position on the tile's grid.
struct GridPoint: Equatable, Hashable {
    var x: Int32
    var y: Int32
}

/// Geometry steps of MVT encoding: clipping to the buffered tile, simplification,
/// quantisation to the grid and ring orientation. Pure functions on tile-space arrays.
enum TileGeometry {
    /// A clipping rectangle in tile space.
    struct Rect {
        var minX: Double, minY: Double, maxX: Double, maxY: Double

        func contains(_ p: TilePoint) -> Bool {
            p.x >= minX && p.x <= maxX && p.y >= minY && p.y <= maxY
        }

        /// A computed crossing point put exactly on the edge it lies on up to rounding, and
        /// inside the rectangle.
        func snap(_ p: TilePoint) -> TilePoint {
            func s(_ v: Double, _ lo: Double, _ hi: Double) -> Double {
                let eps = 1e-9 * max(1, abs(lo), abs(hi))
                if abs(v - lo) <= eps { return lo }
                if abs(v - hi) <= eps { return hi }
                return min(max(v, lo), hi)
            }
            return TilePoint(x: s(p.x, minX, maxX), y: s(p.y, minY, maxY))
        }
    }

    // MARK: Lines

    /// Clips a polyline to `r`, returning the parts that lie inside (Liang-Barsky per segment).
    static func clipLine(_ line: [TilePoint], to r: Rect) -> [[TilePoint]] {
        guard line.count >= 2 else { return [] }
        var parts: [[TilePoint]] = []
        var current: [TilePoint] = []
        for i in 0..<(line.count - 1) {
            guard let (a, b) = clipSegment(line[i], line[i + 1], r) else {
                if current.count >= 2 { parts.append(current) }
                current = []
                continue
            }
            if current.isEmpty {
                current = [a, b]
            } else if current.last == a {
                current.append(b)
            } else {
                if current.count >= 2 { parts.append(current) }
                current = [a, b]
            }
            // The segment left the rectangle: close this part.
            if b != line[i + 1] {
                parts.append(current)
                current = []
            }
        }
        if current.count >= 2 { parts.append(current) }
        return parts
    }

    /// Liang-Barsky clipping of one segment; nil when it misses the rectangle.
    static func clipSegment(_ p: TilePoint, _ q: TilePoint, _ r: Rect) -> (TilePoint, TilePoint)? {
        guard p.x.isFinite, p.y.isFinite, q.x.isFinite, q.y.isFinite else { return nil }
        let dx = q.x - p.x, dy = q.y - p.y
        var t0 = 0.0, t1 = 1.0
        let checks: [(Double, Double)] = [(-dx, p.x - r.minX), (dx, r.maxX - p.x), (-dy, p.y - r.minY), (dy, r.maxY - p.y)]
        for (pp, qq) in checks {
            if pp == 0 {
                if qq < 0 { return nil }
            } else {
                let t = qq / pp
                if pp < 0 {
                    if t > t1 { return nil }
                    if t > t0 { t0 = t }
                } else {
                    if t < t0 { return nil }
                    if t < t1 { t1 = t }
                }
            }
        }
        let a = t0 == 0 ? p : r.snap(TilePoint(x: p.x + t0 * dx, y: p.y + t0 * dy))
        let b = t1 == 1 ? q : r.snap(TilePoint(x: p.x + t1 * dx, y: p.y + t1 * dy))
        return (a, b)
    }

    // MARK: Simplification

    /// Douglas-Peucker simplification with `tolerance` in tile units; keeps the end points.
    static func simplify(_ pts: [TilePoint], tolerance: Double) -> [TilePoint] {
        guard tolerance > 0, pts.count > 2 else { return pts }
        let sq = tolerance * tolerance
        var keep = [Bool](repeating: false, count: pts.count)
        keep[0] = true
        keep[pts.count - 1] = true
        var stack: [(Int, Int)] = [(0, pts.count - 1)]
        while let (first, last) = stack.popLast() {
            guard last > first + 1 else { continue }
            var maxD = -1.0
            var index = first
            for i in (first + 1)..<last {
                let d = squaredSegmentDistance(pts[i], pts[first], pts[last])
                if d > maxD { maxD = d; index = i }
            }
            if maxD > sq {
                keep[index] = true
                stack.append((first, index))
                stack.append((index, last))
            }
        }
        var out: [TilePoint] = []
        out.reserveCapacity(pts.count)
        for i in pts.indices where keep[i] { out.append(pts[i]) }
        return out
    }

    /// Simplifies an open ring: the ring is split at its first point and the point farthest from it,
    /// so that simplification cannot collapse it to a line through a single anchor.
    static func simplifyRing(_ ring: [TilePoint], tolerance: Double) -> [TilePoint] {
        guard tolerance > 0, ring.count > 4 else { return ring }
        var far = 0
        var best = -1.0
        for (i, p) in ring.enumerated() {
            let d = (p.x - ring[0].x) * (p.x - ring[0].x) + (p.y - ring[0].y) * (p.y - ring[0].y)
            if d > best { best = d; far = i }
        }
        let a = simplify(Array(ring[0...far]), tolerance: tolerance)
        let b = simplify(Array(ring[far...]) + [ring[0]], tolerance: tolerance)
        return a + b.dropFirst().dropLast()
    }

    @inline(__always)
    static func squaredSegmentDistance(_ p: TilePoint, _ a: TilePoint, _ b: TilePoint) -> Double {
        var x = a.x, y = a.y
        var dx = b.x - x, dy = b.y - y
        if dx != 0 || dy != 0 {
            let t = ((p.x - x) * dx + (p.y - y) * dy) / (dx * dx + dy * dy)
            if t > 1 { x = b.x; y = b.y } else if t > 0 { x += dx * t; y += dy * t }
        }
        dx = p.x - x
        dy = p.y - y
        return dx * dx + dy * dy
    }

    // MARK: Quantisation and orientation

    /// Rounds to the grid and drops consecutive duplicates. Points that are not finite or lie
    /// outside the Int32 grid (only possible for corrupt input; clipping keeps the rest within
    /// the buffer) are dropped rather than trapping.
    static func quantize(_ pts: [TilePoint]) -> [GridPoint] {
        var out: [GridPoint] = []
        out.reserveCapacity(pts.count)
        for p in pts {
            guard let g = grid(p) else { continue }
            if out.last != g { out.append(g) }
        }
        return out
    }

    /// The grid point of a tile point, nil when it is not finite or beyond the Int32 range.
    @inline(__always)
    static func grid(_ p: TilePoint) -> GridPoint? {
        let x = p.x.rounded(), y = p.y.rounded()
        guard x.isFinite, y.isFinite, abs(x) < 2e9, abs(y) < 2e9 else { return nil }
        return GridPoint(x: Int32(x), y: Int32(y))
    }

    /// Rounds an open ring to the grid, drops repeated points (also the closing one) and
    /// returns nil when fewer than three distinct points or no area remain.
    static func quantizeRing(_ pts: [TilePoint]) -> [GridPoint]? {
        var g = quantize(pts)
        while g.count > 1, g.first == g.last { g.removeLast() }
        guard g.count >= 3, signedArea(g) != 0 else { return nil }
        return g
    }

    /// Twice the signed area by the surveyor's formula in tile coordinates (y down).
    /// Positive means clockwise as seen on screen: an MVT exterior ring.
    static func signedArea(_ ring: [GridPoint]) -> Int64 {
        var sum: Int64 = 0
        var j = ring.count - 1
        for i in 0..<ring.count {
            sum += Int64(ring[j].x) * Int64(ring[i].y) - Int64(ring[i].x) * Int64(ring[j].y)
            j = i
        }
        return sum
    }
}
