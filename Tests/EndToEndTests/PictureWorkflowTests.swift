import AccessPolicy
import Foundation
import GRDB
import GeoCore
import Hummingbird
import HummingbirdTesting
@testable import LayerServer
import MVTTestSupport
import NIOCore
import RiskPicture
import Testing
import TileRender

/// Issue 10's workflow over HTTP with three organisations: the water board HDSR contributes a
/// threat, Vitens an effect on its pumping station, the information manager of VR Utrecht
/// verifies and publishes. Others read as the access policy says; nothing is lost.
@Suite("Risk-picture workflow")
struct PictureWorkflowTests {
    /// The demo cast's world; water_facilities is readable by kern and structureel partners only
    /// (not by the standby contractor, who reads the VR09 picture while attached).
    static func world() async throws -> UploadWorld {
        let world = try await UploadWorld.make(points: 100)
        try await BlockingWork.run {
            let access = AccessStore(store: try LayerStore(configuration: StoreConfiguration(dataDirectory: world.directory)))
            try access.put(LayerConditions(layer: "water_facilities", owner: "vitens", sensitivity: .confidential, allowedProfiles: [.kern, .structureel]),
                           by: .localOperator())
        }
        return world
    }

    static func post(_ client: UploadClient, _ uri: String, as user: String, _ json: String = "") async throws -> TestResponse {
        try await client.execute(uri, .post, as: user, body: ByteBuffer(string: json), headers: [.contentType: "application/json"])
    }

    static func threat(_ headline: String, supersedes: String? = nil, until: Date? = nil) -> String {
        let iso = Date().addingTimeInterval(-60).formatted(.iso8601)
        return """
            {"type": "threat", "hazard": "high-water", "headline": "\(headline)", "severity": "Severe", "urgency": "Expected",
             "certainty": "Likely", "likelihood": 0.4, "expectedEffects": "Uiterwaarden en kades onder water",
             "area": {"crs": "EPSG:28992", "circles": [{"center": [136000, 443500], "radiusMetres": 4000}]},
             "validFrom": "\(iso)"\(until.map { ", \"validUntil\": \"\($0.formatted(.iso8601))\"" } ?? "")\(supersedes.map { ", \"supersedes\": \"\($0)\"" } ?? "")}
            """
    }

