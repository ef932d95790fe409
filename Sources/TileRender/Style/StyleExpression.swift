/// A compiled style expression: parsed once when the style loads, evaluated per feature and zoom.
///
/// Legacy filters, legacy functions and `{token}` strings compile to the same tree.
indirect enum StyleExpression: Sendable {
    /// Comparison operators of `==`, `!=`, `<`, `<=`, `>`, `>=`.
    enum Comparison: String, Sendable {
        case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    }

    /// Numeric operators.
    enum Arithmetic: String, Sendable {
        case add = "+", subtract = "-", multiply = "*", divide = "/", remainder = "%", power = "^"
        case min, max, abs, ceil, floor, round, sqrt, ln, log10, log2
    }

    /// How `interpolate` blends between stops.
    enum Interpolation: Sendable {
        case linear
        case exponential(Double)
    }

    /// One piece of a legacy `{token}` string.
    enum TokenPart: Sendable, Equatable {
        case text(String)
        case property(String)
    }

    /// A constant.
    case literal(StyleValue)
    /// `["get", name]`: the feature attribute or null.
    case get(String)
    /// `["has", name]`.
    case has(String)
    /// `["id"]`.
    case id
    /// `["geometry-type"]`.
    case geometryType
    /// `["zoom"]`.
    case zoom
    /// A comparison; mismatched types compare unequal and never order (the result is null).
    case compare(Comparison, StyleExpression, StyleExpression)
    /// `["!", x]`.
    case not(StyleExpression)
    /// `["all", ...]`: true when every argument is true.
    case all([StyleExpression])
    /// `["any", ...]`: true when an argument is true.
    case any([StyleExpression])
    /// Legacy `in`: the value is one of the set (type-strict).
    case oneOf(StyleExpression, Set<StyleValue>)
    /// `["in", needle, haystack]`: element of an array or substring of a string.
    case contains(StyleExpression, StyleExpression)
    /// `["match", input, labels..., outputs..., fallback]`; labels map to indexes into the outputs.
    case match(StyleExpression, [StyleValue: Int], [StyleExpression], StyleExpression)
    /// `["case", condition, output, ..., fallback]`, the pairs flattened.
    case conditional([StyleExpression], StyleExpression)
    /// `["coalesce", ...]`: the first non-null argument.
    case coalesce([StyleExpression])
    /// A type assertion (`["string", ...]`, `["number", ...]`, ...): the first argument of the type, else null.
    case assert(ExpressionType, [StyleExpression])
    /// `["to-string", x]`.
    case toText(StyleExpression)
    /// `["to-number", ...]`: the first argument that converts, else null.
    case toNumber([StyleExpression])
    /// `["to-boolean", x]`.
    case toBoolean(StyleExpression)
    /// `["to-color", ...]`: the first argument that is a colour, else null.
    case toColor([StyleExpression])
    /// Text for `text-field`/`icon-image`: null stays null, anything else becomes its `to-string` text.
    case text(StyleExpression)
    /// `["concat", ...]`.
    case concat([StyleExpression])
    /// `["upcase", x]` (true) or `["downcase", x]` (false).
    case changeCase(upper: Bool, StyleExpression)
    /// A numeric operator.
    case arithmetic(Arithmetic, [StyleExpression])
    /// `["rgb", r, g, b]` or `["rgba", r, g, b, a]`, channels 0...255.
    case rgba([StyleExpression])
    /// `["interpolate", ..., input, stop, output, ...]`.
    case interpolate(Interpolation, StyleExpression, [Double], [StyleExpression])
    /// `["step", input, first, stop, output, ...]`.
    case step(StyleExpression, StyleExpression, [Double], [StyleExpression])
    /// A legacy text with `{name}` replaced by the attribute (empty when missing).
    case tokens([TokenPart])

    /// Parses a legacy `{token}` string; nil when it has no token.
    static func tokenString(_ s: String) -> StyleExpression? {
        var parts: [TokenPart] = []
        var rest = s[...]
        while let open = rest.firstIndex(of: "{") {
            let afterOpen = rest.index(after: open)
            guard let close = rest[afterOpen...].firstIndex(where: { $0 == "}" || $0 == "{" }) else { break }
            if rest[close] == "{" {
                parts.append(.text(String(rest[..<close])))
                rest = rest[close...]
                continue
            }
            if afterOpen == close {
                parts.append(.text(String(rest[...close])))
            } else {
                if open > rest.startIndex { parts.append(.text(String(rest[..<open]))) }
                parts.append(.property(String(rest[afterOpen..<close])))
            }
            rest = rest[rest.index(after: close)...]
        }
        guard parts.contains(where: { if case .property = $0 { true } else { false } }) else { return nil }
        if !rest.isEmpty { parts.append(.text(String(rest))) }
        return .tokens(parts)
    }
}
