/// The one error type of the layer store and import.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is.
    public enum Code: String, Sendable {
        /// The request itself is wrong (bad id, missing owner, bad zoom).
        case invalidRequest
        /// No such layer or version.
        case notFound
        /// The caller may see the layer but not do this to it (any more).
        case forbidden
        /// The file cannot be imported as it is (no CRS, no features, wrong types).
        case invalidInput
        /// Reading the source file failed.
        case sourceRead
        /// The database failed.
        case database
        /// The import was cancelled.
        case cancelled
    }

    /// The kind of failure.
    public var code: Code
    /// What failed and how to fix it.
    public var message: String
    /// The file, layer or SQL involved.
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
