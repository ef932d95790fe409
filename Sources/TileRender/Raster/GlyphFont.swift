import CCairo

/// One DejaVu Sans face at one size through cairo's toy font API, unhinted (outlines and metrics as designed),
/// grey anti-aliased: the font behind a glyph range. Owns its cairo objects and releases them in `destroy()`.
struct GlyphFont {
    /// The toy font face (the renderer sets it on contexts).
    let face: OpaquePointer
    /// Unhinted, grey anti-aliased font options.
    let options: OpaquePointer
    /// The face at `size` pixels with an identity device transform.
    let scaled: OpaquePointer
    /// The em size in pixels.
    let size: Double
    /// The ascender in whole pixels, rounded up as FreeType's scaled metrics report it.
    let ascender: Int

    /// Resolves `choice` through fontconfig and checks every cairo object.
    init(_ choice: FontChoice, size: Double) throws(TileRenderError) {
        guard let face = cairo_toy_font_face_create(FontChoice.family, choice.slant, choice.weight) else {
            throw TileRenderError(.render, "cannot create the font face")
        }
        guard cairo_font_face_status(face) == CAIRO_STATUS_SUCCESS, let options = FontChoice.options() else {
            let status = cairo_font_face_status(face)
            cairo_font_face_destroy(face)
            throw TileRenderError(.render, "font face: \(CairoSupport.statusText(status))")
        }
        var matrix = cairo_matrix_t()
        var identity = cairo_matrix_t()
        cairo_matrix_init_scale(&matrix, size, size)
        cairo_matrix_init_identity(&identity)
        let created = cairo_scaled_font_create(face, &matrix, &identity, options)
        guard let scaled = created, cairo_scaled_font_status(scaled) == CAIRO_STATUS_SUCCESS else {
            let status = created.map { cairo_scaled_font_status($0) } ?? CAIRO_STATUS_NO_MEMORY
            if let created { cairo_scaled_font_destroy(created) }
            cairo_font_options_destroy(options)
            cairo_font_face_destroy(face)
            throw TileRenderError(.render, "scaled font: \(CairoSupport.statusText(status))")
        }
        var extents = cairo_font_extents_t()
        cairo_scaled_font_extents(scaled, &extents)
        self.face = face
        self.options = options
        self.scaled = scaled
        self.size = size
        ascender = Int(extents.ascent.rounded(.up))
    }

    /// Releases the cairo objects; call exactly once.
    func destroy() {
        cairo_scaled_font_destroy(scaled)
        cairo_font_options_destroy(options)
        cairo_font_face_destroy(face)
    }

    /// The font's glyph for `scalar`, or nil when the font has none (cairo maps it to glyph 0, `.notdef`).
    func glyphIndex(_ scalar: Unicode.Scalar) -> UInt? {
        var utf8 = Array(String(Character(scalar)).utf8)
        var glyphs: UnsafeMutablePointer<cairo_glyph_t>? = nil
        var count: Int32 = 0
        let status = utf8.withUnsafeMutableBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                cairo_scaled_font_text_to_glyphs(scaled, 0, 0, chars.baseAddress, Int32(chars.count),
                                                 &glyphs, &count, nil, nil, nil)
            }
        }
        defer { if let glyphs { cairo_glyph_free(glyphs) } }
        guard status == CAIRO_STATUS_SUCCESS, count == 1, let glyph = glyphs?.pointee, glyph.index != 0 else {
            return nil
        }
        return UInt(glyph.index)
    }

    /// Ink extents and advance of one glyph, in pixels (y down, as cairo reports them).
    func extents(_ index: UInt) -> cairo_text_extents_t {
        var glyph = cairo_glyph_t(index: index, x: 0, y: 0)
        var extents = cairo_text_extents_t()
        cairo_scaled_font_glyph_extents(scaled, &glyph, 1, &extents)
        return extents
    }
}
