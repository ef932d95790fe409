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
    /// Who imports: named in the version's history and in the audit records.
    public var actor: AccessActor = .localOperator()
    /// The access rules that allowed the import and the policy they came from, for the audit record.
    public var grantedBy: (rules: [String], policyHash: String)?
    /// Reject the whole file on any finding (`reject`), or keep what can be kept (`repair`).
    public var errorMode: ErrorMode = .repair
    /// Keep the new version staged instead of publishing it.
    public var stage = false
    /// The name to report instead of the file's own (an upload's original name).
    public var displayName: String?
    /// Upper limits on what the file may hold; nil: none.
    public var limits: ImportLimits?
    /// The upload job this import belongs to.
    public var jobID: String?
    /// The uploader's write decision, taken again in the stage or publish transaction; nil for the local operator.
    public var authority: Authority?
    /// Called once the file has been read and the version written, before it is staged or
    /// published: an upload's files can go.
    public var onWritten: (@Sendable () -> Void)?
    /// Title, sensitivity and zooms apply only when the layer turns out to be new (uploads).
    public var newLayerMetadataOnly = false
    /// The owner when the layer turns out to be new (an upload: the uploader's organisation);
    /// an existing layer keeps its owner.
    public var newLayerOwner: String?

    /// What to do with features that fail validation.
    public enum ErrorMode: String, Sendable, Codable {
        /// Reject-on-any-error: one rejected or repaired feature fails the whole upload.
        case reject
        /// Accept-with-repairs: repair what GEOS can, leave out what cannot be kept, report both.
        case repair
    }

    /// The name shown in reports and errors.
    var fileName: String { displayName ?? file.lastPathComponent }

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

/// Limits on the content of one file (zip bombs and their relatives).
public struct ImportLimits: Sendable, Hashable {
    /// Features read.
    public var maxFeatures: Int
    /// Coordinate pairs over all features.
    public var maxVertices: Int

    public init(maxFeatures: Int, maxVertices: Int) {
        self.maxFeatures = maxFeatures
        self.maxVertices = maxVertices
    }
}

/// How far an import has come.
public struct ImportProgress: Sendable {
    /// Features read so far.
    public var read: Int
    /// Features in the file, when the driver knows.
    public var total: Int?
    /// Features written so far, once the write phase has begun.
    public var written: Int?
}

/// What an import did: counts, rejections with reasons, and the published version.
public struct ImportReport: Sendable, Codable {
    /// A group of rejected features with the same reason.
    public struct Rejection: Sendable, Codable, Hashable {
        /// The category (no-geometry, invalid-geometry, outside-netherlands, ...).
        public var code: ValidationCode
        /// Why these features were not written (or, for repaired-geometry, what was repaired).
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
    /// Repaired geometries by reason, with examples (they are written).
    public var repairs: [Rejection] = []
    /// Differences with the layer's current schema.
    public var schemaChanges: [String] = []
    /// The uploader's choice: reject-on-any-error or accept-with-repairs.
    public var errorMode: ImportRequest.ErrorMode = .repair
    /// published or staged.
    public var state: String = "published"
    public var checksum: String
    public var seconds: Double
    /// Versions dropped because more than the configured number were kept.
    public var droppedVersions: [Int]
}
