/// The one error type of TileRender.
public struct TileRenderError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is.
    public enum Code: String, Sendable {
        /// Two layers of one tile share a name (MVT 2.1 section 4.1 forbids it).
        case duplicateLayerName
    }

    /// The kind of failure.
    public var code: Code
    /// What went wrong.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
