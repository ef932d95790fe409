import Foundation
import GeoCore

extension TileMatrixSet {
    /// OGC WebMercatorQuad (EPSG:3857), zooms 0-24: the Google Maps compatible quadtree.
    ///
    /// Defined by the WGS 84 semi-major axis: origin at (-πa, πa) and a cell size at
    /// zoom 0 of 2πa / 256.
    public static let webMercatorQuad: TileMatrixSet = {
        let a = 6_378_137.0
        return TileMatrixSet(
            id: "WebMercatorQuad",
            title: "Google Maps Compatible for the World",
            uri: "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad",
            crs: .webMercator,
            wellKnownScaleSet: "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
            pointOfOrigin: Position(-Double.pi * a, Double.pi * a),
            cellSizeAtZoomZero: 2 * Double.pi * a / 256,
            matrixSizeAtZoomZero: (1, 1),
            tileSize: 256,
            zoomRange: 0...24,
            metersPerUnit: 1,
            boundingBox: Envelope(minX: -Double.pi * a, minY: -Double.pi * a, maxX: Double.pi * a, maxY: Double.pi * a))
    }()

    /// NetherlandsRDNewQuad (EPSG:28992), zooms 0-16, as PDOK publishes it: origin
    /// (-285401.92, 903401.92), cell size 3440.64 m at zoom 0, one 256-pixel tile at zoom 0.
    public static let netherlandsRDNewQuad = TileMatrixSet(
        id: "NetherlandsRDNewQuad",
        title: "Amersfoort / RD New schema for the Netherlands",
        uri: "http://www.opengis.net/def/tilematrixset/OGC/1.0/NetherlandsRDNewQuad",
        crs: .rdNew,
        wellKnownScaleSet: "urn:ogc:def:wkss:OGC:1.0:NLDEPSG28992Scale",
        pointOfOrigin: Position(-285_401.92, 903_401.92),
        cellSizeAtZoomZero: 3440.64,
        matrixSizeAtZoomZero: (1, 1),
        tileSize: 256,
        zoomRange: 0...16,
        metersPerUnit: 1,
        boundingBox: Envelope(minX: -285_401.92, minY: 22_598.08, maxX: 595_401.92, maxY: 903_401.92))

    /// The sets this service serves, in listing order.
    public static let supported: [TileMatrixSet] = [.webMercatorQuad, .netherlandsRDNewQuad]

    /// The supported set with identifier `id` (case-sensitive, as OGC identifiers are).
    public static func named(_ id: String) -> TileMatrixSet? {
        supported.first { $0.id == id }
    }
}
