import Foundation
import GeoCore
import Testing
@testable import TileRender

/// Defaults, visibility, warnings for what is outside the subset, and the shape of validation errors.
@Suite("Style layers")
struct StyleLayerTests {
    typealias T = StyleTestData

    @Test("unset properties give the spec defaults; properties without a default are nil")
    func defaults() throws {
        let fill = try T.layer(type: "fill", "")
        #expect(fill.color("fill-color", nil, zoom: 0) == StyleColor(r: 0, g: 0, b: 0))
        #expect(fill.number("fill-opacity", nil, zoom: 0) == 1)
        #expect(fill.color("fill-outline-color", nil, zoom: 0) == nil)
        #expect(fill.number("line-width", nil, zoom: 0) == nil, "not a fill property")
        #expect(fill.number("no-such-property", nil, zoom: 0) == nil)
        let line = try T.layer(type: "line", "")
        #expect(line.number("line-width", nil, zoom: 0) == 1)
        #expect(line.string("line-cap", nil, zoom: 0) == "butt")
        #expect(line.string("line-join", nil, zoom: 0) == "miter")
        #expect(line.numbers("line-dasharray", nil, zoom: 0) == nil)
        #expect(line.number("line-miter-limit", nil, zoom: 0) == 2)
        let circle = try T.layer(type: "circle", "")
        #expect(circle.number("circle-radius", nil, zoom: 0) == 5)
        #expect(circle.number("circle-stroke-width", nil, zoom: 0) == 0)
        let symbol = try T.layer(type: "symbol", "")
        #expect(symbol.string("text-field", nil, zoom: 0) == nil)
        #expect(symbol.string("icon-image", nil, zoom: 0) == nil)
        #expect(symbol.number("text-size", nil, zoom: 0) == 16)
        #expect(symbol.strings("text-font", nil, zoom: 0) == ["Open Sans Regular", "Arial Unicode MS Regular"])
        #expect(symbol.string("text-anchor", nil, zoom: 0) == "center")
        #expect(symbol.string("icon-anchor", nil, zoom: 0) == "center")
        #expect(symbol.numbers("text-offset", nil, zoom: 0) == [0, 0])
        #expect(symbol.number("icon-size", nil, zoom: 0) == 1)
        #expect(symbol.number("icon-padding", nil, zoom: 0) == 2)
        #expect(symbol.bool("text-allow-overlap", nil, zoom: 0) == false)
        #expect(symbol.string("symbol-placement", nil, zoom: 0) == "point")
        #expect(symbol.color("text-halo-color", nil, zoom: 0) == StyleColor(r: 0, g: 0, b: 0, a: 0))
        #expect(try T.layer(type: "background", "").color("background-color", nil, zoom: 0) == StyleColor(r: 0, g: 0, b: 0))
    }

