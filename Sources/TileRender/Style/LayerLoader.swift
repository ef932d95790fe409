import Foundation
import GeoCore

/// Validates the layers of a style and compiles them into `StyleLayer`s.
struct LayerLoader {
    let sources: [String: JSONValue]
    /// The layer JSON as given.
    let layers: [JSONValue]
    /// The index of the first layer with each id.
    let firstIndex: [String: Int]

    static let types = ["fill", "line", "symbol", "circle", "heatmap", "fill-extrusion", "raster", "hillshade",
                        "color-relief", "background"]

    /// The drawable layers, in order. Layers with errors are left out (the style does not load anyway);
    /// color-relief layers, which `StyleLayerType` has no case for, are left out with a warning.
    static func load(_ layers: [JSONValue], sources: [String: JSONValue], _ d: inout StyleDiagnostics) -> [StyleLayer] {
        var firstIndex: [String: Int] = [:]
        for (i, layer) in layers.enumerated() {
            if case .string(let id)? = layer["id"], firstIndex[id] == nil { firstIndex[id] = i }
        }
        let loader = LayerLoader(sources: sources, layers: layers, firstIndex: firstIndex)
        var out: [StyleLayer] = []
        for (i, layer) in layers.enumerated() {
            if let loaded = loader.load(layer, i, &d) { out.append(loaded) }
        }
        return out
    }

    private func load(_ json: JSONValue, _ i: Int, _ d: inout StyleDiagnostics) -> StyleLayer? {
        let path = "layers[\(i)]"
        guard case .object(let given) = json else {
            d.error(path, "object expected, \(StyleDiagnostics.typeName(json)) found")
            return nil
        }
        switch given["id"] {
        case nil: d.error(path, "missing required property \"id\"")
        case .string(let id)?:
            // MapLibre refuses duplicate ids; PDOK's styles have them and the renderer does not need unique
            // ids, so this is a warning.
            if let first = firstIndex[id], first != i {
                d.warnings.append("\(path) \(StyleValue.string(id).json): duplicate layer id, previously used by layers[\(first)]; both are drawn")
            }
        case let other?: d.error(path + ".id", "string expected, \(StyleDiagnostics.typeName(other)) found")
        }
        guard let o = dereference(given, path, &d) else { return nil }
        guard let typeJSON = o["type"] else {
            d.error(path, "either \"type\" or \"ref\" is required")
            return nil
        }
        guard SchemaCheck.enumeration(Self.types).check(typeJSON, path + ".type", &d), let typeName = typeJSON.string else {
            return nil
        }
        let id = o["id"]?.string ?? ""
        SchemaCheck.members(o, [
            "source": .string, "source-layer": .string, "minzoom": .number(min: 0, max: 24),
            "maxzoom": .number(min: 0, max: 24), "layout": .object, "paint": .object,
        ], path, &d)
        if typeName != "background" { checkSource(o, id: id, type: typeName, path, &d) }
        let label = "\(path) \(StyleValue.string(id).json)"
        guard let type = StyleLayerType(rawValue: typeName) else {
            _ = compileProperties(o, typeName, drawn: false, label, path, &d)
            d.warnings.append("\(label): layer type \"\(typeName)\" is not supported; the layer is left out")
            return nil
        }
        if !type.isDrawn { d.warnings.append("\(label): layer type \"\(typeName)\" is not supported; the layer is never drawn") }
        let properties = compileProperties(o, typeName, drawn: type.isDrawn, label, path, &d)
        var filter = StyleLayer.Filter.all
        if let f = o["filter"] {
            var notes: [String] = []
            switch FilterCompiler.compile(f, path + ".filter", &d.errors, &notes) {
            case .compiled(let e): filter = .expression(e)
            case .invalid: break
            case .unsupported(let what):
                filter = .never
                if type.isDrawn { d.warnings.append("\(label): filter uses \(local(what, path)), which is not supported; the layer is not drawn") }
            }
            if type.isDrawn { d.warnings += notes.map { "\(label): \(local($0, path))" } }
        }
        return StyleLayer(id: id, type: type, source: o["source"]?.string, sourceLayer: o["source-layer"]?.string,
                          minZoom: o["minzoom"]?.number, maxZoom: o["maxzoom"]?.number, filter: filter,
                          properties: properties, specs: PropertySpec.all(layerType: typeName))
    }

    /// A path without the layer prefix, for warnings that already name the layer.
    func local(_ text: String, _ layerPath: String) -> String {
        text.replacingOccurrences(of: layerPath + ".", with: "")
    }

    /// The layer with a `ref` resolved: type, source, source-layer, zoom range, filter and layout come from
    /// the referenced layer. Nil (with errors) when the reference is invalid.
    private func dereference(_ o: [String: JSONValue], _ path: String, _ d: inout StyleDiagnostics) -> [String: JSONValue]? {
        guard let ref = o["ref"] else { return o }
        let inherited = ["type", "source", "source-layer", "minzoom", "maxzoom", "filter", "layout"]
        var ok = true
        for key in inherited where key != "minzoom" && key != "maxzoom" && o[key] != nil {
            d.error(path, "\"\(key)\" is prohibited for ref layers")
            ok = false
        }
        guard case .string(let name) = ref else {
            d.error(path + ".ref", "string expected, \(StyleDiagnostics.typeName(ref)) found")
            return nil
        }
        guard let j = firstIndex[name], case .object(let parent) = layers[j] else {
            d.error(path, "ref layer \"\(name)\" not found")
            return nil
        }
        guard parent["ref"] == nil else {
            d.error(path, "ref cannot reference another ref layer")
            return nil
        }
        guard ok else { return nil }
        var merged = o
        merged["ref"] = nil
        for key in inherited { merged[key] = parent[key] }
        return merged
    }

    /// Source present, known and of a kind the layer type can use (the style spec's checks, in its order).
    private func checkSource(_ o: [String: JSONValue], id: String, type: String, _ path: String, _ d: inout StyleDiagnostics) {
        guard let sourceJSON = o["source"] else {
            d.error(path, "missing required property \"source\"")
            return
        }
        guard case .string(let name) = sourceJSON else { return }
        guard let source = sources[name] else {
            d.error(path, "source \"\(name)\" not found")
            return
        }
        let sourceType = source["type"]?.string ?? ""
        let quoted = StyleValue.string(id).json
        let demTypes = ["hillshade", "color-relief"]
        if sourceType == "vector", type == "raster" {
            d.error(path, "layer \(quoted) requires a raster source")
        } else if sourceType != "raster-dem", demTypes.contains(type) {
            d.error(path, "layer \(quoted) requires a raster-dem source")
        } else if sourceType == "raster", type != "raster" {
            d.error(path, "layer \(quoted) requires a vector source")
        } else if sourceType == "vector", o["source-layer"] == nil {
            d.error(path, "layer \(quoted) must specify a \"source-layer\"")
        } else if sourceType == "raster-dem", !demTypes.contains(type) {
            d.error(path, "raster-dem source can only be used with layer type 'hillshade' or 'color-relief'.")
        } else if type == "line", o["paint"]?["line-gradient"] != nil,
                  sourceType != "geojson" || source["lineMetrics"] != .bool(true) {
            d.error(path, "layer \(quoted) specifies a line-gradient, which requires a GeoJSON source with `lineMetrics` enabled.")
        }
    }
}
