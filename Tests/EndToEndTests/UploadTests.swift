import AccessPolicy
import Foundation
import GRDB
import GeoCore
import Hummingbird
import HummingbirdTesting
@testable import LayerServer
import MVTTestSupport
import NIOCore
import Testing
import TileRender

/// Uploads over HTTP: rights, jobs, validation reports, staging and approval, publish and
/// rollback, and the audit trail. Each test has its own data directory.
@Suite("Uploads")
struct UploadTests {
    static func audit(_ client: UploadClient, action: String) async throws -> [AuditRecord] {
        try await client.service.access.recorder.flush()
        return try await client.service.store.read { db in try AuditLog.query(db, limit: 100_000) }.filter { $0.event.action == action }
    }

    @Test("a kern owner's upload: 202 with a job URL, progress to published, history with who, when, checksum and report, audited")
    func kernOwnerPublishes() async throws {
        let world = try await UploadWorld.make()
        defer { world.remove() }
        try await world.withServer { client in
            let r = try await client.upload("water_facilities", text: GeoJSONFile.grid(500, gen: 2), name: "water.geojson", as: "vitens-editor")
            #expect(r.status == .accepted)
            let id = try #require(try r.json()["id"]?.string)
            #expect(r.headers[.location]?.hasSuffix("/jobs/\(id)") == true)
            let job = try await client.finished(id, as: "vitens-editor")
            #expect(job["state"]?.string == "published")
            #expect(job["version"]?.number == 2)
            #expect(job["progress"]?["fraction"]?.number == 1)
            #expect(job["report"]?["featuresWritten"]?.number == 500)

            // Other organisations do not see the job; the layer's readers see the new version.
            #expect(try await client.execute("/jobs/\(id)", as: "stedin-viewer").status == .notFound)
            let layer = try await client.execute("/collections/water_facilities/versions", as: "vitens-editor")
            #expect(layer.status == .ok)
            let versions = try #require(try layer.json()["versions"]?.array)
            let v2 = try #require(versions.first { $0["version"]?.number == 2 })
            #expect(v2["current"] == .bool(true))
            #expect(v2["uploadedBy"]?.string == "vitens-editor")
            #expect(v2["organisation"]?.string == "vitens")
            #expect(v2["checksum"]?.string?.count == 64)
            #expect(v2["publishedAt"]?.string != nil)
            #expect(v2["report"]?["featuresRead"]?.number == 500)
            #expect(client.service.catalogLayer("water_facilities")?.currentVersion == 2)
            let published = try await Self.audit(client, action: "publish")
            #expect(published.contains { $0.event.subject == "vitens-editor" && $0.event.items == ["job:\(id)"] && $0.event.rules.contains("write-kern") })
            #expect(try world.leftoverUploads().isEmpty)
        }
    }

    @Test("only writers of the owner replace a layer; any writing organisation creates one; others get 403, 404 or 401")
    func rights() async throws {
        let world = try await UploadWorld.make()
        defer { world.remove() }
        try await world.withServer { client in
            let file = GeoJSONFile.grid(20, gen: 9)
            // Stedin (kern, editor) reads water_facilities but does not own it.
            let stedin = try await client.upload("water_facilities", text: file, name: "w.geojson", as: "stedin-viewer")
            #expect(stedin.status == .forbidden)
            #expect(stedin.text.contains("belongs to vitens"))
            // The national node reads everything but has no editor role.
            #expect(try await client.upload("water_facilities", text: file, name: "w.geojson", as: "locc-viewer").status == .forbidden)
            // An ad-hoc partner may not see the layer at all: it does not exist for it.
            #expect(try await client.upload("water_facilities", text: file, name: "w.geojson", as: "adhoc-viewer").status == .notFound)
            // No token.
            let anonymous = try await client.client.execute(uri: "/collections/water_facilities/versions?filename=w.geojson", method: .post,
                                                             headers: [:], body: ByteBuffer(string: file))
            #expect(anonymous.status == .unauthorized)
            // Stedin creates a layer of its own.
            let created = try await client.uploadAndWait("stedin_valves", text: file, name: "valves.geojson", as: "stedin-viewer",
                                                         query: "sensitivity=restricted&title=Afsluiters")
            #expect(created.body["state"]?.string == "published")
            let layer = try #require(client.service.catalogLayer("stedin_valves"))
            #expect(layer.owner == "stedin")
            #expect(client.service.access.policy.policy.layers["stedin_valves"]?.owner == "stedin")
            // and Vitens cannot replace it.
            #expect(try await client.upload("stedin_valves", text: file, name: "w.geojson", as: "vitens-editor").status == .forbidden)
            #expect(client.service.catalogLayer("water_facilities")?.currentVersion == 1)
            try await client.service.access.recorder.flush()
            let denials = try await client.service.store.read { db in try AuditLog.query(db, kind: .denial, limit: 1000) }
            #expect(denials.contains { $0.event.subject == "stedin-viewer" && $0.event.action == "write" })
        }
    }

