import CCairo

/// The project's own map symbols, drawn with cairo vector paths (no copied artwork), packed into a MapLibre
/// sprite sheet. Sizes are CSS pixels; the sheet for pixel ratio 2 draws the same paths at twice the scale.
///
/// - `hydrant` (24 px): a white hydrant on a red rounded square.
/// - `gas-station` (16 px): a black flame on a yellow square with a black border (gas distribution station).
/// - `water-facility` (16 px): a white drop with a blue water line on a blue disc (drinking-water pumping station).
/// - `protection-zone` (16 px): a blue ring with diagonal hatching (drinking-water protection zone).
public enum SpriteArt {
    /// The icon names in sheet order, with their size in CSS pixels.
    public static let icons: [(name: String, size: Int)] = [
        ("hydrant", 24), ("gas-station", 16), ("water-facility", 16), ("protection-zone", 16),
    ]

    /// Free CSS pixels between icons, so bilinear sampling of a scaled icon never picks up its neighbour.
    private static let gap = 2

    /// Draws every icon at `pixelRatio` (1...4) into one PNG, left to right, and returns it with its JSON index
    /// (`{"name": {"x", "y", "width", "height", "pixelRatio"}}`, keys in sheet order, UTF-8).
    public static func sheet(pixelRatio: Int) throws -> (png: [UInt8], index: [UInt8]) {
        guard (1...4).contains(pixelRatio) else {
            throw TileRenderError(.invalidSprite, "sprite pixel ratio must be 1...4, not \(pixelRatio)")
        }
        let width = icons.reduce(0) { $0 + $1.size } + gap * (icons.count - 1)
        let height = icons.map(\.size).max() ?? 1
        let surface = try CairoSupport.imageSurface(CAIRO_FORMAT_ARGB32, width: width * pixelRatio, height: height * pixelRatio)
        defer { cairo_surface_destroy(surface) }
        let cr = try CairoSupport.context(surface)
        defer { cairo_destroy(cr) }
        cairo_scale(cr, Double(pixelRatio), Double(pixelRatio))
        var entries: [String] = []
        var x = 0
        for (name, size) in icons {
            cairo_save(cr)
            cairo_translate(cr, Double(x), 0)
            draw(name, cr)
            cairo_restore(cr)
            let r = pixelRatio
            entries.append("\"\(name)\":{\"x\":\(x * r),\"y\":0,\"width\":\(size * r),\"height\":\(size * r),\"pixelRatio\":\(r)}")
            x += size + gap
        }
        try CairoSupport.check(cairo_status(cr), "sprite drawing")
        let png = try CairoSupport.png(surface)
        return (png, Array(("{" + entries.joined(separator: ",") + "}").utf8))
    }

    private static func draw(_ name: String, _ cr: OpaquePointer) {
        switch name {
        case "hydrant": hydrant(cr)
        case "gas-station": gasStation(cr)
        case "water-facility": waterFacility(cr)
        case "protection-zone": protectionZone(cr)
        default: break
        }
    }

    private static func rgb(_ cr: OpaquePointer, _ hex: UInt32, _ alpha: Double = 1) {
        cairo_set_source_rgba(cr, Double(hex >> 16 & 0xFF) / 255, Double(hex >> 8 & 0xFF) / 255, Double(hex & 0xFF) / 255, alpha)
    }

    private static func roundedRect(_ cr: OpaquePointer, _ x: Double, _ y: Double, _ w: Double, _ h: Double, _ r: Double) {
        cairo_new_sub_path(cr)
        cairo_arc(cr, x + w - r, y + r, r, -Double.pi / 2, 0)
        cairo_arc(cr, x + w - r, y + h - r, r, 0, Double.pi / 2)
        cairo_arc(cr, x + r, y + h - r, r, Double.pi / 2, Double.pi)
        cairo_arc(cr, x + r, y + r, r, Double.pi, 3 * Double.pi / 2)
        cairo_close_path(cr)
    }

    /// A drop (or flame) outline: a point at the top, a round bottom centred at (cx, cy) with radius r.
    private static func drop(_ cr: OpaquePointer, cx: Double, top: Double, cy: Double, r: Double) {
        cairo_move_to(cr, cx, top)
        cairo_curve_to(cr, cx + r * 0.35, top + (cy - top) * 0.4, cx + r, cy - r * 0.55, cx + r, cy)
        cairo_arc(cr, cx, cy, r, 0, Double.pi)
        cairo_curve_to(cr, cx - r, cy - r * 0.55, cx - r * 0.35, top + (cy - top) * 0.4, cx, top)
        cairo_close_path(cr)
    }

