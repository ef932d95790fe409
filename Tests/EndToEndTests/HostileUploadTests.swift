import Foundation
import GRDB
import GeoCore
import Hummingbird
import HummingbirdTesting
@testable import LayerServer
import NIOCore
import Synchronization
import Testing

/// Hostile files: each is refused with a 4xx that says why, reads nothing outside its job
/// directory, leaves the layer as it was and leaves no files behind.
@Suite("Hostile uploads")
struct HostileUploadTests {
    static let limits = UploadLimits(maxUploadBytes: 2 << 20, maxUncompressedBytes: 4 << 20, maxFiles: 10,
                                     maxFeatures: 1000, maxVertices: 20_000, diskReserveBytes: 0)

    /// A Shapefile set from the shared data, as (extension, bytes).
    static func shapefileSet() throws -> [(String, [UInt8])] {
        let base = ServerFixture.sharedData.appendingPathComponent("shapefile/mbostock-shapefile-test/test/points")
        return try ["shp", "shx", "dbf"].map { ($0, [UInt8](try Data(contentsOf: base.appendingPathExtension($0)))) }
    }

    @Test("a zip holding ../ or absolute paths is refused before anything is unpacked")
    func zipSlip() async throws {
        let world = try await UploadWorld.make()
        defer { world.remove() }
        let set = try Self.shapefileSet()
        try await world.withServer(limits: Self.limits) { client in
            for prefix in ["../", "../../../../tmp/", "/tmp/", "a/../../"] {
                let zip = ZipWriter.archive(set.map { (prefix + "evil." + $0.0, $0.1) })
                let r = try await client.upload("water_facilities", zip, name: "evil.zip", as: "vitens-editor")
                #expect(r.status == .unprocessableContent, "\(prefix)")
                #expect(r.text.contains("evil.zip") && r.text.contains("outside the archive"), "\(r.text)")
            }
            #expect(!FileManager.default.fileExists(atPath: world.directory.appendingPathComponent("evil.shp").path))
            #expect(!FileManager.default.fileExists(atPath: "/tmp/evil.shp"))
            #expect(try world.leftoverUploads().isEmpty)
            #expect(client.service.catalogLayer("water_facilities")?.currentVersion == 1)
        }
    }

    @Test("zip bombs stop at the limits on unpacked size and file count")
    func zipBomb() async throws {
        let world = try await UploadWorld.make()
        defer { world.remove() }
        let work = world.directory.appendingPathComponent("bomb")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        // 64 MB of zeros deflate to about 64 kB.
        let zeros = work.appendingPathComponent("bomb.shp")
        FileManager.default.createFile(atPath: zeros.path, contents: Data(count: 64 << 20))
        for (ext, bytes) in try Self.shapefileSet() where ext != "shp" {
            try Data(bytes).write(to: work.appendingPathComponent("bomb." + ext))
        }
        let bomb = work.appendingPathComponent("bomb.zip")
        let zip = Process()
        zip.executableURL = URL(fileURLWithPath: "/usr/bin/zip")
        zip.currentDirectoryURL = work
        zip.arguments = ["-q", "-9", bomb.path, "bomb.shp", "bomb.shx", "bomb.dbf"]
        try zip.run()
        zip.waitUntilExit()
        let bytes = [UInt8](try Data(contentsOf: bomb))
        #expect(bytes.count < 1 << 20)
        let many = ZipWriter.archive((0..<50).map { ("part\($0).txt", [UInt8]("x".utf8)) })
        try await world.withServer(limits: Self.limits) { client in
            let r = try await client.upload("water_facilities", bytes, name: "bomb.zip", as: "vitens-editor")
            #expect(r.status == .unprocessableContent)
            #expect(r.text.contains("upload-max-uncompressed-mb"), "\(r.text)")
            let files = try await client.upload("water_facilities", many, name: "many.zip", as: "vitens-editor")
            #expect(files.status == .unprocessableContent)
            #expect(files.text.contains("upload-max-files"), "\(files.text)")
            #expect(try world.leftoverUploads().isEmpty)
        }
    }

