import AccessPolicy
import Foundation
import GRDB
import GeoCore
import Hummingbird
import HummingbirdTesting
@testable import LayerServer
import NIOCore
import Testing

/// Issue 9, items 1, 2 and 4: writes only by the owner, decided after the read decision; a
/// hidden layer answers exactly as a missing one on every route that takes a layer id; approval
/// within the region's remit.
@Suite("Hidden layers and version rights")
struct HiddenLayerTests {
    /// The demo cast plus three callers that may not read `water_facilities` (Vitens, clipped to
    /// its regions VR02, VR04, VR05, VR06, VR09, VR25):
    /// - `adhoc-viewer` (the cast's ad-hoc partner: no access to the system);
    /// - `idle-standby`, a standby partner attached to no running activity;
    /// - `hhnk-editor`, a structureel water board in VR10 and VR11, outside Vitens' regions.
    /// `orphan` is a layer the CLI imported for an owner outside the policy (two versions, no conditions).
    static func world() async throws -> (UploadWorld, [String: String]) {
        let world = try await UploadWorld.make(points: 100)
        let extra = try await BlockingWork.run {
            let store = try LayerStore(configuration: StoreConfiguration(dataDirectory: world.directory))
            let access = AccessStore(store: store)
            try access.change(by: .localOperator(), resource: "system", summary: "test callers") { p in
                p.organisations["hhnk"] = Organisation(id: "hhnk", name: "HHNK", coreTask: .beheerder, profile: .structureel, audit: .certified,
                                                       reach: .regional, regions: ["VR10", "VR11"], adoptionRegion: "VR10")
                p.organisations["idle"] = Organisation(id: "idle", name: "Idle standby", coreTask: .dienstverlener, profile: .standby,
                                                       audit: .certified, reach: .regional, regions: ["VR09"], adoptionRegion: "VR09")
                p.users["hhnk-editor"] = User(id: "hhnk-editor", name: "HHNK", organisation: "hhnk", roles: [.viewer, .editor, .layerAdministrator])
                p.users["idle-standby"] = User(id: "idle-standby", name: "Idle", organisation: "idle", roles: [.viewer, .layerAdministrator])
            }
            var tokens: [String: String] = [:]
            for user in ["hhnk-editor", "idle-standby"] {
                tokens[user] = try access.issueToken(for: user, label: "test", expiresAt: Date() + 86_400, by: .localOperator()).token
            }
            let importer = LayerImporter(store: store, transformers: TransformerPool())
            for gen in 1...2 {
                let file = world.directory.appendingPathComponent("orphan\(gen).geojson")
                try Data(GeoJSONFile.grid(20, gen: gen).utf8).write(to: file)
                _ = try importer.run(ImportRequest(file: file, layerID: "orphan", title: "Orphan", owner: "not-in-policy", sensitivity: .restricted))
            }
            return tokens
        }
        return (world, world.tokens.merging(extra) { $1 })
    }

    /// One request as `user`, with the status, the headers that matter and the body text.
    struct Answer: Equatable, CustomStringConvertible {
        var status: Int
        var headers: [String]
        var body: String
        var description: String { "\(status) \(headers) \(body)" }
    }

    static func answer(_ client: UploadClient, _ tokens: [String: String], user: String, _ method: HTTPRequest.Method,
                       _ uri: String, body: String? = nil, masking id: String) async throws -> Answer {
        let r = try await client.client.execute(uri: uri, method: method, headers: [.authorization: "Bearer \(tokens[user]!)"],
                                                body: body.map { ByteBuffer(string: $0) })
        // Everything but the length of a body that names the id, and the date.
        let headers = r.headers.filter { $0.name != .contentLength && $0.name != .date }.map { "\($0.name.canonicalName)=\($0.value)" }.sorted()
        return Answer(status: Int(r.status.code), headers: headers, body: r.text.replacingOccurrences(of: id, with: "<id>"))
    }

