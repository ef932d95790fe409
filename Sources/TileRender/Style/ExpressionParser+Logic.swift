import GeoCore

/// Parsing of the decision operators: comparisons, `!`, `all`, `any`, `in`, `match`, `case`, `coalesce`.
extension ExpressionParser {
    mutating func parseComparison(_ op: String, _ args: [JSONValue], _ path: String) -> TypedExpression? {
        guard args.count == 2 || args.count == 3, let comparison = StyleExpression.Comparison(rawValue: op) else {
            error(path, "Expected two or three arguments.")
            return nil
        }
        let l = parse(args[0], path + "[1]", expected: nil)
        let r = parse(args[1], path + "[2]", expected: nil)
        guard let l, let r else { return nil }
        let equality = comparison == .equal || comparison == .notEqual
        let allowed: [ExpressionType] = equality ? [.string, .number, .boolean, .null, .value] : [.string, .number, .value]
        for (side, index) in [(l, 1), (r, 2)] where !allowed.contains(side.type) {
            error("\(path)[\(index)]", "\"\(op)\" comparisons are not supported for type '\(side.type)'.")
            return nil
        }
        if l.type != .value, r.type != .value, l.type != r.type {
            error(path, "Cannot compare types '\(l.type)' and '\(r.type)'.")
            return nil
        }
        if args.count == 3 {
            unsupported("\"\(op)\" with a collator", path, scanning: [args[2]])
            return TypedExpression(.literal(.null), .boolean)
        }
        return TypedExpression(.compare(comparison, l.expression, r.expression), .boolean)
    }

    mutating func parseLogical(_ op: String, _ args: [JSONValue], _ path: String) -> TypedExpression? {
        if op == "!" {
            guard arity(args, path, 1...1), let x = parse(args[0], path + "[1]", expected: .boolean) else { return nil }
            return TypedExpression(.not(x.expression), .boolean)
        }
        guard let xs = parseAll(args, path, expected: .boolean) else { return nil }
        return TypedExpression(op == "all" ? .all(xs) : .any(xs), .boolean)
    }

    mutating func parseIn(_ args: [JSONValue], _ path: String) -> TypedExpression? {
        guard arity(args, path, 2...2) else { return nil }
        let needle = parse(args[0], path + "[1]", expected: nil)
        let haystack = parse(args[1], path + "[2]", expected: nil)
        guard let needle, let haystack else { return nil }
        guard [.boolean, .string, .number, .null, .value].contains(needle.type) else {
            error(path + "[1]", "Expected boolean, string, number or null but found \(needle.type) instead.")
            return nil
        }
        switch haystack.type {
        case .string, .value, .array: break
        default:
            error(path + "[2]", "Expected array or string but found \(haystack.type) instead.")
            return nil
        }
        return TypedExpression(.contains(needle.expression, haystack.expression), .boolean)
    }

    mutating func parseMatch(_ args: [JSONValue], _ path: String, expected: ExpressionType?) -> TypedExpression? {
        guard args.count >= 4 else {
            error(path, "Expected at least 4 arguments, but found only \(args.count).")
            return nil
        }
        guard args.count % 2 == 0 else {
            error(path, "Expected an even number of arguments.")
            return nil
        }
        let input = parse(args[0], path + "[1]", expected: nil)
        var labels: [StyleValue: Int] = [:]
        var labelType: ExpressionType? = nil
        var outputs: [StyleExpression] = []
        var outputType = expected
        var failed = input == nil
        for k in stride(from: 1, to: args.count - 1, by: 2) {
            let labelPath = "\(path)[\(k + 1)]"
            var items = [(args[k], labelPath)]
            if case .array(let list) = args[k] {
                if list.isEmpty { error(labelPath, "Expected at least one branch label.") ; failed = true }
                items = list.enumerated().map { ($0.element, "\(labelPath)[\($0.offset)]") }
            }
            for (item, itemPath) in items {
                let type: ExpressionType
                switch item {
                case .number(let n) where n == n.rounded() && Swift.abs(n) <= 9_007_199_254_740_991: type = .number
                case .number:
                    error(itemPath, "Numeric branch labels must be integer values.")
                    failed = true
                    continue
                case .string: type = .string
                default:
                    error(itemPath, "Branch labels must be numbers or strings.")
                    failed = true
                    continue
                }
                if let labelType, labelType != type {
                    error(itemPath, "Expected \(labelType) but found \(type) instead.")
                    failed = true
                }
                labelType = labelType ?? type
                let label = StyleValue(item)
                if labels[label] != nil {
                    error(labelPath, "Branch labels must be unique.")
                    failed = true
                }
                labels[label] = outputs.count
            }
            if let out = parse(args[k + 1], "\(path)[\(k + 2)]", expected: outputType) {
                outputType = outputType ?? out.type
                outputs.append(out.expression)
            } else { failed = true }
        }
        let fallback = parse(args[args.count - 1], "\(path)[\(args.count)]", expected: outputType)
        if let input, let labelType, input.type != .value, input.type != labelType {
            error(path + "[1]", "Expected \(labelType) but found \(input.type) instead.")
            failed = true
        }
        guard !failed, let input, let fallback else { return nil }
        return TypedExpression(.match(input.expression, labels, outputs, fallback.expression), outputType ?? fallback.type)
    }

    mutating func parseCase(_ args: [JSONValue], _ path: String, expected: ExpressionType?) -> TypedExpression? {
        guard args.count >= 3 else {
            error(path, "Expected at least 3 arguments, but found only \(args.count).")
            return nil
        }
        guard args.count % 2 == 1 else {
            error(path, "Expected an odd number of arguments.")
            return nil
        }
        var pairs: [StyleExpression] = []
        var outputType = expected
        var failed = false
        for k in stride(from: 0, to: args.count - 1, by: 2) {
            let condition = parse(args[k], "\(path)[\(k + 1)]", expected: .boolean)
            let output = parse(args[k + 1], "\(path)[\(k + 2)]", expected: outputType)
            guard let condition, let output else { failed = true; continue }
            outputType = outputType ?? output.type
            pairs += [condition.expression, output.expression]
        }
        let fallback = parse(args[args.count - 1], "\(path)[\(args.count)]", expected: outputType)
        guard !failed, let fallback else { return nil }
        return TypedExpression(.conditional(pairs, fallback.expression), outputType ?? fallback.type)
    }

    mutating func parseCoalesce(_ args: [JSONValue], _ path: String, expected: ExpressionType?, top: Bool) -> TypedExpression? {
        guard !args.isEmpty else {
            error(path, "Expected at least one argument.")
            return nil
        }
        var outputType = expected
        var xs: [StyleExpression] = []
        var failed = false
        for (i, a) in args.enumerated() {
            guard let x = parse(a, "\(path)[\(i + 1)]", expected: outputType, top: top) else { failed = true; continue }
            outputType = outputType ?? x.type
            xs.append(x.expression)
        }
        guard !failed else { return nil }
        return TypedExpression(.coalesce(xs), outputType ?? .value)
    }
}
