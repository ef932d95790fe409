/// One layer of a style, with its filter and properties compiled for evaluation per feature.
///
/// The property getters take the spec name of a paint or layout property. They return the layer's value for
/// the feature and zoom; the spec default when the layer does not set the property, sets it to something
/// outside the subset, or its value evaluates to null or the wrong type (as MapLibre falls back); nil only when
/// there is no default (`text-field`, `icon-image`, `line-dasharray`, `fill-outline-color`: draw the outline
/// in the fill colour) or the name is not a property of this layer type. Numbers are clamped to the spec's range.
public struct StyleLayer: Sendable {
    /// The layer id.
    public var id: String
    /// The layer type; only background, fill, line, circle and symbol layers are drawn.
    public var type: StyleLayerType
    /// The source id (nil for background layers).
    public var source: String?
    /// The layer of the vector source.
    public var sourceLayer: String?
    /// The layer is shown when `minZoom <= zoom`.
    public var minZoom: Double?
    /// The layer is shown when `zoom < maxZoom`.
    public var maxZoom: Double?

    /// The filter; `.never` when it uses an expression outside the subset.
    enum Filter: Sendable {
        case all
        case expression(StyleExpression)
        case never
    }

    var filter: Filter
    /// The set properties of the subset, compiled, by spec name.
    var properties: [String: CompiledProperty]
    /// The specs of this layer type's properties (for defaults and types).
    var specs: [String: PropertySpec]

    /// Whether the layer is visible at `zoom`: `visibility` is not "none" and `minZoom <= zoom < maxZoom`.
    public func isShown(atZoom zoom: Double) -> Bool {
        if let minZoom, zoom < minZoom { return false }
        if let maxZoom, zoom >= maxZoom { return false }
        return string("visibility", nil, zoom: zoom) != "none"
    }

    /// Whether the layer's filter accepts the feature (true without a filter, false when the filter is outside
    /// the subset).
    public func matches(_ feature: StyleFeature, zoom: Double) -> Bool {
        switch filter {
        case .all: true
        case .never: false
        case .expression(let e): e.evaluate(EvaluationContext(feature: feature, zoom: zoom)) == .bool(true)
        }
    }

    /// A colour property (`fill-color`, `line-color`, `text-halo-color`, ...).
    public func color(_ property: String, _ feature: StyleFeature?, zoom: Double) -> StyleColor? {
        resolve(property, feature, zoom) { v, _ in
            switch v {
            case .color(let c): c
            case .string(let s): StyleColor(css: s)
            default: nil
            }
        }
    }

    /// A number property (`line-width`, `circle-radius`, `text-size`, `fill-opacity`, ...). A padding
    /// (`icon-padding`) given as one value in an array is that value.
    public func number(_ property: String, _ feature: StyleFeature?, zoom: Double) -> Double? {
        resolve(property, feature, zoom) { v, spec in
            switch v {
            case .number(let n) where n.isFinite: Self.clamp(n, spec)
            case .array(let items) where items.count == 1 && spec.type == .padding:
                if case .number(let n) = items[0], n.isFinite { Self.clamp(n, spec) } else { nil }
            default: nil
            }
        }
    }

    /// A number array property (`text-offset`, `icon-offset`, `line-dasharray`).
    public func numbers(_ property: String, _ feature: StyleFeature?, zoom: Double) -> [Double]? {
        resolve(property, feature, zoom) { v, spec in
            switch v {
            case .number(let n) where n.isFinite: return [Self.clamp(n, spec)]
            case .array(let items):
                if case .numberArray(let length?) = spec.type, items.count != length { return nil }
                var out: [Double] = []
                for item in items {
                    guard case .number(let n) = item, n.isFinite else { return nil }
                    out.append(Self.clamp(n, spec))
                }
                return out
            default: return nil
            }
        }
    }

    /// A string property: `text-field` (formatted text as plain text, `{token}`s substituted), `icon-image`,
    /// and enumerations (`line-cap`, `line-join`, `text-anchor`, `icon-anchor`, `symbol-placement`, `visibility`, ...).
    public func string(_ property: String, _ feature: StyleFeature?, zoom: Double) -> String? {
        resolve(property, feature, zoom) { v, spec in
            guard case .string(let s) = v else { return nil }
            if case .enumeration(let values) = spec.type, !values.contains(s) { return nil }
            return s
        }
    }

    /// A string array property (`text-font`).
    public func strings(_ property: String, _ feature: StyleFeature?, zoom: Double) -> [String]? {
        resolve(property, feature, zoom) { v, _ in
            guard case .array(let items) = v else { return nil }
            var out: [String] = []
            for item in items {
                guard case .string(let s) = item else { return nil }
                out.append(s)
            }
            return out
        }
    }

    /// A boolean property (`text-allow-overlap`, `icon-allow-overlap`, ...).
    public func bool(_ property: String, _ feature: StyleFeature?, zoom: Double) -> Bool? {
        resolve(property, feature, zoom) { v, _ in
            if case .bool(let b) = v { b } else { nil }
        }
    }

    /// Whether a property's value is the same for every feature at a zoom: it is not set, set to
    /// a constant, or an expression that reads no feature data (`get`, `has`, `id`, `geometry-type`, ...).
    public func isFeatureConstant(_ property: String) -> Bool {
        switch properties[property] {
        case nil, .constant?: true
        case .expression(let e)?: !e.readsFeature
        }
    }

    /// The layer's value converted by `convert`, else the converted default.
    private func resolve<T>(_ name: String, _ feature: StyleFeature?, _ zoom: Double,
                            _ convert: (StyleValue, PropertySpec) -> T?) -> T? {
        guard let spec = specs[name] else { return nil }
        if let compiled = properties[name] {
            let v: StyleValue = switch compiled {
            case .constant(let c): c
            case .expression(let e): e.evaluate(EvaluationContext(feature: feature, zoom: zoom))
            }
            if let converted = convert(v, spec) { return converted }
        }
        return spec.defaultValue.flatMap { convert($0, spec) }
    }

    private static func clamp(_ n: Double, _ spec: PropertySpec) -> Double {
        min(spec.maximum ?? .infinity, max(spec.minimum ?? -.infinity, n))
    }
}
