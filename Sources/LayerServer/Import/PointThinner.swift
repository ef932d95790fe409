import GeoCore

/// Assigns thinning levels to points in read order (see ``ThinningGrid``).
///
/// A point's level is the coarsest level whose grid cell holds no earlier point. "Cell is
/// taken" is monotone over levels (a taken cell's parent is taken), so the level is found by
/// binary search, and the point then takes its cells at that level and every finer one.
struct PointThinner {
    let grid: ThinningGrid
    private var taken: [Set<UInt64>]

    init(grid: ThinningGrid) {
        self.grid = grid
        taken = Array(repeating: Set<UInt64>(), count: grid.levels + 1)
    }

    /// The default grid for a CRS: a square over its area of use, 20 levels.
    static func grid(covering area: Envelope, levels: Int = 20) -> ThinningGrid {
        let size = max(area.width, area.height, 1e-9)
        return ThinningGrid(originX: area.minX, originY: area.minY, size: size, levels: levels)
    }

    @inline(__always)
    private func cell(_ p: Position, level: Int) -> UInt64 { grid.cell(p, level: level) }

    /// The level of the next point, which is then recorded.
    mutating func level(of p: Position) -> Int {
        var lo = 0, hi = grid.levels + 1  // first free level lies in lo...hi
        while lo < hi {
            let mid = (lo + hi) / 2
            if taken[mid].contains(cell(p, level: mid)) { lo = mid + 1 } else { hi = mid }
        }
        if lo <= grid.levels {
            for l in lo...grid.levels { taken[l].insert(cell(p, level: l)) }
        }
        return lo
    }

    /// Which leaves of the thinning R-tree a point of `level` goes to. The few points of the
    /// coarse levels share leaves, and so do the finest levels; the levels in between, where most
    /// points are, get leaves of their own. A tile query then reads the leaves of a handful of
    /// groups instead of one per level, and low-zoom queries still skip the dense levels.
    static func leafGroup(_ level: Int) -> Int32 {
        Int32(min(max(level, 8), 16))
    }

    /// The level to query for a tile whose width (in the grid's CRS units) is `width`, so
    /// that at most about `cellsPerTile`² points fall in the tile; nil means no thinning
    /// is needed at this resolution (show every point).
    static func queryLevel(grid: ThinningGrid, tileWidth width: Double, cellsPerTile: Int) -> Int? {
        guard width > 0 else { return nil }
        let cell = width / Double(cellsPerTile)
        let level = log2(grid.size / cell).rounded(.down)
        guard level.isFinite, level < Double(grid.levels) else { return nil }
        return max(Int(level), 0)
    }
}

import Foundation
