import GeoCore

/// Parses and type-checks the JSON of an expression into a `StyleExpression`, once, at load.
///
/// Errors (invalid expressions) and uses of operators outside the subset are collected; the caller turns
/// the first into validation errors and the second into a warning (and then does not use the expression).
struct ExpressionParser {
    /// True when parsing a layer filter: `zoom` may appear anywhere and deprecated filter syntax nested in
    /// an expression is reported.
    let isFilter: Bool
    /// Validation errors, "path: message".
    var errors: [String] = []
    /// Notes about valid but questionable syntax ("path: message").
    var notes: [String] = []
    /// Unsupported operators, as `"name" (path)`.
    var unsupported: [String] = []
    /// The expression reads the zoom.
    var usesZoom = false
    /// The expression reads the feature.
    var usesFeature = false
    /// The expression reads `feature-state`.
    var usesFeatureState = false
    /// `["zoom"]` appears outside the input of a top-level step or interpolate.
    var misplacedZoom = false

    init(isFilter: Bool) {
        self.isFilter = isFilter
    }

    mutating func error(_ path: String, _ message: String) {
        errors.append("\(path): \(message)")
    }

    mutating func unsupported(_ what: String, _ path: String, scanning args: [JSONValue] = []) {
        unsupported.append("\(what) (\(path))")
        for a in args { scan(a) }
    }

    /// Parses `json` at `path`. `expected` is the type the context needs (nil: any); `top` is true for the
    /// root of a property value (and `coalesce` arguments there), where a zoom curve may be.
    mutating func parse(_ json: JSONValue, _ path: String, expected: ExpressionType?, top: Bool = false) -> TypedExpression? {
        let parsed: TypedExpression?
        switch json {
        case .null, .bool, .number, .string:
            let v = StyleValue(json)
            parsed = TypedExpression(.literal(v), v.type)
        case .object:
            error(path, "Bare objects invalid. Use [\"literal\", {...}] instead.")
            return nil
        case .array(let a):
            guard let first = a.first else {
                error(path, "Expected an array with at least one element. If you wanted a literal array, use [\"literal\", []].")
                return nil
            }
            guard case .string(let op) = first else {
                error(path + "[0]", "Expression name must be a string, but found \(StyleDiagnostics.typeName(first)) instead. If you wanted a literal array, use [\"literal\", [...]].")
                return nil
            }
            if isFilter, !top, LegacyFilter.syntax(json) == .legacy {
                notes.append("\(path): deprecated filter syntax inside an expression is read as an expression (a bare key is a string, not the attribute); write it as an expression, e.g. [\"==\", [\"get\", \"key\"], value]")
            }
            parsed = parseOperator(op, Array(a.dropFirst()), path, expected: expected, top: top)
        }
        guard let parsed else { return nil }
        return coerce(parsed, to: expected, path)
    }

    /// Makes `e` fit `expected`: colours from strings, text from scalars, run-time assertions from `value`;
    /// an error when the types cannot match.
    mutating func coerce(_ e: TypedExpression, to expected: ExpressionType?, _ path: String) -> TypedExpression? {
        guard let expected, !expected.accepts(e.type) else { return e }
        switch expected {
        case .color where e.type == .string || e.type == .value:
            if case .literal(.string(let s)) = e.expression {
                guard let c = StyleColor(css: s) else {
                    error(path, "Could not parse color from value '\(s)'")
                    return nil
                }
                return TypedExpression(.literal(.color(c)), .color)
            }
            return TypedExpression(.toColor([e.expression]), .color)
        case .formatted, .resolvedImage:
            guard [.string, .number, .boolean, .value].contains(e.type) else { break }
            if case .literal(let v) = e.expression { return TypedExpression(.literal(.string(v.text)), expected) }
            return TypedExpression(.text(e.expression), expected)
        default:
            if e.type.mayBe(expected) { return TypedExpression(.assert(expected, [e.expression]), expected) }
        }
        error(path, "Expected \(expected) but found \(e.type) instead.")
        return nil
    }

