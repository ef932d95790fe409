import Foundation

extension StyleExpression {
    /// The value of the expression for a feature and zoom. Type errors at run time give null (the caller
    /// then uses the property's default, as MapLibre does).
    func evaluate(_ c: EvaluationContext) -> StyleValue {
        switch self {
        case .literal(let v): return v
        case .get(let key): return c.feature?.properties[key].map(StyleValue.init) ?? .null
        case .has(let key): return .bool(c.feature?.properties[key] != nil)
        case .id: return c.feature?.id.map { .number(Double($0)) } ?? .null
        case .geometryType: return c.feature.map { .string($0.geometryType.rawValue) } ?? .null
        case .zoom: return .number(c.zoom)
        case .compare(let op, let l, let r): return Self.compare(op, l.evaluate(c), r.evaluate(c))
        case .not(let x):
            if case .bool(let b) = x.evaluate(c) { return .bool(!b) }
            return .null
        case .all(let xs):
            for x in xs where x.evaluate(c) != .bool(true) { return .bool(false) }
            return .bool(true)
        case .any(let xs):
            for x in xs where x.evaluate(c) == .bool(true) { return .bool(true) }
            return .bool(false)
        case .oneOf(let x, let set): return .bool(set.contains(x.evaluate(c)))
        case .contains(let needle, let haystack): return Self.contains(needle.evaluate(c), haystack.evaluate(c))
        case .match(let input, let labels, let outputs, let fallback):
            if let i = labels[input.evaluate(c)] { return outputs[i].evaluate(c) }
            return fallback.evaluate(c)
        case .conditional(let pairs, let fallback):
            var i = 0
            while i + 1 < pairs.count {
                if pairs[i].evaluate(c) == .bool(true) { return pairs[i + 1].evaluate(c) }
                i += 2
            }
            return fallback.evaluate(c)
        case .coalesce(let xs):
            for x in xs {
                let v = x.evaluate(c)
                if v != .null { return v }
            }
            return .null
        case .assert(let type, let xs):
            for x in xs {
                let v = x.evaluate(c)
                if type.matches(v) { return v }
            }
            return .null
        case .toText(let x): return .string(x.evaluate(c).text)
        case .toNumber(let xs):
            for x in xs {
                if let n = Self.number(x.evaluate(c)) { return .number(n) }
            }
            return .null
        case .toBoolean(let x): return .bool(Self.truthy(x.evaluate(c)))
        case .toColor(let xs):
            for x in xs {
                if let color = Self.color(x.evaluate(c)) { return .color(color) }
            }
            return .null
        case .text(let x):
            let v = x.evaluate(c)
            return v == .null ? .null : .string(v.text)
        case .concat(let xs): return .string(xs.map { $0.evaluate(c).text }.joined())
        case .changeCase(let upper, let x):
            guard case .string(let s) = x.evaluate(c) else { return .null }
            return .string(upper ? s.uppercased() : s.lowercased())
        case .arithmetic(let op, let xs):
            var args: [Double] = []
            args.reserveCapacity(xs.count)
            for x in xs {
                guard case .number(let n) = x.evaluate(c) else { return .null }
                args.append(n)
            }
            return Self.arithmetic(op, args).map(StyleValue.number) ?? .null
        case .rgba(let xs):
            var channels: [Double] = []
            for x in xs {
                guard case .number(let n) = x.evaluate(c) else { return .null }
                channels.append(n)
            }
            guard channels.count >= 3 else { return .null }
            return .color(StyleColor(r: channels[0] / 255, g: channels[1] / 255, b: channels[2] / 255,
                                     a: channels.count > 3 ? channels[3] : 1))
        case .interpolate(let kind, let input, let stops, let outputs):
            guard case .number(let x) = input.evaluate(c) else { return .null }
            return Self.interpolate(kind, x, stops, outputs, c)
        case .step(let input, let first, let stops, let outputs):
            guard case .number(let x) = input.evaluate(c) else { return .null }
            guard let i = stops.lastIndex(where: { $0 <= x }) else { return first.evaluate(c) }
            return outputs[i].evaluate(c)
        case .tokens(let parts):
            var s = ""
            for part in parts {
                switch part {
                case .text(let t): s += t
                case .property(let key): s += c.feature?.properties[key].map { StyleValue($0).text } ?? ""
                }
            }
            return .string(s)
        }
    }
}
