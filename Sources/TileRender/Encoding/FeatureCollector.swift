import GeoCore

/// A sink that keeps a layer's features with their attributes by name, for the raster renderer.
public struct FeatureCollector: FeatureSink {
    public let name: String
    /// The features kept, in the order they were added.
    public private(set) var features: [RenderFeature] = []
    private let fieldNames: [String]
    private let query: Envelope

    /// Creates a collector for features whose envelope meets `query` (in the CRS of the geometries).
    public init(name: String, fieldNames: [String], query: Envelope) {
        self.name = name
        self.fieldNames = fieldNames
        self.query = query
    }

    @discardableResult
    public mutating func add(id: Int64?, geometry: Geometry, attributes: [AttributeValue]) -> Bool {
        guard let e = geometry.envelope, e.intersects(query) else { return false }
        var properties: [String: AttributeValue] = [:]
        properties.reserveCapacity(attributes.count)
        for (name, value) in zip(fieldNames, attributes) {
            switch value {
            case .null, .blob: continue
            default: properties[name] = value
            }
        }
        features.append(RenderFeature(id: id, geometry: geometry, properties: properties))
        return true
    }
}
