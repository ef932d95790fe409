/// A transformation of positions inside one box, by bilinear interpolation between grid nodes
/// that PROJ transformed exactly: a few hundred PROJ calls instead of one per position, for
/// tiles with thousands of points.
///
/// It only exists when it is accurate: the grid is checked against PROJ at the centre of every
/// cell (where bilinear interpolation of a smooth map errs most), and ``init(_:box:cells:tolerance:)``
/// returns nil when any error exceeds the tolerance, or when a node cannot be transformed.
/// Callers then transform exactly.
public struct GridTransform: Sendable {
    private let box: Envelope
    private let cells: Int
    /// Transformed nodes, row by row from the box's south-west corner: (cells + 1)².
    private let nodes: [Position]
    private let cellWidth: Double
    private let cellHeight: Double
    /// The largest error found at the cell centres, in target units.
    public let checkedError: Double

    /// A grid of `cells` × `cells` over `box` (source CRS) whose interpolation stays within
    /// `tolerance` (target CRS units) of PROJ at every cell centre; nil otherwise.
    public init?(_ transformer: Transformer, box: Envelope, cells: Int = 8, tolerance: Double) {
        guard cells >= 1, box.width > 0, box.height > 0, tolerance > 0 else { return nil }
        self.box = box
        self.cells = cells
        cellWidth = box.width / Double(cells)
        cellHeight = box.height / Double(cells)
        var nodes: [Position] = []
        nodes.reserveCapacity((cells + 1) * (cells + 1))
        for j in 0...cells {
            for i in 0...cells {
                nodes.append(Position(box.minX + Double(i) * cellWidth, box.minY + Double(j) * cellHeight))
            }
        }
        var centres: [Position] = []
        centres.reserveCapacity(cells * cells)
        for j in 0..<cells {
            for i in 0..<cells {
                centres.append(Position(box.minX + (Double(i) + 0.5) * cellWidth, box.minY + (Double(j) + 0.5) * cellHeight))
            }
        }
        let sources = centres
        do {
            try transformer.transform(&nodes)
            try transformer.transform(&centres)
        } catch {
            return nil
        }
        self.nodes = nodes
        var worst = 0.0
        for (k, exact) in centres.enumerated() {
            let p = Self.interpolate(sources[k], box: box, cells: cells, cellWidth: cellWidth, cellHeight: cellHeight, nodes: nodes)
            worst = max(worst, abs(p.x - exact.x), abs(p.y - exact.y))
        }
        guard worst <= tolerance else { return nil }
        checkedError = worst
    }

    /// The transformed position of `p`, which should lie in the box (outside it, the nearest
    /// cell's interpolation is extended).
    @inline(__always)
    public func apply(_ p: Position) -> Position {
        Self.interpolate(p, box: box, cells: cells, cellWidth: cellWidth, cellHeight: cellHeight, nodes: nodes)
    }

    @inline(__always)
    private static func interpolate(_ p: Position, box: Envelope, cells: Int, cellWidth: Double, cellHeight: Double,
                                    nodes: [Position]) -> Position {
        let fx = (p.x - box.minX) / cellWidth
        let fy = (p.y - box.minY) / cellHeight
        // Clamped as doubles first: a far or infinite position must not trap in the conversion.
        let i = fx.isFinite ? Int(min(max(fx.rounded(.down), 0), Double(cells - 1))) : 0
        let j = fy.isFinite ? Int(min(max(fy.rounded(.down), 0), Double(cells - 1))) : 0
        let u = fx - Double(i), v = fy - Double(j)
        let row = cells + 1
        let a = nodes[j * row + i], b = nodes[j * row + i + 1]
        let c = nodes[(j + 1) * row + i], d = nodes[(j + 1) * row + i + 1]
        let x = (a.x * (1 - u) + b.x * u) * (1 - v) + (c.x * (1 - u) + d.x * u) * v
        let y = (a.y * (1 - u) + b.y * u) * (1 - v) + (c.y * (1 - u) + d.y * u) * v
        return Position(x, y)
    }
}