    @Test("a structural partner's upload stays staged until an information manager of its region publishes it")
    func structuralApproval() async throws {
        let world = try await UploadWorld.make()
        defer { world.remove() }
        try await world.withServer { client in
            let staged = try await client.uploadAndWait("hdsr_dikes", text: GeoJSONFile.grid(50, gen: 1), name: "dikes.geojson",
                                                        as: "hdsr-editor", query: "sensitivity=restricted")
            #expect(staged.body["state"]?.string == "staged")
            #expect(client.service.catalogLayer("hdsr_dikes") == nil)
            // The approver follows the job; a partner outside the layer does not.
            let jobID = try #require(staged.body["id"]?.string)
            #expect(try await client.execute("/jobs/\(jobID)", as: "im-utrecht").status == .ok)
            #expect(try await client.execute("/jobs/\(jobID)", as: "stedin-viewer").status == .notFound)
            // The manager's job list holds it (awaiting its approval); other partners' lists do not.
            func listed(_ user: String) async throws -> Bool {
                try await client.execute("/jobs", as: user).json()["jobs"]?.array?.contains { $0["id"]?.string == jobID } == true
            }
            for user in ["im-utrecht", "hdsr-editor", "stedin-viewer", "vitens-editor", "locc-viewer"] {
                let shown = try await listed(user)
                #expect(shown == ["im-utrecht", "hdsr-editor"].contains(user), "\(user)")
            }
            #expect(try await client.execute("/collections/hdsr_dikes", as: "locc-viewer").status == .notFound)
            // The uploader cannot publish its own version; another region's manager neither.
            let own = try await client.execute("/collections/hdsr_dikes/versions/1/publish", .post, as: "hdsr-editor")
            #expect(own.status == .forbidden)
            #expect(own.text.contains("information manager"))
            #expect(try await client.execute("/collections/hdsr_dikes/versions/1/publish", .post, as: "vitens-editor").status == .forbidden)
            // The history shows the staged version to the uploader and the manager.
            let history = try await client.execute("/collections/hdsr_dikes/versions", as: "im-utrecht")
            #expect(history.status == .ok)
            #expect(try history.json()["versions"]?.array?.first?["state"]?.string == "staged")
            let published = try await client.execute("/collections/hdsr_dikes/versions/1/publish", .post, as: "im-utrecht")
            #expect(published.status == .ok)
            #expect(try published.json()["publishedBy"]?.string == "im-utrecht")
            #expect(try await client.execute("/collections/hdsr_dikes", as: "locc-viewer").status == .ok)
            // A second upload is staged; the manager discards it.
            let second = try await client.uploadAndWait("hdsr_dikes", text: GeoJSONFile.grid(60, gen: 2), name: "dikes.geojson", as: "hdsr-editor")
            #expect(second.body["state"]?.string == "staged")
            let discarded = try await client.execute("/collections/hdsr_dikes/versions/2/discard", .post, as: "im-utrecht")
            #expect(discarded.status == .ok)
            #expect(try discarded.json()["state"]?.string == "discarded")
            #expect(client.service.catalogLayer("hdsr_dikes")?.currentVersion == 1)
            let actions = try await client.service.store.read { db in try AuditLog.query(db, limit: 1000) }
                .filter { $0.event.resource == "layer:hdsr_dikes" && $0.event.kind == .change }.map(\.event.action)
            #expect(actions.contains("stage") && actions.contains("publish") && actions.contains("discard"))
        }
    }