    /// Every route that takes a layer id, for a layer `id`.
    static func routes(_ id: String) -> [(HTTPRequest.Method, String, String?)] {
        let conditions = "{\"layer\": \"\(id)\", \"owner\": \"hhnk\", \"sensitivity\": \"open\", \"allowedProfiles\": [\"kern\"], \"auditRequired\": false, \"clipToRegions\": true, \"hiddenAttributes\": {}}"
        return [
            (.get, "/collections/\(id)", nil),
            (.get, "/collections/\(id)/tiles", nil),
            (.get, "/collections/\(id)/tiles/WebMercatorQuad", nil),
            (.get, "/collections/\(id)/tiles/NetherlandsRDNewQuad/tilejson", nil),
            (.get, "/collections/\(id)/tiles/WebMercatorQuad/10/336/525", nil),
            (.get, "/xyz/\(id)/WebMercatorQuad/10/525/336.mvt", nil),
            (.get, "/collections/\(id)/map/tiles/WebMercatorQuad/10/336/525", nil),
            (.get, "/collections/\(id)/map/tiles/NetherlandsRDNewQuad/5/12/13@2x", nil),
            (.get, "/xyz/\(id)/WebMercatorQuad/10/525/336.png", nil),
            (.get, "/wmts/\(id)/default/WebMercatorQuad/10/336/525.png", nil),
            (.get, "/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=\(id)&STYLE=default&TILEMATRIXSET=WebMercatorQuad&TILEMATRIX=10&TILEROW=336&TILECOL=525&FORMAT=image/png", nil),
            (.get, "/collections/\(id)/versions", nil),
            (.get, "/collections/\(id)/items", nil),
            (.get, "/collections/\(id)/items?limit=5&bbox=5,52,5.2,52.2&filter=kind%3D%27x%27", nil),
            (.get, "/collections/\(id)/items?f=gpkg", nil),
            (.get, "/collections/\(id)/items?cursor=forged", nil),
            (.get, "/collections/\(id)/items/1", nil),
            (.get, "/collections/\(id)/queryables", nil),
            (.get, "/collections/\(id)/tiles/WebMercatorQuad/mbtiles?minzoom=5&maxzoom=6", nil),
            (.get, "/collections/\(id)/tiles/NetherlandsRDNewQuad/mbtiles", nil),
            (.get, "/exports/gpkg?collections=\(id)", nil),
            (.get, "/exports/gpkg?collections=\(id)&bbox=1,2&crs=nonsense", nil),
            (.post, "/collections/\(id)/versions/1/publish", nil),
            (.post, "/collections/\(id)/versions/2/discard", nil),
            (.post, "/collections/\(id)/rollback", nil),
            (.post, "/collections/\(id)/rollback?version=999", nil),
            (.put, "/admin/layers/\(id)/conditions", conditions),
            (.get, "/access/explain?user=vitens-editor&layer=\(id)", nil),
        ]
    }

