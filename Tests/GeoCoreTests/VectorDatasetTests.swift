import Foundation
import Testing
@testable import GeoCore

@Suite("GDAL dataset reading")
struct VectorDatasetTests {
    @Test("a GeoPackage with three layers reports them with CRS and fields")
    func gpkg() throws {
        try VectorDataset.withDataset(at: TestData.url("pdok-gokoala/internal/ogc/features/datasources/geopackage/testdata/bag.gpkg").path) { ds in
            #expect(ds.driverName == "GPKG")
            #expect(Set(ds.layers.map(\.name)) == ["ligplaatsen", "standplaatsen", "verblijfsobjecten"])
            let v = ds.layers.first { $0.name == "verblijfsobjecten" }!
            #expect(v.crs == .rdNew)
            #expect(v.geometryType == .point)
            #expect(v.featureCount == 1836)
            #expect(v.fields.contains(Field(name: "huisnummer", type: .integer)))
            var n = 0
            try ds.readFeatures(layer: ds.layers.firstIndex(of: v)!) { r in if case .feature = r { n += 1 } }
            #expect(n == 1836)
        }
    }

    @Test("a Shapefile set and the same set zipped read the same features")
    func shapefileAndZip() throws {
        let shp = TestData.url("shapefile/mbostock-shapefile-test/test/polygons.shp")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("zip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let zip = dir.appendingPathComponent("polygons.zip")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/zip")
        p.arguments = ["-j", "-q", zip.path] + ["shp", "shx", "dbf", "prj"].map { shp.deletingPathExtension().appendingPathExtension($0).path }
        try p.run()
        p.waitUntilExit()
        func read(_ path: String) throws -> [Feature] {
            var out: [Feature] = []
            try VectorDataset.withDataset(at: path) { ds in
                try ds.readFeatures(layer: 0) { r in if case .feature(let f) = r { out.append(f) } }
            }
            return out
        }
        let a = try read(shp.path), b = try read(zip.path)
        #expect(!a.isEmpty)
        #expect(a == b)
    }

    @Test("CSV with x/y columns becomes points")
    func csv() throws {
        let dir = FileManager.default.temporaryDirectory
        let file = dir.appendingPathComponent("points-\(UUID().uuidString).csv")
        try "name,x,y\nDam,121329.84,487357.11\nCS,121863.87,488002.53\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        try VectorDataset.withDataset(at: file.path) { ds in
            #expect(ds.driverName == "CSV")
            var points: [Geometry] = []
            try ds.readFeatures(layer: 0) { r in if case .feature(let f) = r { points.append(f.geometry!) } }
            #expect(points == [.point(Position(121329.84, 487357.11)), .point(Position(121863.87, 488002.53))])
        }
    }

    @Test("VRT, URLs, virtual file systems, directories and missing files are refused with the file named")
    func refused() throws {
        let dir = FileManager.default.temporaryDirectory
        let vrt = dir.appendingPathComponent("x-\(UUID().uuidString).vrt")
        try "<OGRVRTDataSource/>".write(to: vrt, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: vrt) }
        for path in [vrt.path, "https://example.com/x.geojson", "/vsicurl/https://example.com/x.gpkg", dir.path, "/nonexistent/file.gpkg"] {
            do {
                try VectorDataset.withDataset(at: path) { _ in }
                Issue.record("\(path) opened")
            } catch let e as GeoError {
                #expect(e.code == .datasetNotAllowed || e.code == .datasetOpen)
                #expect(e.description.contains(URL(fileURLWithPath: path).lastPathComponent) || e.description.contains(path))
            }
        }
        // A GeoJSON file whose contents is VRT XML must not be opened by the VRT driver.
        let disguised = dir.appendingPathComponent("x-\(UUID().uuidString).geojson")
        try "<OGRVRTDataSource><OGRVRTLayer name=\"x\"><SrcDataSource>/etc/passwd</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>".write(to: disguised, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: disguised) }
        #expect(throws: GeoError.self) { try VectorDataset.withDataset(at: disguised.path) { _ in } }
    }

    @Test("curves, triangles and 3D geometries are read as 2D linear geometries")
    func linearised() throws {
        try VectorDataset.withDataset(at: TestData.url("flatgeobuf/flatgeobuf-test-data/test/data/surface/triangle.fgb").path) { ds in
            try ds.readFeatures(layer: 0) { r in
                guard case .feature(let f) = r else { return }
                #expect(f.geometry?.type == .polygon || f.geometry?.type == .multiPolygon)
            }
        }
        try VectorDataset.withDataset(at: TestData.url("pdok-gokoala/internal/ogc/features/datasources/geopackage/testdata/3d-geoms.gpkg").path) { ds in
            var n = 0
            for i in ds.layers.indices {
                try ds.readFeatures(layer: i) { r in if case .feature(let f) = r, f.geometry != nil { n += 1 } }
            }
            #expect(n > 0)
        }
    }

    @Test("concurrent stress: datasets opened and read on many threads at once")
    func concurrent() async throws {
        let path = TestData.url("pdok-gokoala/internal/ogc/features/datasources/geopackage/testdata/bag.gpkg").path
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    // Each task runs GDAL on a thread of its own, as the house style asks.
                    try await withCheckedThrowingContinuation { c in
                        Thread.detachNewThread {
                            do {
                                var n = 0
                                for _ in 0..<5 {
                                    try VectorDataset.withDataset(at: path) { ds in
                                        for i in ds.layers.indices { try ds.readFeatures(layer: i) { _ in n += 1 } }
                                    }
                                }
                                c.resume(returning: n)
                            } catch { c.resume(throwing: error) }
                        }
                    }
                }
            }
            for try await n in group { #expect(n == 5 * (67 + 1 + 1836)) }
        }
    }
}