    /// Parses the arguments `args` of operator `op` (args[i] is at `path[i + 1]`).
    mutating func parseOperator(_ op: String, _ args: [JSONValue], _ path: String, expected: ExpressionType?,
                                top: Bool) -> TypedExpression? {
        switch op {
        case "literal": return parseLiteral(args, path)
        case "get", "has": return parseGetHas(op, args, path)
        case "id", "geometry-type", "zoom": return parseNullary(op, args, path)
        case "==", "!=", "<", "<=", ">", ">=": return parseComparison(op, args, path)
        case "!", "all", "any": return parseLogical(op, args, path)
        case "in": return parseIn(args, path)
        case "match": return parseMatch(args, path, expected: expected)
        case "case": return parseCase(args, path, expected: expected)
        case "coalesce": return parseCoalesce(args, path, expected: expected, top: top)
        case "to-string", "to-number", "to-boolean", "to-color": return parseConversion(op, args, path)
        case "string", "number", "boolean", "object", "array": return parseAssertion(op, args, path)
        case "concat", "upcase", "downcase": return parseText(op, args, path)
        case "format": return parseFormat(args, path)
        case "rgb", "rgba": return parseRGBA(op, args, path)
        case "interpolate": return parseInterpolate(args, path, expected: expected, top: top)
        case "step": return parseStep(args, path, expected: expected, top: top)
        case "feature-state":
            usesFeatureState = true
            usesFeature = true
            unsupported("\"feature-state\"", path, scanning: args)
        case "+", "-", "*", "/", "%", "^", "min", "max", "abs", "ceil", "floor", "round", "sqrt", "ln", "log10",
             "log2", "pi", "e", "ln2":
            return parseArithmetic(op, args, path)
        default:
            guard ExpressionOperators.all.contains(op) else {
                error(path + "[0]", "Unknown expression \"\(op)\". If you wanted a literal array, use [\"literal\", [...]].")
                return nil
            }
            if ExpressionOperators.featureReaders.contains(op) { usesFeature = true }
            unsupported("\"\(op)\"", path, scanning: args)
        }
        return TypedExpression(.literal(.null), expected ?? .value)
    }

    /// Checks the argument count.
    mutating func arity(_ args: [JSONValue], _ path: String, _ range: ClosedRange<Int>) -> Bool {
        if range.contains(args.count) { return true }
        if range.lowerBound == range.upperBound {
            let n = range.lowerBound
            error(path, "Expected \(n) argument\(n == 1 ? "" : "s"), but found \(args.count) instead.")
        } else if args.count < range.lowerBound {
            error(path, "Expected at least \(range.lowerBound) argument\(range.lowerBound == 1 ? "" : "s"), but found only \(args.count).")
        } else {
            error(path, "Expected at most \(range.upperBound) arguments, but found \(args.count).")
        }
        return false
    }

    /// Parses every argument with the same expected type; nil when one fails.
    mutating func parseAll(_ args: [JSONValue], _ path: String, expected: ExpressionType?, from offset: Int = 1) -> [StyleExpression]? {
        var out: [StyleExpression] = []
        var failed = false
        for (i, a) in args.enumerated() {
            if let e = parse(a, "\(path)[\(i + offset)]", expected: expected) { out.append(e.expression) } else { failed = true }
        }
        return failed ? nil : out
    }

    /// Notes what unsupported parts of an expression read (feature, zoom), without parsing them.
    mutating func scan(_ json: JSONValue) {
        guard case .array(let a) = json else { return }
        if case .string(let op)? = a.first {
            if op == "literal" { return }
            if ExpressionOperators.featureReaders.contains(op) { usesFeature = true }
            if op == "feature-state" { usesFeatureState = true }
            if op == "zoom" { usesZoom = true }
        }
        for item in a { scan(item) }
    }
}
