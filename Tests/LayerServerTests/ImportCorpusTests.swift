import Foundation
import GeoCore
import Testing
@testable import LayerServer

/// Every vector file in ../shared/data either imports or fails with an error that names the
/// file and the cause; none crashes the process or leaves a half-written version.
@Suite("Import corpus")
struct ImportCorpusTests {
    /// The vector files of the shared data: GeoPackages (good and bad), Shapefile sets (and the
    /// same sets zipped), GeoJSON, FlatGeobuf, CSV, and the fuzzer case without an extension.
    static func corpus() throws -> [URL] {
        let keep: Set<String> = ["gpkg", "shp", "fgb", "geojson", "csv", "json"]
        var files: [URL] = []
        let e = FileManager.default.enumerator(at: TestData.root, includingPropertiesForKeys: nil)!
        for case let url as URL in e {
            let ext = url.pathExtension.lowercased()
            if url.lastPathComponent.hasPrefix("clusterfuzz-testcase") { files.append(url); continue }
            guard keep.contains(ext) else { continue }
            if ext == "json" {
                // Only GeoJSON documents: FeatureCollections and Features (not styles, TMS, MVT dumps).
                guard let head = try? String(contentsOf: url, encoding: .utf8).prefix(4000),
                      head.contains("\"FeatureCollection\"") || head.contains("\"Feature\"") else { continue }
            }
            files.append(url)
        }
        return files.sorted { $0.path < $1.path }
    }

    struct Outcome {
        var file: String
        var layer: String?
        var result: String
    }

    @Test("every vector file imports or fails cleanly, naming the file")
    func everyFile() async throws {
        let t = try TempStore()
        var files = try Self.corpus()
        #expect(files.count > 60, "found \(files.count) files")
        files += try zippedShapefiles(into: t.directory)
        // A known-good layer first, so that every failure below can be checked to leave it current.
        try await t.importFile(TestData.bag, layer: "corpus", sourceLayer: "ligplaatsen")
        var outcomes: [Outcome] = []
        var imported = 0
        for file in files {
            // Multi-layer files are imported layer by layer; unreadable files once, to see the error.
            let names: [String] = (try? await BlockingWork.run {
                try VectorDataset.withDataset(at: file.path) { ds in ds.layers.map(\.name) }
            }) ?? []
            let layers: [String?] = names.count > 1 ? names : [nil]
            for layer in layers {
                let before = try #require(try t.store.layer("corpus"))
                do {
                    // Files without a CRS get one, as the CLI's --source-crs would give.
                    var report: ImportReport
                    do {
                        report = try await t.importFile(file, layer: "corpus", sourceLayer: layer)
                    } catch let e as StoreError where e.message.contains("--source-crs") {
                        report = try await t.importFile(file, layer: "corpus", sourceLayer: layer, sourceCRS: .wgs84)
                    }
                    imported += 1
                    #expect(report.featuresWritten > 0)
                    #expect(report.featuresRead == report.featuresWritten + report.featuresRejected)
                    let after = try #require(try t.store.layer("corpus"))
                    #expect(after.currentVersion == report.version)
                    outcomes.append(Outcome(file: file.lastPathComponent, layer: layer, result: "imported \(report.featuresWritten), rejected \(report.featuresRejected)"))
                } catch let e as StoreError {
                    #expect(e.description.contains(file.lastPathComponent) || e.context?.contains(file.lastPathComponent) == true,
                            "error does not name the file: \(e)")
                    #expect(e.message.count > 10, "error has no cause: \(e)")
                    let after = try #require(try t.store.layer("corpus"))
                    #expect(after.currentVersion == before.currentVersion, "\(file.lastPathComponent): a failed import changed the current version")
                    outcomes.append(Outcome(file: file.lastPathComponent, layer: layer, result: "refused: \(e.message)"))
                }
                #expect(try t.pendingVersions() == 0)
                let orphans = try t.orphanTables()
                #expect(orphans.isEmpty, "\(file.lastPathComponent) left \(orphans)")
            }
        }
        // Most of the corpus lies outside the Netherlands (test shapefiles, world countries,
        // validator packages at 0,0): those are refused by the extent check, cleanly.
        #expect(imported >= 12, "only \(imported) imports succeeded")
        for o in outcomes { print("corpus: \(o.file)\(o.layer.map { " [\($0)]" } ?? ""): \(o.result)") }
        // GDAL can still read the store after all of it.
        let info = try run("/usr/bin/ogrinfo", ["-ro", "-so", "-al", t.store.configuration.databaseURL.path])
        #expect(info.status == 0)
    }

    /// Zips every complete Shapefile set (shp + shx + dbf) of the corpus.
    func zippedShapefiles(into dir: URL) throws -> [URL] {
        let zips = dir.appendingPathComponent("zips")
        try FileManager.default.createDirectory(at: zips, withIntermediateDirectories: true)
        var out: [URL] = []
        for shp in try Self.corpus() where shp.pathExtension == "shp" {
            let parts = ["shp", "shx", "dbf", "prj", "cpg"].map { shp.deletingPathExtension().appendingPathExtension($0) }
                .filter { FileManager.default.fileExists(atPath: $0.path) }
            guard parts.count >= 3 else { continue }
            let zip = zips.appendingPathComponent(shp.deletingPathExtension().lastPathComponent + ".zip")
            let r = try run("/usr/bin/zip", ["-j", "-q", zip.path] + parts.map(\.path))
            if r.status == 0 { out.append(zip) }
        }
        return out
    }
}
