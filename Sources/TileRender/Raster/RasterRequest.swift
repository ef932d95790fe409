import GeoCore

/// One raster tile to draw: where it is, at which style zoom, and how many device pixels per CSS pixel.
public struct RasterRequest: Sendable {
    /// The tile's bounds in the CRS of the features (metres, y up).
    public var bounds: Envelope
    /// The style zoom (Web Mercator equivalent; the server computes it for RD tiles).
    public var zoom: Double
    /// Device pixels per CSS pixel: 1 (256 px tiles) or 2 ("@2x", 512 px). Style sizes are multiplied by it.
    public var pixelRatio: Double
    /// The image's width and height in device pixels, normally 256 × `pixelRatio`.
    public var size: Int

    /// A request; `size` defaults to 256 × `pixelRatio`, rounded.
    public init(bounds: Envelope, zoom: Double, pixelRatio: Double = 1, size: Int? = nil) {
        self.bounds = bounds
        self.zoom = zoom
        self.pixelRatio = pixelRatio
        self.size = size ?? Int((256 * (pixelRatio.isFinite ? pixelRatio : 1)).rounded())
    }
}
