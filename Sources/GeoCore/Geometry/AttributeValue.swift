/// A typed attribute value of a feature, as read from a dataset or stored in a layer.
public enum AttributeValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    /// Raw bytes (BLOB fields). Not carried into vector tiles.
    case blob([UInt8])
}

/// The storage type of an attribute field.
public enum FieldType: String, Sendable, Codable {
    case bool = "BOOLEAN"
    case integer = "INTEGER"
    case real = "REAL"
    case text = "TEXT"
    case date = "DATE"
    case dateTime = "DATETIME"
    case blob = "BLOB"
}

/// A named, typed attribute field.
public struct Field: Hashable, Sendable, Codable {
    /// The field name as the source has it.
    public var name: String
    /// The storage type.
    public var type: FieldType

    /// Creates a field.
    public init(name: String, type: FieldType) {
        self.name = name
        self.type = type
    }
}

/// A feature: an id, an optional geometry and attribute values in the order of a field list.
public struct Feature: Sendable, Hashable {
    /// The feature id.
    public var id: Int64
    /// The geometry; nil for a feature without one.
    public var geometry: Geometry?
    /// Attribute values, one per field of the layer's schema, in the same order.
    public var attributes: [AttributeValue]

    /// Creates a feature.
    public init(id: Int64, geometry: Geometry?, attributes: [AttributeValue]) {
        self.id = id
        self.geometry = geometry
        self.attributes = attributes
    }
}