    @Test("submit, accept, reject, publish, supersede, cancel and expire; rejected contributions never published; every step audited")
    func workflow() async throws {
        let world = try await Self.world()
        defer { world.remove() }
        try await world.withServer { client in
            // HDSR (structureel water board) submits a threat; it waits for the region.
            let submitted = try await Self.post(client, "/pictures/VR09/contributions", as: "hdsr-editor", Self.threat("Hoogwater Lekdijk"))
            #expect(submitted.status == .created, "\(submitted.text)")
            let threat = try #require(try submitted.json()["id"]?.string)
            #expect(try submitted.json()["state"]?.string == "submitted")
            // Pending contributions: the author's organisation and the region's managers only.
            #expect(try await client.execute("/pictures/VR09/contributions/\(threat)", as: "stedin-viewer").status == .notFound)
            #expect(try await client.execute("/pictures/VR09/contributions?state=pending", as: "stedin-viewer").json()["contributions"]?.array?.isEmpty == true)
            #expect(try await client.execute("/pictures/VR09/contributions?state=pending", as: "im-utrecht").json()["contributions"]?.array?.count == 1)
            // Only the information manager verifies and publishes.
            #expect(try await Self.post(client, "/pictures/VR09/contributions/\(threat)/accept", as: "hdsr-editor").status == .forbidden)
            #expect(try await Self.post(client, "/pictures/VR09/versions", as: "vitens-editor").status == .forbidden)
            #expect(try await Self.post(client, "/pictures/VR09/contributions/\(threat)/accept", as: "im-utrecht").status == .ok)
            let v1 = try await Self.post(client, "/pictures/VR09/versions", as: "im-utrecht")
            let v1Number = try v1.json()["version"]?.number
            #expect(v1.status == .created && v1Number == 1, "\(v1.text)")
            let v1Time = Date()
            try await Task.sleep(for: .milliseconds(1100))

            // Vitens adds an effect on its pumping station (feature 1 of water_facilities) and a second one the region refuses.
            let effect = try await Self.post(client, "/pictures/VR09/contributions", as: "vitens-editor",
                                             "{\"type\": \"effect\", \"threat\": \"\(threat)\", \"asset\": {\"layer\": \"water_facilities\", \"feature\": 1}, \"consequence\": \"Pompstation valt uit\", \"expectedDurationSeconds\": 172800}")
            #expect(effect.status == .created, "\(effect.text)")
            let effectID = try #require(try effect.json()["id"]?.string)
            #expect(try effect.json()["effect"]?["asset"]?["version"]?.number == 1)
            #expect(try effect.json()["effect"]?["asset"]?["position"]?.array?.count == 2)
            let second = try await Self.post(client, "/pictures/VR09/contributions", as: "vitens-editor",
                                             "{\"type\": \"effect\", \"threat\": \"\(threat)\", \"asset\": {\"layer\": \"water_facilities\", \"feature\": 2}, \"consequence\": \"Dubbel\"}")
            let secondID = try #require(try second.json()["id"]?.string)
            // A feature that does not exist, or of a layer the caller may not read, is refused alike.
            let noFeature = try await Self.post(client, "/pictures/VR09/contributions", as: "vitens-editor",
                                                "{\"type\": \"effect\", \"threat\": \"\(threat)\", \"asset\": {\"layer\": \"water_facilities\", \"feature\": 999999}, \"consequence\": \"x\"}")
            #expect(noFeature.status == .unprocessableContent)
            // Stedin reads water_facilities only inside its regions: it names assets by the opaque
            // ids of its tiles, and is shown those, never the stored ones.
            let stedin = Principal(subject: .user("stedin-viewer"), organisation: "stedin", tokenID: nil, via: .bearer)
            let grant = client.service.access.readGrant(stedin, layer: "water_facilities", at: Date())
            #expect(grant.decision.filter != .everywhere)
            let opaque = OpaqueFeatureIDs(secret: client.service.access.keyBytes, layer: "water_facilities", version: 1, accessClass: grant.accessClass).hasher().id(3)
            let byStedin = try await Self.post(client, "/pictures/VR09/contributions", as: "stedin-viewer",
                                               "{\"type\": \"effect\", \"threat\": \"\(threat)\", \"asset\": {\"layer\": \"water_facilities\", \"feature\": \(opaque)}, \"consequence\": \"Gasdruk\"}")
            #expect(byStedin.status == .created, "\(byStedin.text)")
            #expect(try byStedin.json()["effect"]?["asset"]?["feature"]?.number == Double(opaque))
            let stedinID = try #require(try byStedin.json()["id"]?.string)
            let stored = try SQLitePictureStore(store: client.service.store).picture(region: "VR09").items[stedinID]?.contribution.content
            guard case .effect(let storedEffect)? = stored else { Issue.record("no stored effect"); return }
            #expect(storedEffect.asset?.feature == 3, "the store keeps the stored id")
            #expect(try await Self.post(client, "/pictures/VR09/contributions", as: "stedin-viewer",
                                        "{\"type\": \"effect\", \"threat\": \"\(threat)\", \"asset\": {\"layer\": \"water_facilities\", \"feature\": 3}, \"consequence\": \"x\"}").status == .unprocessableContent)
            #expect(try await Self.post(client, "/pictures/VR09/contributions/\(stedinID)/reject", as: "im-utrecht", "{\"reason\": \"niet van Stedin\"}").status == .ok)
            #expect(try await Self.post(client, "/pictures/VR09/contributions/\(secondID)/reject", as: "im-utrecht", "{}").status == .badRequest)
            #expect(try await Self.post(client, "/pictures/VR09/contributions/\(secondID)/reject", as: "im-utrecht", "{\"reason\": \"dubbel gemeld\"}").status == .ok)
            #expect(try await Self.post(client, "/pictures/VR09/contributions/\(effectID)/accept", as: "im-utrecht").status == .ok)
            #expect(try await Self.post(client, "/pictures/VR09/contributions/\(secondID)/accept", as: "im-utrecht").status == .conflict)
            let v2 = try await Self.post(client, "/pictures/VR09/versions", as: "im-utrecht").json()
            #expect(v2["version"]?.number == 2)
            #expect(Set(v2["items"]?.array?.compactMap { $0["id"]?.string } ?? []) == [threat, effectID])
            try await Task.sleep(for: .milliseconds(1100))

            // Readers: the national node sees both; the standby contractor (no access to
            // water_facilities) sees the threat but not the effect on the asset, on every route.
            let national = try await client.execute("/pictures/VR09", as: "locc-viewer").json()
            #expect(national["items"]?.array?.count == 2)
            let standby = try await client.execute("/pictures/VR09", as: "standby-viewer")
            #expect(standby.status == .ok)
            #expect(try standby.json()["items"]?.array?.compactMap { $0["id"]?.string } == [threat])
            #expect(!standby.text.contains(effectID) && !standby.text.contains("water_facilities"))
            #expect(try await client.execute("/pictures/VR09/contributions/\(effectID)", as: "standby-viewer").status == .notFound)
            let standbyDiff = try await client.execute("/pictures/VR09/diff?from=1&to=2", as: "standby-viewer")
            let standbyAdded = try standbyDiff.json()["added"]?.array
            #expect(!standbyDiff.text.contains(effectID) && standbyAdded?.isEmpty == true)
            let fullDiff = try await client.execute("/pictures/VR09/diff?from=1&to=2", as: "locc-viewer").json()
            #expect(fullDiff["added"]?.array == [.string(effectID)])
            #expect(!(try await client.execute("/pictures", as: "standby-viewer").text.contains(effectID)))
            // As of a time: version 1 then.
            let asOf = try await client.execute("/pictures/VR09?at=\(v1Time.formatted(.iso8601))", as: "locc-viewer").json()
            #expect(asOf["version"]?.number == 1)