    @Test("a kern owner may stage on request, publish later and roll back; every step audited")
    func stageThenRollback() async throws {
        let world = try await UploadWorld.make()
        defer { world.remove() }
        try await world.withServer { client in
            let staged = try await client.uploadAndWait("water_facilities", text: GeoJSONFile.grid(30, gen: 2), name: "w.geojson",
                                                        as: "vitens-editor", query: "stage=true")
            #expect(staged.body["state"]?.string == "staged")
            #expect(client.service.catalogLayer("water_facilities")?.currentVersion == 1)
            #expect(try await client.execute("/collections/water_facilities/versions/2/publish", .post, as: "vitens-editor").status == .ok)
            #expect(client.service.catalogLayer("water_facilities")?.currentVersion == 2)
            // Publishing a published version is not a rollback.
            #expect(try await client.execute("/collections/water_facilities/versions/2/publish", .post, as: "vitens-editor").status == .unprocessableContent)
            #expect(try await client.execute("/collections/water_facilities/rollback", .post, as: "stedin-viewer").status == .forbidden)
            let back = try await client.execute("/collections/water_facilities/rollback?version=1", .post, as: "vitens-editor")
            #expect(back.status == .ok)
            #expect(try back.json()["current"] == .bool(true))
            #expect(client.service.catalogLayer("water_facilities")?.currentVersion == 1)
            #expect(try await client.execute("/collections/water_facilities/rollback?version=7", .post, as: "vitens-editor").status == .notFound)
            let actions = try await Self.audit(client, action: "rollback")
            #expect(actions.count == 1 && actions[0].event.detail.contains("from v2 to v1"))
        }
    }

    @Test("publish and rollback drop cached tiles over the old and the new extent; ETags change with them")
    func cacheInvalidation() async throws {
        let world = try await UploadWorld.make(points: 200)
        defer { world.remove() }
        try await world.withServer(cacheBytes: 32 << 20) { client in
            // Version 1 lies around Utrecht; version 2 around Arnhem.
            let mercator = try Transformer(from: .wgs84, to: .webMercator)
            let utrecht = TileMatrixSet.webMercatorQuad.tile(containing: try mercator.transform(Position(5.12, 52.07)), z: 10)!
            let arnhem = TileMatrixSet.webMercatorQuad.tile(containing: try mercator.transform(Position(5.90, 51.98)), z: 10)!
            func tile(_ t: TileID) -> String { "/collections/water_facilities/tiles/WebMercatorQuad/10/\(t.row)/\(t.col)" }
            let oldAtUtrecht = try await client.execute(tile(utrecht), as: "locc-viewer")
            let oldAtArnhem = try await client.execute(tile(arnhem), as: "locc-viewer")
            #expect(oldAtUtrecht.status == .ok && oldAtArnhem.status == .noContent)
            #expect(client.service.cache.usage.entries >= 2)

            let v2 = try await client.uploadAndWait("water_facilities", text: GeoJSONFile.grid(100, gen: 2, lonRange: 5.85...5.95, latRange: 51.95...52.0),
                                                    name: "arnhem.geojson", as: "vitens-editor")
            #expect(v2.body["state"]?.string == "published")
            #expect(client.service.cache.usage.entries == 0, "tiles of the old version stayed cached")
            let newAtUtrecht = try await client.execute(tile(utrecht), as: "locc-viewer")
            let newAtArnhem = try await client.execute(tile(arnhem), as: "locc-viewer")
            #expect(newAtUtrecht.status == .noContent && newAtArnhem.status == .ok)
            #expect(newAtUtrecht.headers[.eTag] != oldAtUtrecht.headers[.eTag])
            // A client revalidating its old copy gets the new tile, not 304.
            let revalidated = try await client.execute(tile(arnhem), as: "locc-viewer", headers: [.ifNoneMatch: oldAtArnhem.headers[.eTag]!])
            #expect(revalidated.status == .ok)

            #expect(try await client.execute("/collections/water_facilities/rollback", .post, as: "vitens-editor").status == .ok)
            #expect(client.service.cache.usage.entries == 0)
            #expect(try await client.execute(tile(utrecht), as: "locc-viewer").status == .ok)
            #expect(try await client.execute(tile(arnhem), as: "locc-viewer").status == .noContent)
        }
    }

