import Testing
@testable import TileRender

/// CSS colour parsing.
@Suite("Style colours")
struct StyleColorTests {
    static func close(_ a: StyleColor?, _ b: StyleColor) -> Bool {
        guard let a else { return false }
        return abs(a.r - b.r) < 1e-3 && abs(a.g - b.g) < 1e-3 && abs(a.b - b.b) < 1e-3 && abs(a.a - b.a) < 1e-3
    }

    @Test("hex, rgb(), hsl() and named colours parse to straight RGBA")
    func parses() {
        let red = StyleColor(r: 1, g: 0, b: 0)
        let cases: [(String, StyleColor)] = [
            ("#f00", red), ("#F00", red), ("#ff000080", StyleColor(r: 1, g: 0, b: 0, a: 128.0 / 255)),
            ("#ff0000", red), ("#f008", StyleColor(r: 1, g: 0, b: 0, a: 8.0 / 15)),
            ("rgb(255, 0, 0)", red), ("rgba(255,0,0,0.5)", StyleColor(r: 1, g: 0, b: 0, a: 0.5)),
            ("rgb(100%, 0%, 0%)", red), ("rgb(255 0 0 / 25%)", StyleColor(r: 1, g: 0, b: 0, a: 0.25)),
            ("hsl(0, 100%, 50%)", red), ("hsl(120deg, 100%, 25%)", StyleColor(r: 0, g: 0.5, b: 0)),
            ("hsla(240, 100%, 50%, 0.3)", StyleColor(r: 0, g: 0, b: 1, a: 0.3)),
            ("  Red ", red), ("rebeccapurple", StyleColor(r: 0x66 / 255, g: 0x33 / 255, b: 0x99 / 255)),
            ("lightgoldenrodyellow", StyleColor(r: 250.0 / 255, g: 250.0 / 255, b: 210.0 / 255)),
            ("transparent", StyleColor(r: 0, g: 0, b: 0, a: 0)),
            ("rgb(300, -5, 0)", red),
        ]
        for (css, expected) in cases {
            #expect(Self.close(StyleColor(css: css), expected), "\(css) -> \(String(describing: StyleColor(css: css)))")
        }
    }

    @Test("things that are not colours are nil")
    func rejects() {
        for css in ["", "#12", "#12345", "#ggg", "rgb(1, 2)", "rgb(1, 2, 3, 4, 5)", "notacolor", "__proto__", "valueOf",
                    "hsl(0, 100, 50)", "rgb(a, b, c)", "rgb(1 2 3 / 4 / 5)", "red blue"] {
            #expect(StyleColor(css: css) == nil, "\(css)")
        }
    }
}
