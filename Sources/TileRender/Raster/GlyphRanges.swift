import CCairo

/// MapLibre glyph ranges (the style's `glyphs` URL `{fontstack}/{range}.pbf`): signed distance field glyphs of
/// 256 codepoints as the `glyphs.proto` protobuf that node-fontnik writes and MapLibre reads.
///
/// Conventions (those of node-fontnik / sdf-glyph-foundry, which MapLibre's text shader and shaping assume):
/// - glyphs are set at 24 px with a 3 px buffer on every side of the bitmap;
/// - `width`/`height` are the glyph's ink box rounded to whole pixels (the bitmap is `width + 6` × `height + 6`
///   bytes, rows top to bottom); `left` is the ink box's left edge from the pen position, `top` its top edge above
///   the baseline minus the font's ascender (rounded up, as FreeType reports it), `advance` the rounded advance;
/// - a bitmap byte is `255 − clamp(64 + 32·d, 0, 255)` with `d` the signed distance in pixels from the outline
///   (positive outside): 191 on the outline (255·(1 − cutoff 0.25)), 32 steps per pixel (256 / radius 8), so
///   the field reaches 2 px inside and 6 px outside. MapLibre's shader draws the glyph edge at 191/255 = 0.75
///   and halos at lower values;
/// - codepoints the font has no glyph for are left out; blank glyphs (space) have no bitmap, only an advance.
///
/// The first font of the comma-separated stack picks DejaVu Sans, DejaVu Sans Bold or DejaVu Sans Oblique by the
/// words in its name (see ``FontChoice``). The distances come from our own exact Euclidean distance transform of
/// each glyph rendered by cairo into an A8 bitmap at four times the size (``SignedDistanceField``).
public enum GlyphRanges {
    /// The em size glyphs are set at, in pixels.
    static let fontSize = 24.0
    /// The empty border around every glyph bitmap, in pixels.
    static let buffer = 3
    /// Supersampling factor of the coverage bitmap the distances are computed from.
    static let supersampling = 4

    /// The DejaVu face that stands in for a font stack (by the words of its first font): the
    /// ranges of every stack that maps to one face are the same glyphs, so a server caches them by face.
    public static func face(of fontstack: String) -> String {
        let choice = FontChoice(fontstack: fontstack)
        return FontChoice.family + (choice.bold ? " Bold" : "") + (choice.oblique ? " Oblique" : "")
    }

    /// The protobuf for the 256 codepoints from `start` (a multiple of 256 in 0...65280) of `fontstack`.
    /// Throws `TileRenderError(.invalidGlyphRange)` for another start, `.render` when cairo fails.
    public static func pbf(fontstack: String, range start: Int) throws -> [UInt8] {
        guard start >= 0, start <= 65280, start % 256 == 0 else {
            throw TileRenderError(.invalidGlyphRange, "glyph range must start at a multiple of 256 in 0...65280, not \(start)")
        }
        let font = try GlyphFont(FontChoice(fontstack: fontstack), size: fontSize)
        defer { font.destroy() }
        let rasterizer = GlyphRasterizer(font: font, buffer: buffer, supersampling: supersampling)
        var stack = ProtobufWriter()
        stack.string(1, fontstack)
        stack.string(2, "\(start)-\(start + 255)")
        for codepoint in start...(start + 255) {
            guard let scalar = Unicode.Scalar(codepoint), let index = font.glyphIndex(scalar) else { continue }
            let glyph = try rasterizer.render(index)
            var message = ProtobufWriter()
            message.uint(1, UInt64(codepoint))
            if !glyph.bitmap.isEmpty {
                message.message(2, ProtobufWriter(bytes: glyph.bitmap))
            }
            message.uint(3, UInt64(glyph.width))
            message.uint(4, UInt64(glyph.height))
            message.sint(5, Int64(glyph.left))
            message.sint(6, Int64(glyph.top))
            message.uint(7, UInt64(glyph.advance))
            stack.message(3, message)
        }
        var glyphs = ProtobufWriter()
        glyphs.message(1, stack)
        return glyphs.bytes
    }
}
