import Foundation

/// The run-time semantics of the operators, following MapLibre.
extension StyleExpression {
    /// `==` is false across types; ordering is defined for two numbers or two strings only (null otherwise).
    static func compare(_ op: Comparison, _ l: StyleValue, _ r: StyleValue) -> StyleValue {
        switch op {
        case .equal: return .bool(l == r)
        case .notEqual: return .bool(l != r)
        default: break
        }
        let order: Int
        switch (l, r) {
        case (.number(let a), .number(let b)): order = a < b ? -1 : (a > b ? 1 : 0)
        case (.string(let a), .string(let b)): order = a < b ? -1 : (a > b ? 1 : 0)
        default: return .null
        }
        switch op {
        case .less: return .bool(order < 0)
        case .lessOrEqual: return .bool(order <= 0)
        case .greater: return .bool(order > 0)
        default: return .bool(order >= 0)
        }
    }

    /// `in`: an element of an array, or a substring of a string.
    static func contains(_ needle: StyleValue, _ haystack: StyleValue) -> StyleValue {
        switch haystack {
        case .array(let items): return .bool(items.contains(needle))
        case .string(let s):
            guard case .string(let n) = needle else { return .bool(false) }
            return .bool(n.isEmpty || s.contains(n))
        default: return .null
        }
    }

    /// `to-number` of one value: booleans 0/1, null 0, strings as JavaScript's Number() reads them.
    static func number(_ v: StyleValue) -> Double? {
        switch v {
        case .number(let n): return n
        case .bool(let b): return b ? 1 : 0
        case .null: return 0
        case .string(let s):
            let t = s.trimmingCharacters(in: .whitespacesAndNewlines)
            if t.isEmpty { return 0 }
            guard let n = Double(t), !t.lowercased().contains("n") else { return nil }
            return n
        default: return nil
        }
    }

    /// `to-boolean`.
    static func truthy(_ v: StyleValue) -> Bool {
        switch v {
        case .null: false
        case .bool(let b): b
        case .number(let n): n != 0 && !n.isNaN
        case .string(let s): !s.isEmpty
        default: true
        }
    }

    /// `to-color` of one value: a colour, a CSS colour string or an [r, g, b(, a)] array (0...255).
    static func color(_ v: StyleValue) -> StyleColor? {
        switch v {
        case .color(let c): return c
        case .string(let s): return StyleColor(css: s)
        case .array(let items) where items.count == 3 || items.count == 4:
            var n: [Double] = []
            for item in items {
                guard case .number(let x) = item else { return nil }
                n.append(x)
            }
            return StyleColor(r: n[0] / 255, g: n[1] / 255, b: n[2] / 255, a: n.count == 4 ? n[3] : 1)
        default: return nil
        }
    }

    static func arithmetic(_ op: Arithmetic, _ a: [Double]) -> Double? {
        guard let first = a.first else { return nil }
        switch op {
        case .add: return a.reduce(0, +)
        case .multiply: return a.reduce(1, *)
        case .subtract: return a.count == 1 ? -first : first - a[1]
        case .divide: return a.count == 2 ? first / a[1] : nil
        case .remainder: return a.count == 2 ? first.truncatingRemainder(dividingBy: a[1]) : nil
        case .power: return a.count == 2 ? pow(first, a[1]) : nil
        case .min: return a.min()
        case .max: return a.max()
        case .abs: return Swift.abs(first)
        case .ceil: return first.rounded(.up)
        case .floor: return first.rounded(.down)
        case .round: return first.rounded(.toNearestOrAwayFromZero)
        case .sqrt: return first.squareRoot()
        case .ln: return Foundation.log(first)
        case .log10: return Foundation.log10(first)
        case .log2: return Foundation.log2(first)
        }
    }

    /// Interpolates between the outputs around `x`; clamps outside the stops.
    static func interpolate(_ kind: Interpolation, _ x: Double, _ stops: [Double], _ outputs: [StyleExpression],
                            _ c: EvaluationContext) -> StyleValue {
        // NaN (from partners' data: "1e400" * 0) compares false with every stop: no value.
        guard let last = stops.indices.last, !x.isNaN else { return .null }
        if x <= stops[0] { return outputs[0].evaluate(c) }
        if x >= stops[last] { return outputs[last].evaluate(c) }
        let upper = stops.firstIndex { $0 > x } ?? last
        let lower = upper - 1
        let span = stops[upper] - stops[lower]
        let t: Double
        switch kind {
        case .linear:
            t = (x - stops[lower]) / span
        case .exponential(let base):
            t = base == 1 ? (x - stops[lower]) / span : (pow(base, x - stops[lower]) - 1) / (pow(base, span) - 1)
        }
        return blend(outputs[lower].evaluate(c), outputs[upper].evaluate(c), t)
    }

    /// Blends numbers, colours and equally long number arrays; null for anything else.
    static func blend(_ a: StyleValue, _ b: StyleValue, _ t: Double) -> StyleValue {
        switch (a, b) {
        case (.number(let x), .number(let y)): return .number(x + (y - x) * t)
        case (.color(let x), .color(let y)): return .color(x.interpolated(to: y, t))
        case (.array(let xs), .array(let ys)) where xs.count == ys.count:
            var out: [StyleValue] = []
            for (x, y) in zip(xs, ys) {
                guard case .number = x, case .number = y else { return .null }
                out.append(blend(x, y, t))
            }
            return .array(out)
        default: return .null
        }
    }
}
