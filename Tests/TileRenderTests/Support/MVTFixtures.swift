import MVTTestSupport
import Foundation
import Testing

/// One directory of the mvt-fixtures suite: info.json, tile.json and tile.mvt.
struct MVTFixture: Sendable, CustomTestStringConvertible {
    /// The three-digit fixture number, e.g. "057".
    let id: String
    /// The fixture directory.
    let directory: URL
    /// `validity.v2` of info.json.
    let validV2: Bool

    var testDescription: String { id }

    /// The bytes of tile.mvt.
    func tileBytes() throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appending(path: "tile.mvt")))
    }

    /// tile.json, decoded.
    func tileJSON() throws -> FixtureTileJSON {
        try JSONDecoder().decode(FixtureTileJSON.self, from: Data(contentsOf: directory.appending(path: "tile.json")))
    }

    /// The root of the mvt-fixtures checkout (`MVT_FIXTURES` overrides the default).
    static let root = URL(filePath: ProcessInfo.processInfo.environment["MVT_FIXTURES"] ?? "/work/shared/data/mvt-fixtures")

    /// True when the fixture directory exists, so the suites can be skipped visibly elsewhere.
    static var available: Bool {
        FileManager.default.fileExists(atPath: root.appending(path: "fixtures").path)
    }

    /// Every fixture, in numeric order.
    static let all: [MVTFixture] = {
        let dir = root.appending(path: "fixtures")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.sorted().compactMap { name in
            let d = dir.appending(path: name)
            struct Info: Decodable { struct Validity: Decodable { var v2: Bool }; var validity: Validity }
            guard let data = try? Data(contentsOf: d.appending(path: "info.json")),
                  let info = try? JSONDecoder().decode(Info.self, from: data)
            else { return nil }
            return MVTFixture(id: name, directory: d, validV2: info.validity.v2)
        }
    }()

    /// The uncompressed real-world tiles (`real-world/<area>/*.mvt`).
    static let realWorldTiles: [String] = files(under: "real-world", suffix: ".mvt")
    /// The gzip-compressed real-world tiles.
    static let compressedTiles: [String] = files(under: "real-world", suffix: ".mvt.gz")

    private static func files(under sub: String, suffix: String) -> [String] {
        let base = root.appending(path: sub)
        guard let e = FileManager.default.enumerator(atPath: base.path) else { return [] }
        return e.compactMap { $0 as? String }.filter { $0.hasSuffix(suffix) }.sorted().map { base.appending(path: $0).path }
    }
}

/// tile.json of a fixture. Only parsed for fixtures whose JSON follows the schema.
struct FixtureTileJSON: Decodable {
    var layers: [Layer]?

    struct Layer: Decodable {
        var version: UInt32
        var name: String
        var extent: UInt32?
        var keys: [String]
        /// Each value is an object with one member named after the `Value` field, e.g. `{"sint_value": -87948}`.
        var values: [[String: Scalar]]
        var features: [Feature]
    }

    struct Feature: Decodable {
        var id: UInt64?
        var tags: [UInt32]
        var type: UInt32
        var geometry: [UInt32]
    }

    /// A JSON scalar, kept as exactly as JSON allows.
    enum Scalar: Decodable, Equatable {
        case bool(Bool), int(Int64), uint(UInt64), double(Double), string(String)

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let b = try? c.decode(Bool.self) { self = .bool(b) }
            else if let i = try? c.decode(Int64.self) { self = .int(i) }
            else if let u = try? c.decode(UInt64.self) { self = .uint(u) }
            else if let d = try? c.decode(Double.self) { self = .double(d) }
            else { self = .string(try c.decode(String.self)) }
        }

        /// The number as a Double, or nil for strings and booleans.
        var number: Double? {
            switch self {
            case .int(let i): Double(i)
            case .uint(let u): Double(u)
            case .double(let d): d
            case .bool, .string: nil
            }
        }
    }
}

/// Decompresses a gzip file with the system `gzip` (test support; the package has no zlib binding).
func gunzip(_ path: String) throws -> [UInt8] {
    let p = Process()
    p.executableURL = URL(filePath: "/usr/bin/env")
    p.arguments = ["gzip", "-dc", path]
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else { throw CocoaError(.fileReadCorruptFile) }
    return [UInt8](data)
}
