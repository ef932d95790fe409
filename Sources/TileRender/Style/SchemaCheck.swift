import GeoCore

/// Type checks of the plain (non-property) values of a style: root keys, sources, layer keys, transitions.
indirect enum SchemaCheck: Sendable {
    case any
    case string
    case boolean
    case object
    case number(min: Double?, max: Double?)
    case enumeration([String])
    /// An array of items, of a fixed length or not.
    case array(SchemaCheck, length: Int?)
    /// Either check passes (the first one's message is reported).
    case either(SchemaCheck, SchemaCheck)

    static let anyNumber = SchemaCheck.number(min: nil, max: nil)

    /// Whether `json` passes, appending the style-spec message to `d` when it does not.
    @discardableResult
    func check(_ json: JSONValue, _ path: String, _ d: inout StyleDiagnostics) -> Bool {
        let found = StyleDiagnostics.typeName(json)
        switch (self, json) {
        case (.any, _), (.string, .string), (.boolean, .bool), (.object, .object):
            return true
        case (.number(let min, let max), .number(let n)):
            if let min, n < min {
                d.error(path, "\(StyleValue.format(n)) is less than the minimum value \(StyleValue.format(min))")
                return false
            }
            if let max, n > max {
                d.error(path, "\(StyleValue.format(n)) is greater than the maximum value \(StyleValue.format(max))")
                return false
            }
            return true
        case (.enumeration(let values), _):
            if case .string(let s) = json, values.contains(s) { return true }
            d.error(path, "expected one of [\(values.joined(separator: ", "))], \(StyleDiagnostics.json(json)) found")
            return false
        case (.array(let item, let length), .array(let items)):
            if let length, items.count != length {
                d.error(path, "array length \(length) expected, length \(items.count) found")
                return false
            }
            var ok = true
            for (i, element) in items.enumerated() where !item.check(element, "\(path)[\(i)]", &d) { ok = false }
            return ok
        case (.either(let first, let second), _):
            var scratch = StyleDiagnostics()
            if second.check(json, path, &scratch) { return true }
            return first.check(json, path, &d)
        case (.string, _): d.error(path, "string expected, \(found) found")
        case (.boolean, _): d.error(path, "boolean expected, \(found) found")
        case (.object, _): d.error(path, "object expected, \(found) found")
        case (.number, _): d.error(path, "number expected, \(found) found")
        case (.array, _): d.error(path, "array expected, \(found) found")
        }
        return false
    }

    /// Checks the known members of `object` (unknown members are ignored) and the required ones.
    static func members(_ object: [String: JSONValue], _ checks: [String: SchemaCheck], required: [String] = [],
                        _ path: String, _ d: inout StyleDiagnostics) {
        for key in required where object[key] == nil {
            d.error(path, "missing required property \"\(key)\"")
        }
        for key in object.keys.sorted() {
            guard let check = checks[key], let value = object[key] else { continue }
            check.check(value, path.isEmpty ? key : "\(path).\(key)", &d)
        }
    }
}