    @Test("hidden and missing answer identically on every route that takes a layer id, for ad-hoc, idle standby and outside-region structureel callers")
    func hiddenEqualsMissing() async throws {
        let (world, tokens) = try await Self.world()
        defer { world.remove() }
        try await world.withServer { client in
            // A staged version of water_facilities (v2) and an upload job, so that publish,
            // discard and jobs have something to find.
            let staged = try await client.uploadAndWait("water_facilities", text: GeoJSONFile.grid(30, gen: 2), name: "w.geojson",
                                                        as: "vitens-editor", query: "stage=true")
            #expect(staged.body["state"]?.string == "staged")
            let job = try #require(staged.body["id"]?.string)
            let missingJob = "job-" + String(repeating: "0", count: 24)
            // Hidden: published (water_facilities), conditions only (protection_zones), no conditions (orphan).
            for user in ["adhoc-viewer", "idle-standby", "hhnk-editor"] {
                for hidden in ["water_facilities", "protection_zones", "orphan"] {
                    for ((method, hiddenURI, hiddenBody), (_, missingURI, missingBody)) in zip(Self.routes(hidden), Self.routes("no_such_layer")) {
                        let a = try await Self.answer(client, tokens, user: user, method, hiddenURI, body: hiddenBody, masking: hidden)
                        let b = try await Self.answer(client, tokens, user: user, method, missingURI, body: missingBody, masking: "no_such_layer")
                        #expect(a == b, "\(user) \(method) \(hiddenURI)\n hidden:  \(a)\n missing: \(b)")
                        #expect([401, 403, 404].contains(a.status) || method == .get && a.status == 400, "\(user) \(hiddenURI): \(a)")
                    }
                    // The upload route: callers that may not write get the missing id's answer.
                    // (A writer may create a new id, so to a writer a taken id and a free one differ.)
                    if user != "hhnk-editor" {
                        let file = GeoJSONFile.grid(4, gen: 5)
                        let a = try await Self.answer(client, tokens, user: user, .post, "/collections/\(hidden)/versions?filename=f.geojson", body: file, masking: hidden)
                        let b = try await Self.answer(client, tokens, user: user, .post, "/collections/no_such_layer/versions?filename=f.geojson", body: file, masking: "no_such_layer")
                        #expect(a == b && a.status == 404, "\(user) upload\n hidden:  \(a)\n missing: \(b)")
                    }
                }
                let a = try await Self.answer(client, tokens, user: user, .get, "/jobs/\(job)", masking: job)
                let b = try await Self.answer(client, tokens, user: user, .get, "/jobs/\(missingJob)", masking: missingJob)
                #expect(a == b && a.status == 404, "\(user) job\n hidden:  \(a)\n missing: \(b)")
                let list = try await client.client.execute(uri: "/jobs", method: .get, headers: [.authorization: "Bearer \(tokens[user]!)"], body: nil)
                #expect(!list.text.contains(job))
            }
            // Made-up ids of any length are answered without a decision: nothing is kept of them.
            let memo = client.service.access.memoCount
            for i in 0..<50 {
                let long = "/collections/" + String(repeating: "z", count: 20_000) + "\(i)"
                for uri in [long + "/versions", long + "/rollback", long + "/versions/1/publish"] {
                    let r = try await client.client.execute(uri: uri, method: uri.hasSuffix("versions") ? .get : .post,
                                                            headers: [.authorization: "Bearer \(tokens["adhoc-viewer"]!)"], body: nil)
                    #expect(r.status == .notFound)
                }
            }
            #expect(client.service.access.memoCount == memo)
            // Nothing moved.
            #expect(client.service.catalogLayer("water_facilities")?.currentVersion == 1)
            #expect(client.service.catalogLayer("orphan")?.currentVersion == 2)
            #expect(client.service.catalogLayer("no_such_layer") == nil)
            #expect(client.service.access.policy.policy.layers["no_such_layer"] == nil)
        }
    }

    @Test("recipe: a kern editor cannot roll back, publish or discard a layer without conditions, nor learn its kept versions; the CLI still can")
    func noConditionsNoWrites() async throws {
        let (world, _) = try await Self.world()
        defer { world.remove() }
        try await world.withServer { client in
            for user in ["stedin-viewer", "vitens-editor", "hdsr-editor", "im-utrecht"] {
                for (method, uri) in [(HTTPRequest.Method.post, "/collections/orphan/rollback"), (.post, "/collections/orphan/rollback?version=999"),
                                      (.post, "/collections/orphan/rollback?version=1"), (.get, "/collections/orphan/versions"),
                                      (.post, "/collections/orphan/versions/1/publish"), (.post, "/collections/orphan/versions/2/discard")] {
                    let r = try await client.execute(uri, method, as: user)
                    #expect(r.status == .notFound, "\(user) \(uri): \(r.status) \(r.text)")
                    #expect(try r.json()["detail"]?.string == "no layer \"orphan\"", "\(r.text)")
                    #expect(!r.text.contains("kept") && !r.text.contains("versions:"))
                }
                let upload = try await client.upload("orphan", text: GeoJSONFile.grid(5, gen: 3), name: "o.geojson", as: user)
                #expect(upload.status == .notFound, "\(user) upload: \(upload.text)")
            }
            #expect(client.service.catalogLayer("orphan")?.currentVersion == 2)
            // The local operator (no authority) acts on it.
            let back = try await BlockingWork.run { try client.service.store.rollback(layerID: "orphan") }
            #expect(back.currentVersion == 1)
        }
    }