            // HDSR updates its threat; the effect stays with it.
            let update = try await Self.post(client, "/pictures/VR09/contributions", as: "hdsr-editor", Self.threat("Hoogwater Lekdijk, verhoogd", supersedes: threat))
            let updateID = try #require(try update.json()["id"]?.string)
            #expect(try await Self.post(client, "/pictures/VR09/contributions/\(updateID)/accept", as: "im-utrecht").status == .ok)
            let v3 = try await Self.post(client, "/pictures/VR09/versions", as: "im-utrecht").json()
            #expect(Set(v3["items"]?.array?.compactMap { $0["id"]?.string } ?? []) == [updateID, effectID])
            let changed = try await client.execute("/pictures/VR09/diff?from=2&to=3", as: "locc-viewer").json()
            #expect(changed["changed"]?.array?.first?["old"]?.string == threat && changed["changed"]?.array?.first?["new"]?.string == updateID)

            // HDSR cancels; threat and effect leave the picture.
            let cancel = try await Self.post(client, "/pictures/VR09/contributions", as: "hdsr-editor", "{\"type\": \"cancel\", \"item\": \"\(updateID)\", \"reason\": \"Waterstand daalt\"}")
            let cancelID = try #require(try cancel.json()["id"]?.string)
            #expect(try await Self.post(client, "/pictures/VR09/contributions/\(cancelID)/accept", as: "im-utrecht").status == .ok)
            let v4 = try await Self.post(client, "/pictures/VR09/versions", as: "im-utrecht").json()
            #expect(v4["items"]?.array?.isEmpty == true)
            let withdrawn = try await client.execute("/pictures/VR09/diff?from=3&to=4", as: "locc-viewer").json()
            #expect(Set(withdrawn["withdrawn"]?.array?.compactMap { $0["item"]?.string } ?? []) == [updateID, effectID])

            // A threat that expires leaves by itself, as a version by the system.
            let brief = try await Self.post(client, "/pictures/VR09/contributions", as: "hdsr-editor", Self.threat("Kortstondig", until: Date() + 3))
            let briefID = try #require(try brief.json()["id"]?.string)
            #expect(try await Self.post(client, "/pictures/VR09/contributions/\(briefID)/accept", as: "im-utrecht").status == .ok)
            #expect(try await Self.post(client, "/pictures/VR09/versions", as: "im-utrecht").status == .created)
            var expired: JSONValue?
            for _ in 0..<100 {
                let current = try await client.execute("/pictures/VR09", as: "locc-viewer").json()
                if current["publishedBy"]?.string == "system:expiry" { expired = current; break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(expired?["version"]?.number == 6 && expired?["items"]?.array?.isEmpty == true)

            // The rejected contribution is in no version; every step is in the audit chain.
            for n in 1...6 {
                #expect(!(try await client.execute("/pictures/VR09/versions/\(n)", as: "locc-viewer").text.contains(secondID)))
            }
            try await client.service.access.recorder.flush()
            let records = try await client.service.store.read { db in try AuditLog.query(db, limit: 10_000) }.filter { $0.event.resource == "picture:VR09" }
            let actions = records.map(\.event.action)
            #expect(actions.filter { $0 == "contribute" }.count == 7 && actions.filter { $0 == "publish" }.count == 5)
            #expect(actions.contains("accept") && actions.contains("reject") && actions.contains("expire"))
            #expect(records.contains { $0.event.kind == .denial && $0.event.subject == "hdsr-editor" && $0.event.action == "approve" })
            let verified = try await BlockingWork.run { try AccessStore(store: client.service.store).verifyAudit() }
            #expect(verified.intact)
        }
    }

