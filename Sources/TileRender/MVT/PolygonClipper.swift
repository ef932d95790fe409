/// Clips polygons to a rectangle without the artefacts of Sutherland-Hodgman: a concave ring
/// that leaves and re-enters the rectangle becomes separate rings, and a hole that crosses the
/// rectangle's edge becomes a notch in the exterior, so every output ring is simple.
///
/// Weiler-Atherton specialised for a rectangle. Rings are oriented so that the polygon's
/// interior lies left of every edge (exterior: positive surveyor's area, holes: negative). Each
/// crossing ring is cut into pieces inside the rectangle; the pieces are joined by walking the
/// rectangle's boundary in the positive direction from each piece's exit to the next entry.
struct PolygonClipper {
    let rect: TileGeometry.Rect
    private let width: Double
    private let height: Double

    init(rect: TileGeometry.Rect) {
        self.rect = rect
        width = rect.maxX - rect.minX
        height = rect.maxY - rect.minY
    }

    /// A part of a ring inside the rectangle, from a boundary entry to a boundary exit.
    private struct Piece {
        var points: [TilePoint]
        var entry: Double
        var exit: Double
    }

    /// Clips one polygon (exterior first, then holes; open or closed rings) and returns the
    /// resulting polygons, each an exterior ring (positive area) followed by its holes (negative
    /// area). Rings are open: the first point is not repeated.
    func clip(_ rings: [[TilePoint]]) -> [[[TilePoint]]] {
        var oriented: [[TilePoint]] = []
        for (i, ring) in rings.enumerated() {
            var r = ring
            if r.count > 1, r.first == r.last { r.removeLast() }
            guard r.count >= 3 else {
                if i == 0 { return [] }
                continue
            }
            let area = Self.signedArea(r)
            if area == 0 {
                if i == 0 { return [] }
                continue
            }
            if (area > 0) != (i == 0) { r.reverse() }
            oriented.append(r)
        }
        guard let exterior = oriented.first else { return [] }

        var pieces: [Piece] = []
        var insideShells: [[TilePoint]] = []
        var insideHoles: [[TilePoint]] = []
        var exteriorOutside = false
        for (i, ring) in oriented.enumerated() {
            guard let start = ring.firstIndex(where: { !rect.contains($0) }) else {
                if i == 0 { insideShells.append(ring) } else { insideHoles.append(ring) }
                continue
            }
            let ringPieces = cut(ring, startingAt: start)
            if ringPieces.isEmpty, i == 0 { exteriorOutside = true }
            pieces += ringPieces
        }

        var shells: [[TilePoint]] = insideShells
        if pieces.isEmpty {
            if exteriorOutside {
                // The exterior misses the rectangle: either it surrounds it or they are apart.
                let center = TilePoint(x: (rect.minX + rect.maxX) / 2, y: (rect.minY + rect.maxY) / 2)
                guard Self.contains(exterior, center) else { return [] }
                // A hole that surrounds the rectangle leaves nothing.
                if oriented.dropFirst().contains(where: { $0.firstIndex(where: { !rect.contains($0) }) != nil && Self.contains($0, center) }) {
                    return []
                }
                shells.append(corners)
            }
        } else {
            shells += join(pieces)
        }
        return shells.map { shell in
            [shell] + insideHoles.filter { Self.contains(shell, $0[0]) }
        }
    }

    /// The rectangle as a positively oriented ring.
    private var corners: [TilePoint] {
        [TilePoint(x: rect.minX, y: rect.minY), TilePoint(x: rect.maxX, y: rect.minY),
         TilePoint(x: rect.maxX, y: rect.maxY), TilePoint(x: rect.minX, y: rect.maxY)]
    }

