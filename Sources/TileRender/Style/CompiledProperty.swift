/// A property value ready for evaluation.
enum CompiledProperty: Sendable {
    /// The same for every feature and zoom (evaluated once at load).
    case constant(StyleValue)
    /// Evaluated per feature and/or zoom.
    case expression(StyleExpression)
}