    @Test("a picture the caller may not read answers as a missing one")
    func hiddenPictures() async throws {
        let world = try await Self.world()
        defer { world.remove() }
        try await world.withServer { client in
            for user in ["adhoc-viewer", "standby-viewer"] {
                // The standby contractor reads VR09 (its exercise), not VR13.
                let hidden = user == "adhoc-viewer" ? "VR09" : "VR13"
                for (method, path, body) in [(HTTPRequest.Method.get, "", ""), (.get, "/contributions", ""), (.get, "/diff?to=1", ""),
                                             (.get, "/versions/1", ""), (.get, "/versions", ""), (.post, "/versions", ""),
                                             (.post, "/contributions", Self.threat("x")), (.get, "/contributions/rp-1", ""),
                                             (.post, "/contributions/rp-1/accept", ""), (.get, "/alerts", ""), (.get, "/alerts/rp-1", ""),
                                             (.get, "/tiles/WebMercatorQuad/8/84/131", ""), (.get, "/threats/rp-1/impact?layers=water_facilities", ""),
                                             (.get, "/events", "")] {
                    let a = try await client.execute("/pictures/\(hidden)\(path)", method, as: user, body: ByteBuffer(string: body))
                    let b = try await client.execute("/pictures/VR99\(path)", method, as: user, body: ByteBuffer(string: body))
                    #expect(a.status == .notFound && b.status == .notFound, "\(user) \(path)")
                    #expect(a.text.replacingOccurrences(of: hidden, with: "<r>") == b.text.replacingOccurrences(of: "VR99", with: "<r>"), "\(user) \(path)")
                }
            }
        }
    }

    static let capAlert = """
        <?xml version="1.0" encoding="UTF-8"?>
        <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
          <identifier>hdsr-2026-001</identifier><sender>hdsr@hdsr.nl</sender><sent>2026-12-01T10:00:00+01:00</sent>
          <status>Actual</status><msgType>Alert</msgType><scope>Restricted</scope><restriction>Crisispartners</restriction>
          <info><category>Met</category><event>Hoogwater</event><urgency>Expected</urgency><severity>Severe</severity>
            <certainty>Likely</certainty><effective>2026-12-01T10:00:00+01:00</effective><headline>Hoogwater Lek</headline>
            <description>Uiterwaarden onder water</description>
            <parameter><valueName>likelihood</valueName><value>0.3</value></parameter>
            <area><areaDesc>Lekdijk bij Vianen</areaDesc><polygon>51.97,5.05 51.97,5.15 52.0,5.15 52.0,5.05 51.97,5.05</polygon></area></info>
        </alert>
        """

    @Test("CAP in and out over HTTP: an alert becomes a threat; the published threat is a valid CAP alert and an Atom entry; DTDs are refused")
    func capOverHTTP() async throws {
        let world = try await Self.world()
        defer { world.remove() }
        try await world.withServer { client in
            let cap: HTTPFields = [.contentType: "application/cap+xml"]
            let posted = try await client.execute("/pictures/VR09/contributions", .post, as: "hdsr-editor", body: ByteBuffer(string: Self.capAlert), headers: cap)
            #expect(posted.status == .created, "\(posted.text)")
            let id = try #require(try posted.json()["id"]?.string)
            #expect(try posted.json()["threat"]?["hazard"]?.string == "high-water")
            #expect(try await Self.post(client, "/pictures/VR09/contributions/\(id)/accept", as: "im-utrecht").status == .ok)
            #expect(try await Self.post(client, "/pictures/VR09/versions", as: "im-utrecht").status == .created)
            let out = try await client.execute("/pictures/VR09/alerts/\(id)", as: "locc-viewer")
            #expect(out.status == .ok && out.headers[.contentType]?.hasPrefix("application/cap+xml") == true)
            let (status, output) = try XMLLint.run(out.text, ["--schema", CAPValidation.schema])
            #expect(status == 0, "\(output)\n\(out.text)")
            let feed = try await client.execute("/pictures/VR09/alerts", as: "standby-viewer")
            #expect(feed.status == .ok && feed.text.contains("/pictures/VR09/alerts/\(id)"))
            #expect(try await client.execute("/pictures/VR09/alerts", as: "adhoc-viewer").status == .notFound)
            // An XXE document is refused before any parsing, with the reason.
            let xxe = Self.capAlert.replacingOccurrences(of: "<alert ", with: "<!DOCTYPE alert [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n<alert ")
                .replacingOccurrences(of: "Hoogwater Lek", with: "&x;")
            let refused = try await client.execute("/pictures/VR09/contributions", .post, as: "hdsr-editor", body: ByteBuffer(string: xxe), headers: cap)
            #expect(refused.status == .unprocessableContent && refused.text.contains("DTD") && !refused.text.contains("root:"))
        }
    }
}

/// The picture on the map: tiles per region and national, the style, and the impact query.
@Suite("Risk picture on the map")
struct PictureMapTests {
    @Test("tiles show what the caller may see of the current version; a new version changes them; impact counts only readable features")
    func tilesAndImpact() async throws {
        let world = try await PictureWorkflowTests.world()
        defer { world.remove() }
        try await world.withServer { client in
            func post(_ uri: String, _ user: String, _ json: String = "") async throws -> TestResponse {
                try await PictureWorkflowTests.post(client, uri, as: user, json)
            }
            let threat = try #require(try await post("/pictures/VR09/contributions", "hdsr-editor", PictureWorkflowTests.threat("Hoogwater")).json()["id"]?.string)
            _ = try await post("/pictures/VR09/contributions/\(threat)/accept", "im-utrecht")
            _ = try await post("/pictures/VR09/versions", "im-utrecht")
            let effect = try #require(try await post("/pictures/VR09/contributions", "vitens-editor",
                                                     "{\"type\": \"effect\", \"threat\": \"\(threat)\", \"asset\": {\"layer\": \"water_facilities\", \"feature\": 1}, \"consequence\": \"Pompstation\"}").json()["id"]?.string)
            _ = try await post("/pictures/VR09/contributions/\(effect)/accept", "im-utrecht")
            _ = try await post("/pictures/VR09/versions", "im-utrecht")

