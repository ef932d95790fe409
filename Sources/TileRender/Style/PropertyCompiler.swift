import GeoCore

/// Validates and compiles one paint or layout property value: a literal, a legacy function or an expression.
enum PropertyCompiler {
    /// What became of a property value.
    enum Outcome {
        case compiled(CompiledProperty)
        /// Invalid: the errors were appended.
        case invalid
        /// Valid but uses something outside the subset, described (operator and path).
        case unsupported(String)
    }

    static func compile(_ json: JSONValue, _ spec: PropertySpec, _ path: String, _ errors: inout [String]) -> Outcome {
        if case .object(let o) = json {
            guard let e = LegacyFunction.compile(o, spec, path, &errors) else { return .invalid }
            if let space = o["colorSpace"]?.string, space != "rgb" {
                return .unsupported("\"colorSpace\": \"\(space)\" (\(path).colorSpace)")
            }
            return .compiled(.expression(e))
        }
        if ExpressionOperators.isExpression(json) { return expression(json, spec, path, &errors) }
        guard let v = LiteralValidator.validate(json, spec, path, &errors) else { return .invalid }
        if spec.flags.contains(.tokens), case .string(let s) = v, let tokens = StyleExpression.tokenString(s) {
            return .compiled(.expression(tokens))
        }
        return .compiled(.constant(v))
    }

    private static func expression(_ json: JSONValue, _ spec: PropertySpec, _ path: String, _ errors: inout [String]) -> Outcome {
        if spec.flags.contains(.constant) {
            errors.append("\(path): \"\(spec.name)\" does not support expressions")
            return .invalid
        }
        var parser = ExpressionParser(isFilter: false)
        let parsed = parser.parse(json, path, expected: spec.expressionType, top: true)
        var problems = parser.errors
        if parser.usesFeatureState, spec.flags.contains(.layout) {
            problems.append("\(path): \"feature-state\" data expressions are not supported with layout properties.")
        } else if parser.usesFeature, !spec.flags.contains(.data) {
            problems.append("\(path): data expressions not supported")
        }
        if parser.usesZoom, !spec.flags.contains(.zoom) {
            problems.append("\(path): zoom expressions not supported")
        } else if parser.misplacedZoom {
            problems.append("\(path): \"zoom\" expression may only be used as input to a top-level \"step\" or \"interpolate\" expression.")
        }
        if spec.name == "text-font", !outputsAreLiterals(json) {
            problems.append("\(path): Invalid data expression for \"text-font\". Output values must be contained as literals within the expression.")
        }
        errors += problems
        guard problems.isEmpty, let parsed else { return .invalid }
        if let what = parser.unsupported.first { return .unsupported(what) }
        if !parser.usesFeature, !parser.usesZoom {
            return .compiled(.constant(parsed.expression.evaluate(EvaluationContext(feature: nil, zoom: 0))))
        }
        return .compiled(.expression(parsed.expression))
    }

    /// Whether every value the expression can produce is written in it as a literal (`text-font` must not
    /// take font names from the data).
    static func outputsAreLiterals(_ json: JSONValue) -> Bool {
        guard case .array(let a) = json, case .string(let op)? = a.first else { return true }
        let outputs: [JSONValue]
        switch op {
        case "literal": return true
        case "case": outputs = stride(from: 2, to: a.count, by: 2).map { a[$0] } + [a[a.count - 1]]
        case "match": outputs = stride(from: 3, to: a.count, by: 2).map { a[$0] } + [a[a.count - 1]]
        case "step": outputs = stride(from: 2, to: a.count, by: 2).map { a[$0] }
        case "interpolate": outputs = stride(from: 4, to: a.count, by: 2).map { a[$0] }
        case "coalesce": outputs = Array(a.dropFirst())
        case "array", "let": outputs = a.count > 1 ? [a[a.count - 1]] : []
        default: return false
        }
        return outputs.allSatisfy(outputsAreLiterals)
    }
}
