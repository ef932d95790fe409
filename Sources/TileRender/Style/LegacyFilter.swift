import GeoCore

/// The deprecated (pre-expression) filter syntax: `["==", "kind", "x"]`, `["in", "class", "a", "b"]`,
/// `["has", "k"]`, `["all", ...]`, `"$type"`, `"$id"`, ... Validated and compiled to a `StyleExpression`.
enum LegacyFilter {
    /// Which syntax a filter is written in.
    enum Syntax {
        case legacy, expression
        /// Valid and equal in both (`["has", "k"]`, or `all`/`any` of such).
        case either
    }

    static let operators = ["==", "!=", ">", ">=", "<", "<=", "in", "!in", "all", "any", "none", "has", "!has"]

    /// The syntax of a filter, decided the way MapLibre decides it, extended so that `all`/`any` mixing
    /// both syntaxes counts as an expression.
    static func syntax(_ filter: JSONValue) -> Syntax {
        if case .bool = filter { return .expression }
        guard case .array(let a) = filter, let first = a.first else { return .legacy }
        guard case .string(let op) = first else { return .expression }
        func isArray(_ i: Int) -> Bool { if case .array = a[i] { true } else { false } }
        switch op {
        case "has":
            guard a.count >= 2 else { return .legacy }
            if a[1] == .string("$id") || a[1] == .string("$type") { return .legacy }
            if case .string = a[1], a.count == 2 { return .either }
            return .expression
        case "in":
            if a.count >= 3, a[1].string == nil || isArray(2) { return .expression }
            return .legacy
        case "!in", "!has", "none":
            return .legacy
        case "==", "!=", ">", ">=", "<", "<=":
            return a.count != 3 || isArray(1) || isArray(2) ? .expression : .legacy
        case "all", "any":
            let children = a.dropFirst().map(syntax)
            if children.contains(.expression) { return .expression }
            return children.contains(.legacy) ? .legacy : .either
        default:
            return .expression
        }
    }

    /// Validates a legacy filter and compiles it; nil (with errors appended) when invalid.
    static func compile(_ filter: JSONValue, _ path: String, _ errors: inout [String]) -> StyleExpression? {
        guard case .array(let a) = filter else {
            errors.append("\(path): array expected, \(StyleDiagnostics.typeName(filter)) found")
            return nil
        }
        guard let first = a.first else {
            errors.append("\(path): filter array must have at least 1 element")
            return nil
        }
        guard case .string(let op) = first, operators.contains(op) else {
            errors.append("\(path)[0]: expected one of [\(operators.joined(separator: ", "))], \(StyleDiagnostics.json(first)) found")
            return nil
        }
        switch op {
        case "all", "any", "none":
            var children: [StyleExpression] = []
            var failed = false
            for (i, child) in a.enumerated().dropFirst() {
                if let c = compile(child, "\(path)[\(i)]", &errors) { children.append(c) } else { failed = true }
            }
            guard !failed else { return nil }
            return op == "all" ? .all(children) : (op == "any" ? .any(children) : .not(.any(children)))
        case "has", "!has":
            guard a.count == 2 else {
                errors.append("\(path): filter array for \"\(op)\" operator must have 2 elements")
                return nil
            }
            guard let key = key(a, path, &errors) else { return nil }
            let has: StyleExpression = switch key {
            case "$type": .literal(.bool(true))
            case "$id": .compare(.notEqual, .id, .literal(.null))
            default: .has(key)
            }
            return op == "has" ? has : .not(has)
        case "in", "!in":
            guard a.count >= 2 else {
                errors.append("\(path): filter array for operator \"\(op)\" must have at least 2 elements")
                return nil
            }
            guard let key = key(a, path, &errors) else { return nil }
            var values: Set<StyleValue> = []
            var failed = false
            for i in 2..<a.count {
                if let v = value(a[i], key: key, "\(path)[\(i)]", &errors) { values.insert(v) } else { failed = true }
            }
            guard !failed else { return nil }
            let test = StyleExpression.oneOf(subject(key), values)
            return op == "in" ? test : .not(test)
        default:
            guard a.count == 3 else {
                errors.append("\(path): filter array for operator \"\(op)\" must have 3 elements")
                return nil
            }
            guard let key = key(a, path, &errors) else { return nil }
            if key == "$type", op != "==", op != "!=" {
                errors.append("\(path): \"$type\" cannot be use with operator \"\(op)\"")
                _ = value(a[2], key: key, path + "[2]", &errors)
                return nil
            }
            guard let v = value(a[2], key: key, path + "[2]", &errors),
                  let comparison = StyleExpression.Comparison(rawValue: op) else { return nil }
            return .compare(comparison, subject(key), .literal(v))
        }
    }

    private static func key(_ a: [JSONValue], _ path: String, _ errors: inout [String]) -> String? {
        guard case .string(let key) = a[1] else {
            errors.append("\(path)[1]: string expected, \(StyleDiagnostics.typeName(a[1])) found")
            return nil
        }
        return key
    }

    private static func value(_ v: JSONValue, key: String, _ path: String, _ errors: inout [String]) -> StyleValue? {
        if key == "$type" {
            guard case .string(let s) = v, StyleGeometryType(rawValue: s) != nil else {
                errors.append("\(path): expected one of [Point, LineString, Polygon], \(StyleDiagnostics.json(v)) found")
                return nil
            }
        }
        switch v {
        case .string, .number, .bool, .null: return StyleValue(v)
        default:
            errors.append("\(path): string, number, boolean or null expected, \(StyleDiagnostics.typeName(v)) found")
            return nil
        }
    }

    private static func subject(_ key: String) -> StyleExpression {
        switch key {
        case "$type": .geometryType
        case "$id": .id
        default: .get(key)
        }
    }
}
