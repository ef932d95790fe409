/// One paint or layout property of a layer type, as the style spec reference (v8.json) defines it.
struct PropertySpec: Sendable {
    /// How the value is typed.
    enum ValueType: Sendable, Equatable {
        case number, color, boolean, string, formatted, resolvedImage
        case enumeration([String])
        /// An array of numbers, of a fixed length or not.
        case numberArray(length: Int?)
        case stringArray
        case enumArray([String])
        /// A number or an array of 1 to 4 numbers.
        case padding
        /// A number or a non-empty array of numbers (hillshade).
        case numberOrArray
        /// A colour or a non-empty array of colours (hillshade).
        case colorOrArray
        case variableAnchorOffsetCollection
    }

    /// What the property accepts and whether we use it.
    struct Flags: OptionSet, Sendable {
        let rawValue: Int
        /// A layout property (else paint).
        static let layout = Flags(rawValue: 1 << 0)
        /// Accepts zoom expressions and zoom functions.
        static let zoom = Flags(rawValue: 1 << 1)
        /// Accepts data (feature) expressions and property functions.
        static let data = Flags(rawValue: 1 << 2)
        /// Accepts `feature-state`.
        static let featureState = Flags(rawValue: 1 << 3)
        /// Values can be interpolated.
        static let interpolated = Flags(rawValue: 1 << 4)
        /// Legacy `{token}` strings are substituted.
        static let tokens = Flags(rawValue: 1 << 5)
        /// Only a constant is allowed (no expression, no function).
        static let constant = Flags(rawValue: 1 << 6)
        /// In the subset the renderer draws.
        static let supported = Flags(rawValue: 1 << 7)
        /// Accepts a `<name>-transition` object (paint).
        static let transition = Flags(rawValue: 1 << 8)
    }

    let name: String
    let type: ValueType
    /// The default; nil when the spec has none.
    let defaultValue: StyleValue?
    let minimum: Double?
    let maximum: Double?
    let flags: Flags

    init(_ name: String, _ type: ValueType, _ defaultValue: StyleValue?, min: Double? = nil, max: Double? = nil,
         _ flags: Flags) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.minimum = min
        self.maximum = max
        self.flags = flags
    }

    /// The expression type values of the property must have.
    var expressionType: ExpressionType {
        switch type {
        case .number: .number
        case .color: .color
        case .boolean: .boolean
        case .string, .enumeration: .string
        case .formatted: .formatted
        case .resolvedImage: .resolvedImage
        case .numberArray(let n): .array(.number, n)
        case .stringArray: .array(.string, nil)
        case .enumArray: .array(.string, nil)
        case .padding, .numberOrArray, .colorOrArray, .variableAnchorOffsetCollection: .value
        }
    }

    /// The section the property belongs in.
    var section: String { flags.contains(.layout) ? "layout" : "paint" }

    /// The spec of `name` for a layer type ("fill", "color-relief", ...), nil when the type has no such property.
    static func find(_ name: String, layerType: String) -> PropertySpec? {
        table[layerType]?[name]
    }

    /// The properties of a layer type by name.
    static func all(layerType: String) -> [String: PropertySpec] {
        table[layerType] ?? [:]
    }

    private static let table: [String: [String: PropertySpec]] = rows.mapValues { specs in
        Dictionary(specs.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }
}
