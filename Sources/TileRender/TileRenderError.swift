/// The one error type of TileRender.
public struct TileRenderError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is.
    public enum Code: String, Sendable {
        /// Two layers of one tile share a name (MVT 2.1 section 4.1 forbids it).
        case duplicateLayerName
        /// Cairo could not create or draw a raster tile (its status text is in the message).
        case render
        /// A sprite sheet's PNG or JSON index is unreadable or inconsistent.
        case invalidSprite
        /// A glyph range request is outside 0...65535, not a multiple of 256, or names no usable font.
        case invalidGlyphRange
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
