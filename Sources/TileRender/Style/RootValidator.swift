import GeoCore

/// Validation of the root members of a style and of its sources.
enum RootValidator {
    static func validate(_ root: [String: JSONValue], _ d: inout StyleDiagnostics) {
        // The camera members only position an interactive map; the server never uses them, so a bad value
        // (PDOK's styles carry "center": []) is a warning, not a reason to refuse the style.
        var camera = StyleDiagnostics()
        SchemaCheck.members(root, [
            "center": .array(.anyNumber, length: 2), "centerAltitude": .anyNumber, "zoom": .anyNumber,
            "bearing": .anyNumber, "pitch": .anyNumber, "roll": .anyNumber,
        ], "", &camera)
        d.warnings += camera.errors.map { "\($0); ignored (the server does not use the camera members)" }
        SchemaCheck.members(root, [
            "name": .string, "state": .object, "light": .object,
            "sky": .object, "terrain": .object, "projection": .object, "sources": .object, "glyphs": .string,
            "sprite": .either(.string, .array(.object, length: nil)), "font-faces": .object, "transition": .object,
            "layers": .array(.any, length: nil),
        ], required: ["version", "sources", "layers"], "", &d)
        if let v = root["version"], v != .number(8) {
            d.error("version", "expected one of [8], \(StyleDiagnostics.json(v)) found")
        }
        if root["constants"] != nil { d.error("constants", "constants have been deprecated as of v8") }
        if case .string(let glyphs)? = root["glyphs"] {
            for token in ["{fontstack}", "{range}"] where !glyphs.contains(token) {
                d.error("glyphs", "\"glyphs\" url must include a \"\(token)\" token")
            }
        }
        if case .array(let sprites)? = root["sprite"] {
            for (i, sprite) in sprites.enumerated() {
                guard case .object(let o) = sprite else { continue }
                SchemaCheck.members(o, ["id": .string, "url": .string], required: ["id", "url"], "sprite[\(i)]", &d)
            }
        }
        if case .object(let t)? = root["transition"] { validateTransition(t, "transition", &d) }
        if case .object(let faces)? = root["font-faces"] {
            for (name, face) in faces.sorted(by: { $0.key < $1.key }) {
                SchemaCheck.either(.string, .array(.object, length: nil)).check(face, "font-faces.\(name)", &d)
            }
        }
        if case .object(let sources)? = root["sources"] {
            for (id, source) in sources.sorted(by: { $0.key < $1.key }) { validateSource(source, "sources.\(id)", &d) }
        }
    }

    /// A `transition` object: duration and delay, both at least 0.
    static func validateTransition(_ t: [String: JSONValue], _ path: String, _ d: inout StyleDiagnostics) {
        for key in t.keys.sorted() where key != "duration" && key != "delay" {
            d.error(path, "unknown property \"\(key)\"")
        }
        SchemaCheck.members(t, ["duration": .number(min: 0, max: nil), "delay": .number(min: 0, max: nil)], path, &d)
    }

    static func validateSource(_ json: JSONValue, _ path: String, _ d: inout StyleDiagnostics) {
        guard case .object(let o) = json else {
            d.error(path, "object expected, \(StyleDiagnostics.typeName(json)) found")
            return
        }
        guard let type = o["type"] else {
            d.error(path, "\"type\" is required")
            return
        }
        if type == .string("canvas") {
            d.error(path, "Please use runtime APIs to add canvas sources, rather than including them in stylesheets.")
            return
        }
        let types = ["vector", "raster", "raster-dem", "geojson", "video", "image"]
        guard SchemaCheck.enumeration(types).check(type, path + ".type", &d), let kind = type.string else { return }
        let tiled: [String: SchemaCheck] = [
            "url": .string, "tiles": .array(.string, length: nil), "bounds": .array(.anyNumber, length: 4),
            "minzoom": .anyNumber, "maxzoom": .anyNumber, "attribution": .string, "volatile": .boolean,
            "scheme": .enumeration(["xyz", "tms"]), "tileSize": .anyNumber, "promoteId": .either(.string, .object),
        ]
        let corners = SchemaCheck.array(.array(.anyNumber, length: 2), length: 4)
        switch kind {
        case "vector":
            SchemaCheck.members(o, tiled.merging(["encoding": .enumeration(["mvt", "mlt"])]) { $1 }, path, &d)
        case "raster":
            SchemaCheck.members(o, tiled, path, &d)
        case "raster-dem":
            SchemaCheck.members(o, tiled.merging([
                "encoding": .enumeration(["terrarium", "mapbox", "custom"]), "redFactor": .anyNumber,
                "greenFactor": .anyNumber, "blueFactor": .anyNumber, "baseShift": .anyNumber,
            ]) { $1 }, path, &d)
        case "geojson":
            SchemaCheck.members(o, [
                "maxzoom": .anyNumber, "attribution": .string, "buffer": .number(min: 0, max: 512),
                "tolerance": .anyNumber, "cluster": .boolean, "clusterRadius": .number(min: 0, max: nil),
                "clusterMaxZoom": .anyNumber, "clusterMinPoints": .anyNumber, "clusterProperties": .object,
                "lineMetrics": .boolean, "generateId": .boolean, "promoteId": .either(.string, .object),
            ], required: ["data"], path, &d)
            if case .object(let properties)? = o["clusterProperties"] {
                for (name, value) in properties.sorted(by: { $0.key < $1.key }) {
                    guard case .array(let reduce) = value, reduce.count >= 2 else { continue }
                    var scan = ExpressionParser(isFilter: false)
                    scan.scan(reduce[1])
                    if scan.usesZoom || scan.usesFeatureState {
                        d.error("\(path).\(name).map", "\"zoom\" and \"feature-state\" expressions are not supported with cluster properties.")
                    }
                }
            }
        case "video":
            SchemaCheck.members(o, ["urls": .array(.string, length: nil), "coordinates": corners],
                                required: ["urls", "coordinates"], path, &d)
        default:
            SchemaCheck.members(o, ["url": .string, "coordinates": corners], required: ["url", "coordinates"], path, &d)
        }
    }
}
