import Foundation
import GeoCore
@testable import LayerServer
import NIOCore
import Testing

/// Every vector file of ../shared/data through the HTTP upload: a 4xx naming the file and the
/// problem, or a published version; never a 5xx, never a changed layer on failure, never a
/// file left behind.
@Suite("Upload corpus")
struct CorpusUploadTests {
    struct Upload {
        var name: String
        var bytes: [UInt8]
        var sourceLayer: String?
        /// True for a Shapefile set that lacks its .shx.
        var missingIndex = false
    }

    /// The uploads: each file as it is (Shapefile sets zipped), each layer of a multi-layer
    /// file on its own, the extensionless fuzz case as the FlatGeobuf it is.
    static func uploads() throws -> [Upload] {
        let keep: Set<String> = ["gpkg", "shp", "fgb", "geojson", "csv", "json"]
        var out: [Upload] = []
        let e = FileManager.default.enumerator(at: ServerFixture.sharedData, includingPropertiesForKeys: nil)!
        for case let url as URL in e {
            let name = url.lastPathComponent
            let ext = url.pathExtension.lowercased()
            if name.hasPrefix("clusterfuzz-testcase") {
                out.append(Upload(name: name + ".fgb", bytes: [UInt8](try Data(contentsOf: url))))
                continue
            }
            guard keep.contains(ext) else { continue }
            if ext == "json" {
                guard let head = try? String(contentsOf: url, encoding: .utf8).prefix(4000),
                      head.contains("\"FeatureCollection\"") || head.contains("\"Feature\"") else { continue }
            }
            if ext == "shp" {
                let parts = ["shp", "shx", "dbf", "prj", "cpg"].map { url.deletingPathExtension().appendingPathExtension($0) }
                    .filter { FileManager.default.fileExists(atPath: $0.path) }
                let zip = ZipWriter.archive(try parts.map { ($0.lastPathComponent, [UInt8](try Data(contentsOf: $0))) })
                let stem = url.deletingPathExtension().lastPathComponent
                out.append(Upload(name: stem + ".zip", bytes: zip, missingIndex: !parts.contains { $0.pathExtension == "shx" }))
                continue
            }
            let layers = (try? VectorDataset.withDataset(at: url.path) { ds in ds.layers.map(\.name) }) ?? []
            let bytes = [UInt8](try Data(contentsOf: url))
            if layers.count > 1 {
                out += layers.map { Upload(name: name, bytes: bytes, sourceLayer: $0) }
            } else {
                out.append(Upload(name: name, bytes: bytes))
            }
        }
        return out.sorted { ($0.name, $0.sourceLayer ?? "") < ($1.name, $1.sourceLayer ?? "") }
    }

    @Test("every malformed file gets a 4xx naming it; the valid Dutch files publish")
    func corpus() async throws {
        let world = try await UploadWorld.make(points: 50)
        defer { world.remove() }
        let uploads = try Self.uploads()
        #expect(uploads.count > 60, "found \(uploads.count)")
        try await world.withServer { client in
            var published: Set<String> = [], refused: Set<String> = []
            for (i, u) in uploads.enumerated() {
                var query = "wait=true&errors=repair"
                if let l = u.sourceLayer { query += "&sourceLayer=\(l.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)" }
                var r = try await client.upload("corpus_\(i)", u.bytes, name: u.name, as: "vitens-editor", query: query)
                if r.status == .unprocessableContent, r.text.contains("missing-crs") {
                    r = try await client.upload("corpus_\(i)", u.bytes, name: u.name, as: "vitens-editor", query: query + "&crs=EPSG:4326")
                }
                let label = u.name + (u.sourceLayer.map { " [\($0)]" } ?? "")
                #expect(r.status == .created || (400..<500).contains(r.status.code), "\(label): \(r.status) \(r.text)")
                if r.status == .created {
                    published.insert(u.name)
                    print("corpus upload: \(label): published \(try r.json()["report"]?["featuresWritten"]?.number ?? -1)")
                } else {
                    refused.insert(u.name)
                    let detail = try r.json()["detail"]?.string ?? ""
                    #expect(detail.contains(u.name), "\(label): the refusal does not name the file: \(detail)")
                    #expect(detail.count > u.name.count + 10, "\(label): no cause given: \(detail)")
                    #expect(!detail.contains("/uploads/") && !detail.contains("job-"), "\(label): the refusal shows server paths: \(detail)")
                    print("corpus upload: \(label): \(r.status.code) \(detail)")
                }
                if u.missingIndex { #expect(r.status == .unprocessableContent && r.text.contains(".shx"), "\(label)") }
            }
            for bad in ["test_broken_geopackage.gpkg", "topp_states.fgb", "clusterfuzz-testcase-minimized-fgb_fuzzer-4642513358553088.fgb",
                        "empty.fgb", "test_geometry_null.gpkg", "test_geometry_empty.gpkg", "countries_nogeo.fgb",
                        // Coordinates that are not where their CRS says (RD labels on other numbers).
                        "example.gpkg", "amsterdam-epgs28992.json"] {
                #expect(refused.contains(bad) && !published.contains(bad), "\(bad) was not refused")
            }
            for good in ["bag.gpkg", "bag-wgs84.gpkg", "opp_water.zip", "countries.fgb", "roads.gpkg", "vr_features_rd.geojson",
                         "grid-amsterdam-epgs28992.json", "cql-epsg28992.gpkg"] {
                #expect(published.contains(good), "\(good) did not publish")
            }
            #expect(published.count > 20, "only \(published.count) files published")
            #expect(client.service.catalogLayer("water_facilities")?.currentVersion == 1)
            #expect(try world.leftoverUploads().isEmpty)
        }
    }
}