    @Test("the transaction takes the decision again: a change whose right is gone by the commit changes nothing")
    func decisionInsideTheTransaction() async throws {
        let (world, _) = try await Self.world()
        defer { world.remove() }
        let store = try LayerStore(configuration: StoreConfiguration(dataDirectory: world.directory))
        let clock: @Sendable () -> Date = { Date() }
        func change(_ user: String, _ org: String, _ action: Action, withoutApproval: Bool = false) -> VersionChange {
            var c = VersionChange(actor: AccessActor(subject: user, organisation: org))
            c.authority = Authority(subject: .user(user), action: action, withoutApproval: withoutApproval, clock: clock)
            return c
        }
        // Stedin (kern editor) decided nothing about water_facilities, and the store refuses it.
        #expect(throws: StoreError.self) { try store.rollback(layerID: "water_facilities", change: change("stedin-viewer", "stedin", .write)) }
        // An information manager approves no kern partner's version, not even inside the store.
        #expect(throws: StoreError.self) { try store.rollback(layerID: "water_facilities", change: change("im-utrecht", "vr-utrecht", .approve)) }
        // A layer without conditions: no authority passes; the ad-hoc partner does not learn it exists.
        do {
            _ = try store.rollback(layerID: "orphan", change: change("vitens-editor", "vitens", .write))
            Issue.record("rolled back a layer without conditions")
        } catch let e as StoreError {
            #expect(e.code == .notFound && e.message == "no layer \"orphan\"")
        }
        #expect(try store.layer("water_facilities")?.currentVersion == 1)
        #expect(try store.layer("orphan")?.currentVersion == 2)
    }

    @Test("recipe: an information manager cannot publish, discard or roll back a kern partner's staged version, nor see its history or jobs")
    func kernVersionsAreTheOwners() async throws {
        let (world, _) = try await Self.world()
        defer { world.remove() }
        try await world.withServer { client in
            let staged = try await client.uploadAndWait("water_facilities", text: GeoJSONFile.grid(40, gen: 2), name: "w.geojson",
                                                        as: "vitens-editor", query: "stage=true")
            #expect(staged.body["state"]?.string == "staged")
            let job = try #require(staged.body["id"]?.string)
            // im-utrecht reads water_facilities (clipped to VR09) but Vitens is a kern partner.
            #expect(try await client.execute("/collections/water_facilities", as: "im-utrecht").status == .ok)
            for (method, uri) in [(HTTPRequest.Method.post, "/collections/water_facilities/versions/2/publish"),
                                  (.post, "/collections/water_facilities/versions/2/discard"),
                                  (.post, "/collections/water_facilities/rollback"), (.get, "/collections/water_facilities/versions")] {
                let r = try await client.execute(uri, method, as: "im-utrecht")
                #expect(r.status == .forbidden, "\(uri): \(r.text)")
                #expect(!r.text.contains("checksum") && !r.text.contains("featureCount"))
            }
            #expect(try await client.execute("/jobs/\(job)", as: "im-utrecht").status == .notFound)
            #expect(client.service.catalogLayer("water_facilities")?.currentVersion == 1)
            // The owner's writer publishes and rolls back.
            #expect(try await client.execute("/collections/water_facilities/versions/2/publish", .post, as: "vitens-editor").status == .ok)
            #expect(try await client.execute("/collections/water_facilities/rollback", .post, as: "vitens-editor").status == .ok)
            #expect(client.service.catalogLayer("water_facilities")?.currentVersion == 1)
            let denials = try await UploadTests.audit(client, action: "approve")
            #expect(denials.contains { $0.event.subject == "im-utrecht" && $0.event.rules.contains("approve-structureel") })
        }
    }

