/// A small multipolygon in WGS 84 longitude/latitude: an activity's area of operations.
/// Each polygon is an outer ring followed by its holes; rings are closed or not, either works.
public struct Area: Codable, Sendable, Hashable {
    /// A longitude/latitude pair.
    public struct Point: Codable, Sendable, Hashable {
        public var lon: Double
        public var lat: Double
        public init(lon: Double, lat: Double) {
            self.lon = lon
            self.lat = lat
        }
    }

    /// Polygons; each is `[outer, hole, hole, ...]`.
    public var polygons: [[[Point]]]

    public init(polygons: [[[Point]]]) {
        self.polygons = polygons
    }

    /// A rectangle, for tests and simple activities.
    public static func box(minLon: Double, minLat: Double, maxLon: Double, maxLat: Double) -> Area {
        Area(polygons: [[[Point(lon: minLon, lat: minLat), Point(lon: maxLon, lat: minLat), Point(lon: maxLon, lat: maxLat),
                          Point(lon: minLon, lat: maxLat), Point(lon: minLon, lat: minLat)]]])
    }

    /// Checks what the policy needs: at least one polygon, rings of 3+ finite points in range.
    public var problem: String? {
        if polygons.isEmpty { return "an area needs at least one polygon" }
        for polygon in polygons {
            guard !polygon.isEmpty else { return "an area polygon needs an outer ring" }
            for ring in polygon {
                if ring.count < 3 { return "every ring needs at least 3 points" }
                if ring.count > 10_000 { return "a ring has more than 10,000 points" }
                for p in ring where !(p.lon.isFinite && p.lat.isFinite && abs(p.lon) <= 180 && abs(p.lat) <= 90) {
                    return "point (\(p.lon), \(p.lat)) is not a WGS 84 longitude/latitude"
                }
            }
        }
        return nil
    }
}
