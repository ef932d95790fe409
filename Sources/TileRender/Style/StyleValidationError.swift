/// A style document that is not a valid style v8 document.
public struct StyleValidationError: Error, Sendable, CustomStringConvertible {
    /// One message per problem, each prefixed with the path of the offending value as the style-spec
    /// validation fixtures write it, e.g. `layers[0].paint.fill-color: color expected, "x" found`.
    public var errors: [String]

    /// Creates the error from its messages.
    public init(errors: [String]) {
        self.errors = errors
    }

    /// A count of the problems followed by one per line.
    public var description: String {
        "invalid style (\(errors.count) problem\(errors.count == 1 ? "" : "s")):\n" + errors.joined(separator: "\n")
    }
}