    @Test("a value that evaluates to null or the wrong type falls back to the default; numbers are clamped")
    func fallbacks() throws {
        let fill = try T.layer(type: "fill", ##""paint": {"fill-color": ["get", "c"], "fill-opacity": ["get", "o"]}"##)
        #expect(fill.color("fill-color", T.feature(), zoom: 0) == StyleColor(r: 0, g: 0, b: 0))
        #expect(fill.color("fill-color", T.feature(["c": .string("#fff")]), zoom: 0) == StyleColor(r: 1, g: 1, b: 1))
        #expect(fill.number("fill-opacity", T.feature(["o": .int(3)]), zoom: 0) == 1)
        #expect(fill.number("fill-opacity", T.feature(["o": .double(-2)]), zoom: 0) == 0)
        let line = try T.layer(type: "line", ##""layout": {"line-cap": ["get", "cap"]}"##)
        #expect(line.string("line-cap", T.feature(["cap": .string("round")]), zoom: 0) == "round")
        #expect(line.string("line-cap", T.feature(["cap": .string("weird")]), zoom: 0) == "butt")
        let constant = try T.layer(type: "symbol", ##""layout": {"text-font": ["literal", ["DejaVu Sans Bold"]], "text-size": 12}"##)
        #expect(constant.strings("text-font", nil, zoom: 0) == ["DejaVu Sans Bold"])
        guard case .constant? = constant.properties["text-font"] else {
            Issue.record("a feature- and zoom-independent expression is evaluated once at load")
            return
        }
    }

    @Test("isShown: visibility and minzoom <= zoom < maxzoom")
    func isShown() throws {
        let ranged = try T.layer(type: "fill", ##""minzoom": 5, "maxzoom": 10"##)
        #expect(!ranged.isShown(atZoom: 4.99))
        #expect(ranged.isShown(atZoom: 5))
        #expect(ranged.isShown(atZoom: 9.99))
        #expect(!ranged.isShown(atZoom: 10))
        #expect(ranged.minZoom == 5 && ranged.maxZoom == 10)
        let hidden = try T.layer(type: "fill", ##""layout": {"visibility": "none"}"##)
        #expect(!hidden.isShown(atZoom: 7))
        let open = try T.layer(type: "fill", "")
        #expect(open.isShown(atZoom: 0) && open.isShown(atZoom: 24))
        #expect(open.source == "s" && open.sourceLayer == "l" && open.type == .fill && open.id == "x")
    }

    @Test("properties, expressions, filters and layer types outside the subset are warnings naming layer and path")
    func warnings() throws {
        let style = try T.style(##"""
            {"version": 8, "sources": {"s": {"type": "vector", "tiles": ["t"]}, "r": {"type": "raster", "tiles": ["t"]}},
             "layers": [
              {"id": "a", "type": "fill", "source": "s", "source-layer": "l",
               "paint": {"fill-pattern": "dots", "fill-antialias": false, "fill-color": ["interpolate-hcl", ["linear"], ["zoom"], 0, "red", 5, "blue"]}},
              {"id": "b", "type": "line", "source": "s", "source-layer": "l", "filter": ["within", {"type": "Polygon", "coordinates": []}],
               "paint": {"line-offset": 2, "line-width": 3, "line-color": {"colorSpace": "hcl", "stops": [[0, "red"], [9, "blue"]]}}},
              {"id": "c", "type": "raster", "source": "r"},
              {"id": "d", "type": "symbol", "source": "s", "source-layer": "l",
               "layout": {"text-field": ["format", ["get", "name"], {"font-scale": 1.2}], "visibility": ["global-state", "v"]}}
             ]}
            """##)
        #expect(style.warnings.sorted() == [
            ##"layers[0] "a": paint.fill-antialias is not supported; drawn without it"##,
            ##"layers[0] "a": paint.fill-color uses "interpolate-hcl" (paint.fill-color), which is not supported; drawn with the default"##,
            ##"layers[0] "a": paint.fill-pattern is not supported; drawn without it"##,
            ##"layers[1] "b": filter uses "within" (filter), which is not supported; the layer is not drawn"##,
            ##"layers[1] "b": paint.line-color uses "colorSpace": "hcl" (paint.line-color.colorSpace), which is not supported; drawn with the default"##,
            ##"layers[1] "b": paint.line-offset is not supported; drawn without it"##,
            ##"layers[2] "c": layer type "raster" is not supported; the layer is never drawn"##,
            ##"layers[3] "d": layout.text-field uses "format" with options (layout.text-field), which is not supported; drawn with the default"##,
            ##"layers[3] "d": layout.visibility uses "global-state" (layout.visibility), which is not supported; drawn with the default"##,
        ])
        let a = style.layers[0], b = style.layers[1], d = style.layers[3]
        #expect(a.color("fill-color", T.feature(), zoom: 3) == StyleColor(r: 0, g: 0, b: 0))
        #expect(!b.matches(T.feature(), zoom: 0))
        #expect(b.number("line-width", nil, zoom: 0) == 3)
        #expect(d.string("text-field", T.feature(["name": .string("x")]), zoom: 0) == nil)
        #expect(d.isShown(atZoom: 0))
        #expect(style.layers[2].type == .raster)
    }

    @Test("validation errors name the path and what is wrong")
    func errors() {
        #expect(T.errors("not json").first?.hasPrefix("the style is not valid JSON") == true)
        #expect(T.errors("[]") == ["the style must be a JSON object, array found"])
        #expect(T.errors(##"{"version": 7, "sources": {}, "layers": []}"##) == ["version: expected one of [8], 7 found"])
        let style = ##"""
            {"version": 8, "sources": {"s": {"type": "vector", "tiles": ["t"]}},
             "layers": [{"id": "a", "type": "fill", "source": "s", "source-layer": "l", "paint": {"fill-color": "blu", "fill-opacity": 2}},
                        {"id": "b", "type": "lines", "source": "s"},
                        {"id": "c", "type": "line", "source": "nope"},
                        {"id": "d", "type": "symbol", "source": "s", "source-layer": "l", "layout": {"text-size": ["get"]}}]}
            """##
        #expect(T.errors(style) == [
            ##"layers[0].paint.fill-color: color expected, "blu" found"##,
            "layers[0].paint.fill-opacity: 2 is greater than the maximum value 1",
            ##"layers[1].type: expected one of [fill, line, symbol, circle, heatmap, fill-extrusion, raster, hillshade, color-relief, background], "lines" found"##,
            ##"layers[2]: source "nope" not found"##,
            "layers[3].layout.text-size: Expected at least 1 argument, but found only 0.",
        ])
        #expect(StyleValidationError(errors: ["x: y"]).description.contains("x: y"))
    }

    @Test("a ref layer takes type, source, filter and layout from the layer it names")
    func ref() throws {
        let style = try T.style(##"""
            {"version": 8, "sources": {"s": {"type": "vector", "tiles": ["t"]}},
             "layers": [{"id": "a", "type": "line", "source": "s", "source-layer": "l", "filter": ["==", "k", 1], "layout": {"line-cap": "round"}},
                        {"id": "b", "ref": "a", "paint": {"line-width": 4}}]}
            """##)
        let b = try #require(style.layers.last)
        #expect(b.id == "b" && b.type == .line && b.sourceLayer == "l")
        #expect(b.string("line-cap", nil, zoom: 0) == "round")
        #expect(b.number("line-width", nil, zoom: 0) == 4)
        #expect(b.matches(T.feature(["k": .int(1)]), zoom: 0) && !b.matches(T.feature(), zoom: 0))
    }
}
