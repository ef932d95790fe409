extension StyleExpression {
    /// Whether the expression reads anything of the feature (its properties, id or geometry
    /// type); false means its value depends on the zoom at most, so a renderer evaluates it
    /// once per layer instead of once per feature.
    var readsFeature: Bool {
        switch self {
        case .literal, .zoom: false
        case .get, .has, .id, .geometryType, .tokens: true
        case .compare(_, let a, let b), .contains(let a, let b): a.readsFeature || b.readsFeature
        case .not(let e), .toText(let e), .toBoolean(let e), .text(let e), .changeCase(_, let e), .oneOf(let e, _): e.readsFeature
        case .all(let es), .any(let es), .coalesce(let es), .assert(_, let es), .toNumber(let es), .toColor(let es),
             .concat(let es), .arithmetic(_, let es), .rgba(let es):
            es.contains { $0.readsFeature }
        case .match(let input, _, let outputs, let fallback):
            input.readsFeature || fallback.readsFeature || outputs.contains { $0.readsFeature }
        case .conditional(let parts, let fallback):
            fallback.readsFeature || parts.contains { $0.readsFeature }
        case .interpolate(_, let input, _, let outputs):
            input.readsFeature || outputs.contains { $0.readsFeature }
        case .step(let input, let first, _, let outputs):
            input.readsFeature || first.readsFeature || outputs.contains { $0.readsFeature }
        }
    }
}

extension StyleExpression {
    /// The feature properties the expression reads (by `get`, `has` and `{token}`s).
    var propertyNames: Set<String> {
        var out = Set<String>()
        collectProperties(into: &out)
        return out
    }

    private func collectProperties(into out: inout Set<String>) {
        switch self {
        case .literal, .zoom, .id, .geometryType: return
        case .get(let name), .has(let name): out.insert(name)
        case .tokens(let parts):
            for case .property(let name) in parts { out.insert(name) }
        case .compare(_, let a, let b), .contains(let a, let b):
            a.collectProperties(into: &out); b.collectProperties(into: &out)
        case .not(let e), .toText(let e), .toBoolean(let e), .text(let e), .changeCase(_, let e), .oneOf(let e, _):
            e.collectProperties(into: &out)
        case .all(let es), .any(let es), .coalesce(let es), .assert(_, let es), .toNumber(let es), .toColor(let es),
             .concat(let es), .arithmetic(_, let es), .rgba(let es):
            for e in es { e.collectProperties(into: &out) }
        case .match(let input, _, let outputs, let fallback):
            input.collectProperties(into: &out); fallback.collectProperties(into: &out)
            for e in outputs { e.collectProperties(into: &out) }
        case .conditional(let parts, let fallback):
            fallback.collectProperties(into: &out)
            for e in parts { e.collectProperties(into: &out) }
        case .interpolate(_, let input, _, let outputs):
            input.collectProperties(into: &out)
            for e in outputs { e.collectProperties(into: &out) }
        case .step(let input, let first, _, let outputs):
            input.collectProperties(into: &out); first.collectProperties(into: &out)
            for e in outputs { e.collectProperties(into: &out) }
        }
    }
}

extension StyleLayer {
    /// The feature properties the layer reads: in its filter and in any of its properties. A
    /// renderer needs no other attribute of the layer's features.
    public var readProperties: Set<String> {
        var out = Set<String>()
        if case .expression(let e) = filter { out.formUnion(e.propertyNames) }
        for case .expression(let e) in properties.values { out.formUnion(e.propertyNames) }
        return out
    }
}
