/// The simple-features geometry types GeoCore models, with their WKB codes.
public enum GeometryType: String, Sendable, Codable, CaseIterable {
    /// Any geometry type (a layer with mixed types).
    case geometry = "GEOMETRY"
    case point = "POINT"
    case lineString = "LINESTRING"
    case polygon = "POLYGON"
    case multiPoint = "MULTIPOINT"
    case multiLineString = "MULTILINESTRING"
    case multiPolygon = "MULTIPOLYGON"
    case geometryCollection = "GEOMETRYCOLLECTION"

    /// The 2D WKB type code.
    public var wkbCode: UInt32 {
        switch self {
        case .geometry: 0
        case .point: 1
        case .lineString: 2
        case .polygon: 3
        case .multiPoint: 4
        case .multiLineString: 5
        case .multiPolygon: 6
        case .geometryCollection: 7
        }
    }

    /// The type for a 2D WKB code, or nil when the code is not one GeoCore models.
    public init?(wkbCode: UInt32) {
        switch wkbCode {
        case 0: self = .geometry
        case 1: self = .point
        case 2: self = .lineString
        case 3: self = .polygon
        case 4: self = .multiPoint
        case 5: self = .multiLineString
        case 6: self = .multiPolygon
        case 7: self = .geometryCollection
        default: return nil
        }
    }

    /// The GeoJSON `type` member for this geometry type.
    public var geoJSONName: String {
        switch self {
        case .geometry: "Geometry"
        case .point: "Point"
        case .lineString: "LineString"
        case .polygon: "Polygon"
        case .multiPoint: "MultiPoint"
        case .multiLineString: "MultiLineString"
        case .multiPolygon: "MultiPolygon"
        case .geometryCollection: "GeometryCollection"
        }
    }

    /// The multi form of a single type (point -> multipoint); other types map to themselves.
    public var multi: GeometryType {
        switch self {
        case .point: .multiPoint
        case .lineString: .multiLineString
        case .polygon: .multiPolygon
        default: self
        }
    }

    /// The basic dimension family: points, lines or polygons; nil for generic and collections.
    public var family: Family? {
        switch self {
        case .point, .multiPoint: .point
        case .lineString, .multiLineString: .line
        case .polygon, .multiPolygon: .polygon
        case .geometry, .geometryCollection: nil
        }
    }

    /// The three dimension families a map layer can draw.
    public enum Family: String, Sendable, Codable {
        case point, line, polygon
    }

    /// True when a feature of type `other` may be stored in a layer declared with this type.
    ///
    /// Single types are accepted in their multi layer (they are promoted on write);
    /// a generic `GEOMETRY` layer accepts everything.
    public func accepts(_ other: GeometryType) -> Bool {
        if self == .geometry || self == other { return true }
        return self == other.multi
    }
}
