import GeoCore

/// The errors and warnings collected while a style loads.
struct StyleDiagnostics {
    /// Problems that make the style invalid, each "path: message".
    var errors: [String] = []
    /// Valid style spec outside the drawn subset, each naming the layer and property.
    var warnings: [String] = []

    /// Records an error at `path` (empty for the document itself).
    mutating func error(_ path: String, _ message: String) {
        errors.append(path.isEmpty ? message : "\(path): \(message)")
    }

    /// The style spec's name for the JSON type of a value, as the validation messages use it.
    static func typeName(_ v: JSONValue) -> String {
        switch v {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// A value as compact JSON, for messages (`"x"`, `3`, `["mvt"]`).
    static func json(_ v: JSONValue) -> String {
        StyleValue(v).json
    }
}
