import CCairo

/// A label laid out with cairo's toy font API: greedy word wrapping at `text-max-width`, lines
/// `text-line-height` apart, each line justified in the block. Positions are relative to the block's top-left.
struct TextBlock {
    /// One line: its text, its advance width and its x position in the block.
    struct Line {
        var text: String
        var advance: Double
        var x: Double
        var baseline: Double
    }

    /// The lines, top to bottom.
    var lines: [Line]
    /// The block's logical size (widest advance × lines · line height), which anchors and collisions use.
    var width: Double
    var height: Double
    /// The ink of all lines (without halo), relative to the block's top-left.
    var ink: PixelBox

    /// Lays out `text` with the font already selected and sized on `cr`. `maxWidth` ≤ 0 disables wrapping;
    /// `justify` is "left", "right" or "center". Nil when the text has no printable characters.
    init?(_ text: String, on cr: OpaquePointer, maxWidth: Double, lineHeight: Double, justify: String) {
        var font = cairo_font_extents_t()
        cairo_font_extents(cr, &font)
        func advance(_ s: String) -> Double {
            var e = cairo_text_extents_t()
            cairo_text_extents(cr, s, &e)
            return e.x_advance
        }
        var texts: [String] = []
        for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let words = paragraph.split(separator: " ", omittingEmptySubsequences: true)
            var current = ""
            for word in words {
                let candidate = current.isEmpty ? String(word) : current + " " + word
                if !current.isEmpty, maxWidth > 0, advance(candidate) > maxWidth {
                    texts.append(current)
                    current = String(word)
                } else {
                    current = candidate
                }
            }
            if !current.isEmpty { texts.append(current) }
        }
        guard !texts.isEmpty else { return nil }
        let advances = texts.map(advance)
        let width = advances.max() ?? 0
        let baselineInLine = (lineHeight - (font.ascent + font.descent)) / 2 + font.ascent
        var lines: [Line] = []
        var ink: PixelBox?
        for (i, t) in texts.enumerated() {
            let x: Double
            switch justify {
            case "left": x = 0
            case "right": x = width - advances[i]
            default: x = (width - advances[i]) / 2
            }
            let line = Line(text: t, advance: advances[i], x: x, baseline: Double(i) * lineHeight + baselineInLine)
            var e = cairo_text_extents_t()
            cairo_text_extents(cr, t, &e)
            if e.width > 0, e.height > 0 {
                let box = PixelBox(minX: x + e.x_bearing, minY: line.baseline + e.y_bearing,
                                   maxX: x + e.x_bearing + e.width, maxY: line.baseline + e.y_bearing + e.height)
                ink = ink.map { $0.union(box) } ?? box
            }
            lines.append(line)
        }
        guard let ink else { return nil }
        self.lines = lines
        self.width = width
        self.height = Double(texts.count) * lineHeight
        self.ink = ink
    }

    /// Adds the outlines of every line, with the block's top-left at (`x`, `y`), to the current path.
    func addPath(x: Double, y: Double, on cr: OpaquePointer) {
        for line in lines {
            cairo_move_to(cr, x + line.x, y + line.baseline)
            cairo_text_path(cr, line.text)
        }
    }
}
