/// The geometry type of a feature as style filters see it (`["geometry-type"]`, legacy `"$type"`).
public enum StyleGeometryType: String, Sendable {
    /// Points and multi-points.
    case point = "Point"
    /// Line strings and multi-line strings.
    case lineString = "LineString"
    /// Polygons and multi-polygons.
    case polygon = "Polygon"
}
