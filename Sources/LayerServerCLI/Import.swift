import ArgumentParser
import Foundation
import GeoCore
import LayerServer

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import a file as a new version of a layer and publish it.",
        discussion: """
            Reads GeoPackage, Shapefile (.shp or a .zip), GeoJSON, FlatGeobuf or CSV (x/y or WKT columns).
            The new version is written beside the current one and published in one transaction;
            a failed import leaves the current version in place.
            """)

    @Argument(help: "The file to import.")
    var file: String

    @Option(name: .long, help: "Layer id: lower-case letters, digits and _.")
    var layer: String

    @Option(name: .long, help: "Layer title (new layers default to the id).")
    var title: String?

    @Option(name: .long, help: "Owner organisation (required for a new layer).")
    var owner: String?

    @Option(name: .long, help: "open, restricted or confidential (new layers default to confidential).")
    var sensitivity: String?

    @Option(name: .long, help: "CRS of the file's coordinates, e.g. EPSG:28992; overrides what the file says.")
    var sourceCrs: String?

    @Option(name: .long, help: "Which layer of a multi-layer file to read.")
    var sourceLayer: String?

    @Option(name: .long, help: "Lowest WebMercatorQuad zoom with features (default 0).")
    var minZoom: Int?

    @Option(name: .long, help: "Highest WebMercatorQuad zoom with features (default 24).")
    var maxZoom: Int?

    @Flag(name: .long, help: "Print the report as JSON.")
    var json = false

    @OptionGroup var store: StoreOptions

    func run() throws {
        do {
            var sens: Sensitivity?
            if let sensitivity {
                guard let s = Sensitivity(rawValue: sensitivity) else {
                    throw ValidationError("--sensitivity must be open, restricted or confidential, got \"\(sensitivity)\"")
                }
                sens = s
            }
            var crs: CRS?
            if let sourceCrs {
                guard let c = CRS(sourceCrs) else { throw ValidationError("--source-crs must look like EPSG:28992, got \"\(sourceCrs)\"") }
                crs = c
            }
            let config = try blocking { try await store.serverConfiguration() }
            let layerStore = try LayerStore(configuration: config.store)
            let importer = LayerImporter(store: layerStore, transformers: TransformerPool())
            let request = ImportRequest(file: URL(fileURLWithPath: file), layerID: layer, title: title, owner: owner,
                                        sensitivity: sens, sourceCRS: crs, sourceLayer: sourceLayer, minZoom: minZoom, maxZoom: maxZoom)
            let bar = ProgressBar(label: URL(fileURLWithPath: file).lastPathComponent)
            let report = try importer.run(request) { bar.update($0) }
            bar.finish()
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                print(Self.summary(report))
            }
        } catch let e as ValidationError {
            throw e
        } catch {
            throw fail(error)
        }
    }

    static func summary(_ r: ImportReport) -> String {
        var lines = [
            "Imported \(r.file) (\(r.driver), layer \"\(r.sourceLayer)\", \(r.crs), \(r.geometryType.rawValue)) as \(r.layerID) v\(r.version) in \(String(format: "%.1f", r.seconds)) s",
            "  features read     \(r.featuresRead)",
            "  features written  \(r.featuresWritten)",
            "  features rejected \(r.featuresRejected)",
            "  repaired          \(r.featuresRepaired)",
        ]
        if !r.rejections.isEmpty {
            lines.append("  rejected because:")
            for rej in r.rejections {
                lines.append("    \(rej.count) x \(rej.reason) (source ids \(rej.examples.map(String.init).joined(separator: ", "))\(rej.count > rej.examples.count ? ", ..." : ""))")
            }
        }
        lines.append("  checksum          sha256:\(r.checksum)")
        if !r.droppedVersions.isEmpty {
            lines.append("  dropped old versions \(r.droppedVersions.map(String.init).joined(separator: ", "))")
        }
        return lines.joined(separator: "\n")
    }
}

/// Runs an async function from synchronous code (only for configuration loading, which does
/// no GDAL work), keeping GDAL on the main thread.
func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
        do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
        done.signal()
    }
    done.wait()
    return try box.result!.get()
}

/// Hands a result from a task back to a waiting thread.
final class ResultBox<T>: @unchecked Sendable {
    // @unchecked Sendable: written once by the task before it signals the semaphore,
    // read once by the waiting thread after the semaphore returns.
    var result: Result<T, any Error>?
}
