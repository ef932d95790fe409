import ArgumentParser
import Foundation
import GeoCore
import LayerServer

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a deterministic synthetic sensitive layer as a GeoPackage (EPSG:28992).",
        discussion: "Kinds: \(FixtureGenerator.Kind.allCases.map(\.rawValue).joined(separator: ", ")).")

    @Argument(help: "What to generate.")
    var kind: String

    @Option(name: .long, help: "Number of features (default: the demo count of the kind).")
    var count: Int?

    @Option(name: .long, help: "Random seed; the same seed gives the same file.")
    var seed: UInt64 = 2026

    @Option(name: .long, help: "Output GeoPackage (must not exist).")
    var out: String

    @Option(name: .long, help: "Fixtures directory with safety_regions.geojson and bag_addresses.gpkg.")
    var fixtures: String = "fixtures"

    func run() throws {
        guard let k = FixtureGenerator.Kind(rawValue: kind) else {
            throw ValidationError("unknown kind \"\(kind)\"; use one of \(FixtureGenerator.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        do {
            let generator = try FixtureGenerator(fixtures: URL(fileURLWithPath: fixtures), seed: seed, transformers: TransformerPool())
            let n = count ?? k.demoCount
            let started = Date()
            let written = try generator.generate(k, count: n, to: URL(fileURLWithPath: out)) { done in
                if isatty(2) == 1 { FileHandle.standardError.write(Data("\r\(done)/\(n)".utf8)) }
            }
            if isatty(2) == 1 { FileHandle.standardError.write(Data("\n".utf8)) }
            print("wrote \(written) \(k.rawValue) to \(out) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        } catch {
            throw fail(error)
        }
    }
}