    @Test("an information manager approves a structureel partner's versions and sees their history and jobs only as far as it reads the layer; rollback is the owner's")
    func structureelApprovalWithinRemit() async throws {
        let (world, _) = try await Self.world()
        defer { world.remove() }
        try await world.withServer { client in
            // HDSR works in VR09 (Utrecht) and VR16 (Zuid-Holland Zuid); its points lie in both.
            let utrecht = (0..<20).map { GeoJSONFile.point(5.1 + Double($0) * 0.002, 52.08, properties: "\"n\": \($0)") }
            let dordrecht = (0..<20).map { GeoJSONFile.point(4.65 + Double($0) * 0.002, 51.80, properties: "\"n\": \(100 + $0)") }
            let file = GeoJSONFile.collection(utrecht + dordrecht)
            let first = try await client.uploadAndWait("hdsr_gauges", text: file, name: "gauges.geojson", as: "hdsr-editor", query: "sensitivity=restricted")
            #expect(first.body["state"]?.string == "staged")
            let job = try #require(first.body["id"]?.string)

            // The uploader sees everything; the manager of VR09 (reads the layer clipped to VR09)
            // sees states, who and when, but no whole-layer counts, file name or report.
            let own = try await client.execute("/collections/hdsr_gauges/versions", as: "hdsr-editor").json()
            #expect(own["versions"]?.array?.first?["featureCount"]?.number == 40)
            #expect(own["versions"]?.array?.first?["report"] != nil)
            let managed = try await client.execute("/collections/hdsr_gauges/versions", as: "im-utrecht")
            #expect(managed.status == .ok)
            let entry = try #require(try managed.json()["versions"]?.array?.first)
            #expect(entry["state"]?.string == "staged" && entry["uploadedBy"]?.string == "hdsr-editor")
            #expect(entry["featureCount"] == nil && entry["rejectedCount"] == nil && entry["sourceFile"] == nil && entry["report"] == nil, "\(entry)")
            let jobSeen = try await client.execute("/jobs/\(job)", as: "im-utrecht")
            #expect(jobSeen.status == .ok)
            #expect(!jobSeen.text.contains("gauges.geojson") && !jobSeen.text.contains("featuresRead") && !jobSeen.text.contains("report"), "\(jobSeen.text)")

            let published = try await client.execute("/collections/hdsr_gauges/versions/1/publish", .post, as: "im-utrecht")
            #expect(published.status == .ok)
            #expect(try published.json()["featureCount"] == nil)
            let second = try await client.uploadAndWait("hdsr_gauges", text: file, name: "gauges.geojson", as: "hdsr-editor")
            #expect(second.body["state"]?.string == "staged")
            #expect(try await client.execute("/collections/hdsr_gauges/versions/2/publish", .post, as: "im-utrecht").status == .ok)
            // Rollback is the owner's, not the region's.
            let imRollback = try await client.execute("/collections/hdsr_gauges/rollback", .post, as: "im-utrecht")
            #expect(imRollback.status == .forbidden, "\(imRollback.text)")
            #expect(client.service.catalogLayer("hdsr_gauges")?.currentVersion == 2)
            #expect(try await client.execute("/collections/hdsr_gauges/rollback", .post, as: "hdsr-editor").status == .ok)
            #expect(client.service.catalogLayer("hdsr_gauges")?.currentVersion == 1)
            // A manager of another region neither publishes nor sees.
            #expect(try await client.execute("/collections/hdsr_gauges/versions", as: "stedin-viewer").status == .forbidden)
        }
    }
}