            // A z8 tile over the threat (RD 136000, 443500 is about 5.12 E, 51.98 N).
            let p = try Transformer(from: .wgs84, to: .webMercator).transform(Position(5.12, 51.98))
            let t = TileMatrixSet.webMercatorQuad.tile(containing: p, z: 8)!
            func kinds(_ uri: String, _ user: String) async throws -> (HTTPResponse.Status, [String]) {
                let r = try await client.execute(uri, as: user)
                guard r.status == .ok else { return (r.status, []) }
                let decoded = try MVTDecoder.decode(r.bytes)
                let layer = try #require(decoded.layers.first { $0.name == PictureService.tileLayer })
                let kindKey = try #require(layer.keys.firstIndex(of: "kind"))
                return (r.status, layer.features.compactMap { f -> String? in
                    // Tags are key/value index pairs.
                    for pair in stride(from: 0, to: f.tags.count - 1, by: 2) where f.tags[pair] == UInt32(kindKey) {
                        if case .string(let s) = layer.values[Int(f.tags[pair + 1])] { return s }
                    }
                    return nil
                }.sorted())
            }
            let region = "/pictures/VR09/tiles/WebMercatorQuad/8/\(t.row)/\(t.col)"
            let national = "/pictures/tiles/WebMercatorQuad/8/\(t.row)/\(t.col)"
            #expect(try await kinds(region, "locc-viewer") == (.ok, ["effect", "threat"]))
            #expect(try await kinds(national, "locc-viewer") == (.ok, ["effect", "threat"]))
            // The standby contractor does not read water_facilities: the threat only.
            #expect(try await kinds(region, "standby-viewer") == (.ok, ["threat"]))
            #expect(try await client.execute(region, as: "adhoc-viewer").status == .notFound)
            #expect(try await client.execute(national, as: "adhoc-viewer").status == .noContent)
            #expect(try await client.execute("/pictures/VR09/tiles/WebMercatorQuad/99/0/0", as: "locc-viewer").status == .badRequest)
            let before = try await client.execute(region, as: "locc-viewer")
            #expect(try await client.execute(region, as: "locc-viewer", headers: [.ifNoneMatch: before.headers[.eTag]!]).status == .notModified)

            // Impact: what the threat reaches of the layers the caller may read.
            let impact = try await client.execute("/pictures/VR09/threats/\(threat)/impact?layers=water_facilities,no_such_layer", as: "locc-viewer").json()
            let layers = try #require(impact["layers"]?.array)
            #expect(layers.count == 1 && layers[0]["layer"]?.string == "water_facilities")
            let count = try #require(layers[0]["count"]?.number)
            #expect(count > 0 && layers[0]["features"]?["features"]?.array?.count == Int(count))
            #expect(try await client.execute("/pictures/VR09/threats/\(threat)/impact?layers=water_facilities", as: "standby-viewer").json()["layers"]?.array?.isEmpty == true)
            // Stedin reads the layer only inside its regions: opaque ids.
            let stedin = try await client.execute("/pictures/VR09/threats/\(threat)/impact?layers=water_facilities", as: "stedin-viewer").json()
            #expect(stedin["layers"]?.array?.first?["ids"]?.array?.allSatisfy { ($0.number ?? 0) > 1_000_000 } == true)
            try await client.service.access.recorder.flush()
            let reads = try await client.service.store.read { db in try AuditLog.query(db, layer: "water_facilities", kind: .read, limit: 1000) }
            #expect(reads.contains { $0.event.subject == "locc-viewer" && $0.event.items.contains { $0.hasPrefix("impact:\(threat)") } })

