import CCairo

/// Renders one glyph of a ``GlyphFont`` into a MapLibre SDF bitmap with node-fontnik's metrics
/// (see ``GlyphRanges`` for the conventions).
struct GlyphRasterizer {
    /// One rendered glyph: metrics in whole pixels and the `(width + 2·buffer) × (height + 2·buffer)` SDF bytes
    /// (empty for a blank glyph).
    struct Glyph {
        var width: Int
        var height: Int
        var left: Int
        var top: Int
        var advance: Int
        var bitmap: [UInt8]
    }

    let font: GlyphFont
    let buffer: Int
    let supersampling: Int

    /// Renders glyph `index`: ink box, A8 coverage at `supersampling` (even) times the size, exact distance
    /// transform, the distance at each glyph pixel's centre, then the 8-bit encoding.
    func render(_ index: UInt) throws(TileRenderError) -> Glyph {
        let e = font.extents(index)
        let advance = max(0, Int(e.x_advance.rounded()))
        let xMin = Int(e.x_bearing.rounded()), xMax = Int((e.x_bearing + e.width).rounded())
        let yMax = Int((-e.y_bearing).rounded()), yMin = Int((-(e.y_bearing + e.height)).rounded())
        let width = xMax - xMin, height = yMax - yMin
        guard e.width > 0, e.height > 0, width > 0, height > 0, width < 1000, height < 1000 else {
            return Glyph(width: 0, height: 0, left: 0, top: -font.ascender, advance: advance, bitmap: [])
        }
        let outW = width + 2 * buffer, outH = height + 2 * buffer
        let s = supersampling
        let coverage = try self.coverage(index, width: outW * s, height: outH * s,
                                         originX: Double(buffer - xMin), originY: Double(buffer + yMax))
        var field = SignedDistanceField(width: outW * s, height: outH * s)
        let distances = field.distances(coverage: coverage)
        var bitmap = [UInt8](repeating: 0, count: outW * outH)
        // A glyph pixel's centre is the corner shared by the middle 2×2 high-resolution pixels (s is even):
        // their mean is the distance there, converted from high-resolution pixels to glyph pixels.
        let half = s / 2, hiW = outW * s
        for y in 0..<outH {
            for x in 0..<outW {
                let i = (y * s + half - 1) * hiW + x * s + half - 1
                let d = (distances[i] + distances[i + 1] + distances[i + hiW] + distances[i + hiW + 1]) / Double(4 * s)
                let n = min(255, max(0, (64 + 32 * d).rounded()))
                bitmap[y * outW + x] = UInt8(255 - n)
            }
        }
        return Glyph(width: width, height: height, left: xMin, top: yMax - font.ascender, advance: advance, bitmap: bitmap)
    }

    /// Grey coverage (0...1) of the glyph drawn with its pen position at (`originX`, `originY`) glyph pixels
    /// (y down) on a `width` × `height` A8 bitmap that is `supersampling` times finer.
    private func coverage(_ index: UInt, width: Int, height: Int, originX: Double, originY: Double) throws(TileRenderError) -> [Double] {
        let surface = try CairoSupport.imageSurface(CAIRO_FORMAT_A8, width: width, height: height)
        defer { cairo_surface_destroy(surface) }
        let cr = try CairoSupport.context(surface)
        cairo_scale(cr, Double(supersampling), Double(supersampling))
        cairo_set_font_face(cr, font.face)
        cairo_set_font_size(cr, font.size)
        cairo_set_font_options(cr, font.options)
        var glyph = cairo_glyph_t(index: index, x: originX, y: originY)
        cairo_show_glyphs(cr, &glyph, 1)
        let status = cairo_status(cr)
        cairo_destroy(cr)
        try CairoSupport.check(status, "glyph rendering")
        cairo_surface_flush(surface)
        guard let data = cairo_image_surface_get_data(surface) else {
            throw TileRenderError(.render, "glyph bitmap is not accessible")
        }
        let stride = Int(cairo_image_surface_get_stride(surface))
        var coverage = [Double](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width { coverage[y * width + x] = Double(data[y * stride + x]) / 255 }
        }
        return coverage
    }
}
