import Foundation
import Testing
@testable import GeoCore

@Suite("JSON reader")
struct JSONReaderTests {
    @Test("values, escapes, surrogate pairs, numbers and white space read as RFC 8259 says")
    func valid() throws {
        let cases: [(String, JSONValue)] = [
            (#" {"a" : [1, -2.5e3, 0.125, 1E+2, true, false, null], "b": {}} "#,
             .object(["a": .array([.number(1), .number(-2500), .number(0.125), .number(100), .bool(true), .bool(false), .null]), "b": .object([:])])),
            (#""x\u00e9\ud83d\ude00\n\t\"\\\/""#, .string("xé😀\n\t\"\\/")),
            ("\"héllo\"", .string("héllo")),
            ("[]", .array([])),
            ("-0", .number(0)),
            ("4503599627370497", .number(4503599627370497)),
            ("true", .bool(true)),
        ]
        for (text, expected) in cases {
            #expect(try JSONValue.parse(Data(text.utf8)) == expected, "\(text)")
        }
    }

    @Test("malformed input is refused with the byte offset and the reason")
    func invalid() throws {
        let cases: [(String, String)] = [
            ("[1,]", "byte 3"), ("01", "data after the value"), ("\"\\ud800\"", "lone surrogate"),
            ("\"\\udc00\"", "lone surrogate"), ("[1] x", "data after the value"), (#"{"a" 1}"#, "expected ':'"),
            ("-", "unexpected character"), ("1e999", "out of range"), ("1.", "expected a digit"), ("\"abc", "unterminated"),
            ("\"a\u{01}b\"", "control character"), ("\"\\x\"", "bad escape"), ("nul", "unexpected character"),
            ("{\"a\":1,}", "member name"), ("[1 2]", "expected ',' or ']'"), ("", "unexpected end"), ("NaN", "unexpected character"),
            ("{'a':1}", "member name"), (#"{"k":1,"k":2}"#, "duplicate member \"k\""),
        ]
        for (text, reason) in cases {
            #expect {
                _ = try JSONValue.parse(Data(text.utf8))
            } throws: { error in
                String(describing: error).contains(reason)
            }
        }
        // Invalid UTF-8 in a string.
        #expect(throws: (any Error).self) { try JSONValue.parse(Data([0x22, 0xC3, 0x28, 0x22])) }
    }

    @Test("nesting is limited: deep input is refused, not a stack overflow")
    func depth() throws {
        let ok = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(try JSONValue.parse(Data(ok.utf8)) != .null)
        for n in [257, 100_000] {
            let deep = String(repeating: "[", count: n) + String(repeating: "]", count: n)
            #expect(throws: (any Error).self) { try JSONValue.parse(Data(deep.utf8)) }
            let objects = String(repeating: #"{"a":"#, count: n) + "1" + String(repeating: "}", count: n)
            #expect(throws: (any Error).self) { try JSONValue.parse(Data(objects.utf8)) }
        }
    }

    @Test("the repository's JSON documents read the same as through Foundation's JSONDecoder")
    func sameAsFoundation() throws {
        let files = ["fixtures/safety_regions.geojson", "styles/operational-picture.json", "styles/risk-picture.json", "styles/sprites/layerserver.json"]
        for file in files {
            let data = try Data(contentsOf: TestData.repository.appendingPathComponent(file))
            #expect(try JSONValue.parse(data) == JSONDecoder().decode(JSONValue.self, from: data), "\(file)")
        }
    }
}