    /// 24 px: white hydrant (cap, dome, body, two outlets, foot) on a red rounded square with a white rim.
    private static func hydrant(_ cr: OpaquePointer) {
        roundedRect(cr, 1.5, 1.5, 21, 21, 4)
        rgb(cr, 0xC8102E)
        cairo_fill_preserve(cr)
        rgb(cr, 0xFFFFFF)
        cairo_set_line_width(cr, 1)
        cairo_stroke(cr)
        rgb(cr, 0xFFFFFF)
        cairo_rectangle(cr, 11, 4, 2, 2)               // cap
        cairo_new_sub_path(cr)
        cairo_arc(cr, 12, 9, 4, Double.pi, 2 * Double.pi) // dome
        cairo_close_path(cr)
        cairo_rectangle(cr, 8, 9, 8, 9)                 // body
        cairo_rectangle(cr, 5, 11, 3, 3)                // left outlet
        cairo_rectangle(cr, 16, 11, 3, 3)               // right outlet
        cairo_rectangle(cr, 6, 18, 12, 2)               // foot
        cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING)
        cairo_fill(cr)
        rgb(cr, 0xC8102E)
        cairo_new_sub_path(cr)
        cairo_arc(cr, 12, 13.5, 1.5, 0, 2 * Double.pi)  // valve nut
        cairo_fill(cr)
    }

    /// 16 px: black flame with a yellow core on a yellow square with a black border.
    private static func gasStation(_ cr: OpaquePointer) {
        cairo_rectangle(cr, 1.5, 1.5, 13, 13)
        rgb(cr, 0xFFD200)
        cairo_fill_preserve(cr)
        rgb(cr, 0x000000)
        cairo_set_line_width(cr, 1)
        cairo_stroke(cr)
        drop(cr, cx: 8, top: 3, cy: 9.5, r: 3.5)
        cairo_fill(cr)
        rgb(cr, 0xFFD200)
        drop(cr, cx: 8, top: 8, cy: 10.5, r: 1.6)
        cairo_fill(cr)
    }

    /// 16 px: white drop with a blue water line on a blue disc with a white rim.
    private static func waterFacility(_ cr: OpaquePointer) {
        cairo_arc(cr, 8, 8, 7, 0, 2 * Double.pi)
        rgb(cr, 0x1F5FA8)
        cairo_fill_preserve(cr)
        rgb(cr, 0xFFFFFF)
        cairo_set_line_width(cr, 1)
        cairo_stroke(cr)
        drop(cr, cx: 8, top: 3, cy: 9.5, r: 3.5)
        cairo_fill(cr)
        rgb(cr, 0x1F5FA8)
        cairo_set_line_width(cr, 1)
        cairo_move_to(cr, 5.5, 10)
        cairo_curve_to(cr, 6.5, 9, 7.5, 11, 8.5, 10)
        cairo_curve_to(cr, 9.2, 9.4, 9.9, 10.2, 10.5, 10)
        cairo_stroke(cr)
    }

    /// 16 px: translucent white disc, blue diagonal hatching clipped to it, blue ring.
    private static func protectionZone(_ cr: OpaquePointer) {
        cairo_arc(cr, 8, 8, 6.5, 0, 2 * Double.pi)
        rgb(cr, 0xFFFFFF, 0.85)
        cairo_fill_preserve(cr)
        cairo_save(cr)
        cairo_clip(cr)
        rgb(cr, 0x1F78B4)
        cairo_set_line_width(cr, 1)
        var offset = -16.0
        while offset <= 16 {
            cairo_move_to(cr, offset, 16)
            cairo_line_to(cr, offset + 16, 0)
            offset += 4
        }
        cairo_stroke(cr)
        cairo_restore(cr)
        cairo_arc(cr, 8, 8, 6.5, 0, 2 * Double.pi)
        rgb(cr, 0x1F78B4)
        cairo_set_line_width(cr, 1.5)
        cairo_stroke(cr)
    }
}
