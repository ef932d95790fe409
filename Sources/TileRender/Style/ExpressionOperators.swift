import GeoCore

/// The names of the style spec's expression operators (v8.json `expression_name`), supported or not.
/// An array whose first element is one of these is an expression; any other array is a literal.
enum ExpressionOperators {
    static let all: Set<String> = [
        "!", "!=", "%", "*", "+", "-", "/", "<", "<=", "==", ">", ">=", "^", "abs", "accumulated", "acos", "all",
        "any", "array", "asin", "at", "atan", "boolean", "case", "ceil", "coalesce", "collator", "concat", "cos",
        "distance", "downcase", "e", "elevation", "feature-state", "floor", "format", "geometry-type", "get",
        "global-state", "has", "heatmap-density", "id", "image", "in", "index-of", "interpolate", "interpolate-hcl",
        "interpolate-lab", "is-supported-script", "join", "length", "let", "line-progress", "literal", "ln", "ln2",
        "log10", "log2", "match", "max", "min", "number", "number-format", "object", "pi", "properties",
        "resolved-locale", "rgb", "rgba", "round", "semiliteral", "sin", "slice", "split", "sqrt", "step", "string",
        "tan", "to-boolean", "to-color", "to-number", "to-rgba", "to-string", "typeof", "upcase", "var", "within",
        "zoom",
    ]

    /// Operators that read the feature.
    static let featureReaders: Set<String> = ["get", "has", "id", "geometry-type", "properties", "feature-state"]

    /// Whether `json` is an expression (an array starting with an operator name).
    static func isExpression(_ json: JSONValue) -> Bool {
        guard case .array(let a) = json, case .string(let op)? = a.first else { return false }
        return all.contains(op)
    }
}
