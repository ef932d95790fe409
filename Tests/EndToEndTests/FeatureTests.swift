import AccessPolicy
import Foundation
import GRDB
import GeoCore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import LayerServer
import NIOCore
import Testing

/// Issue 13: OGC API Features (items, paging, CRS, CQL2) and exports, through the one access decision.
@Suite("OGC API Features")
struct FeatureTests {
    /// The 25 safety regions from the fixture file, read here independently of the server's scope.
    static let regions: [String: Geometry] = {
        let url = ServerFixture.repository.appendingPathComponent("fixtures/safety_regions.geojson")
        guard let root = try? JSONValue.parse(Data(contentsOf: url)), let features = root["features"]?.array else { return [:] }
        var out: [String: Geometry] = [:]
        for f in features {
            if let code = f["properties"]?["code"]?.string, let g = f["geometry"], let geometry = try? GeoJSON.geometry(from: g) { out[code] = geometry }
        }
        return out
    }()

    /// The area of a `within` filter: its regions' polygons and its own areas.
    static func area(_ codes: [String], _ areas: [Area]) -> [Geometry] {
        codes.compactMap { regions[$0] } + areas.map { a in
            .multiPolygon(a.polygons.map { rings in Polygon(rings: rings.map { $0.map { Position($0.lon, $0.lat) } }) })
        }
    }

