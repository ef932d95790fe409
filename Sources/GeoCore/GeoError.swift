/// The one error type of GeoCore: a code, what was being done, and the C library's own message.
public struct GeoError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is.
    public enum Code: String, Sendable {
        /// Bytes that are not a valid WKB or GeoPackage geometry.
        case invalidGeometryEncoding
        /// JSON that is not valid GeoJSON.
        case invalidGeoJSON
        /// A CRS that PROJ does not know or cannot transform.
        case crs
        /// A coordinate transformation failed.
        case transform
        /// A GEOS operation failed.
        case geometryOperation
        /// A dataset cannot be opened or read.
        case datasetOpen
        /// A driver outside the allowlist, a network path or a VRT.
        case datasetNotAllowed
        /// A dataset could not be read after it was opened.
        case datasetRead
        /// A dataset could not be written.
        case datasetWrite
    }

    /// The kind of failure.
    public var code: Code
    /// A sentence that says what failed and, where it can, how to fix it.
    public var message: String
    /// The file, CRS or operation the error is about, when there is one.
    public var context: String?

    /// Creates an error.
    public init(_ code: Code, _ message: String, context: String? = nil) {
        self.code = code
        self.message = message
        self.context = context
    }

    public var description: String {
        if let context { return "\(context): \(message)" }
        return message
    }
}
