import GeoCore

/// A point of a tile that may have to be clustered: its stored id and its position in the tile
/// matrix set's CRS.
struct KeptPoint {
    let fid: Int64
    let position: Position
}

/// One cluster: the point that stands for it (its lowest id, so the choice does not depend on
/// read order) and how many points it stands for.
struct PointCluster: Equatable {
    let representative: KeptPoint
    let count: Int

    static func == (a: PointCluster, b: PointCluster) -> Bool {
        a.representative.fid == b.representative.fid && a.count == b.count
    }
}

/// Thins the points of a tile that would exceed its budget: a square grid over the buffered tile
/// whose cells merge their points into one, at the finest power-of-two resolution (at most 4,096
/// cells per side, the MVT extent) that leaves no more than `target` clusters. A uniform grid
/// merges where points are densest first; a point alone in its cell stays itself. Every point is
/// counted in exactly one cluster.
enum PointClusters {
    /// Cells per side of the finest grid, as a power of two.
    static let finestLevel = 12

    static func make(_ points: [KeptPoint], frame: Envelope, target: Int) -> [PointCluster] {
        guard !points.isEmpty else { return [] }
        let side = Double(1 << finestLevel)
        let limit = UInt32(1 << finestLevel) - 1
        func cell(_ v: Double, _ origin: Double, _ extent: Double) -> UInt32 {
            let c = ((v - origin) / extent * side).rounded(.down)
            return c.isFinite ? UInt32(min(max(c, 0), Double(limit))) : 0
        }
        let width = frame.width > 0 ? frame.width : 1, height = frame.height > 0 ? frame.height : 1
        var keyed: [(key: UInt32, index: Int32)] = points.enumerated().map { i, p in
            (morton(cell(p.position.x, frame.minX, width), cell(p.position.y, frame.minY, height)), Int32(i))
        }
        keyed.sort { $0.key != $1.key ? $0.key < $1.key : points[Int($0.index)].fid < points[Int($1.index)].fid }

        // Occupied cells per level from one pass: consecutive keys first differ at some bit;
        // they are in different cells at every level fine enough to see that bit.
        var newCellsFromBit = [Int](repeating: 0, count: 2 * finestLevel + 1)
        for i in 1..<keyed.count {
            let d = keyed[i].key ^ keyed[i - 1].key
            if d != 0 { newCellsFromBit[31 - d.leadingZeroBitCount] += 1 }
        }
        var level = 0
        for k in stride(from: finestLevel, through: 0, by: -1) {
            let shift = 2 * (finestLevel - k)
            // Keys that differ at bit b >= shift start a new level-k cell.
            let occupied = 1 + newCellsFromBit[shift...].reduce(0, +)
            if occupied <= max(target, 1) {
                level = k
                break
            }
        }
        let shift = UInt32(2 * (finestLevel - level))
        var clusters: [PointCluster] = []
        var start = 0
        while start < keyed.count {
            let cellKey = keyed[start].key >> shift
            var end = start + 1
            var best = points[Int(keyed[start].index)]
            while end < keyed.count, keyed[end].key >> shift == cellKey {
                let p = points[Int(keyed[end].index)]
                if p.fid < best.fid { best = p }
                end += 1
            }
            clusters.append(PointCluster(representative: best, count: end - start))
            start = end
        }
        return clusters
    }

    /// Interleaves the bits of x (even positions) and y (odd positions).
    @inline(__always)
    static func morton(_ x: UInt32, _ y: UInt32) -> UInt32 {
        func spread(_ v: UInt32) -> UInt32 {
            var v = v & 0xFFFF
            v = (v | (v << 8)) & 0x00FF_00FF
            v = (v | (v << 4)) & 0x0F0F_0F0F
            v = (v | (v << 2)) & 0x3333_3333
            v = (v | (v << 1)) & 0x5555_5555
            return v
        }
        return spread(x) | spread(y) << 1
    }
}
