import Foundation
import GeoCore

/// A value style expressions produce and consume.
enum StyleValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case color(StyleColor)
    case array([StyleValue])
    case object([String: StyleValue])

    /// A JSON literal as a value (colours stay strings; the parser turns them into colours where a colour
    /// is expected).
    init(_ json: JSONValue) {
        switch json {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .number(let n): self = .number(n)
        case .string(let s): self = .string(s)
        case .array(let a): self = .array(a.map(StyleValue.init))
        case .object(let o): self = .object(o.mapValues(StyleValue.init))
        }
    }

    /// A feature attribute as a value: integers and reals are both numbers, blobs are null.
    init(_ attribute: AttributeValue) {
        switch attribute {
        case .null, .blob: self = .null
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .number(Double(i))
        case .double(let d): self = .number(d)
        case .string(let s): self = .string(s)
        }
    }

    /// The expression type of this value.
    var type: ExpressionType {
        switch self {
        case .null: return .null
        case .bool: return .boolean
        case .number: return .number
        case .string: return .string
        case .color: return .color
        case .object: return .object
        case .array(let items):
            var item: ExpressionType? = nil
            for v in items {
                let t = v.type
                if item == nil { item = t } else if item != t { item = .value; break }
            }
            return .array(item ?? .value, items.count)
        }
    }

    /// The value as `to-string` converts it: null is "", numbers as JavaScript writes them, colours as
    /// `rgba(...)`, arrays and objects as JSON.
    var text: String {
        switch self {
        case .null: ""
        case .bool(let b): b ? "true" : "false"
        case .number(let n): Self.format(n)
        case .string(let s): s
        case .color(let c): c.cssString
        case .array, .object: json
        }
    }

    /// JSON text of the value.
    var json: String {
        switch self {
        case .null: "null"
        case .bool, .number: text
        case .color(let c): "\"\(c.cssString)\""
        case .string(let s):
            "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        case .array(let a): "[" + a.map(\.json).joined(separator: ",") + "]"
        case .object(let o): "{" + o.keys.sorted().map { "\"\($0)\":\(o[$0]?.json ?? "null")" }.joined(separator: ",") + "}"
        }
    }

    /// A number as JavaScript's `String(n)` writes it for the common cases: integers without a fraction.
    static func format(_ n: Double) -> String {
        if n.isNaN { return "NaN" }
        if n.isInfinite { return n < 0 ? "-Infinity" : "Infinity" }
        if n == n.rounded(), abs(n) < 1e18 { return String(Int64(n)) }
        return "\(n)"
    }
}
