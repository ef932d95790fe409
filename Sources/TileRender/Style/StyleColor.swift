/// An sRGB colour with straight (not premultiplied) alpha, each component in 0...1.
public struct StyleColor: Sendable, Hashable {
    /// Red, 0...1.
    public var r: Double
    /// Green, 0...1.
    public var g: Double
    /// Blue, 0...1.
    public var b: Double
    /// Alpha (opacity), 0...1.
    public var a: Double

    /// Creates a colour; components are clamped to 0...1.
    public init(r: Double, g: Double, b: Double, a: Double = 1) {
        self.r = Self.unit(r)
        self.g = Self.unit(g)
        self.b = Self.unit(b)
        self.a = Self.unit(a)
    }

    /// Parses a CSS colour: `#rgb`, `#rgba`, `#rrggbb`, `#rrggbbaa`, `rgb()`, `rgba()`, `hsl()`, `hsla()`
    /// (comma- or space-separated, `/ alpha`, percentages) and the CSS named colours incl. `transparent`.
    /// Case and surrounding white space do not matter. Nil when the text is not a colour.
    public init?(css: String) {
        guard let parsed = CSSColorParser.parse(css) else { return nil }
        self = parsed
    }

    /// Linear interpolation of each straight-alpha component; `t` 0 gives self, 1 gives `other`.
    func interpolated(to other: StyleColor, _ t: Double) -> StyleColor {
        StyleColor(r: r + (other.r - r) * t, g: g + (other.g - g) * t, b: b + (other.b - b) * t, a: a + (other.a - a) * t)
    }

    /// The colour as MapLibre's `to-string` writes it: `rgba(r,g,b,a)` with 0...255 channels.
    var cssString: String {
        func channel(_ v: Double) -> String { StyleValue.format((v * 255).rounded()) }
        return "rgba(\(channel(r)),\(channel(g)),\(channel(b)),\(StyleValue.format(a)))"
    }

    private static func unit(_ v: Double) -> Double {
        v.isNaN ? 0 : min(1, max(0, v))
    }
}