            // A new version changes the tiles.
            let cancel = try #require(try await post("/pictures/VR09/contributions", "hdsr-editor", "{\"type\": \"cancel\", \"item\": \"\(threat)\", \"reason\": \"voorbij\"}").json()["id"]?.string)
            _ = try await post("/pictures/VR09/contributions/\(cancel)/accept", "im-utrecht")
            _ = try await post("/pictures/VR09/versions", "im-utrecht")
            #expect(try await client.execute(region, as: "locc-viewer").status == .noContent)
        }
    }

    @Test("the style colours threats by severity from the picture's tile layer")
    func style() throws {
        let url = ServerFixture.repository.appendingPathComponent("styles/risk-picture.json")
        let style = try JSONValue.parse(Data(contentsOf: url))
        #expect(style["version"]?.number == 8)
        let layers = try #require(style["layers"]?.array)
        #expect(layers.allSatisfy { $0["source-layer"]?.string == PictureService.tileLayer })
        let fill = try #require(layers.first { $0["id"]?.string == "threat-fill" })
        let text = "\(fill)"
        for severity in ["Extreme", "Severe", "Moderate", "Minor"] { #expect(text.contains(severity)) }
        #expect(style["sources"]?["risk"]?["tiles"]?.array?.first?.string?.hasSuffix("/pictures/tiles/WebMercatorQuad/{z}/{y}/{x}") == true)
    }
}

/// Live events: Server-Sent Events per region and national.
@Suite("Risk-picture events")
struct PictureEventTests {
    static func open(_ port: Int, _ path: String, token: String, lastEventID: String? = nil) throws -> RawConnection {
        let c = try RawConnection(port: port)
        _ = c.send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\nAccept: text/event-stream\r\n"
                   + (lastEventID.map { "Last-Event-ID: \($0)\r\n" } ?? "") + "\r\n")
        return c
    }

    /// Runs blocking socket work on a thread of its own.
    static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }

    /// The end of a chunked response: the stream is over.
    static let end = "\r\n0\r\n\r\n"

    /// The ids of the events received so far, in order.
    static func ids(_ c: RawConnection) -> [Int] {
        c.received.split(whereSeparator: \.isNewline).compactMap { $0.hasPrefix("id: ") ? Int($0.dropFirst(4).trimmingCharacters(in: .whitespaces)) : nil }
    }

    @Test("a subscriber receives each publication within a second; Last-Event-ID resumes without loss; streams stop when access lapses or the token is revoked")
    func events() async throws {
        let world = try await PictureWorkflowTests.world()
        defer { world.remove() }
        try await world.withServer { client in
            let port = try #require(client.client.port)
            func post(_ uri: String, _ user: String, _ json: String = "") async throws -> TestResponse {
                try await PictureWorkflowTests.post(client, uri, as: user, json)
            }
            func publishThreat(_ headline: String) async throws -> String {
                let id = try #require(try await post("/pictures/VR09/contributions", "hdsr-editor", PictureWorkflowTests.threat(headline)).json()["id"]?.string)
                _ = try await post("/pictures/VR09/contributions/\(id)/accept", "im-utrecht")
                #expect(try await post("/pictures/VR09/versions", "im-utrecht").status == .created)
                return id
            }
            let national = try await Self.onThread { try Self.open(port, "/pictures/events", token: world.token("locc-viewer")) }
            let regional = try await Self.onThread { try Self.open(port, "/pictures/VR09/events", token: world.token("locc-viewer")) }
            let standby = try await Self.onThread { try Self.open(port, "/pictures/VR09/events", token: world.token("standby-viewer")) }
            for c in [national, regional, standby] { #expect(c.read(until: "retry: 1000", timeout: 10), "\(c.received)") }
            // A publication arrives within a second of being published (the reader on a thread of
            // its own: the test process's pools may be busy with other suites).
            let id = try #require(try await post("/pictures/VR09/contributions", "hdsr-editor", PictureWorkflowTests.threat("Eerste")).json()["id"]?.string)
            _ = try await post("/pictures/VR09/contributions/\(id)/accept", "im-utrecht")
            let reading = Task { try await Self.onThread { () -> Date? in regional.read(until: "event: publication", timeout: 10) ? Date() : nil } }
            #expect(try await post("/pictures/VR09/versions", "im-utrecht").status == .created)
            let published = Date()
            let arrivedAt = try await reading.value
            let latency = arrivedAt.map { $0.timeIntervalSince(published) }
            #expect(latency != nil && latency! < 1, "latency \(String(describing: latency)) s")
            #expect(try await Self.onThread { national.read(until: "event: publication", timeout: 10) })
            #expect(try await Self.onThread { standby.read(until: "event: publication", timeout: 10) })
            let first = try #require(Self.ids(regional).last, "\(regional.received.debugDescription)")
            #expect(regional.received.contains("\"version\":1"))
            let threatID = try #require(try await client.execute("/pictures/VR09", as: "locc-viewer").json()["items"]?.array?.first?["id"]?.string)
            // An effect on water_facilities (which the standby contractor may not read) reaches the others only.
            let effect = try #require(try await post("/pictures/VR09/contributions", "vitens-editor",
                                                     "{\"type\": \"effect\", \"threat\": \"\(threatID)\", \"asset\": {\"layer\": \"water_facilities\", \"feature\": 1}, \"consequence\": \"Pompstation\"}").json()["id"]?.string)
            _ = try await post("/pictures/VR09/contributions/\(effect)/accept", "im-utrecht")
            _ = try await post("/pictures/VR09/versions", "im-utrecht")
            #expect(try await Self.onThread { regional.read(until: effect, timeout: 10) })
            #expect(try await Self.onThread { standby.read(until: "\"version\":2", timeout: 10) })
            #expect(!standby.received.contains(effect), "the standby contractor's stream names the effect")

            // Two more while a client is away; it resumes after the first and loses nothing.
            _ = try await publishThreat("Tweede")
            _ = try await publishThreat("Derde")
            let resumed = try await Self.onThread { try Self.open(port, "/pictures/VR09/events", token: world.token("locc-viewer"), lastEventID: String(first)) }
            #expect(try await Self.onThread { resumed.read(until: "\"version\":4", timeout: 10) }, "\(resumed.received)")
            #expect(Self.ids(resumed) == [first + 1, first + 2, first + 3], "\(Self.ids(resumed))")
            #expect(try await Self.onThread { regional.read(until: "\"version\":4", timeout: 10) })
            #expect(Self.ids(regional) == [first, first + 1, first + 2, first + 3])

            // The standby contractor's stream ends with its attachment: an administrator ends it 2 s from now.
            var activity = try #require(client.service.access.policy.policy.activities["oefening-lekdijk"])
            // Whole seconds: the API's times are ISO 8601 without fractions.
            let attachmentEnd = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 3).rounded(.down))
            activity.attachments = [Attachment(organisation: "dewaard", from: Date() - 60, until: attachmentEnd)]
            #expect(try await client.execute("/admin/activities/oefening-lekdijk", .put, as: "admin", body: ByteBuffer(string: AccessStore.apiJSON(activity)),
                                             headers: [.contentType: "application/json"]).status == .ok)
            let ended = try await Self.onThread { standby.read(until: Self.end, timeout: 15) }
            #expect(ended && Date() >= attachmentEnd && Date() < attachmentEnd + 3, "\(standby.received.suffix(300).debugDescription)")
            // Revoking the national node's token ends its streams.
            let tokenID = String(world.token("locc-viewer").dropFirst(4).prefix(12))
            #expect(try await client.execute("/admin/tokens/\(tokenID)", .delete, as: "admin").status == .ok)
            #expect(try await Self.onThread { national.read(until: Self.end, timeout: 10) }, "\(national.received.suffix(200).debugDescription)")
            #expect(try await Self.onThread { resumed.read(until: Self.end, timeout: 10) })
            withExtendedLifetime(regional) {}
        }
    }
}

