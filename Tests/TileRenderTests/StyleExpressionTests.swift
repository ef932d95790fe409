import Foundation
import GeoCore
import Testing
@testable import TileRender

/// The expression subset, one test per family, evaluated through the public layer API.
@Suite("Style expressions")
struct StyleExpressionTests {
    typealias T = StyleTestData

    /// A fill layer whose filter is `filter` (JSON).
    static func filter(_ filter: String) throws -> StyleLayer {
        try T.layer(type: "fill", ##""filter": \##(filter)"##)
    }

    /// A layer with one paint or layout property set to `value` (JSON).
    static func layer(_ type: String, _ section: String, _ property: String, _ value: String) throws -> StyleLayer {
        try T.layer(type: type, ##""\##(section)": {"\##(property)": \##(value)}"##)
    }

    @Test("comparison: == is false across types, ints and doubles compare as numbers, ordering needs equal types")
    func comparison() throws {
        let eq = try Self.filter(##"["==", ["get", "n"], 3]"##)
        #expect(eq.matches(T.feature(["n": .int(3)]), zoom: 0))
        #expect(eq.matches(T.feature(["n": .double(3.0)]), zoom: 0))
        #expect(!eq.matches(T.feature(["n": .string("3")]), zoom: 0))
        #expect(!eq.matches(T.feature(), zoom: 0))
        let ne = try Self.filter(##"["!=", ["get", "n"], 3]"##)
        #expect(ne.matches(T.feature(), zoom: 0))
        #expect(!ne.matches(T.feature(["n": .int(3)]), zoom: 0))
        let lt = try Self.filter(##"["<", ["get", "n"], 10]"##)
        #expect(lt.matches(T.feature(["n": .int(5)]), zoom: 0))
        #expect(!lt.matches(T.feature(["n": .double(10.5)]), zoom: 0))
        #expect(!lt.matches(T.feature(["n": .string("5")]), zoom: 0))
        // A mismatched ordering is null, not false: its negation does not match either.
        #expect(!(try Self.filter(##"["!", ["<", ["get", "n"], 10]]"##)).matches(T.feature(["n": .string("5")]), zoom: 0))
        let mixed = try Self.filter(##"[">", ["get", "i"], ["get", "d"]]"##)
        #expect(mixed.matches(T.feature(["i": .int(2), "d": .double(1.5)]), zoom: 0))
        #expect(try Self.filter(##"[">=", ["get", "name"], "m"]"##).matches(T.feature(["name": .string("z")]), zoom: 0))
        #expect(try Self.filter(##"["<=", ["zoom"], 10]"##).matches(T.feature(), zoom: 10))
        #expect(try Self.filter(##"["==", ["get", "b"], true]"##).matches(T.feature(["b": .bool(true)]), zoom: 0))
        #expect(try Self.filter(##"["==", ["id"], 7]"##).matches(T.feature(id: 7), zoom: 0))
        #expect(!(try Self.filter(##"["==", ["id"], 7]"##)).matches(T.feature(), zoom: 0))
        let polygon = try Self.filter(##"["==", ["geometry-type"], "Polygon"]"##)
        #expect(polygon.matches(T.feature(type: .polygon), zoom: 0))
        #expect(!polygon.matches(T.feature(type: .lineString), zoom: 0))
        #expect(T.errors(try Self.filterStyle(##"["==", ["literal", "a"], 1]"##)).first?.contains("Cannot compare types 'string' and 'number'") == true)
    }

    static func filterStyle(_ filter: String) throws -> String {
        ##"{"version": 8, "sources": {"s": {"type": "vector", "tiles": ["t"]}}, "layers": [{"id": "x", "type": "fill", "source": "s", "source-layer": "l", "filter": \##(filter)}]}"##
    }

    @Test("logical: all, any and ! (a non-boolean operand does not match)")
    func logical() throws {
        let f = try Self.filter(##"["all", [">", ["get", "n"], 1], ["any", ["==", ["get", "k"], "a"], ["!", ["has", "x"]]]]"##)
        #expect(f.matches(T.feature(["n": .int(2), "k": .string("a"), "x": .int(1)]), zoom: 0))
        #expect(f.matches(T.feature(["n": .int(2), "k": .string("b")]), zoom: 0))
        #expect(!f.matches(T.feature(["n": .int(2), "k": .string("b"), "x": .int(1)]), zoom: 0))
        #expect(!f.matches(T.feature(["n": .int(0), "k": .string("a")]), zoom: 0))
        #expect(try Self.filter(##"["all"]"##).matches(T.feature(), zoom: 0))
        #expect(!(try Self.filter(##"["any"]"##)).matches(T.feature(), zoom: 0))
        #expect(!(try Self.filter(##"["all", ["get", "flag"]]"##)).matches(T.feature(["flag": .string("yes")]), zoom: 0))
        #expect(try Self.filter(##"["get", "flag"]"##).matches(T.feature(["flag": .bool(true)]), zoom: 0))
        #expect(try Self.filter(##"["in", ["get", "k"], ["literal", ["a", "b"]]]"##).matches(T.feature(["k": .string("b")]), zoom: 0))
        #expect(try Self.filter(##"["in", "ab", ["get", "k"]]"##).matches(T.feature(["k": .string("xaby")]), zoom: 0))
    }

    @Test("match, case and coalesce pick the first branch that applies")
    func branching() throws {
        let match = try Self.layer("fill", "paint", "fill-color", ##"["match", ["get", "kind"], ["a", "b"], "#ff0000", "c", "#00ff00", "#0000ff"]"##)
        #expect(match.color("fill-color", T.feature(["kind": .string("b")]), zoom: 0) == StyleColor(r: 1, g: 0, b: 0))
        #expect(match.color("fill-color", T.feature(["kind": .string("c")]), zoom: 0) == StyleColor(r: 0, g: 1, b: 0))
        #expect(match.color("fill-color", T.feature(["kind": .string("z")]), zoom: 0) == StyleColor(r: 0, g: 0, b: 1))
        let numeric = try Self.layer("circle", "paint", "circle-radius", ##"["match", ["get", "n"], 2, 20, 3, 30, 1]"##)
        #expect(numeric.number("circle-radius", T.feature(["n": .int(2)]), zoom: 0) == 20)
        #expect(numeric.number("circle-radius", T.feature(["n": .double(3)]), zoom: 0) == 30)
        #expect(numeric.number("circle-radius", T.feature(["n": .string("2")]), zoom: 0) == 1)
        let cases = try Self.layer("circle", "paint", "circle-radius", ##"["case", [">", ["get", "n"], 10], 3, [">", ["get", "n"], 5], 2, 1]"##)
        #expect(cases.number("circle-radius", T.feature(["n": .int(11)]), zoom: 0) == 3)
        #expect(cases.number("circle-radius", T.feature(["n": .int(6)]), zoom: 0) == 2)
        #expect(cases.number("circle-radius", T.feature(), zoom: 0) == 1)
        let coalesce = try Self.layer("symbol", "layout", "text-field", ##"["coalesce", ["get", "name_nl"], ["get", "name"]]"##)
        #expect(coalesce.string("text-field", T.feature(["name_nl": .string("Den Haag"), "name": .string("'s-Gravenhage")]), zoom: 0) == "Den Haag")
        #expect(coalesce.string("text-field", T.feature(["name": .string("'s-Gravenhage")]), zoom: 0) == "'s-Gravenhage")
        #expect(coalesce.string("text-field", T.feature(), zoom: 0) == nil)
        #expect(T.errors(try Self.filterStyle(##"["match", ["get", "k"], "a", true, "a", false, false]"##)).first?.contains("Branch labels must be unique") == true)
        #expect(T.errors(try Self.filterStyle(##"["case", true, true]"##)).first?.contains("Expected at least 3 arguments") == true)
    }

    @Test("conversions: to-string, to-number, to-boolean, to-color and type assertions")
    func conversions() throws {
        let text = try Self.layer("symbol", "layout", "text-field", ##"["to-string", ["get", "v"]]"##)
        #expect(text.string("text-field", T.feature(["v": .int(3)]), zoom: 0) == "3")
        #expect(text.string("text-field", T.feature(["v": .double(2.5)]), zoom: 0) == "2.5")
        #expect(text.string("text-field", T.feature(["v": .bool(true)]), zoom: 0) == "true")
        #expect(text.string("text-field", T.feature(), zoom: 0) == "")
        let number = try Self.layer("circle", "paint", "circle-radius", ##"["to-number", ["get", "v"], 9]"##)
        #expect(number.number("circle-radius", T.feature(["v": .string(" 12.5 ")]), zoom: 0) == 12.5)
        #expect(number.number("circle-radius", T.feature(["v": .string("abc")]), zoom: 0) == 9)
        #expect(number.number("circle-radius", T.feature(["v": .bool(true)]), zoom: 0) == 1)
        let boolean = try Self.filter(##"["to-boolean", ["get", "v"]]"##)
        #expect(boolean.matches(T.feature(["v": .string("x")]), zoom: 0))
        #expect(!boolean.matches(T.feature(["v": .int(0)]), zoom: 0))
        #expect(!boolean.matches(T.feature(["v": .string("")]), zoom: 0))
        let color = try Self.layer("fill", "paint", "fill-color", ##"["to-color", ["get", "c"], "#00ff00"]"##)
        #expect(color.color("fill-color", T.feature(["c": .string("red")]), zoom: 0) == StyleColor(r: 1, g: 0, b: 0))
        #expect(color.color("fill-color", T.feature(["c": .string("nope")]), zoom: 0) == StyleColor(r: 0, g: 1, b: 0))
        let asserted = try Self.layer("circle", "paint", "circle-radius", ##"["number", ["get", "v"], 4]"##)
        #expect(asserted.number("circle-radius", T.feature(["v": .string("7")]), zoom: 0) == 4)
        #expect(asserted.number("circle-radius", T.feature(["v": .int(7)]), zoom: 0) == 7)
    }

    @Test("concat joins the text of its arguments; a missing attribute is empty")
    func concat() throws {
        let layer = try Self.layer("symbol", "layout", "text-field", ##"["concat", ["get", "street"], " ", ["get", "number"], ["upcase", "a"]]"##)
        #expect(layer.string("text-field", T.feature(["street": .string("Lange Voorhout"), "number": .int(12)]), zoom: 0) == "Lange Voorhout 12A")
        #expect(layer.string("text-field", T.feature(["street": .string("Plein")]), zoom: 0) == "Plein A")
    }

    @Test("interpolate linear: clamps outside the stops, blends inside; works on data too")
    func interpolateLinear() throws {
        let layer = try Self.layer("circle", "paint", "circle-radius", ##"["interpolate", ["linear"], ["zoom"], 10, 2, 20, 12]"##)
        #expect(layer.number("circle-radius", nil, zoom: 5) == 2)
        #expect(layer.number("circle-radius", nil, zoom: 15) == 7)
        #expect(layer.number("circle-radius", nil, zoom: 25) == 12)
        let data = try Self.layer("circle", "paint", "circle-radius", ##"["interpolate", ["linear"], ["get", "pop"], 0, 1, 100, 11]"##)
        #expect(data.number("circle-radius", T.feature(["pop": .int(50)]), zoom: 0) == 6)
        #expect(data.number("circle-radius", T.feature(["pop": .string("50")]), zoom: 0) == 5, "not a number: the default")
        let offsets = try Self.layer("symbol", "layout", "text-offset", ##"["interpolate", ["linear"], ["zoom"], 0, ["literal", [0, 0]], 10, ["literal", [2, 4]]]"##)
        #expect(offsets.numbers("text-offset", nil, zoom: 5) == [1, 2])
    }

    @Test("interpolate exponential: the base shapes the curve")
    func interpolateExponential() throws {
        let layer = try Self.layer("line", "paint", "line-width", ##"["interpolate", ["exponential", 2], ["zoom"], 10, 2, 20, 12]"##)
        let t = (32.0 - 1) / (1024.0 - 1)
        let width = try #require(layer.number("line-width", nil, zoom: 15))
        #expect(abs(width - (2 + 10 * t)) < 1e-9)
        #expect(layer.number("line-width", nil, zoom: 20) == 12)
    }

    @Test("interpolate colours: each RGBA channel is blended")
    func interpolateColor() throws {
        let layer = try Self.layer("fill", "paint", "fill-color", ##"["interpolate", ["linear"], ["zoom"], 0, "rgba(255, 0, 0, 0)", 10, "#0000ff"]"##)
        let mid = try #require(layer.color("fill-color", nil, zoom: 5))
        #expect(abs(mid.r - 0.5) < 1e-9 && mid.g == 0 && abs(mid.b - 0.5) < 1e-9 && abs(mid.a - 0.5) < 1e-9)
        #expect(T.errors(try Self.filterStyle(##"["==", ["interpolate", ["linear"], ["zoom"], 0, "a", 1, "b"], "a"]"##)).first?.contains("not interpolatable") == true)
    }

    @Test("step: the output of the last stop at or below the input")
    func step() throws {
        let layer = try Self.layer("circle", "paint", "circle-radius", ##"["step", ["zoom"], 1, 10, 2, 15, 3]"##)
        #expect(layer.number("circle-radius", nil, zoom: 9.99) == 1)
        #expect(layer.number("circle-radius", nil, zoom: 10) == 2)
        #expect(layer.number("circle-radius", nil, zoom: 14.9) == 2)
        #expect(layer.number("circle-radius", nil, zoom: 15) == 3)
        let nested = T.errors(##"{"version": 8, "sources": {}, "layers": [{"id": "b", "type": "background", "paint": {"background-opacity": ["+", 0, ["step", ["zoom"], 0, 5, 1]]}}]}"##)
        #expect(nested.first?.contains("\"zoom\" expression may only be used as input to a top-level") == true)
    }

    @Test("arithmetic and rgb/rgba")
    func arithmetic() throws {
        let layer = try Self.layer("circle", "paint", "circle-radius", ##"["*", ["+", ["get", "a"], 1], ["-", 5, 3], ["/", 9, 3], ["max", 1, 2]]"##)
        #expect(layer.number("circle-radius", T.feature(["a": .int(1)]), zoom: 0) == 24)
        let rgb = try Self.layer("fill", "paint", "fill-color", ##"["rgba", 255, 0, ["get", "b"], 0.5]"##)
        #expect(rgb.color("fill-color", T.feature(["b": .int(255)]), zoom: 0) == StyleColor(r: 1, g: 0, b: 1, a: 0.5))
    }
}
