import Foundation

/// Parses CSS colour strings for `StyleColor(css:)`.
enum CSSColorParser {
    /// The colour, or nil when `text` is not a CSS colour this parser knows.
    static func parse(_ text: String) -> StyleColor? {
        let s = text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        if s.hasPrefix("#") { return hex(s.dropFirst()) }
        if s == "transparent" { return StyleColor(r: 0, g: 0, b: 0, a: 0) }
        if let rgb = CSSColorNames.table[s] {
            return StyleColor(r: Double((rgb >> 16) & 0xff) / 255, g: Double((rgb >> 8) & 0xff) / 255, b: Double(rgb & 0xff) / 255)
        }
        guard let open = s.firstIndex(of: "("), s.hasSuffix(")") else { return nil }
        let name = s[..<open].trimmingCharacters(in: .whitespaces)
        let inner = s[s.index(after: open)..<s.index(before: s.endIndex)]
        guard let args = arguments(inner) else { return nil }
        switch name {
        case "rgb", "rgba": return rgb(args)
        case "hsl", "hsla": return hsl(args)
        default: return nil
        }
    }

    private static func hex(_ digits: Substring) -> StyleColor? {
        guard [3, 4, 6, 8].contains(digits.count), digits.allSatisfy(\.isHexDigit),
              let value = UInt64(digits, radix: 16) else { return nil }
        let short = digits.count <= 4
        let count = short ? digits.count : digits.count / 2
        let bits: UInt64 = short ? 4 : 8
        let max = Double((1 << bits) - 1)
        var channels: [Double] = []
        for i in 0..<count {
            let shift = UInt64(count - 1 - i) * bits
            channels.append(Double((value >> shift) & ((1 << bits) - 1)) / max)
        }
        return StyleColor(r: channels[0], g: channels[1], b: channels[2], a: channels.count == 4 ? channels[3] : 1)
    }

    /// The arguments of a functional notation: 3 or 4 values, comma separated or space separated with an
    /// optional `/ alpha`.
    private static func arguments(_ inner: Substring) -> [Substring]? {
        let parts: [Substring]
        if inner.contains(",") {
            parts = inner.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces)[...] }
        } else {
            let halves = inner.split(separator: "/", omittingEmptySubsequences: false)
            guard halves.count <= 2 else { return nil }
            var p = halves[0].split(whereSeparator: { $0 == " " || $0 == "\t" })
            if halves.count == 2 {
                guard p.count == 3 else { return nil }
                p.append(halves[1].trimmingCharacters(in: .whitespaces)[...])
            }
            parts = p
        }
        guard parts.count == 3 || parts.count == 4, !parts.contains(where: \.isEmpty) else { return nil }
        return parts
    }

    /// A number, or a percentage scaled so 100% gives `percentOf`.
    private static func number(_ text: Substring, percentOf: Double) -> Double? {
        if text.hasSuffix("%") {
            guard let v = Double(text.dropLast()), v.isFinite else { return nil }
            return v / 100 * percentOf
        }
        guard let v = Double(text), v.isFinite else { return nil }
        return v
    }

    private static func alpha(_ args: [Substring]) -> Double? {
        args.count == 4 ? number(args[3], percentOf: 1) : 1
    }

    private static func rgb(_ args: [Substring]) -> StyleColor? {
        guard let r = number(args[0], percentOf: 255), let g = number(args[1], percentOf: 255),
              let b = number(args[2], percentOf: 255), let a = alpha(args) else { return nil }
        return StyleColor(r: r / 255, g: g / 255, b: b / 255, a: a)
    }

    private static func hsl(_ args: [Substring]) -> StyleColor? {
        let hueText = args[0].hasSuffix("deg") ? args[0].dropLast(3) : args[0]
        guard let hue = Double(hueText), hue.isFinite, args[1].hasSuffix("%"), args[2].hasSuffix("%"),
              let sat = number(args[1], percentOf: 1), let light = number(args[2], percentOf: 1),
              let a = alpha(args) else { return nil }
        let h = (hue.truncatingRemainder(dividingBy: 360) + 360).truncatingRemainder(dividingBy: 360) / 360
        let s = min(1, max(0, sat)), l = min(1, max(0, light))
        let m2 = l <= 0.5 ? l * (s + 1) : l + s - l * s
        let m1 = l * 2 - m2
        func channel(_ x: Double) -> Double {
            var h = x
            if h < 0 { h += 1 }
            if h > 1 { h -= 1 }
            if h * 6 < 1 { return m1 + (m2 - m1) * h * 6 }
            if h * 2 < 1 { return m2 }
            if h * 3 < 2 { return m1 + (m2 - m1) * (2.0 / 3 - h) * 6 }
            return m1
        }
        return StyleColor(r: channel(h + 1.0 / 3), g: channel(h), b: channel(h - 1.0 / 3), a: a)
    }
}
