import GeoCore

/// Validates and compiles a layer filter, in either syntax.
enum FilterCompiler {
    /// What became of a filter.
    enum Outcome {
        case compiled(StyleExpression)
        /// Invalid: the errors were appended.
        case invalid
        /// Valid but uses something outside the subset, described (operator and path).
        case unsupported(String)
    }

    /// `notes` receives remarks on valid but misleading syntax (deprecated syntax inside an expression).
    static func compile(_ json: JSONValue, _ path: String, _ errors: inout [String], _ notes: inout [String]) -> Outcome {
        if LegacyFilter.syntax(json) == .legacy {
            guard let e = LegacyFilter.compile(json, path, &errors) else { return .invalid }
            return .compiled(e)
        }
        var parser = ExpressionParser(isFilter: true)
        let parsed = parser.parse(json, path, expected: .boolean, top: true)
        var problems = parser.errors
        if parser.usesFeatureState {
            problems.append("\(path): \"feature-state\" data expressions are not supported with filters.")
        }
        errors += problems
        notes += parser.notes
        guard problems.isEmpty, let parsed else { return .invalid }
        if let what = parser.unsupported.first { return .unsupported(what) }
        return .compiled(parsed.expression)
    }
}
