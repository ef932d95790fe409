import GeoCore

/// Validation and compilation of a layer's `layout` and `paint` members.
extension LayerLoader {
    /// The compiled properties of the subset; errors for invalid values and unknown names, warnings (when the
    /// layer is drawn) for properties and expressions outside the subset.
    func compileProperties(_ o: [String: JSONValue], _ layerType: String, drawn: Bool, _ label: String, _ path: String,
                           _ d: inout StyleDiagnostics) -> [String: CompiledProperty] {
        let specs = PropertySpec.all(layerType: layerType)
        var compiled: [String: CompiledProperty] = [:]
        for section in ["layout", "paint"] {
            guard case .object(let values)? = o[section] else { continue }
            for (key, value) in values.sorted(by: { $0.key < $1.key }) {
                let at = "\(path).\(section).\(key)"
                if section == "paint", key.hasSuffix("-transition") {
                    let base = String(key.dropLast("-transition".count))
                    guard let spec = specs[base], spec.section == "paint", spec.flags.contains(.transition) else {
                        d.error(at, "unknown property \"\(key)\"")
                        continue
                    }
                    if case .object(let t) = value { RootValidator.validateTransition(t, at, &d) } else {
                        d.error(at, "object expected, \(StyleDiagnostics.typeName(value)) found")
                    }
                    continue
                }
                guard let spec = specs[key], spec.section == section else {
                    d.error(at, "unknown property \"\(key)\"")
                    continue
                }
                let outcome = PropertyCompiler.compile(value, spec, at, &d.errors)
                guard drawn else {
                    if key == "visibility", case .compiled(let c) = outcome { compiled[key] = c }
                    continue
                }
                switch outcome {
                case .invalid:
                    break
                case _ where !spec.flags.contains(.supported):
                    d.warnings.append("\(label): \(section).\(key) is not supported; drawn without it")
                case .unsupported(let what):
                    d.warnings.append("\(label): \(section).\(key) uses \(local(what, path)), which is not supported; drawn with the default")
                case .compiled(let c):
                    compiled[key] = c
                }
            }
        }
        if layerType == "raster", case .object(let paint)? = o["paint"], paint["resampling"] != nil, paint["raster-resampling"] != nil {
            let id = StyleValue.string(o["id"]?.string ?? "").json
            d.error(path, "layer \(id) redundantly specifies \"resampling\" and \"raster-resampling\" paint properties, but only one is allowed. It is advised to use \"resampling\".")
        }
        return compiled
    }
}
