import GeoCore

/// The deprecated function syntax of property values: zoom functions `{"stops": [[z, v], ...], "base": b}`,
/// property functions `{"property": p, "type": ..., "stops": ..., "default": d}` and zoom-and-property
/// functions (stop keys `{"zoom": z, "value": v}`). Validated as the style spec does, compiled to an expression.
struct LegacyFunction {
    let spec: PropertySpec
    let path: String
    /// `type` as written (nil when absent; the validation messages depend on it).
    let explicitType: String?
    /// `type` with its default applied.
    let type: String
    let property: String?
    let zoomAndProperty: Bool
    var errors: [String] = []
    private var keyType: String? = nil
    private var previousValue: Double? = nil
    private var previousZoom: Double? = nil
    private var seen: Set<StyleValue> = []

    /// Validates and compiles `object`; nil (with `errors` set) when invalid.
    static func compile(_ object: [String: JSONValue], _ spec: PropertySpec, _ path: String,
                        _ errors: inout [String]) -> StyleExpression? {
        var f = LegacyFunction(object, spec, path)
        let expression = f.run(object)
        errors += f.errors
        return f.errors.isEmpty ? expression : nil
    }

    private init(_ o: [String: JSONValue], _ spec: PropertySpec, _ path: String) {
        self.spec = spec
        self.path = path
        explicitType = o["type"]?.string
        type = explicitType ?? (spec.flags.contains(.interpolated) ? "exponential" : "interval")
        property = o["property"]?.string
        if case .array(let stops)? = o["stops"], case .array(let first)? = stops.first, case .object? = first.first {
            zoomAndProperty = true
        } else {
            zoomAndProperty = false
        }
    }

    private mutating func error(_ at: String, _ message: String) { errors.append("\(at): \(message)") }

    private mutating func run(_ o: [String: JSONValue]) -> StyleExpression? {
        for key in o.keys.sorted() where !["base", "stops", "property", "type", "default", "colorSpace"].contains(key) {
            error(path, "unknown property \"\(key)\"")
        }
        let types = ["identity", "exponential", "interval", "categorical"]
        if let t = o["type"], !types.contains(t.string ?? "") {
            error(path + ".type", "expected one of [\(types.joined(separator: ", "))], \(StyleDiagnostics.json(t)) found")
        }
        if let p = o["property"], p.string == nil { error(path + ".property", "string expected, \(StyleDiagnostics.typeName(p)) found") }
        if let b = o["base"], b.number == nil { error(path + ".base", "number expected, \(StyleDiagnostics.typeName(b)) found") }
        if let c = o["colorSpace"], !["rgb", "lab", "hcl"].contains(c.string ?? "") {
            error(path + ".colorSpace", "expected one of [rgb, lab, hcl], \(StyleDiagnostics.json(c)) found")
        }
        var fallback: StyleValue? = nil
        if let d = o["default"] { fallback = LiteralValidator.validate(d, spec, path + ".default", &errors) }
        let isZoomFunction = explicitType != "categorical" && o["property"] == nil
        if explicitType == "identity", isZoomFunction { error(path, "missing required property \"property\"") }
        if explicitType != "identity", o["stops"] == nil { error(path, "missing required property \"stops\"") }
        if explicitType == "exponential", !spec.flags.contains(.interpolated) { error(path, "exponential functions not supported") }
        if spec.flags.contains(.constant) {
            error(path, "functions are not supported for \"\(spec.name)\"")
        } else if !isZoomFunction, !spec.flags.contains(.data) {
            error(path, "property functions not supported")
        } else if isZoomFunction, !spec.flags.contains(.zoom) {
            error(path, "zoom functions not supported")
        }
        if explicitType == "categorical" || zoomAndProperty, o["property"] == nil { error(path, "\"property\" property is required") }
        if explicitType == "identity" {
            switch spec.type {
            case .numberArray, .stringArray, .enumArray: error(path, "\"\(spec.name)\" does not support identity functions")
            default: break
            }
        }
        var stops: [(key: StyleValue, zoom: Double?, value: StyleValue)] = []
        if let s = o["stops"] { stops = validateStops(s) }
        guard errors.isEmpty else { return nil }
        return build(stops, base: o["base"]?.number ?? 1, fallback: fallback)
    }

