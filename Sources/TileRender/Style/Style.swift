import Foundation
import GeoCore

/// A MapLibre style (version 8), validated and compiled for the raster renderer.
///
/// The subset drawn: background, fill, line, circle and symbol layers with the properties marked `.supported`
/// in `PropertySpec+Table.swift`, and the expressions `ExpressionParser` compiles. Anything else that is valid
/// style spec loads with a warning and is left out of the drawing.
public struct Style: Sendable {
    /// The whole document as given (the server rewrites sources and layers from it).
    public var document: JSONValue
    /// The root `name`.
    public var name: String?
    /// The root `sprite` when it is a string.
    public var sprite: String?
    /// The root `glyphs` URL template.
    public var glyphs: String?
    /// The sources by id, as given.
    public var sources: [String: JSONValue]
    /// The layers in drawing order (color-relief layers, which have no `StyleLayerType`, are left out).
    public var layers: [StyleLayer]
    /// What the renderer leaves out, one message per layer property, filter or layer, e.g.
    /// `layers[3] "buildings": paint.fill-pattern is not supported; drawn without it`.
    public var warnings: [String]

    /// Parses and validates a style v8 document. Throws `StyleValidationError` when the style is invalid
    /// (not JSON, version != 8, missing required keys, wrong types, bad colours, unknown layer types, a layer
    /// whose source is not in sources, bad filter/expression syntax, ...). Things that are valid style spec
    /// but outside the subset do not throw: they become `warnings`, and the layer is drawn without them.
    public static func load(_ data: Data) throws -> Style {
        let (style, diagnostics) = diagnose(data)
        guard let style, diagnostics.errors.isEmpty else { throw StyleValidationError(errors: diagnostics.errors) }
        return style
    }

    /// The style (nil when it has errors) and everything found while loading it, errors and warnings.
    static func diagnose(_ data: Data) -> (Style?, StyleDiagnostics) {
        var d = StyleDiagnostics()
        let document: JSONValue
        do {
            document = try JSONValue.parse(data)
        } catch {
            d.error("", "the style is not valid JSON: \(String(describing: error).prefix(300))")
            return (nil, d)
        }
        guard case .object(let root) = document else {
            d.error("", "the style must be a JSON object, \(StyleDiagnostics.typeName(document)) found")
            return (nil, d)
        }
        RootValidator.validate(root, &d)
        var sources: [String: JSONValue] = [:]
        if case .object(let s)? = root["sources"] { sources = s }
        var layers: [StyleLayer] = []
        if case .array(let l)? = root["layers"] { layers = LayerLoader.load(l, sources: sources, &d) }
        guard d.errors.isEmpty else { return (nil, d) }
        return (Style(document: document, name: root["name"]?.string, sprite: root["sprite"]?.string,
                      glyphs: root["glyphs"]?.string, sources: sources, layers: layers, warnings: d.warnings), d)
    }
}
