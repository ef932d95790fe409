import Foundation
import GeoCore
import TileRender

/// Layer zoom limits are WebMercatorQuad levels (as in TileJSON and MapLibre). For another
/// tile matrix set the server compares ground resolution: a level of that set counts as the
/// WebMercatorQuad level with the nearest ground cell size at the layer's latitude.
public enum ZoomEquivalence {
    /// The WebMercatorQuad level equivalent to level `z` of `tms` at `latitude` degrees.
    public static func webMercatorZoom(of tms: TileMatrixSet, z: Int, latitude: Double) -> Int {
        if tms.id == TileMatrixSet.webMercatorQuad.id { return z }
        guard let matrix = tms.matrix(z) else { return z }
        let groundCell = matrix.cellSize * tms.metersPerUnit
        let lat = latitude.isFinite ? min(max(latitude, -85), 85) : 0
        let wm = TileMatrixSet.webMercatorQuad.cellSizeAtZoomZero * cos(lat * .pi / 180)
        let level = log2(wm / groundCell).rounded()
        return level.isFinite ? Int(min(max(level, -64), 64)) : z
    }

    /// The levels of `tms` equivalent to WebMercatorQuad levels `minZoom...maxZoom` at `latitude`.
    public static func zoomRange(of tms: TileMatrixSet, minZoom: Int, maxZoom: Int, latitude: Double) -> ClosedRange<Int>? {
        let levels = tms.zoomRange.filter {
            let w = webMercatorZoom(of: tms, z: $0, latitude: latitude)
            return w >= minZoom && w <= maxZoom
        }
        guard let lo = levels.first, let hi = levels.last else { return nil }
        return lo...hi
    }
}