    private mutating func validateStops(_ json: JSONValue) -> [(key: StyleValue, zoom: Double?, value: StyleValue)] {
        let at = path + ".stops"
        if explicitType == "identity" {
            error(at, "identity function may not have a \"stops\" property")
            return []
        }
        guard case .array(let list) = json else {
            error(at, "array expected, \(StyleDiagnostics.typeName(json)) found")
            return []
        }
        if list.isEmpty { error(at, "array must have at least one stop") }
        var out: [(key: StyleValue, zoom: Double?, value: StyleValue)] = []
        for (i, stop) in list.enumerated() {
            let stopPath = "\(at)[\(i)]"
            guard case .array(let pair) = stop else {
                error(stopPath, "array expected, \(StyleDiagnostics.typeName(stop)) found")
                continue
            }
            guard pair.count == 2 else {
                error(stopPath, "array length 2 expected, length \(pair.count) found")
                continue
            }
            var zoom: Double? = nil
            let key: StyleValue?
            if zoomAndProperty {
                guard case .object(let k) = pair[0] else {
                    error(stopPath, "object expected, \(StyleDiagnostics.typeName(pair[0])) found")
                    continue
                }
                guard let z = k["zoom"] else { error(stopPath, "object stop key must have zoom"); continue }
                guard let v = k["value"] else { error(stopPath, "object stop key must have value"); continue }
                if let previousZoom, let zn = z.number, previousZoom > zn {
                    error(stopPath, "stop zoom values must appear in ascending order")
                    continue
                }
                if z.number != previousZoom {
                    previousZoom = z.number
                    previousValue = nil
                    seen = []
                }
                for extra in k.keys.sorted() where extra != "zoom" && extra != "value" {
                    error(stopPath + "[0]", "unknown property \"\(extra)\"")
                }
                if z.number == nil { error(stopPath + "[0].zoom", "number expected, \(StyleDiagnostics.typeName(z)) found") }
                zoom = z.number
                key = domainValue(v, stopPath + "[0].value")
            } else {
                key = domainValue(pair[0], stopPath + "[0]")
            }
            let value: StyleValue?
            if ExpressionOperators.isExpression(pair[1]) {
                error(stopPath + "[1]", "expressions are not allowed in function stops.")
                value = nil
            } else {
                value = LiteralValidator.validate(pair[1], spec, stopPath + "[1]", &errors)
            }
            if let key, let value { out.append((key, zoom, value)) }
        }
        return out
    }

    /// Checks a stop key (the input domain): scalar, one type for all stops, numeric unless categorical,
    /// ascending (or unique for categorical).
    private mutating func domainValue(_ v: JSONValue, _ at: String) -> StyleValue? {
        let t = StyleDiagnostics.typeName(v)
        if let keyType, t != keyType {
            error(at, "\(t) stop domain type must match previous stop domain type \(keyType)")
            return nil
        }
        keyType = keyType ?? t
        guard ["number", "string", "boolean"].contains(t) else {
            error(at, "stop domain value must be a number, string, or boolean")
            return nil
        }
        let categorical = explicitType == "categorical"
        guard t == "number" || categorical else {
            let hint = spec.flags.contains(.data) && explicitType == nil
                ? "\nIf you intended to use a categorical function, specify `\"type\": \"categorical\"`." : ""
            error(at, "number expected, \(t) found" + hint)
            return nil
        }
        if case .number(let n) = v {
            if categorical, n != n.rounded() {
                error(at, "integer expected, found \(StyleValue.format(n))")
                return nil
            }
            if !categorical {
                if let previousValue, n < previousValue {
                    error(at, "stop domain values must appear in ascending order")
                    return nil
                }
                previousValue = n
            }
        }
        let key = StyleValue(v)
        if categorical {
            if seen.contains(key) {
                error(at, "stop domain values must be unique")
                return nil
            }
            seen.insert(key)
        }
        return key
    }
}
