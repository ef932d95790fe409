import Foundation
import GeoCore

/// What to import, and the layer metadata to set with it.
public struct ImportRequest: Sendable {
    /// The file to read.
    public var file: URL
    /// The layer to write a new version of.
    public var layerID: String
    /// New title; a new layer defaults to its id.
    public var title: String?
    /// Owner organisation; required for a new layer.
    public var owner: String?
    /// Sensitivity; a new layer defaults to `confidential` (deny by default).
    public var sensitivity: Sensitivity?
    /// The CRS of the file's coordinates, overriding what the file declares.
    public var sourceCRS: CRS?
    /// Which layer of a multi-layer file to read.
    public var sourceLayer: String?
    /// Lowest WebMercatorQuad zoom with features.
    public var minZoom: Int?
    /// Highest WebMercatorQuad zoom with features.
    public var maxZoom: Int?
    /// Who imports: named in the audit record of a new layer's default conditions.
    public var actor: AccessActor = .localOperator()

    /// Creates a request.
    public init(file: URL, layerID: String, title: String? = nil, owner: String? = nil,
                sensitivity: Sensitivity? = nil, sourceCRS: CRS? = nil, sourceLayer: String? = nil,
                minZoom: Int? = nil, maxZoom: Int? = nil) {
        self.file = file
        self.layerID = layerID
        self.title = title
        self.owner = owner
        self.sensitivity = sensitivity
        self.sourceCRS = sourceCRS
        self.sourceLayer = sourceLayer
        self.minZoom = minZoom
        self.maxZoom = maxZoom
    }
}

/// How far an import has come.
public struct ImportProgress: Sendable {
    /// Features read so far.
    public var read: Int
    /// Features in the file, when the driver knows.
    public var total: Int?
}

/// What an import did: counts, rejections with reasons, and the published version.
public struct ImportReport: Sendable, Codable {
    /// A group of rejected features with the same reason.
    public struct Rejection: Sendable, Codable, Hashable {
        /// Why these features were not written.
        public var reason: String
        /// How many features.
        public var count: Int
        /// Up to five source feature ids, to find them in the file.
        public var examples: [Int64]
    }

    public var layerID: String
    public var version: Int
    public var file: String
    public var driver: String
    public var sourceLayer: String
    public var crs: CRS
    public var geometryType: GeometryType
    public var featuresRead: Int
    public var featuresWritten: Int
    public var featuresRejected: Int
    /// Invalid geometries that GEOS made valid; they are written.
    public var featuresRepaired: Int
    public var rejections: [Rejection]
    public var checksum: String
    public var seconds: Double
    /// Versions dropped because more than the configured number were kept.
    public var droppedVersions: [Int]
}