    @Test("a VRT pointing at /etc/passwd is refused under any name; a zip's other files are never opened")
    func vrt() async throws {
        let world = try await UploadWorld.make()
        defer { world.remove() }
        let vrt = """
            <OGRVRTDataSource><OGRVRTLayer name="passwd"><SrcDataSource>/etc/passwd</SrcDataSource>
            <GeometryType>wkbPoint</GeometryType><GeometryField encoding="PointFromColumns" x="field_3" y="field_4"/>
            </OGRVRTLayer></OGRVRTDataSource>
            """
        try await world.withServer(limits: Self.limits) { client in
            let asVRT = try await client.upload("water_facilities", text: vrt, name: "evil.vrt", as: "vitens-editor")
            #expect(asVRT.status == .unsupportedMediaType)
            let asGeoJSON = try await client.upload("water_facilities", text: vrt, name: "evil.geojson", as: "vitens-editor")
            #expect(asGeoJSON.status == .unprocessableContent)
            #expect(asGeoJSON.text.contains("not a GeoJSON document"))
            let asGPKG = try await client.upload("water_facilities", text: vrt, name: "evil.gpkg", as: "vitens-editor")
            #expect(asGPKG.status == .unprocessableContent)
            // Read as CSV it is text without coordinates: no row of /etc/passwd becomes a feature.
            let asCSV = try await client.upload("water_facilities", text: vrt, name: "evil.csv", as: "vitens-editor", query: "wait=true&crs=EPSG:4326&errors=repair")
            #expect(asCSV.status.code >= 400 && asCSV.status.code < 500)
            #expect(!asCSV.text.contains("root:"))
            // A zip with a VRT beside a Shapefile: only the Shapefile's parts are unpacked.
            let zip = ZipWriter.archive([("evil.vrt", Array(vrt.utf8))] + (try Self.shapefileSet()).map { ("points." + $0.0, $0.1) })
            let zipped = try await client.upload("water_facilities", zip, name: "points.zip", as: "vitens-editor", query: "wait=true&crs=EPSG:4326&errors=repair")
            #expect(!zipped.text.contains("root:"))
            #expect(client.service.catalogLayer("water_facilities")?.current.fields.contains { $0.name.contains("field_") } != true)
            #expect(try world.leftoverUploads().isEmpty)
        }
    }

    @Test("a GeoJSON whose crs links to a URL is refused, and nothing is fetched")
    func geoJSONWithURL() async throws {
        let world = try await UploadWorld.make()
        defer { world.remove() }
        let hits = Atomic<Int>(0)
        let router = Router()
        router.get("/**") { _, _ -> String in
            hits.add(1, ordering: .relaxed)
            return "GEOGCS[\"WGS 84\"]"
        }
        let target = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await target.test(.live) { listener in
            let port = try #require(listener.port)
            // The listener answers.
            #expect(try await listener.execute(uri: "/probe", method: .get).status == .ok)
            let file = GeoJSONFile.collection([GeoJSONFile.point(5.1, 52.1, properties: "\"gen\": 2")],
                                              extra: "\"crs\": {\"type\": \"link\", \"properties\": {\"href\": \"http://127.0.0.1:\(port)/crs.wkt\", \"type\": \"ogcwkt\"}}, ")
            try await world.withServer(limits: Self.limits) { client in
                let r = try await client.upload("water_facilities", text: file, name: "linked.geojson", as: "vitens-editor", query: "crs=EPSG:4326")
                #expect(r.status == .unprocessableContent)
                #expect(r.text.contains("linked.geojson") && r.text.contains("127.0.0.1:\(port)/crs.wkt"), "\(r.text)")
                #expect(try world.leftoverUploads().isEmpty)
            }
        }
        #expect(hits.load(ordering: .relaxed) == 1, "only the probe reached the listener")
    }

    @Test("files far over the limits: body size (413), features and vertices (422)")
    func overLimits() async throws {
        let world = try await UploadWorld.make()
        defer { world.remove() }
        try await world.withServer(limits: Self.limits) { client in
            let big = [UInt8](repeating: UInt8(ascii: " "), count: 3 << 20)
            let r = try await client.upload("water_facilities", big, name: "big.geojson", as: "vitens-editor")
            #expect(r.status == .contentTooLarge)
            let many = try await client.upload("water_facilities", text: GeoJSONFile.grid(1500, gen: 2), name: "many.geojson",
                                               as: "vitens-editor", query: "wait=true&errors=repair")
            #expect(many.status == .unprocessableContent)
            #expect(many.text.contains("upload-max-features"))
            let ring = (0...30_000).map { i -> String in
                let a = Double(i) / 30_000 * 2 * Double.pi
                return "[\(5.1 + 0.01 * cos(a)), \(52.1 + 0.01 * sin(a))]"
            }
            let polygon = "{\"type\": \"Polygon\", \"coordinates\": [[\(ring.joined(separator: ",")), \(ring[0])]]}"
            let dense = try await client.upload("vitens_dense", text: GeoJSONFile.collection([GeoJSONFile.feature(geometry: polygon, properties: "\"n\": 1")]),
                                                name: "dense.geojson", as: "vitens-editor", query: "wait=true&errors=repair")
            #expect(dense.status == .unprocessableContent)
            #expect(dense.text.contains("upload-max-vertices"))
            #expect(client.service.catalogLayer("water_facilities")?.currentVersion == 1)
            #expect(try world.leftoverUploads().isEmpty)
        }
    }
}

