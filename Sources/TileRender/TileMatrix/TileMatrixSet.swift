import GeoCore

/// The address of one tile in a tile matrix set: zoom (tile matrix), row and column.
public struct TileID: Hashable, Sendable, CustomStringConvertible {
    /// The tile matrix (zoom level).
    public var z: Int
    /// The row, counted from the top.
    public var row: Int
    /// The column, counted from the left.
    public var col: Int

    /// Creates a tile address.
    public init(z: Int, row: Int, col: Int) {
        self.z = z
        self.row = row
        self.col = col
    }

    /// `z/row/col`, the OGC API Tiles order.
    public var description: String { "\(z)/\(row)/\(col)" }
}

/// One zoom level of a tile matrix set, computed from the set's definition.
public struct TileMatrix: Hashable, Sendable {
    /// The zoom level, also the tile matrix identifier.
    public var z: Int
    /// Size of one pixel in CRS units.
    public var cellSize: Double
    /// Scale denominator (cell size / 0.28 mm standardized rendering pixel).
    public var scaleDenominator: Double
    /// Number of tile columns.
    public var matrixWidth: Int
    /// Number of tile rows.
    public var matrixHeight: Int
    /// Tile width in pixels.
    public var tileWidth: Int
    /// Tile height in pixels.
    public var tileHeight: Int
    /// Top-left corner of the matrix in CRS units (east, north).
    public var pointOfOrigin: Position

    /// Width of one tile in CRS units.
    public var tileSpanX: Double { cellSize * Double(tileWidth) }
    /// Height of one tile in CRS units.
    public var tileSpanY: Double { cellSize * Double(tileHeight) }
}

/// An OGC Two Dimensional Tile Matrix Set (OGC 17-083r4, TMS 2.0) with a top-left
/// corner of origin and a quadtree of zoom levels.
///
/// Every zoom level is computed from the definition (origin, cell size at zoom 0,
/// tile size and the doubling per level), never listed per zoom.
public struct TileMatrixSet: Hashable, Sendable, Identifiable {
    /// The identifier used in URLs, e.g. "WebMercatorQuad".
    public var id: String
    /// Human-readable title.
    public var title: String
    /// The registered URI of the set, when it has one.
    public var uri: String?
    /// The CRS of the set.
    public var crs: CRS
    /// The well-known scale set URI, when there is one.
    public var wellKnownScaleSet: String?
    /// The top-left corner of every matrix.
    public var pointOfOrigin: Position
    /// Cell size at zoom 0, in CRS units.
    public var cellSizeAtZoomZero: Double
    /// Matrix width and height at zoom 0.
    public var matrixSizeAtZoomZero: (width: Int, height: Int)
    /// Tile size in pixels.
    public var tileSize: Int
    /// Zoom levels the set defines.
    public var zoomRange: ClosedRange<Int>
    /// CRS units per metre (1 for projected metric CRSs); used for the scale denominator.
    public var metersPerUnit: Double
    /// The bounding box the set covers.
    public var boundingBox: Envelope

    /// Size of a standardized rendering pixel (OGC: 0.28 mm).
    public static let standardizedPixelSize = 0.00028

    /// The computed matrix of zoom level `z`, or nil when the set does not define it.
    public func matrix(_ z: Int) -> TileMatrix? {
        guard zoomRange.contains(z) else { return nil }
        let factor = Double(1 << z)
        let cell = cellSizeAtZoomZero / factor
        return TileMatrix(
            z: z, cellSize: cell,
            scaleDenominator: cell * metersPerUnit / Self.standardizedPixelSize,
            matrixWidth: matrixSizeAtZoomZero.width << z,
            matrixHeight: matrixSizeAtZoomZero.height << z,
            tileWidth: tileSize, tileHeight: tileSize,
            pointOfOrigin: pointOfOrigin)
    }

    /// True when the set defines the tile.
    public func contains(_ t: TileID) -> Bool {
        guard let m = matrix(t.z) else { return false }
        return t.row >= 0 && t.col >= 0 && t.row < m.matrixHeight && t.col < m.matrixWidth
    }

    /// The bounds of a tile in the set's CRS.
    public func bounds(of t: TileID) -> Envelope? {
        guard contains(t), let m = matrix(t.z) else { return nil }
        let minX = pointOfOrigin.x + Double(t.col) * m.tileSpanX
        let maxY = pointOfOrigin.y - Double(t.row) * m.tileSpanY
        return Envelope(minX: minX, minY: maxY - m.tileSpanY, maxX: minX + m.tileSpanX, maxY: maxY)
    }

    /// The tile of zoom `z` that contains `p` (in the set's CRS), or nil when `p` is outside the matrix.
    /// A position on a shared edge belongs to the tile right of and below it.
    public func tile(containing p: Position, z: Int) -> TileID? {
        guard let m = matrix(z) else { return nil }
        let c = ((p.x - pointOfOrigin.x) / m.tileSpanX).rounded(.down)
        let r = ((pointOfOrigin.y - p.y) / m.tileSpanY).rounded(.down)
        guard c >= 0, r >= 0, c < Double(m.matrixWidth), r < Double(m.matrixHeight) else { return nil }
        return TileID(z: z, row: Int(r), col: Int(c))
    }

    /// The rows and columns of zoom `z` that intersect `e`, clamped to the matrix.
    public func tileRange(covering e: Envelope, z: Int) -> (rows: ClosedRange<Int>, cols: ClosedRange<Int>)? {
        guard let m = matrix(z) else { return nil }
        func clamp(_ v: Double, _ hi: Int) -> Int {
            guard v.isFinite else { return v > 0 ? hi - 1 : 0 }
            return Int(Swift.max(0, Swift.min(Double(hi - 1), v.rounded(.down))))
        }
        let c0 = clamp((e.minX - pointOfOrigin.x) / m.tileSpanX, m.matrixWidth)
        let c1 = clamp((e.maxX - pointOfOrigin.x) / m.tileSpanX, m.matrixWidth)
        let r0 = clamp((pointOfOrigin.y - e.maxY) / m.tileSpanY, m.matrixHeight)
        let r1 = clamp((pointOfOrigin.y - e.minY) / m.tileSpanY, m.matrixHeight)
        return (r0...r1, c0...c1)
    }

    public static func == (a: TileMatrixSet, b: TileMatrixSet) -> Bool { a.id == b.id }
    public func hash(into h: inout Hasher) { h.combine(id) }
}

import Foundation
