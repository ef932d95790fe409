import CCairo

/// Circles drawn once per look and quarter-pixel offset into small surfaces, then composited at
/// every point: a tile over a dense point layer paints tens of thousands of identical circles,
/// and compositing a prepared 9×9 stamp costs a fraction of tessellating and filling two arcs.
/// OVER is associative, so a stamp composited over the tile gives the pixels of drawing the
/// circle there directly; positions move by at most 1/8 px.
///
/// - Important: Not thread-safe; one per render call (its surfaces die with it).
final class CircleStamps {
    /// The look of a circle in device pixels.
    struct Look: Hashable {
        var radius: Double
        var stroke: Double
        var color: StyleColor
        var opacity: Double
        var strokeColor: StyleColor
        var strokeOpacity: Double
        var fills: Bool
        var strokes: Bool
    }

    private struct Key: Hashable {
        var look: Look
        var dx: Int
        var dy: Int
    }

    /// Subdivisions of a pixel.
    private static let steps = 4.0
    /// Stamps kept at most (distinct looks × offsets); beyond, circles are drawn directly.
    private static let limit = 4_096
    private var stamps: [Key: OpaquePointer?] = [:]

    deinit {
        for case let s?? in stamps.values { cairo_surface_destroy(s) }
    }

    /// Composites the stamp of `look` centred at (x, y); false when no stamp could be made (then
    /// the caller draws the circle itself).
    func paint(_ look: Look, x: Double, y: Double, on cr: OpaquePointer, draw: (OpaquePointer, Double, Double) -> Void) -> Bool {
        let reach = look.radius + look.stroke
        guard reach <= 32 else { return false }
        let ix = x.rounded(.down), iy = y.rounded(.down)
        var dx = Int(((x - ix) * Self.steps).rounded()), dy = Int(((y - iy) * Self.steps).rounded())
        var px = ix, py = iy
        if dx == Int(Self.steps) { dx = 0; px += 1 }
        if dy == Int(Self.steps) { dy = 0; py += 1 }
        let key = Key(look: look, dx: dx, dy: dy)
        let half = reach.rounded(.up) + 1
        let stamp: OpaquePointer?
        if let known = stamps[key] {
            stamp = known
        } else {
            guard stamps.count < Self.limit else { return false }
            stamp = Self.make(size: Int(2 * half) + 1, centre: (half + Double(dx) / Self.steps, half + Double(dy) / Self.steps), draw: draw)
            stamps[key] = stamp
        }
        guard let stamp else { return false }
        cairo_set_source_surface(cr, stamp, px - half, py - half)
        cairo_rectangle(cr, px - half, py - half, 2 * half + 1, 2 * half + 1)
        cairo_fill(cr)
        return true
    }

    private static func make(size: Int, centre: (Double, Double), draw: (OpaquePointer, Double, Double) -> Void) -> OpaquePointer? {
        guard let surface = try? CairoSupport.imageSurface(CAIRO_FORMAT_ARGB32, width: size, height: size) else { return nil }
        guard let cr = try? CairoSupport.context(surface) else {
            cairo_surface_destroy(surface)
            return nil
        }
        draw(cr, centre.0, centre.1)
        cairo_destroy(cr)
        cairo_surface_flush(surface)
        return surface
    }
}
