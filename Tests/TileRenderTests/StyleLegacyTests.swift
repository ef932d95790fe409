import Foundation
import GeoCore
import Testing
@testable import TileRender

/// The deprecated syntaxes real styles still use: legacy filters, legacy functions, {token} strings.
@Suite("Style legacy syntax")
struct StyleLegacyTests {
    typealias T = StyleTestData

    static func filter(_ filter: String) throws -> StyleLayer {
        try T.layer(type: "line", ##""filter": \##(filter)"##)
    }

    static func layer(_ type: String, _ section: String, _ property: String, _ value: String) throws -> StyleLayer {
        try T.layer(type: type, ##""\##(section)": {"\##(property)": \##(value)}"##)
    }

    @Test("legacy filters: ==, !=, in, !in, has, !has, all, any, none, comparisons, $type and $id")
    func filters() throws {
        let road = T.feature(["kind": .string("road"), "lanes": .int(2), "name": .string("A12")], id: 5, type: .lineString)
        let cases: [(String, Bool)] = [
            (##"["==", "kind", "road"]"##, true),
            (##"["==", "lanes", 2]"##, true),
            (##"["==", "lanes", "2"]"##, false),
            (##"["!=", "kind", "rail"]"##, true),
            (##"["!=", "missing", "x"]"##, true),
            (##"["in", "kind", "rail", "road"]"##, true),
            (##"["in", "kind"]"##, false),
            (##"["!in", "kind", "rail", "water"]"##, true),
            (##"["has", "name"]"##, true),
            (##"["!has", "name"]"##, false),
            (##"["<", "lanes", 3]"##, true),
            (##"[">=", "lanes", 3]"##, false),
            (##"["<", "name", 3]"##, false),
            (##"["==", "$type", "LineString"]"##, true),
            (##"["in", "$type", "Point", "Polygon"]"##, false),
            (##"["==", "$id", 5]"##, true),
            (##"["has", "$id"]"##, true),
            (##"["all", ["==", "kind", "road"], [">", "lanes", 1]]"##, true),
            (##"["any", ["==", "kind", "rail"], ["==", "lanes", 1]]"##, false),
            (##"["none", ["==", "kind", "rail"], ["==", "lanes", 1]]"##, true),
            (##"["all"]"##, true),
        ]
        for (json, expected) in cases {
            #expect(try Self.filter(json).matches(road, zoom: 0) == expected, "\(json)")
        }
        #expect(!(try Self.filter(##"["has", "$id"]"##)).matches(T.feature(), zoom: 0))
        let bad = T.errors(##"{"version": 8, "sources": {"s": {"type": "vector", "tiles": ["t"]}}, "layers": [{"id": "x", "type": "line", "source": "s", "source-layer": "l", "filter": ["all", ["<", "$type", "Point"]]}]}"##)
        #expect(bad == [##"layers[0].filter[1]: "$type" cannot be use with operator "<""##])
    }

    @Test("legacy zoom functions: exponential with a base, interval for non-interpolatable values, colours")
    func zoomFunctions() throws {
        let width = try Self.layer("line", "paint", "line-width", ##"{"base": 1.5, "stops": [[10, 1], [20, 5]]}"##)
        let t = (pow(1.5, 5) - 1) / (pow(1.5, 10) - 1) as Double
        #expect(abs((width.number("line-width", nil, zoom: 15) ?? 0) - (1 + 4 * t)) < 1e-9)
        #expect(width.number("line-width", nil, zoom: 5) == 1)
        #expect(width.number("line-width", nil, zoom: 25) == 5)
        let dashes = try Self.layer("line", "paint", "line-dasharray", ##"{"stops": [[10, [2, 2]], [15, [4, 1]]]}"##)
        #expect(dashes.numbers("line-dasharray", nil, zoom: 5) == [2, 2])
        #expect(dashes.numbers("line-dasharray", nil, zoom: 12) == [2, 2])
        #expect(dashes.numbers("line-dasharray", nil, zoom: 16) == [4, 1])
        let color = try Self.layer("fill", "paint", "fill-color", ##"{"stops": [[5, "#000"], [10, "#fff"]]}"##)
        let mid = try #require(color.color("fill-color", nil, zoom: 7.5))
        #expect(abs(mid.r - 0.5) < 1e-9 && abs(mid.g - 0.5) < 1e-9 && abs(mid.b - 0.5) < 1e-9)
        let cap = try Self.layer("line", "layout", "line-cap", ##"{"stops": [[0, "butt"], [12, "round"]]}"##)
        #expect(cap.string("line-cap", nil, zoom: 11) == "butt")
        #expect(cap.string("line-cap", nil, zoom: 12) == "round")
    }

    @Test("legacy property functions: categorical, interval, exponential, identity, zoom-and-property")
    func propertyFunctions() throws {
        let categorical = try Self.layer("fill", "paint", "fill-color",
            ##"{"property": "kind", "type": "categorical", "stops": [["a", "#f00"], ["b", "#0f0"]], "default": "#00f"}"##)
        #expect(categorical.color("fill-color", T.feature(["kind": .string("a")]), zoom: 0) == StyleColor(r: 1, g: 0, b: 0))
        #expect(categorical.color("fill-color", T.feature(["kind": .string("b")]), zoom: 0) == StyleColor(r: 0, g: 1, b: 0))
        #expect(categorical.color("fill-color", T.feature(["kind": .string("c")]), zoom: 0) == StyleColor(r: 0, g: 0, b: 1))
        #expect(categorical.color("fill-color", T.feature(), zoom: 0) == StyleColor(r: 0, g: 0, b: 1))
        let interval = try Self.layer("circle", "paint", "circle-radius", ##"{"property": "pop", "type": "interval", "stops": [[0, 1], [100, 5]]}"##)
        #expect(interval.number("circle-radius", T.feature(["pop": .int(-1)]), zoom: 0) == 1)
        #expect(interval.number("circle-radius", T.feature(["pop": .int(50)]), zoom: 0) == 1)
        #expect(interval.number("circle-radius", T.feature(["pop": .int(100)]), zoom: 0) == 5)
        #expect(interval.number("circle-radius", T.feature(["pop": .string("x")]), zoom: 0) == 5, "the spec default")
        let exponential = try Self.layer("circle", "paint", "circle-radius", ##"{"property": "pop", "stops": [[0, 0], [10, 10]]}"##)
        #expect(exponential.number("circle-radius", T.feature(["pop": .double(2.5)]), zoom: 0) == 2.5)
        let identity = try Self.layer("circle", "paint", "circle-radius", ##"{"property": "r", "type": "identity"}"##)
        #expect(identity.number("circle-radius", T.feature(["r": .int(7)]), zoom: 0) == 7)
        #expect(identity.number("circle-radius", T.feature(["r": .string("x")]), zoom: 0) == 5)
        let both = try Self.layer("circle", "paint", "circle-radius", ##"""
            {"property": "pop", "stops": [[{"zoom": 0, "value": 0}, 0], [{"zoom": 0, "value": 10}, 10],
                                          [{"zoom": 10, "value": 0}, 0], [{"zoom": 10, "value": 10}, 20]]}
            """##)
        #expect(both.number("circle-radius", T.feature(["pop": .int(10)]), zoom: 5) == 15)
        #expect(both.number("circle-radius", T.feature(["pop": .int(5)]), zoom: 10) == 10)
    }

    @Test("{token} strings in text-field and icon-image are replaced by attributes, missing ones by nothing")
    func tokens() throws {
        let text = try Self.layer("symbol", "layout", "text-field", ##""{name} {ref}""##)
        #expect(text.string("text-field", T.feature(["name": .string("Main"), "ref": .int(12)]), zoom: 0) == "Main 12")
        #expect(text.string("text-field", T.feature(["name": .string("Main")]), zoom: 0) == "Main ")
        #expect(text.string("text-field", T.feature(["name": .double(12.0)]), zoom: 0) == "12 ")
        let plain = try Self.layer("symbol", "layout", "text-field", ##""{} and {unclosed""##)
        #expect(plain.string("text-field", T.feature(["unclosed": .string("x")]), zoom: 0) == "{} and {unclosed")
        let icon = try Self.layer("symbol", "layout", "icon-image", ##""shop-{kind}""##)
        #expect(icon.string("icon-image", T.feature(["kind": .string("bakery")]), zoom: 0) == "shop-bakery")
        let stops = try Self.layer("symbol", "layout", "text-field", ##"{"stops": [[0, "{name}"], [10, "{name} ({ref})"]]}"##)
        let f = T.feature(["name": .string("A"), "ref": .string("N1")])
        #expect(stops.string("text-field", f, zoom: 5) == "A")
        #expect(stops.string("text-field", f, zoom: 11) == "A (N1)")
        let expression = try Self.layer("symbol", "layout", "text-field", ##"["get", "label"]"##)
        #expect(expression.string("text-field", T.feature(["label": .string("{name}")]), zoom: 0) == "{name}", "expression output is not tokenised")
    }
}
