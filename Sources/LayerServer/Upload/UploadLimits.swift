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
    /// Uploads of one organisation in progress at once, from the first byte until the job
    /// ends (`upload-concurrent-per-organisation`); beyond it 429.
    public var maxConcurrentPerOrganisation: Int
    /// Uploads in progress at once on this server (`upload-concurrent-total`); beyond it 429.
    public var maxConcurrentTotal: Int
    /// Free bytes the data directory's file system keeps: an upload that would leave less is
    /// refused with 507, and one that brings it below is cut off (`upload-disk-reserve-mb`).
    public var diskReserveBytes: Int

    /// Creates limits; the defaults fit a national layer of a few million features.
    public init(maxUploadBytes: Int = 2 << 30, maxUncompressedBytes: Int = 4 << 30, maxFiles: Int = 64,
                maxFeatures: Int = 5_000_000, maxVertices: Int = 200_000_000,
                maxConcurrentPerOrganisation: Int = 4, maxConcurrentTotal: Int = 16, diskReserveBytes: Int = 1 << 30) {
        self.maxUploadBytes = maxUploadBytes
        self.maxUncompressedBytes = maxUncompressedBytes
        self.maxFiles = maxFiles
        self.maxFeatures = maxFeatures
        self.maxVertices = maxVertices
        self.maxConcurrentPerOrganisation = maxConcurrentPerOrganisation
        self.maxConcurrentTotal = maxConcurrentTotal
        self.diskReserveBytes = diskReserveBytes
    }

    var importLimits: ImportLimits { ImportLimits(maxFeatures: maxFeatures, maxVertices: maxVertices) }
}
