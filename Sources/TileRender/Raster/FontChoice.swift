import CCairo

/// Which DejaVu Sans face stands in for a style's font name: every font is drawn with DejaVu Sans (the one
/// family the server ships), bold when the name has a bold-like word, oblique when it has "Italic" or "Oblique".
struct FontChoice: Hashable, Sendable {
    /// The fontconfig family every choice resolves to.
    static let family = "DejaVu Sans"

    /// True for DejaVu Sans Bold (or Bold Oblique).
    var bold: Bool
    /// True for DejaVu Sans Oblique (or Bold Oblique).
    var oblique: Bool

    private static let boldWords: Set<String> = ["bold", "semibold", "demibold", "extrabold", "ultrabold", "black", "heavy"]
    private static let obliqueWords: Set<String> = ["italic", "oblique"]

    /// The face for one font name, judged by its words ("Open Sans Bold Italic" → bold, oblique).
    init(fontName: String) {
        let words = fontName.lowercased().split { !$0.isLetter }.map(String.init)
        bold = words.contains { Self.boldWords.contains($0) }
        oblique = words.contains { Self.obliqueWords.contains($0) }
    }

    /// The face for the first font of a font stack (`text-font`), regular when the stack is empty or missing.
    init(stack: [String]?) {
        self.init(fontName: stack?.first ?? "")
    }

    /// The face for the first name of a comma-separated glyph URL font stack ("Noto Sans Bold,Arial Unicode MS").
    init(fontstack: String) {
        self.init(fontName: String(fontstack.split(separator: ",", omittingEmptySubsequences: false).first ?? ""))
    }

    /// Cairo's slant for this face.
    var slant: cairo_font_slant_t { oblique ? CAIRO_FONT_SLANT_OBLIQUE : CAIRO_FONT_SLANT_NORMAL }
    /// Cairo's weight for this face.
    var weight: cairo_font_weight_t { bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL }

    /// The font options of every text the renderer draws: no hinting, unhinted metrics, grey
    /// anti-aliasing. One set for labels and glyph ranges alike: cairo resolves a toy face once
    /// per process, with the options of its first use, and later uses inherit its hinting; with
    /// one set of options a tile looks the same whatever the process drew before. The caller
    /// destroys the result.
    static func options() -> OpaquePointer? {
        guard let options = cairo_font_options_create() else { return nil }
        cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE)
        cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF)
        cairo_font_options_set_antialias(options, CAIRO_ANTIALIAS_GRAY)
        return options
    }

    /// Selects this face on a context through cairo's toy font API (fontconfig resolves it).
    func select(on cr: OpaquePointer) {
        cairo_select_font_face(cr, Self.family, slant, weight)
    }
}