    @Test("the validation report: categories, reject-on-any-error refuses the file, accept-with-repairs keeps the rest")
    func validationReport() async throws {
        let world = try await UploadWorld.make()
        defer { world.remove() }
        try await world.withServer { client in
            var features = (0..<20).map { GeoJSONFile.point(5.1 + Double($0) * 0.001, 52.05, properties: "\"gen\": 2, \"capacity\": \"\($0)\"") }
            features.append(GeoJSONFile.feature(geometry: "null", properties: "\"gen\": 2, \"capacity\": \"1\""))
            features.append(GeoJSONFile.point(2.35, 48.85, properties: "\"gen\": 2, \"capacity\": \"2\""))            // Paris
            features.append(GeoJSONFile.feature(geometry: "{\"type\": \"LineString\", \"coordinates\": [[5.1, 52.0], [5.2, 52.1]]}",
                                                properties: "\"gen\": 2, \"capacity\": \"3\""))
            features.append(GeoJSONFile.point(5.1, 52.1, properties: "\"gen\": 2, \"capacity\": \"lots\""))          // not an integer
            let file = GeoJSONFile.collection(features)

            // Default: reject-on-any-error. wait=true answers when the job is done.
            let refused = try await client.upload("water_facilities", text: file, name: "mixed.geojson", as: "vitens-editor", query: "wait=true")
            #expect(refused.status == .unprocessableContent)
            let problem = try refused.json()
            #expect(problem["detail"]?.string?.contains("mixed.geojson") == true)
            let codes = Set(problem["job"]?["report"]?["rejections"]?.array?.compactMap { $0["code"]?.string } ?? [])
            #expect(codes == ["no-geometry", "outside-netherlands", "geometry-type", "attribute-type"])
            #expect(problem["job"]?["state"]?.string == "failed")
            #expect(client.service.catalogLayer("water_facilities")?.currentVersion == 1)

            // Accept-with-repairs: the 20 good features (and none of the four) are published; "12" becomes 12.
            let kept = try await client.upload("water_facilities", text: file, name: "mixed.geojson", as: "vitens-editor", query: "wait=true&errors=repair")
            #expect(kept.status == .created)
            let report = try #require(try kept.json()["report"])
            #expect(report["featuresWritten"]?.number == 20)
            #expect(report["featuresRejected"]?.number == 4)
            #expect(report["errorMode"]?.string == "repair")
            #expect(report["schemaChanges"]?.array?.contains { $0.string?.contains("capacity") == true } == true)
            let fields = try #require(client.service.catalogLayer("water_facilities")?.current.fields)
            #expect(fields.first { $0.name == "capacity" }?.type == .integer)

            // Missing CRS is caught before the job runs: a CSV of x/y without crs.
            let csv = "x,y,name\n136000,455000,a\n137000,456000,b\n"
            let noCRS = try await client.upload("water_facilities", text: csv, name: "points.csv", as: "vitens-editor")
            #expect(noCRS.status == .unprocessableContent)
            #expect(noCRS.text.contains("missing-crs") && noCRS.text.contains("points.csv"))
            let withCRS = try await client.uploadAndWait("water_facilities", text: csv, name: "points.csv", as: "vitens-editor",
                                                         query: "crs=EPSG:28992&errors=repair")
            #expect(withCRS.body["state"]?.string == "published")
        }
    }

    @Test("invalid polygons: refused under reject-on-any-error, repaired and counted under accept-with-repairs")
    func repairs() async throws {
        let world = try await UploadWorld.make()
        defer { world.remove() }
        try await world.withServer { client in
            let square = "{\"type\": \"Polygon\", \"coordinates\": [[[5.1, 52.0], [5.2, 52.0], [5.2, 52.1], [5.1, 52.1], [5.1, 52.0]]]}"
            let bowtie = "{\"type\": \"Polygon\", \"coordinates\": [[[5.1, 52.0], [5.2, 52.1], [5.2, 52.0], [5.1, 52.1], [5.1, 52.0]]]}"
            let file = GeoJSONFile.collection([GeoJSONFile.feature(geometry: square, properties: "\"n\": 1"),
                                               GeoJSONFile.feature(geometry: bowtie, properties: "\"n\": 2")])
            let refused = try await client.upload("vitens_zones", text: file, name: "zones.geojson", as: "vitens-editor", query: "wait=true")
            #expect(refused.status == .unprocessableContent)
            #expect(try refused.json()["job"]?["report"]?["repairs"]?.array?.first?["code"]?.string == "repaired-geometry")
            let kept = try await client.upload("vitens_zones", text: file, name: "zones.geojson", as: "vitens-editor", query: "wait=true&errors=repair")
            #expect(kept.status == .created)
            #expect(try kept.json()["report"]?["featuresRepaired"]?.number == 1)
            #expect(try kept.json()["report"]?["featuresWritten"]?.number == 2)
        }
    }
}

