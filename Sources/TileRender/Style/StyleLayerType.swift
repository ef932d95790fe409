/// The type of a style layer (style spec `layers[].type`).
///
/// Only background, fill, line, circle and symbol layers are drawn; the others load with a warning.
public enum StyleLayerType: String, Sendable {
    /// Fills the whole tile with a colour.
    case background
    /// Filled polygons.
    case fill
    /// Stroked lines (and polygon outlines).
    case line
    /// Circles at points.
    case circle
    /// Text labels and icons.
    case symbol
    /// Raster tiles: loaded, never drawn.
    case raster
    /// Hillshading from a raster-dem source: loaded, never drawn.
    case hillshade
    /// Heat maps: loaded, never drawn.
    case heatmap
    /// Extruded polygons: loaded, never drawn.
    case fillExtrusion = "fill-extrusion"

    /// Whether layers of this type are drawn by the raster renderer.
    var isDrawn: Bool {
        switch self {
        case .background, .fill, .line, .circle, .symbol: true
        case .raster, .hillshade, .heatmap, .fillExtrusion: false
        }
    }

    /// Whether the layer reads features from a vector (or GeoJSON) source.
    var usesVectorSource: Bool {
        switch self {
        case .fill, .line, .circle, .symbol, .heatmap, .fillExtrusion: true
        case .background, .raster, .hillshade: false
        }
    }
}
