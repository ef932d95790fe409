import CCairo
import GeoCore

/// Maps the tile CRS (metres, y up) to device pixels of the tile image (y down) and adds geometries to a cairo
/// path: `x = (X − minX) / width · size`, `y = (maxY − Y) / height · size`.
///
/// Coordinates are clamped to ±`limit` pixels: cairo stores path coordinates as 24.8 fixed point, which wraps
/// beyond ±8 388 607, so a vertex thousands of tiles away must not reach it (the clamp only moves vertices that
/// lie more than 4 000 000 px outside a tile of at most a few thousand).
struct TilePixelTransform {
    let minX: Double
    let maxY: Double
    let scaleX: Double
    let scaleY: Double
    /// The image size in pixels.
    let size: Double
    private let limit = 4_000_000.0

    /// The transform for `bounds` drawn on a `size` × `size` image; nil for empty or non-finite bounds.
    init?(bounds: Envelope, size: Int) {
        let w = bounds.maxX - bounds.minX, h = bounds.maxY - bounds.minY
        guard size > 0, w > 0, h > 0, w.isFinite, h.isFinite, bounds.minX.isFinite, bounds.maxY.isFinite else { return nil }
        minX = bounds.minX
        maxY = bounds.maxY
        scaleX = Double(size) / w
        scaleY = Double(size) / h
        self.size = Double(size)
    }

    /// The pixel position of a CRS position, or nil when it is not finite.
    @inline(__always)
    func pixel(_ p: Position) -> (x: Double, y: Double)? {
        let x = (p.x - minX) * scaleX, y = (maxY - p.y) * scaleY
        guard x.isFinite, y.isFinite else { return nil }
        return (min(limit, max(-limit, x)), min(limit, max(-limit, y)))
    }

    /// Adds a line string (or, with `close`, a ring) as one sub-path; non-finite vertices are skipped.
    func addLine(_ positions: [Position], close: Bool, to cr: OpaquePointer) {
        var started = false
        for p in positions {
            guard let q = pixel(p) else { continue }
            if started {
                cairo_line_to(cr, q.x, q.y)
            } else {
                cairo_move_to(cr, q.x, q.y)
                started = true
            }
        }
        if started, close { cairo_close_path(cr) }
    }

    /// Adds every ring of a polygon (filled with the even-odd rule, holes stay open).
    func addPolygon(_ polygon: Polygon, to cr: OpaquePointer) {
        for ring in polygon.rings where ring.count >= 3 {
            addLine(ring, close: true, to: cr)
        }
    }

    /// True when a pixel box reaches into the image.
    @inline(__always)
    func touchesImage(x: Double, y: Double, radius: Double) -> Bool {
        x + radius >= 0 && y + radius >= 0 && x - radius <= size && y - radius <= size
    }
}
