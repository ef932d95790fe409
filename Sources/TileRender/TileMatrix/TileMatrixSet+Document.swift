import Foundation
import GeoCore

/// The OGC TMS 2.0 JSON encoding of a tile matrix set (schema tileMatrixSet.json).
public struct TileMatrixSetDocument: Encodable, Sendable {
    public struct BoundingBox: Encodable, Sendable {
        public var crs: String
        public var lowerLeft: [Double]
        public var upperRight: [Double]
    }
    public struct Matrix: Encodable, Sendable {
        public var id: String
        public var scaleDenominator: Double
        public var cellSize: Double
        public var cornerOfOrigin = "topLeft"
        public var pointOfOrigin: [Double]
        public var tileWidth: Int
        public var tileHeight: Int
        public var matrixWidth: Int
        public var matrixHeight: Int
    }
    public var id: String
    public var title: String
    public var uri: String?
    public var crs: String
    public var orderedAxes: [String]
    public var wellKnownScaleSet: String?
    public var boundingBox: BoundingBox
    public var tileMatrices: [Matrix]
}

extension TileMatrixSet {
    /// The set as an OGC TMS 2.0 JSON document.
    public var document: TileMatrixSetDocument {
        TileMatrixSetDocument(
            id: id, title: title, uri: uri, crs: crs.uri, orderedAxes: ["X", "Y"],
            wellKnownScaleSet: wellKnownScaleSet,
            boundingBox: .init(crs: crs.uri, lowerLeft: [boundingBox.minX, boundingBox.minY],
                               upperRight: [boundingBox.maxX, boundingBox.maxY]),
            tileMatrices: zoomRange.compactMap { z in
                guard let m = matrix(z) else { return nil }
                return .init(id: String(z), scaleDenominator: m.scaleDenominator, cellSize: m.cellSize,
                             pointOfOrigin: [m.pointOfOrigin.x, m.pointOfOrigin.y],
                             tileWidth: m.tileWidth, tileHeight: m.tileHeight,
                             matrixWidth: m.matrixWidth, matrixHeight: m.matrixHeight)
            })
    }
}
