import GeoCore

/// Parsing of the value operators: literals, feature access, conversions, assertions, text and numbers.
extension ExpressionParser {
    mutating func parseLiteral(_ args: [JSONValue], _ path: String) -> TypedExpression? {
        guard args.count == 1 else {
            error(path, "'literal' expression requires exactly one argument, but found \(args.count) instead.")
            return nil
        }
        let v = StyleValue(args[0])
        return TypedExpression(.literal(v), v.type)
    }

    mutating func parseGetHas(_ op: String, _ args: [JSONValue], _ path: String) -> TypedExpression? {
        guard arity(args, path, 1...2) else { return nil }
        usesFeature = true
        let resultType: ExpressionType = op == "get" ? .value : .boolean
        guard let key = parse(args[0], path + "[1]", expected: .string) else { return nil }
        if args.count == 2 {
            guard parse(args[1], path + "[2]", expected: .object) != nil else { return nil }
            unsupported("\"\(op)\" from an object", path)
            return TypedExpression(.literal(.null), resultType)
        }
        guard case .literal(.string(let name)) = key.expression else {
            unsupported("\"\(op)\" with a computed key", path)
            return TypedExpression(.literal(.null), resultType)
        }
        return TypedExpression(op == "get" ? .get(name) : .has(name), resultType)
    }

    mutating func parseNullary(_ op: String, _ args: [JSONValue], _ path: String) -> TypedExpression? {
        guard arity(args, path, 0...0) else { return nil }
        switch op {
        case "id":
            usesFeature = true
            return TypedExpression(.id, .value)
        case "geometry-type":
            usesFeature = true
            return TypedExpression(.geometryType, .string)
        default:
            usesZoom = true
            if !isFilter { misplacedZoom = true }
            return TypedExpression(.zoom, .number)
        }
    }

    mutating func parseConversion(_ op: String, _ args: [JSONValue], _ path: String) -> TypedExpression? {
        let single = op == "to-string" || op == "to-boolean"
        guard arity(args, path, single ? 1...1 : 1...Int.max), let xs = parseAll(args, path, expected: nil) else { return nil }
        switch op {
        case "to-string": return TypedExpression(.toText(xs[0]), .string)
        case "to-boolean": return TypedExpression(.toBoolean(xs[0]), .boolean)
        case "to-number": return TypedExpression(.toNumber(xs), .number)
        default: return TypedExpression(.toColor(xs), .color)
        }
    }

    mutating func parseAssertion(_ op: String, _ args: [JSONValue], _ path: String) -> TypedExpression? {
        guard op == "array" else {
            guard arity(args, path, 1...Int.max), let xs = parseAll(args, path, expected: nil) else { return nil }
            let type: ExpressionType = switch op {
            case "string": .string
            case "number": .number
            case "boolean": .boolean
            default: .object
            }
            return TypedExpression(.assert(type, xs), type)
        }
        guard arity(args, path, 1...3) else { return nil }
        var item = ExpressionType.value
        var length: Int? = nil
        if args.count >= 2 {
            switch args[0] {
            case .string("string"): item = .string
            case .string("number"): item = .number
            case .string("boolean"): item = .boolean
            default:
                error(path + "[1]", "The item type argument of \"array\" must be one of string, number, boolean")
                return nil
            }
        }
        if args.count == 3 {
            guard case .number(let n) = args[1], n >= 0, n == n.rounded(), n < 1e9 else {
                error(path + "[2]", "The length argument to \"array\" must be a positive integer literal")
                return nil
            }
            length = Int(n)
        }
        guard let x = parse(args[args.count - 1], "\(path)[\(args.count)]", expected: nil) else { return nil }
        let type = ExpressionType.array(item, length)
        return TypedExpression(.assert(type, [x.expression]), type)
    }

    mutating func parseText(_ op: String, _ args: [JSONValue], _ path: String) -> TypedExpression? {
        if op == "concat" {
            guard arity(args, path, 1...Int.max), let xs = parseAll(args, path, expected: nil) else { return nil }
            return TypedExpression(.concat(xs), .string)
        }
        guard arity(args, path, 1...1), let x = parse(args[0], path + "[1]", expected: .string) else { return nil }
        return TypedExpression(.changeCase(upper: op == "upcase", x.expression), .string)
    }

    /// `format`: text sections become plain text; image sections and non-empty options are outside the
    /// subset (their values are still checked).
    mutating func parseFormat(_ args: [JSONValue], _ path: String) -> TypedExpression? {
        guard let first = args.first else {
            error(path, "Expected at least one argument.")
            return nil
        }
        if case .object = first {
            error(path, "First argument must be an image or text section.")
            return nil
        }
        var sections: [StyleExpression] = []
        var options = false, images = false, failed = false
        for (i, a) in args.enumerated() {
            if case .object(let o) = a {
                options = options || !o.isEmpty
                for (key, value) in o.sorted(by: { $0.key < $1.key }) {
                    let type: ExpressionType? = switch key {
                    case "font-scale": .number
                    case "text-font": .array(.string, nil)
                    case "text-color": .color
                    case "vertical-align": .string
                    default: nil
                    }
                    // MapLibre reports option errors at index 1 whatever the section.
                    if let type, parse(value, path + "[1]", expected: type) == nil { failed = true }
                }
                continue
            }
            if case .array(let section) = a, section.first == .string("image") {
                images = true
                scan(a)
                continue
            }
            guard let x = parse(a, "\(path)[\(i + 1)]", expected: nil) else { failed = true; continue }
            guard [.string, .value, .null, .number, .boolean].contains(x.type) else {
                error("\(path)[\(i + 1)]", "Formatted text type must be 'string', 'value', 'image' or 'null'.")
                failed = true
                continue
            }
            sections.append(x.expression)
        }
        guard !failed else { return nil }
        if images || options {
            unsupported(images ? "\"format\" with an image section" : "\"format\" with options", path)
            return TypedExpression(.literal(.null), .formatted)
        }
        return TypedExpression(sections.count == 1 ? .text(sections[0]) : .concat(sections), .formatted)
    }

    mutating func parseRGBA(_ op: String, _ args: [JSONValue], _ path: String) -> TypedExpression? {
        let n = op == "rgb" ? 3 : 4
        guard arity(args, path, n...n), let xs = parseAll(args, path, expected: .number) else { return nil }
        return TypedExpression(.rgba(xs), .color)
    }

    /// Numeric operators.
    mutating func parseArithmetic(_ op: String, _ args: [JSONValue], _ path: String) -> TypedExpression? {
        let constants: [String: Double] = ["pi": Double.pi, "e": 2.718281828459045, "ln2": 0.6931471805599453]
        if let c = constants[op] {
            guard arity(args, path, 0...0) else { return nil }
            return TypedExpression(.literal(.number(c)), .number)
        }
        guard let operation = StyleExpression.Arithmetic(rawValue: op) else {
            error(path + "[0]", "Unknown expression \"\(op)\".")
            return nil
        }
        let range: ClosedRange<Int> = switch operation {
        case .add, .multiply: 2...Int.max
        case .subtract: 1...2
        case .divide, .remainder, .power: 2...2
        case .min, .max: 1...Int.max
        default: 1...1
        }
        guard arity(args, path, range), let xs = parseAll(args, path, expected: .number) else { return nil }
        return TypedExpression(.arithmetic(operation, xs), .number)
    }
}
