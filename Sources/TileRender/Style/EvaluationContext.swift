/// What an expression is evaluated against.
struct EvaluationContext {
    /// The feature; nil for properties that do not depend on one (background).
    var feature: StyleFeature?
    /// The style zoom.
    var zoom: Double
}
