/// The one error of the risk-picture domain. LayerServer maps it to HTTP.
public struct RiskPictureError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Code: String, Sendable {
        /// An area that cannot be used (too few positions, open ring, outside the world).
        case invalidArea
        /// A contribution that cannot be taken (missing fields, times out of order).
        case invalidContribution
        /// No such item or version.
        case notFound
        /// The step does not fit the item's state (accepting a rejected item, ...).
        case conflict
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