    /// Position of a boundary point along the rectangle's perimeter, in the positive direction
    /// starting at (minX, minY).
    /// The point is on the boundary up to rounding; the nearest edge decides (corners take the
    /// edge that starts there, so each corner has one position).
    private func perimeter(_ p: TilePoint) -> Double {
        let bottom = abs(p.y - rect.minY), right = abs(p.x - rect.maxX)
        let top = abs(p.y - rect.maxY), left = abs(p.x - rect.minX)
        let nearest = min(bottom, right, top, left)
        let x = min(max(p.x, rect.minX), rect.maxX), y = min(max(p.y, rect.minY), rect.maxY)
        if nearest == bottom { return x - rect.minX }
        if nearest == right { return width + (y - rect.minY) }
        if nearest == top { return width + height + (rect.maxX - x) }
        return 2 * width + height + (rect.maxY - y)
    }

    /// Cuts a ring that has a vertex outside the rectangle into the pieces inside it.
    private func cut(_ ring: [TilePoint], startingAt start: Int) -> [Piece] {
        var pieces: [Piece] = []
        var current: [TilePoint] = []
        func close() {
            if current.count >= 2 {
                pieces.append(Piece(points: current, entry: perimeter(current[0]), exit: perimeter(current[current.count - 1])))
            }
            current = []
        }
        let n = ring.count
        for k in 0..<n {
            let a = ring[(start + k) % n], b = ring[(start + k + 1) % n]
            guard let (c0, c1) = TileGeometry.clipSegment(a, b, rect), c0 != c1 else {
                close()
                continue
            }
            if current.isEmpty {
                current = [c0]
            } else if current[current.count - 1] != c0 {
                close()
                current = [c0]
            }
            current.append(c1)
            if c1 != b { close() }
        }
        close()
        return pieces
    }

    /// Joins pieces into closed rings along the rectangle's boundary.
    private func join(_ pieces: [Piece]) -> [[TilePoint]] {
        let perimeterLength = 2 * (width + height)
        let cornerPositions: [(Double, TilePoint)] = zip([0, width, width + height, 2 * width + height], corners).map { ($0, $1) }
        let byEntry = pieces.indices.sorted { pieces[$0].entry < pieces[$1].entry }
        var used = [Bool](repeating: false, count: pieces.count)
        var rings: [[TilePoint]] = []
        for first in byEntry where !used[first] {
            var ring: [TilePoint] = []
            var i = first
            while true {
                used[i] = true
                ring += pieces[i].points
                let exit = pieces[i].exit
                // The next entry at or after the exit, going round the perimeter.
                let next = byEntry.first { pieces[$0].entry >= exit && (!used[$0] || $0 == first) }
                    ?? byEntry.first { !used[$0] || $0 == first }
                guard let j = next else { break }
                let entry = pieces[j].entry
                // Corners passed between the exit and the next entry.
                let span = entry >= exit ? entry - exit : entry + perimeterLength - exit
                let passed = cornerPositions.compactMap { pos, corner -> (Double, TilePoint)? in
                    var d = pos - exit
                    if d <= 0 { d += perimeterLength }
                    return d < span ? (d, corner) : nil
                }
                ring += passed.sorted { $0.0 < $1.0 }.map(\.1)
                if j == first { break }
                if used[j] { break }
                i = j
            }
            // Drop repeated points (a piece may end where the next starts).
            var clean: [TilePoint] = []
            for p in ring where clean.last != p { clean.append(p) }
            while clean.count > 1, clean.first == clean.last { clean.removeLast() }
            if clean.count >= 3, Self.signedArea(clean) > 0 { rings.append(clean) }
        }
        return rings
    }

    /// Twice the signed area by the surveyor's formula.
    static func signedArea(_ ring: [TilePoint]) -> Double {
        var sum = 0.0
        var j = ring.count - 1
        for i in 0..<ring.count {
            sum += ring[j].x * ring[i].y - ring[i].x * ring[j].y
            j = i
        }
        return sum
    }

    /// Even-odd point-in-ring test.
    static func contains(_ ring: [TilePoint], _ p: TilePoint) -> Bool {
        var inside = false
        var j = ring.count - 1
        for i in 0..<ring.count {
            let a = ring[i], b = ring[j]
            if (a.y > p.y) != (b.y > p.y), p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x { inside.toggle() }
            j = i
        }
        return inside
    }
}