/// Two server processes on one data directory: a starting server fails only the jobs of a
/// server that has stopped (its lock is free), never those of one still running.
@Suite("Upload recovery")
struct UploadRecoveryTests {
    static func uploads(_ world: UploadWorld) throws -> UploadService {
        let config = ServerConfiguration(store: StoreConfiguration(dataDirectory: world.directory))
        let transformers = TransformerPool()
        let service = try Server.makeService(configuration: config, transformers: transformers, logger: .init(label: "t"))
        return try UploadService(store: service.store, layers: service, importer: LayerImporter(store: service.store, transformers: transformers),
                                 limits: UploadLimits())
    }

    @Test("a second server leaves the first one's running job alone; after the first stops, the next start fails it and removes its files")
    func twoServers() async throws {
        let world = try await UploadWorld.make(points: 10)
        defer { world.remove() }
        var first: UploadService? = try Self.uploads(world)
        let job = try first!.create(layer: "water_facilities", actor: AccessActor(subject: "vitens-editor", organisation: "vitens"),
                                    fileName: "w.geojson", options: UploadOptions(fileExtension: "geojson"))
        try Data("{}".utf8).write(to: first!.bodyFile(job.id, ext: "geojson"))
        let second = try Self.uploads(world)
        #expect(try second.jobSync(job.id)?.state == .receiving)
        #expect(FileManager.default.fileExists(atPath: first!.bodyFile(job.id, ext: "geojson").path))
        let firstDirectory = first!.directory
        first = nil
        let third = try Self.uploads(world)
        let failed = try #require(try third.jobSync(job.id))
        #expect(failed.state == .failed)
        #expect(failed.error?.contains("server stopped") == true)
        #expect(!FileManager.default.fileExists(atPath: firstDirectory.path))
        #expect(FileManager.default.fileExists(atPath: second.directory.path))
    }
}

/// `layerserver upload` against a live server, as a partner runs it.
@Suite("Upload CLI")
struct UploadCLITests {
    @Test("layerserver upload publishes and prints the report (exit 0); a refused file prints the reasons (exit 1)")
    func cli() async throws {
        let world = try await UploadWorld.make(points: 20)
        defer { world.remove() }
        let file = world.directory.appendingPathComponent("water.geojson")
        try Data(GeoJSONFile.grid(300, gen: 2).utf8).write(to: file)
        let bad = world.directory.appendingPathComponent("bad.geojson")
        try Data(GeoJSONFile.collection([GeoJSONFile.point(2.35, 48.85, properties: "\"gen\": 3")]).utf8).write(to: bad)
        try await world.withServer { client in
            let server = "http://127.0.0.1:\(try #require(client.client.port))"
            let ok = try await BlockingWork.run {
                try CLITests.layerserver(["upload", file.path, "--layer", "water_facilities", "--server", server, "--token", world.token("vitens-editor")])
            }
            #expect(ok.status == 0, "\(ok.stderr)")
            #expect(ok.stdout.contains("water_facilities v2 published"))
            #expect(ok.stdout.contains("features read 300, written 300"))
            #expect(ok.stderr.contains("sending") && ok.stderr.contains("water.geojson"))
            let refused = try await BlockingWork.run {
                try CLITests.layerserver(["upload", bad.path, "--layer", "water_facilities", "--server", server],
                                         environment: ["LAYERSERVER_TOKEN": world.token("vitens-editor")])
            }
            #expect(refused.status == 1)
            #expect(refused.stdout.contains("[outside-netherlands]"))
            #expect(refused.stderr.contains("error: bad.geojson"))
            let denied = try await BlockingWork.run {
                try CLITests.layerserver(["upload", file.path, "--layer", "water_facilities", "--server", server, "--token", world.token("stedin-viewer")])
            }
            #expect(denied.status == 1)
            #expect(denied.stderr.contains("HTTP 403"))
            #expect(client.service.catalogLayer("water_facilities")?.currentVersion == 2)
        }
    }
}
