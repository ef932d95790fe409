import GeoCore

/// Validates a literal (non-expression, non-function) property value against its spec and converts it.
enum LiteralValidator {
    /// The value, or nil with errors appended ("path: message").
    static func validate(_ json: JSONValue, _ spec: PropertySpec, _ path: String, _ errors: inout [String]) -> StyleValue? {
        let before = errors.count
        let value = check(json, spec.type, spec, path, &errors)
        return errors.count == before ? value : nil
    }

    private static func check(_ json: JSONValue, _ type: PropertySpec.ValueType, _ spec: PropertySpec, _ path: String,
                              _ errors: inout [String]) -> StyleValue? {
        func fail(_ message: String) -> StyleValue? {
            errors.append("\(path): \(message)")
            return nil
        }
        let found = StyleDiagnostics.typeName(json)
        switch type {
        case .number:
            guard case .number(let n) = json else {
                if case .string(let s) = json, !spec.flags.contains(.tokens), spec.flags.contains(.data),
                   s.hasPrefix("{"), s.hasSuffix("}"), s.count > 2 {
                    let name = s.dropFirst().dropLast()
                    return fail("\"\(spec.name)\" does not support interpolation syntax\nUse an identity property function instead: `{ \"type\": \"identity\", \"property\": \"\(name)\" }`.")
                }
                return fail("number expected, \(found) found")
            }
            if let min = spec.minimum, n < min { return fail("\(StyleValue.format(n)) is less than the minimum value \(StyleValue.format(min))") }
            if let max = spec.maximum, n > max { return fail("\(StyleValue.format(n)) is greater than the maximum value \(StyleValue.format(max))") }
            return .number(n)
        case .color:
            guard case .string(let s) = json else { return fail("color expected, \(found) found") }
            guard let c = StyleColor(css: s) else { return fail("color expected, \(StyleDiagnostics.json(json)) found") }
            return .color(c)
        case .boolean:
            guard case .bool(let b) = json else { return fail("boolean expected, \(found) found") }
            return .bool(b)
        case .string, .resolvedImage:
            guard case .string(let s) = json else { return fail("string expected, \(found) found") }
            return .string(s)
        case .formatted:
            switch json {
            case .string, .number, .bool: return .string(StyleValue(json).text)
            default: return fail("string expected, \(found) found")
            }
        case .enumeration(let values):
            guard case .string(let s) = json, values.contains(s) else {
                return fail("expected one of [\(values.joined(separator: ", "))], \(StyleDiagnostics.json(json)) found")
            }
            return .string(s)
        case .numberArray(let length):
            return array(json, length: length, minLength: 0, path, &errors) { item, itemPath, errors in
                check(item, .number, spec, itemPath, &errors)
            }
        case .stringArray:
            return array(json, length: nil, minLength: 0, path, &errors) { item, itemPath, errors in
                check(item, .string, spec, itemPath, &errors)
            }
        case .enumArray(let values):
            return array(json, length: nil, minLength: 0, path, &errors) { item, itemPath, errors in
                check(item, .enumeration(values), spec, itemPath, &errors)
            }
        case .padding, .numberOrArray, .colorOrArray:
            let item: PropertySpec.ValueType = type == .colorOrArray ? .color : .number
            guard case .array(let items) = json else { return check(json, item, spec, path, &errors) }
            if type == .padding, items.count > 4 { return fail("padding requires 1 to 4 values; \(items.count) values found") }
            return array(json, length: nil, minLength: 1, path, &errors) { element, itemPath, errors in
                check(element, item, spec, itemPath, &errors)
            }
        case .variableAnchorOffsetCollection:
            return StyleValue(json)
        }
    }

    private static func array(_ json: JSONValue, length: Int?, minLength: Int, _ path: String, _ errors: inout [String],
                              _ item: (JSONValue, String, inout [String]) -> StyleValue?) -> StyleValue? {
        guard case .array(let items) = json else {
            errors.append("\(path): array expected, \(StyleDiagnostics.typeName(json)) found")
            return nil
        }
        if let length, items.count != length {
            errors.append("\(path): array length \(length) expected, length \(items.count) found")
            return nil
        }
        if items.count < minLength {
            errors.append("\(path): array length at least \(minLength) expected, length \(items.count) found")
            return nil
        }
        var out: [StyleValue] = []
        for (i, element) in items.enumerated() {
            if let v = item(element, "\(path)[\(i)]", &errors) { out.append(v) }
        }
        return out.count == items.count ? .array(out) : nil
    }
}
