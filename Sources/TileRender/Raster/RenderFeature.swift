import GeoCore

/// A feature handed to the raster renderer: geometry in the request's CRS and the attributes the caller may see.
public struct RenderFeature: Sendable {
    /// The feature id, when it has one.
    public var id: Int64?
    /// The geometry, in the same CRS as ``RasterRequest/bounds``.
    public var geometry: Geometry
    /// The attributes by name.
    public var properties: [String: AttributeValue]

    /// Creates a feature.
    public init(id: Int64? = nil, geometry: Geometry, properties: [String: AttributeValue] = [:]) {
        self.id = id
        self.geometry = geometry
        self.properties = properties
    }
}
