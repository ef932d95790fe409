/// Compilation of a validated legacy function to an expression (MapLibre's function semantics).
extension LegacyFunction {
    /// The expression for validated stops. `fallback` is the function's `default`; without one a miss gives
    /// null and the property's spec default applies.
    func build(_ stops: [(key: StyleValue, zoom: Double?, value: StyleValue)], base: Double,
               fallback: StyleValue?) -> StyleExpression? {
        let otherwise = StyleExpression.literal(fallback ?? .null)
        guard !stops.isEmpty || type == "identity" else { return nil }
        guard let property else {
            // A zoom function; constant and zoom-function strings resolve {tokens}.
            let outputs = stops.map { stop -> StyleExpression in
                if spec.flags.contains(.tokens), case .string(let s) = stop.value, let t = StyleExpression.tokenString(s) { return t }
                return .literal(stop.value)
            }
            return curve(.zoom, keys(stops.map(\.key)), outputs, base)
        }
        if type == "identity" {
            let input = StyleExpression.get(property)
            let coerced: StyleExpression = switch spec.type {
            case .color: .toColor([input])
            case .formatted, .resolvedImage: .text(input)
            default: .assert(spec.expressionType, [input])
            }
            return fallback == nil ? coerced : .coalesce([coerced, otherwise])
        }
        guard zoomAndProperty else {
            return propertyCurve(property, stops.map { ($0.key, $0.value) }, base, otherwise)
        }
        var groups: [(zoom: Double, stops: [(StyleValue, StyleValue)])] = []
        for stop in stops {
            let zoom = stop.zoom ?? 0
            if groups.last?.zoom == zoom {
                groups[groups.count - 1].stops.append((stop.key, stop.value))
            } else {
                groups.append((zoom, [(stop.key, stop.value)]))
            }
        }
        let inner = groups.map { propertyCurve(property, $0.stops, base, otherwise) }
        let zooms = groups.map(\.zoom)
        if spec.flags.contains(.interpolated) {
            return .interpolate(base == 1 ? .linear : .exponential(base), .zoom, zooms, inner)
        }
        guard let first = inner.first else { return nil }
        return .step(.zoom, first, Array(zooms.dropFirst()), Array(inner.dropFirst()))
    }

    /// A function of one attribute: categorical (exact match), interval or exponential.
    private func propertyCurve(_ property: String, _ stops: [(StyleValue, StyleValue)], _ base: Double,
                               _ otherwise: StyleExpression) -> StyleExpression {
        let input = StyleExpression.get(property)
        if type == "categorical" {
            var labels: [StyleValue: Int] = [:]
            var outputs: [StyleExpression] = []
            for (key, value) in stops where labels[key] == nil {
                labels[key] = outputs.count
                outputs.append(.literal(value))
            }
            return .match(input, labels, outputs, otherwise)
        }
        return .coalesce([curve(input, keys(stops.map(\.0)), stops.map { .literal($0.1) }, base), otherwise])
    }

    private func curve(_ input: StyleExpression, _ keys: [Double], _ outputs: [StyleExpression], _ base: Double) -> StyleExpression {
        guard let first = outputs.first else { return .literal(.null) }
        if type == "exponential", spec.flags.contains(.interpolated) {
            return .interpolate(base == 1 ? .linear : .exponential(base), input, keys, outputs)
        }
        return .step(input, first, Array(keys.dropFirst()), Array(outputs.dropFirst()))
    }

    private func keys(_ values: [StyleValue]) -> [Double] {
        values.map { if case .number(let n) = $0 { n } else { 0 } }
    }
}
