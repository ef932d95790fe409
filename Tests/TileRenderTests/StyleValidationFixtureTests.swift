import Foundation
import Testing
@testable import TileRender

/// The style-spec validation fixtures (maplibre-style-spec test/integration/style-spec/tests): every error a
/// fixture expects must be reported by us at the same path, a fixture expecting no error must load, and we
/// report no error at a path the fixture does not name.
///
/// Two kinds of expected errors are deliberately warnings here (the test checks the warning names the path):
/// bad camera members (center, centerAltitude, zoom, bearing, pitch, roll: the server never uses them, and
/// PDOK's styles have "center": []) and duplicate layer ids (PDOK's bestuurlijkegebieden style has one).
///
/// Fixtures not run: light, light-arbitrary, light-malformed-color and terrain (the renderer ignores
/// light and terrain, so their members are checked only for being objects; the fixtures also report these
/// members without a "light."/"terrain." path prefix). All others in the directory are run.
@Suite("Style validation fixtures")
struct StyleValidationFixtureTests {
    static let fixtures = [
        "bad-color", "center", "center-altitude", "constants", "extrakeys", "fill-color-with-pattern", "filters",
        "font-faces", "font-faces-array", "font-faces-boolean", "font-faces-number", "font-faces-valid-array",
        "font-faces-valid-empty", "font-faces-valid-string", "functions", "layers", "malformed-glyphs",
        "malformed-glyphs-type", "map-properties", "metadata", "no-sources", "non-mapbox-references", "numbers",
        "pitch", "projection", "properties", "required", "roll", "root-properties", "sources", "state",
        "text-field-format", "text-font", "unknown-keys-nested",
    ]

    /// Expected errors we report as warnings, by fixture: their paths.
    static let reportedAsWarnings: [String: Set<String>] = [
        "center": ["center"], "center-altitude": ["centerAltitude"], "pitch": ["pitch"], "roll": ["roll"],
        "layers": ["layers[14]"],
    ]

    struct Expected: Decodable {
        var message: String
        var severity: String
    }

    /// The path a message starts with ("layers[0].paint.fill-color"), "" when it names none.
    static func path(of message: String) -> String {
        guard let colon = message.range(of: ": ") else { return "" }
        let head = message[..<colon.lowerBound]
        return head.contains(" ") ? "" : String(head)
    }

    /// The path a warning names: "center" of "center: ...", "layers[2]" of `layers[2] "id": ...`.
    static func warningPath(of warning: String) -> String {
        guard let match = warning.firstMatch(of: #/^([^ :]+)( "(?:[^"\\]|\\.)*")?: /#) else { return "" }
        return String(match.output.1)
    }

    @Test("a fixture's expected errors are reported at their paths", arguments: fixtures)
    func fixture(_ name: String) throws {
        let dir = try #require(StyleTestData.fixtures, "shared data not found")
        let input = try String(contentsOf: dir.appendingPathComponent("\(name).input.json"), encoding: .utf8)
        let expected = try JSONDecoder().decode([Expected].self, from: Data(contentsOf: dir.appendingPathComponent("\(name).output.json")))
        let (_, diagnostics) = Style.diagnose(Data(input.utf8))
        let ours = diagnostics.errors
        let expectedErrors = expected.filter { $0.severity == "error" }.map(\.message)
        let asWarnings = Self.reportedAsWarnings[name] ?? []
        for message in expectedErrors {
            let path = Self.path(of: message)
            if asWarnings.contains(path) {
                #expect(diagnostics.warnings.contains { Self.warningPath(of: $0) == path },
                        "\(name): no warning at \(path); ours: \(diagnostics.warnings)")
                continue
            }
            let found = ours.contains { path.isEmpty ? $0 == message : Self.path(of: $0) == path }
            #expect(found, "\(name): no error at \(path.isEmpty ? "(root)" : path) for \(message.debugDescription); ours: \(ours)")
        }
        let expectedPaths = Set(expected.map { Self.path(of: $0.message) })
        for message in ours {
            let path = Self.path(of: message)
            if path.isEmpty ? expectedErrors.contains(message) : expectedPaths.contains(path) { continue }
            Issue.record("\(name): unexpected error \(message.debugDescription)")
        }
    }
}