    /// Whether `p` (lon/lat) lies in `area`, or within about 10 cm of its boundary (cut
    /// geometries end on the boundary, after a round trip through the layer's CRS).
    static func inside(_ p: Position, _ area: [Geometry]) -> Bool {
        if area.contains(where: { $0.containsPoint(p) }) { return true }
        let tolerance = 1e-6
        for g in area {
            var previous: Position?
            var near = false
            func segment(_ a: Position, _ b: Position) {
                let (dx, dy) = (b.x - a.x, b.y - a.y)
                let len = dx * dx + dy * dy
                let t = len == 0 ? 0 : max(0, min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / len))
                let (cx, cy) = (a.x + t * dx - p.x, a.y + t * dy - p.y)
                if cx * cx + cy * cy <= tolerance * tolerance { near = true }
            }
            switch g {
            case .polygon(let poly):
                for r in poly.rings { previous = nil; for q in r { if let a = previous { segment(a, q) }; previous = q } }
            case .multiPolygon(let polys):
                for poly in polys { for r in poly.rings { previous = nil; for q in r { if let a = previous { segment(a, q) }; previous = q } } }
            default: break
            }
            if near { return true }
        }
        return false
    }

    /// Every page of a collection's items for `user` (following `next` links).
    static func allItems(_ client: UploadClient, _ layer: String, as user: String, query: String = "limit=1000") async throws -> (status: HTTPResponse.Status, features: [JSONValue], pages: Int) {
        var uri = "/collections/\(layer)/items?\(query)"
        var features: [JSONValue] = []
        var pages = 0
        while true {
            let r = try await client.execute(uri, as: user)
            guard r.status == .ok else { return (r.status, features, pages) }
            pages += 1
            let doc = try r.json()
            features += doc["features"]?.array ?? []
            guard let next = doc["links"]?.array?.first(where: { $0["rel"]?.string == "next" })?["href"]?.string,
                  let path = URLComponents(string: next).map({ $0.percentEncodedPath + "?" + ($0.percentEncodedQuery ?? "") }) else { break }
            uri = path
        }
        return (.ok, features, pages)
    }

    static func positions(_ geometry: JSONValue?) -> [Position] {
        guard let geometry, let g = try? GeoJSON.geometry(from: geometry) else { return [] }
        var out: [Position] = []
        g.forEachPosition { out.append($0) }
        return out
    }

    /// The property checks of one member's items of one layer, against the raw store read
    /// without the enforcement code. Returns what failed, and whether the read was area-limited.
    static func check(_ features: [JSONValue], of layer: Layer, grant decision: Decision, user: String, store: LayerStore) throws -> ([String], Bool) {
        let id = layer.id
        var problems: [String] = []
        let hidden = Set(decision.hiddenAttributes.map { $0.lowercased() })
        for f in features {
            guard case .object(let props)? = f["properties"] else { problems.append("\(user) \(id): a feature without properties"); continue }
            if props.keys.contains(where: { hidden.contains($0.lowercased()) }) { problems.append("\(user) sees a hidden attribute of \(id)") }
        }
        // The raw store: every feature's positions in WGS 84.
        let raw: [[Position]] = try store.readSync { db in
            var out: [[Position]] = []
            let t = try Transformer(from: layer.current.crs, to: .wgs84)
            for row in try Row.fetchAll(db, sql: "SELECT geom FROM \"\(layer.current.tableName)\" WHERE geom IS NOT NULL") {
                let blob: Data = row[0]
                let g = try t.transform(try GeoPackageBinary.decode(blob).geometry)
                var ps: [Position] = []
                g.forEachPosition { ps.append($0) }
                out.append(ps)
            }
            return out
        }
        guard case .within(let codes, let areas) = decision.filter else {
            if decision.filter == .everywhere, features.count != raw.count { problems.append("\(user) \(id): \(features.count) of \(raw.count)") }
            return (problems, false)
        }
        let area = Self.area(codes, areas)
        for f in features {
            for p in Self.positions(f["geometry"]) where !Self.inside(p, area) {
                problems.append("\(user) gets a position of \(id) outside \(codes) \(areas.count) areas: \(p)")
            }
            if f["id"]?.number.map({ $0 > 1_000_000 }) != true && raw.count >= 2 { problems.append("\(user) gets a stored-looking id in \(id)") }
        }
        if layer.current.geometryType == .point {
            let expected = raw.filter { ps in ps.first.map { p in area.contains { $0.containsPoint(p) } } ?? false }.count
            if abs(features.count - expected) > 2 { problems.append("\(user) \(id): \(features.count) served, \(expected) inside its regions") }
        }
        return (problems, true)
    }

    @Test("for each demo cast member, items and exports hold no feature outside its area and no hidden attribute; point layers are complete inside the area")
    func accessProperty() async throws {
        let users = ["locc-viewer", "admin", "reviewer", "im-utrecht", "hdsr-editor", "vitens-editor", "stedin-viewer", "standby-viewer", "adhoc-viewer"]
        try await MapWorld.withServer { client in
            let now = client.service.clock()
            var limitedChecks = 0
            for user in users {
                let principal = try client.service.access.authenticate(authorization: "Bearer \(client.world.token(user))", at: now).get()
                for id in MapTests.layerIDs {
                    let grant = client.service.access.readGrant(principal, layer: id, at: now)
                    let (status, features, _) = try await Self.allItems(client, id, as: user)
                    guard grant.decision.allowed else {
                        #expect(status == .notFound, "\(user) reads hidden \(id): \(status)")
                        continue
                    }
                    #expect(status == .ok, "\(user) \(id): \(status)")
                    let layer = try #require(client.service.catalogLayer(id))
                    let store = client.service.store
                    // The checks are CPU work over every vertex: on the blocking pool, so that the
                    // servers of the tests running beside this one keep their cooperative threads.
                    let (problems, limited) = try await BlockingWork.run { () throws -> ([String], Bool) in
                        try Self.check(features, of: layer, grant: grant.decision, user: user, store: store)
                    }
                    for p in problems { Issue.record(Comment(rawValue: p)) }
                    if limited { limitedChecks += 1 }
                    // The GeoPackage export holds the same features, with the decision's policy hash.
                    let r = try await client.execute("/collections/\(id)/items?f=gpkg", as: user)
                    #expect(r.status == .ok)
                    let file = FileManager.default.temporaryDirectory.appendingPathComponent("export-\(UUID().uuidString).gpkg")
                    defer { try? FileManager.default.removeItem(at: file) }
                    try Data(r.body.readableBytesView).write(to: file)
                    let (count, metadata) = try await DatabaseQueue(path: file.path).read { db in
                        (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \"\(id)\"") ?? -1,
                         try String.fetchAll(db, sql: "SELECT metadata FROM gpkg_metadata").joined())
                    }
                    #expect(count == features.count, "\(user) \(id): export \(count), items \(features.count)")
                    #expect(metadata.contains(grant.decision.policyHash))
                    #expect(r.headers[HTTPField.Name("Policy-Hash")!] == grant.decision.policyHash)
                }
            }
            #expect(limitedChecks >= 4)
            // Every read was audited with the stored ids.
            try await client.service.access.recorder.flush()
            let records = try await client.service.store.read { db in try AuditLog.query(db, layer: "hydrants", organisation: "hdsr", limit: 100_000) }
            #expect(records.contains { $0.event.items.contains { $0.hasPrefix("items v1: ") } })
            #expect(records.contains { $0.event.items.contains { $0.hasPrefix("export gpkg v1: ") } })
        }
    }

    @Test("a single item by the id the caller was given; an opaque id of another class, or outside the area, is missing")
    func singleItems() async throws {
        try await MapWorld.withServer { client in
            let page = try await client.execute("/collections/hydrants/items?limit=5", as: "hdsr-editor").json()
            let features = try #require(page["features"]?.array)
            #expect(features.count == 5)
            for f in features {
                let id = try #require(f["id"]?.number).formatted(.number.grouping(.never))
                let one = try await client.execute("/collections/hydrants/items/\(id)", as: "hdsr-editor")
                #expect(one.status == .ok)
                #expect(try one.json()["properties"] == f["properties"])
                // The national reader's ids are the stored ids: this opaque id is no feature of it (or another one).
                let other = try await client.execute("/collections/hydrants/items/\(id)", as: "locc-viewer")
                let otherProperties = other.status == .ok ? try other.json()["properties"] : nil
                #expect(other.status == .notFound || otherProperties != f["properties"])
            }
            // Stored ids of features outside HDSR's regions are not found for HDSR.
            let national = try await client.execute("/collections/hydrants/items?limit=200&region=VR01", as: "locc-viewer").json()
            for f in national["features"]?.array ?? [] {
                let id = try #require(f["id"]?.number).formatted(.number.grouping(.never))
                let r = try await client.execute("/collections/hydrants/items/\(id)", as: "hdsr-editor")
                let region = r.status == .ok ? try r.json()["properties"]?["region"]?.string : nil
                #expect(r.status == .notFound || region.map { ["VR09", "VR16"].contains($0) } == true)
            }
            for bad in ["abc", "-1", "99999999999999999999", "1.5", "-9223372036854775808", "9223372036854775807"] {
                #expect(try await client.execute("/collections/hydrants/items/\(bad)", as: "hdsr-editor").status == .notFound)
            }
        }
    }

    @Test("paging: next and prev links walk every feature once, and stay on their version while a new one is published")
    func paging() async throws {
        let world = try await UploadWorld.make(points: 250)
        defer { world.remove() }
        try await world.withServer { client in
            let first = try await FeatureTests.allItems(client, "water_facilities", as: "vitens-editor", query: "limit=40")
            #expect(first.status == .ok)
            #expect(first.pages == 7)
            let ids = first.features.compactMap { $0["id"]?.number }
            #expect(ids.count == 250 && Set(ids).count == 250)
            // Start paging, publish version 2, go on: the pages stay on version 1.
            let p1 = try await client.execute("/collections/water_facilities/items?limit=100", as: "vitens-editor").json()
            let next = try #require(p1["links"]?.array?.first { $0["rel"]?.string == "next" }?["href"]?.string)
            let published = try await client.uploadAndWait("water_facilities", text: GeoJSONFile.grid(30, gen: 2), name: "w.geojson", as: "vitens-editor")
            #expect(published.status == .ok || published.body["state"]?.string == "published")
            try await Task.sleep(for: .milliseconds(600))
            let url = try #require(URLComponents(string: next))
            let p2 = try await client.execute(url.percentEncodedPath + "?" + (url.percentEncodedQuery ?? ""), as: "vitens-editor")
            #expect(p2.status == .ok)
            #expect(try p2.json()["numberReturned"]?.number == 100)
            let prev = try #require(try p2.json()["links"]?.array?.first { $0["rel"]?.string == "prev" }?["href"]?.string)
            let back = try #require(URLComponents(string: prev))
            let p1again = try await client.execute(back.percentEncodedPath + "?" + (back.percentEncodedQuery ?? ""), as: "vitens-editor").json()
            #expect(p1again["features"]?.array?.compactMap { $0["id"]?.number } == p1["features"]?.array?.compactMap { $0["id"]?.number })
            // A fresh first page is of version 2.
            #expect(try await client.execute("/collections/water_facilities/items?limit=100", as: "vitens-editor").json()["numberReturned"]?.number == 30)
            // A forged or altered cursor is refused; one of another caller's class too.
            let cursor = try #require(url.queryItems?.first { $0.name == "cursor" }?.value)
            let altered = String(cursor.dropLast()) + (cursor.last == "A" ? "B" : "A")
            #expect(try await client.execute("/collections/water_facilities/items?cursor=\(altered)", as: "vitens-editor").status == .badRequest)
        }
    }

    @Test("Part 2: the two Amsterdam points of the gokoala fixtures come back in each CRS within 1 cm; EPSG:4326 in lat/lon order")
    func coordinateSystems() async throws {
        let world = try await UploadWorld.make(points: 10)
        defer { world.remove() }
        let fixtures = ServerFixture.sharedData.appendingPathComponent("pdok-gokoala/viewer/cypress/fixtures")
        try await BlockingWork.run {
            let store = try LayerStore(configuration: StoreConfiguration(dataDirectory: world.directory))
            _ = try LayerImporter(store: store, transformers: TransformerPool()).run(
                ImportRequest(file: fixtures.appendingPathComponent("amsterdam-wgs84.json"), layerID: "amsterdam", title: "Amsterdam", owner: "vitens", sensitivity: .open))
        }
        @Sendable func points(_ file: String) throws -> [String: Position] {
            let doc = try JSONValue.parse(Data(contentsOf: fixtures.appendingPathComponent(file)))
            var out: [String: Position] = [:]
            for f in doc["features"]?.array ?? [] {
                if let name = f["properties"]?["name"]?.string, let c = f["geometry"]?["coordinates"]?.array?.compactMap(\.number) { out[name] = Position(c[0], c[1]) }
            }
            return out
        }
        try await world.withServer { client in
            let cases: [(String?, String, Double)] = [
                (nil, "amsterdam-wgs84.json", 1e-7),
                ("http://www.opengis.net/def/crs/OGC/1.3/CRS84", "amsterdam-wgs84.json", 1e-7),
                ("http://www.opengis.net/def/crs/EPSG/0/4258", "amsterdam-epsg4258.json", 1e-7),
                ("http://www.opengis.net/def/crs/EPSG/0/28992", "amsterdam-epgs28992.json", 0.01),
            ]
            for (crs, file, tolerance) in cases {
                let r = try await client.execute("/collections/amsterdam/items" + (crs.map { "?crs=" + $0 } ?? ""), as: "vitens-editor")
                #expect(r.status == .ok)
                #expect(r.headers[HTTPField.Name("Content-Crs")!] == "<\(crs ?? FeatureCRS.crs84.uri)>")
                let expected = try points(file)
                for f in try r.json()["features"]?.array ?? [] {
                    let name = try #require(f["properties"]?["name"]?.string)
                    let c = (f["geometry"]?["coordinates"]?.array ?? []).compactMap { $0.number }
                    try #require(c.count == 2)
                    let e = try #require(expected[name])
                    #expect(abs(c[0] - e.x) <= tolerance && abs(c[1] - e.y) <= tolerance, "\(name) in \(crs ?? "default"): \(c) vs \(e)")
                }
            }
            // EPSG:4326 answers latitude first.
            let wgs = try points("amsterdam-wgs84.json")
            let r = try await client.execute("/collections/amsterdam/items?crs=http://www.opengis.net/def/crs/EPSG/0/4326", as: "vitens-editor").json()
            for f in r["features"]?.array ?? [] {
                let c = (f["geometry"]?["coordinates"]?.array ?? []).compactMap { $0.number }
                    try #require(c.count == 2)
                let e = try #require(wgs[f["properties"]?["name"]?.string ?? ""])
                #expect(abs(c[0] - e.y) < 1e-7 && abs(c[1] - e.x) < 1e-7)
            }
            // bbox in RD around the Dam only; bbox in EPSG:4326 (lat/lon) around Central Station only.
            let dam = try await client.execute("/collections/amsterdam/items?bbox=121300,487300,121400,487400&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/28992", as: "vitens-editor").json()
            #expect(dam["features"]?.array?.compactMap { $0["properties"]?["name"]?.string } == ["Dam Amsterdam"])
            let cs = try await client.execute("/collections/amsterdam/items?bbox=52.378,4.9,52.379,4.901&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4326", as: "vitens-editor").json()
            #expect(cs["features"]?.array?.compactMap { $0["properties"]?["name"]?.string } == ["Amsterdam Central station"])
            // The collection lists its CRSs.
            let doc = try await client.execute("/collections/amsterdam", as: "vitens-editor").json()
            #expect(doc["storageCrs"]?.string == FeatureCRS.crs84.uri)
            #expect(doc["crs"]?.array?.compactMap(\.string).contains("http://www.opengis.net/def/crs/EPSG/0/28992") == true)
            #expect(try await client.execute("/collections/amsterdam/items?crs=EPSG:2000", as: "vitens-editor").status == .badRequest)
        }
    }

    @Test("CQL2: a table of filters and their results, and of malformed filters and their 400s")
    func cql2() async throws {
        try await MapWorld.withServer { client in
            let all = try await Self.allItems(client, "hydrants", as: "locc-viewer", query: "limit=10000")
            #expect(all.features.count == 4_000)
            func prop(_ f: JSONValue, _ k: String) -> JSONValue? { f["properties"]?[k] }
            func num(_ f: JSONValue, _ k: String) -> Double { prop(f, k)?.number ?? .nan }
            let table: [(String, String, (JSONValue) -> Bool)] = [
                ("cql2-text", "kind = 'ondergronds'", { prop($0, "kind")?.string == "ondergronds" }),
                ("cql2-text", "kind <> 'ondergronds' AND diameter_mm >= 100", { prop($0, "kind")?.string != "ondergronds" && num($0, "diameter_mm") >= 100 }),
                ("cql2-text", "capacity_m3h BETWEEN 40 AND 60 OR region IN ('VR01','VR02')", { (40...60).contains(num($0, "capacity_m3h")) || ["VR01", "VR02"].contains(prop($0, "region")?.string ?? "") }),
                ("cql2-text", "NOT (in_service = true)", { prop($0, "in_service") == .bool(false) }),
                ("cql2-text", "hydrant_id LIKE 'BK-VR09-%'", { prop($0, "hydrant_id")?.string?.hasPrefix("BK-VR09-") == true }),
                ("cql2-text", "hydrant_id LIKE 'bk-vr09-%'", { _ in false }),
                ("cql2-text", "region NOT IN ('VR09') AND diameter_mm < 100", { prop($0, "region")?.string != "VR09" && num($0, "diameter_mm") < 100 }),
                ("cql2-text", "inspected IS NULL", { prop($0, "inspected") == .null }),
                ("cql2-text", "inspected > '2024-01-01'", { (prop($0, "inspected")?.string ?? "") > "2024-01-01" }),
                ("cql2-text", "S_INTERSECTS(geom, BBOX(5.0, 52.0, 5.2, 52.2))", { f in Self.positions(f["geometry"]).first.map { (5.0...5.2).contains($0.x) && (52.0...52.2).contains($0.y) } ?? false }),
                ("cql2-text", "S_INTERSECTS(geom, POLYGON((5 52, 5.2 52, 5.2 52.2, 5 52.2, 5 52))) AND kind = 'bovengronds'", { f in
                    prop(f, "kind")?.string == "bovengronds" && (Self.positions(f["geometry"]).first.map { (5.0...5.2).contains($0.x) && (52.0...52.2).contains($0.y) } ?? false) }),
                ("cql2-json", #"{"op":"and","args":[{"op":"=","args":[{"property":"kind"},"ondergronds"]},{"op":"<","args":[{"property":"capacity_m3h"},50]}]}"#,
                 { prop($0, "kind")?.string == "ondergronds" && num($0, "capacity_m3h") < 50 }),
                ("cql2-json", #"{"op":"s_intersects","args":[{"property":"geom"},{"bbox":[4.0,51.0,4.5,52.0]}]}"#,
                 { f in Self.positions(f["geometry"]).first.map { (4.0...4.5).contains($0.x) && (51.0...52.0).contains($0.y) } ?? false }),
                ("cql2-json", #"{"op":"in","args":[{"property":"diameter_mm"},[80,150]]}"#, { [80, 150].contains(num($0, "diameter_mm")) }),
            ]
            for (language, filter, predicate) in table {
                let q = "limit=10000&filter-lang=\(language)&filter=" + filter.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
                let got = try await Self.allItems(client, "hydrants", as: "locc-viewer", query: q)
                #expect(got.status == .ok, "\(filter)")
                let expected = Set(all.features.filter(predicate).compactMap { $0["id"]?.number })
                #expect(Set(got.features.compactMap { $0["id"]?.number }) == expected, "\(filter): \(got.features.count) vs \(expected.count)")
            }
            let malformed: [(String, String)] = [
                ("kind =", "ends where a value"),
                ("kind = 'x", "not closed"),
                ("kind == 'x'", "expected a value"),
                ("nosuch = 1", "unknown property"),
                ("S_WITHIN(geom, POINT(5 52))", "S_WITHIN is not supported"),
                ("S_INTERSECTS(geom, CIRCLE(5 52))", "not a supported geometry literal"),
                ("S_INTERSECTS(geom, POLYGON((5 52, 6 52, 5 52)))", "at least four positions"),
                ("kind = 'a' AND", "ends where a value"),
                ("(kind = 'a'", "but found end of filter"),
                ("kind LIKE 5", "LIKE takes a string"),
                ("inspected > DATE('2024-01-01')", "DATE literals are not supported"),
                ("upper(kind) = 'A'", "function upper is not supported"),
                (String(repeating: "(", count: 40) + "kind = 'a'" + String(repeating: ")", count: 40), "nests deeper"),
                ("kind = 'a' extra", "unexpected"),
                ("kind ; DROP TABLE x", "unexpected character"),
            ]
            for (filter, message) in malformed {
                let r = try await client.execute("/collections/hydrants/items?filter=" + filter.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!, as: "locc-viewer")
                #expect(r.status == .badRequest, "\(filter): \(r.status)")
                #expect(r.text.contains(message), "\(filter): \(r.text)")
            }
            // A limited caller's spatial filter sees only its part of a feature: a polygon wholly
            // outside HDSR's regions intersects nothing it may see, also under OR and NOT.
            let outside = "POLYGON((3.3 50.7, 4.0 50.7, 4.0 51.2, 3.3 51.2, 3.3 50.7))"
            for filter in ["S_INTERSECTS(geom,\(outside))", "S_INTERSECTS(geom,\(outside)) OR FALSE", "NOT NOT S_INTERSECTS(geom,\(outside))"] {
                for layer in ["safety_regions", "hydrants"] {
                    let r = try await Self.allItems(client, layer, as: "hdsr-editor", query: "limit=1000&filter=" + filter.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
                    #expect(r.status == .ok && r.features.isEmpty, "\(layer) \(filter): \(r.features.count)")
                }
            }
            // A hidden attribute is as unknown as a missing one, in filters and equality parameters.
            for q in ["filter=capacity_m3h%20%3E%201", "capacity_m3h=5"] {
                let hidden = try await client.execute("/collections/hydrants/items?\(q)", as: "standby-viewer")
                let missing = try await client.execute("/collections/hydrants/items?" + q.replacingOccurrences(of: "capacity_m3h", with: "nosuch_attr"), as: "standby-viewer")
                #expect(hidden.status == .badRequest && missing.status == .badRequest)
                #expect(hidden.text.replacingOccurrences(of: "capacity_m3h", with: "X") == missing.text.replacingOccurrences(of: "nosuch_attr", with: "X"))
            }
        }
    }
}

/// Issue 13: GDAL's OAPIF driver and OWSLib's Features client against a live server.
@Suite("OGC API Features clients")
struct FeatureClientTests {
    @Test("GDAL's OAPIF driver lists the caller's layers and reads the API's features (header token and Basic); OWSLib pages through a layer")
    func clients() async throws {
        guard WMTSTests.clientsInstalled() else { return }
        try await MapWorld.withServer { client in
            let port = try #require(client.client.port)
            let (status, output) = try await WMTSTests.runClient("features_clients.py", ["http://127.0.0.1:\(port)", client.world.token("hdsr-editor"), "hydrants"])
            #expect(status == 0 && output.hasSuffix("ok\n"), "\(output)")
        }
    }
}