/// Review findings on the picture routes, pinned.
@Suite("Risk-picture hardening")
struct PictureHardeningTests {
    @Test("hidden items are never named (supersedes, reasons, diff, as targets); bad numbers and bodies are 400; sizes are bounded")
    func hardening() async throws {
        let world = try await PictureWorkflowTests.world()
        defer { world.remove() }
        // A fire brigade (emergency service, not audited) reads the VR09 picture but not the confidential water_facilities.
        let brandweer = try await BlockingWork.run { () -> String in
            let access = AccessStore(store: try LayerStore(configuration: StoreConfiguration(dataDirectory: world.directory)))
            try access.change(by: .localOperator(), resource: "system", summary: "brandweer") { p in
                p.organisations["brandweer"] = Organisation(id: "brandweer", name: "Brandweer", coreTask: .hulpdienst, profile: .kern, audit: .notAudited,
                                                            reach: .regional, regions: ["VR09"], adoptionRegion: "VR09")
                p.users["brandweer-editor"] = User(id: "brandweer-editor", name: "B", organisation: "brandweer", roles: [.viewer, .editor])
            }
            return try access.issueToken(for: "brandweer-editor", label: "t", expiresAt: Date() + 3600, by: .localOperator()).token
        }
        try await world.withServer { client in
            func post(_ uri: String, _ user: String, _ json: String = "") async throws -> TestResponse {
                let token = user == "brandweer-editor" ? brandweer : world.token(user)
                return try await client.client.execute(uri: uri, method: .post, headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
                                                       body: ByteBuffer(string: json))
            }
            func get(_ uri: String, _ user: String) async throws -> TestResponse {
                let token = user == "brandweer-editor" ? brandweer : world.token(user)
                return try await client.client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer \(token)"], body: nil)
            }
            let threat = try #require(try await post("/pictures/VR09/contributions", "hdsr-editor", PictureWorkflowTests.threat("Hoogwater")).json()["id"]?.string)
            _ = try await post("/pictures/VR09/contributions/\(threat)/accept", "im-utrecht")
            _ = try await post("/pictures/VR09/versions", "im-utrecht")
            // An area-only effect (everyone sees it), then Vitens replaces it by an effect on its asset (the brigade does not see that).
            let area = "{\"crs\": \"EPSG:28992\", \"circles\": [{\"center\": [136000, 443500], \"radiusMetres\": 500}]}"
            let visible = try #require(try await post("/pictures/VR09/contributions", "vitens-editor",
                                                      "{\"type\": \"effect\", \"threat\": \"\(threat)\", \"area\": \(area), \"consequence\": \"Wateroverlast\"}").json()["id"]?.string)
            _ = try await post("/pictures/VR09/contributions/\(visible)/accept", "im-utrecht")
            _ = try await post("/pictures/VR09/versions", "im-utrecht")
            let hidden = try #require(try await post("/pictures/VR09/contributions", "vitens-editor",
                                                     "{\"type\": \"effect\", \"threat\": \"\(threat)\", \"asset\": {\"layer\": \"water_facilities\", \"feature\": 1}, \"consequence\": \"Pompstation\", \"supersedes\": \"\(visible)\"}").json()["id"]?.string)
            _ = try await post("/pictures/VR09/contributions/\(hidden)/accept", "im-utrecht")
            _ = try await post("/pictures/VR09/versions", "im-utrecht")
            for uri in ["/pictures/VR09", "/pictures/VR09/versions/3", "/pictures/VR09/diff?from=2&to=3", "/pictures/VR09/contributions", "/pictures/VR09/contributions/\(visible)", "/pictures"] {
                let r = try await get(uri, "brandweer-editor")
                #expect(r.status == .ok, "\(uri): \(r.text)")
                #expect(!r.text.contains(hidden), "\(uri) names the hidden effect: \(r.text)")
            }
            let diff = try await get("/pictures/VR09/diff?from=2&to=3", "brandweer-editor").json()
            #expect(diff["withdrawn"]?.array?.first?["item"]?.string == visible && diff["changed"]?.array?.isEmpty == true)
            // Naming the hidden effect as a target answers as an unknown id.
            let a = try await post("/pictures/VR09/contributions", "brandweer-editor", "{\"type\": \"cancel\", \"item\": \"\(hidden)\", \"reason\": \"x\"}")
            let b = try await post("/pictures/VR09/contributions", "brandweer-editor", "{\"type\": \"cancel\", \"item\": \"rp-000000000000000000000000\", \"reason\": \"x\"}")
            #expect(a.status == .notFound && a.text.replacingOccurrences(of: hidden, with: "<id>") == b.text.replacingOccurrences(of: "rp-000000000000000000000000", with: "<id>"))

            // Numbers and bodies.
            for uri in ["/pictures/VR09/diff?to=1&from=-9223372036854775808", "/pictures/VR09/diff?to=-9223372036854775808", "/pictures/VR09/diff?to=abc"] {
                #expect(try await get(uri, "locc-viewer").status == .badRequest, "\(uri)")
            }
            #expect(try await get("/pictures/VR09/versions/-1", "locc-viewer").status == .badRequest)
            #expect(try await post("/pictures/VR09/contributions/\(threat)/accept", "im-utrecht", "{bad").status == .badRequest)
            #expect(try await post("/pictures/VR09/contributions/\(threat)/accept", "hdsr-editor", "{bad").status == .forbidden)
            // Sizes.
            let ring = (0..<12_000).map { i in "[\(136000 + i % 100), \(443000 + i / 100)]" }.joined(separator: ", ")
            let huge = "{\"type\": \"threat\", \"hazard\": \"storm\", \"headline\": \"x\", \"validFrom\": \"2026-12-01T00:00:00Z\", \"area\": {\"crs\": \"EPSG:28992\", \"polygons\": [[[\(ring), [136000, 443000]]]]}}"
            #expect(try await post("/pictures/VR09/contributions", "hdsr-editor", huge).status == .unprocessableContent)
            let long = PictureWorkflowTests.threat(String(repeating: "x", count: 5000))
            #expect(try await post("/pictures/VR09/contributions", "hdsr-editor", long).status == .unprocessableContent)
            let far = "{\"type\": \"threat\", \"hazard\": \"storm\", \"headline\": \"x\", \"validFrom\": \"2026-12-01T00:00:00Z\", \"area\": {\"crs\": \"EPSG:28992\", \"circles\": [{\"center\": [1e300, 1e300], \"radiusMetres\": 10}]}}"
            #expect(try await post("/pictures/VR09/contributions", "hdsr-editor", far).status == .unprocessableContent)
            // The right to contribute is decided before the body is read: a reader without it gets 403, not 400.
            #expect(try await post("/pictures/VR13/contributions", "locc-viewer", "{}").status == .forbidden)
        }
    }
}

/// The CAP schema for the end-to-end tests.
enum CAPValidation {
    static var schema: String { ServerFixture.sharedData.appendingPathComponent("cap/google-cap-library/schema/cap12.xsd").path }
}
