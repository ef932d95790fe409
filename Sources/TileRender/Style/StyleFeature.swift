import GeoCore

/// What style expressions may read of a feature: its id, attributes and geometry type.
public struct StyleFeature: Sendable {
    /// The feature id (`["id"]`, legacy `"$id"`), nil when the feature has none.
    public var id: Int64?
    /// The attributes by name (`["get", name]`).
    public var properties: [String: AttributeValue]
    /// The geometry type (`["geometry-type"]`, legacy `"$type"`).
    public var geometryType: StyleGeometryType

    /// Creates a feature view.
    public init(id: Int64?, properties: [String: AttributeValue], geometryType: StyleGeometryType) {
        self.id = id
        self.properties = properties
        self.geometryType = geometryType
    }
}
