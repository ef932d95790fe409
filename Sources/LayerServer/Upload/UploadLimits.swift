/// Limits on one upload. Every limit stops the upload with a 4xx that names it.
public struct UploadLimits: Sendable, Hashable {
    /// Bytes of the request body (`upload-max-mb`).
    public var maxUploadBytes: Int
    /// Bytes a zip archive may unpack to, over all its files (`upload-max-uncompressed-mb`).
    public var maxUncompressedBytes: Int
    /// Files (entries) in a zip archive (`upload-max-files`).
    public var maxFiles: Int
    /// Features in the file (`upload-max-features`).
    public var maxFeatures: Int
    /// Coordinate pairs over all features (`upload-max-vertices`).
    public var maxVertices: Int

    /// Creates limits; the defaults fit a national layer of a few million features.
    public init(maxUploadBytes: Int = 2 << 30, maxUncompressedBytes: Int = 4 << 30, maxFiles: Int = 64,
                maxFeatures: Int = 5_000_000, maxVertices: Int = 200_000_000) {
        self.maxUploadBytes = maxUploadBytes
        self.maxUncompressedBytes = maxUncompressedBytes
        self.maxFiles = maxFiles
        self.maxFeatures = maxFeatures
        self.maxVertices = maxVertices
    }

    var importLimits: ImportLimits { ImportLimits(maxFeatures: maxFeatures, maxVertices: maxVertices) }
}
