import GeoCore

/// Parsing of `interpolate` and `step`.
extension ExpressionParser {
    mutating func parseInterpolate(_ args: [JSONValue], _ path: String, expected: ExpressionType?, top: Bool) -> TypedExpression? {
        guard args.count >= 4 else {
            error(path, "Expected at least 4 arguments, but found only \(args.count).")
            return nil
        }
        guard args.count % 2 == 0 else {
            error(path, "Expected an even number of arguments.")
            return nil
        }
        var kind = StyleExpression.Interpolation.linear
        var supported = true
        guard case .array(let spec) = args[0], case .string(let name)? = spec.first else {
            error(path + "[1]", "Expected an interpolation type expression.")
            return nil
        }
        switch name {
        case "linear": break
        case "exponential":
            guard spec.count == 2, case .number(let base) = spec[1] else {
                error(path + "[1]", "Exponential interpolation requires a numeric base.")
                return nil
            }
            kind = .exponential(base)
        case "cubic-bezier":
            let controls = spec.dropFirst().compactMap { if case .number(let n) = $0 { n } else { nil } }
            guard spec.count == 5, controls.count == 4, controls.allSatisfy({ (0...1).contains($0) }) else {
                error(path + "[1]", "Cubic bezier interpolation requires four numeric arguments with values between 0 and 1.")
                return nil
            }
            supported = false
        default:
            error(path + "[1][0]", "Unknown interpolation type \(name)")
            return nil
        }
        guard let curve = parseCurve("interpolate", args, from: 1, path, expected: expected, top: top) else { return nil }
        guard curve.type.isInterpolatable else {
            error(path, "Type \(curve.type) is not interpolatable.")
            return nil
        }
        if !supported {
            unsupported("\"cubic-bezier\" interpolation", path + "[1]")
            return TypedExpression(.literal(.null), curve.type)
        }
        return TypedExpression(.interpolate(kind, curve.input, curve.stops, curve.outputs), curve.type)
    }

    mutating func parseStep(_ args: [JSONValue], _ path: String, expected: ExpressionType?, top: Bool) -> TypedExpression? {
        guard args.count >= 4 else {
            error(path, "Expected at least 4 arguments, but found only \(args.count).")
            return nil
        }
        guard args.count % 2 == 0 else {
            error(path, "Expected an even number of arguments.")
            return nil
        }
        // The first output sits between the input and the first stop; parse it as a stop-less output.
        guard let curve = parseCurve("step", args, from: 0, path, expected: expected, top: top) else { return nil }
        return TypedExpression(.step(curve.input, curve.outputs[0], Array(curve.stops.dropFirst()), Array(curve.outputs.dropFirst())), curve.type)
    }

    /// The input, stops and outputs of a curve. `args[from]` is the input; for `step` (`from` 0) the output
    /// after the input has no stop (its stop is recorded as -infinity).
    private mutating func parseCurve(_ op: String, _ args: [JSONValue], from: Int, _ path: String, expected: ExpressionType?,
                                     top: Bool) -> (input: StyleExpression, stops: [Double], outputs: [StyleExpression], type: ExpressionType)? {
        var failed = false
        let input: TypedExpression?
        if top, args[from] == .array([.string("zoom")]) {
            usesZoom = true
            input = TypedExpression(.zoom, .number)
        } else {
            input = parse(args[from], "\(path)[\(from + 1)]", expected: .number)
        }
        var stops: [Double] = []
        var outputs: [StyleExpression] = []
        var outputType = expected
        var k = from + 1
        if op == "step" {
            stops.append(-.infinity)
            if let first = parse(args[k], "\(path)[\(k + 1)]", expected: outputType) {
                outputType = outputType ?? first.type
                outputs.append(first.expression)
            } else { failed = true }
            k += 1
        }
        while k + 1 < args.count {
            let stopPath = "\(path)[\(k + 1)]"
            if case .number(let stop) = args[k] {
                if let last = stops.last, stop <= last {
                    error(stopPath, "Input/output pairs for \"\(op)\" expressions must be arranged with input values in strictly ascending order.")
                    failed = true
                }
                stops.append(stop)
            } else {
                error(stopPath, "Input/output pairs for \"\(op)\" expressions must be defined using literal numeric values (not computed expressions) for the input values.")
                failed = true
            }
            if let out = parse(args[k + 1], "\(path)[\(k + 2)]", expected: outputType) {
                outputType = outputType ?? out.type
                outputs.append(out.expression)
            } else { failed = true }
            k += 2
        }
        guard !failed, let input, outputs.count == stops.count, !outputs.isEmpty else { return nil }
        return (input.expression, stops, outputs, outputType ?? .value)
    }
}