/// Findings of the upload security review, each pinned by a test.
@Suite("Upload review findings")
struct UploadReviewTests {
    @Test("a layer in the store without access conditions accepts no upload: it does not exist for the uploader")
    func unownedLayer() async throws {
        let world = try await UploadWorld.make(points: 10)
        defer { world.remove() }
        let file = world.directory.appendingPathComponent("orphan.geojson")
        try Data(GeoJSONFile.grid(10, gen: 1).utf8).write(to: file)
        try await BlockingWork.run {
            let store = try LayerStore(configuration: StoreConfiguration(dataDirectory: world.directory))
            // Its owner is not an organisation of the policy: no conditions, readable by no one.
            _ = try LayerImporter(store: store, transformers: TransformerPool()).run(
                ImportRequest(file: file, layerID: "orphan", owner: "nobody-known", sensitivity: .confidential))
        }
        try await world.withServer { client in
            #expect(client.service.access.policy.policy.layers["orphan"] == nil)
            for user in ["vitens-editor", "hdsr-editor"] {
                let r = try await client.upload("orphan", text: GeoJSONFile.grid(5, gen: 2), name: "o.geojson", as: user, query: "sensitivity=open")
                #expect(r.status == .notFound, "\(user): \(r.status)")
            }
            #expect(client.service.access.policy.policy.layers["orphan"] == nil)
            #expect(client.service.catalogLayer("orphan")?.currentVersion == 1)
        }
    }

    @Test("a feature count in the file's header is a claim: 2^62 does not make the server reserve memory for it")
    func lyingFeatureCount() async throws {
        let world = try await UploadWorld.make(points: 10)
        defer { world.remove() }
        let copy = world.directory.appendingPathComponent("liar.gpkg")
        try FileManager.default.copyItem(at: CLITests.bag, to: copy)
        let db = try DatabaseQueue(path: copy.path)
        try await db.write { db in try db.execute(sql: "UPDATE gpkg_ogr_contents SET feature_count = 4611686018427387904") }
        try db.close()
        let bytes = [UInt8](try Data(contentsOf: copy))
        try await world.withServer { client in
            let r = try await client.upload("liar", bytes, name: "liar.gpkg", as: "vitens-editor", query: "sourceLayer=ligplaatsen&wait=true")
            #expect(r.status == .created, "\(r.text)")
            #expect(try r.json()["report"]?["featuresWritten"]?.number == 67)
        }
    }

    @Test("a zip whose directory claims more bytes than its entries can hold is refused before it is read")
    func hugeCentralDirectory() async throws {
        let world = try await UploadWorld.make(points: 10)
        defer { world.remove() }
        // One entry of 300 kB; the directory then claims the whole file, more than one entry's
        // record can be (46 bytes and three 64 kB names): the reader must not take it whole.
        var zip = ZipWriter.archive([("a.shp", [UInt8](repeating: 7, count: 300_000))])
        let eocd = zip.count - 22
        let claimed = UInt32(zip.count - 22)  // the whole file before the end record
        for k in 0..<4 { zip[eocd + 12 + k] = UInt8((claimed >> (8 * UInt32(k))) & 0xFF) }
        for k in 0..<4 { zip[eocd + 16 + k] = 0 }
        let patched = zip
        try await world.withServer { client in
            let r = try await client.upload("water_facilities", patched, name: "big.zip", as: "vitens-editor")
            #expect(r.status == .unprocessableContent)
            #expect(r.text.contains("big.zip") && r.text.contains("larger than its entries"), "\(r.text)")
        }
    }

    @Test("a big GeoJSON that GDAL would parse whole in memory is refused before GDAL opens it")
    func unstreamableGeoJSON() async throws {
        let world = try await UploadWorld.make(points: 10)
        defer { world.remove() }
        let padding = String(repeating: "x", count: 33 << 20)
        let text = "{\"type\": \"FeatureCollection\", \"name\": \"\(padding)\", \"features\": [" + GeoJSONFile.point(5.1, 52.1, properties: "\"gen\": 2") + "]}"
        try await world.withServer { client in
            let r = try await client.upload("water_facilities", text: text, name: "padded.geojson", as: "vitens-editor")
            #expect(r.status == .unprocessableContent)
            #expect(r.text.contains("padded.geojson") && r.text.contains("features"), "\(r.text)")
        }
    }
}
