/// The static type of an expression, as the style spec's expression type system names them.
indirect enum ExpressionType: Hashable, Sendable, CustomStringConvertible {
    case null
    case number
    case string
    case boolean
    case color
    case object
    /// Any value; checked at run time.
    case value
    /// Formatted text (`text-field`).
    case formatted
    /// An image name (`icon-image`).
    case resolvedImage
    /// An array of items, with a fixed length or not.
    case array(ExpressionType, Int?)

    var description: String {
        switch self {
        case .null: "null"
        case .number: "number"
        case .string: "string"
        case .boolean: "boolean"
        case .color: "color"
        case .object: "object"
        case .value: "value"
        case .formatted: "formatted"
        case .resolvedImage: "resolvedImage"
        case .array(let item, let n):
            if let n { "array<\(item), \(n)>" } else if item == .value { "array" } else { "array<\(item)>" }
        }
    }

    /// Whether an expression of type `actual` can be used where `self` is expected without a run-time check.
    func accepts(_ actual: ExpressionType) -> Bool {
        switch (self, actual) {
        case (.value, _): return true
        case (.array(let item, let n), .array(let actualItem, let actualN)):
            return (n == nil || n == actualN) && (item == .value || item.accepts(actualItem))
        default: return self == actual
        }
    }

    /// Whether a value of this type can be tested at run time against `expected` (the static types overlap).
    func mayBe(_ expected: ExpressionType) -> Bool {
        if self == .value || expected.accepts(self) { return true }
        if case .array(let item, _) = self, case .array = expected { return item == .value }
        return false
    }

    /// Whether values of this type can be interpolated.
    var isInterpolatable: Bool {
        switch self {
        case .number, .color: true
        case .array(let item, let n): item == .number && n != nil
        default: false
        }
    }

    /// Whether a run-time value conforms to this type.
    func matches(_ v: StyleValue) -> Bool {
        switch (self, v) {
        case (.value, _), (.null, .null), (.number, .number), (.string, .string), (.boolean, .bool),
             (.color, .color), (.object, .object), (.formatted, .string), (.resolvedImage, .string):
            return true
        case (.array(let item, let n), .array(let items)):
            return (n == nil || n == items.count) && items.allSatisfy { item.matches($0) }
        default:
            return false
        }
    }
}
