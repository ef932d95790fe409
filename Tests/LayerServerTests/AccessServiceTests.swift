import AccessPolicy
import Foundation
import GRDB
import GeoCore
@testable import LayerServer
import MVTTestSupport
import Synchronization
import Testing
import TileRender

/// The access decision as the service enforces it: tiles against decisions on random policies,
/// lapses by the clock alone, the audit chain against a byte edited in the file.
@Suite("Access in the service", .serialized)
struct AccessServiceTests {
    /// A settable clock.
    final class Clock: Sendable {
        let now: Mutex<Date>
        init(_ d: Date) { now = Mutex(d) }
        func set(_ d: Date) { now.withLock { $0 = d } }
        var read: @Sendable () -> Date { { self.now.withLock { $0 } } }
    }

    static func service(_ t: TempStore, clock: Clock, cacheBytes: Int = 16 << 20, tiles: TileConfiguration = TileConfiguration()) throws -> LayerService {
        let access = try AccessControl(store: AccessStore(store: t.store), configuration: .init(anonymousAccess: true))
        return try LayerService(store: t.store, tiles: try t.tileService(configuration: tiles), cache: TileCache(capacity: cacheBytes), access: access, clock: clock.read)
    }

    static func principal(_ user: User) -> Principal {
        Principal(subject: .user(user.id), organisation: user.organisation, tokenID: nil, via: .bearer)
    }

    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    /// The raw safety-region polygons from the fixture, parsed here independently of SpatialScope.
    static let regions: [String: Geometry] = {
        let json = try! JSONValue.parse(try! Data(contentsOf: TestData.fixture("safety_regions.geojson")))
        var out: [String: Geometry] = [:]
        for f in json["features"]!.array! { out[f["properties"]!["code"]!.string!] = try! GeoJSON.geometry(from: f["geometry"]!) }
        return out
    }()

    /// True when `p` (WGS 84) lies in the filter's area, checked with GEOS on the raw polygons.
    static func inside(_ p: Position, _ filter: SpatialFilter) throws -> Bool {
        switch filter {
        case .everywhere: return true
        case .nowhere: return false
        case .within(let codes, let areas):
            for code in codes where try GeometryOperations.intersects(regions[code]!, .point(p)) { return true }
            for a in areas {
                let polys = a.polygons.map { Polygon(rings: $0.map { $0.map { Position($0.lon, $0.lat) } }) }
                if try GeometryOperations.intersects(.multiPolygon(polys), .point(p)) { return true }
            }
            return false
        }
    }

    /// Two point layers: real BAG addresses in Amsterdam (VR13) and generated hydrants across the country.
    static func store() async throws -> TempStore {
        let t = try TempStore()
        let dir = t.directory
        let hydrants = try await BlockingWork.run { () throws -> URL in
            let file = dir.appendingPathComponent("hydrants.gpkg")
            _ = try FixtureGenerator(fixtures: TestData.repository.appendingPathComponent("fixtures"), transformers: TransformerPool())
                .generate(.hydrants, count: 6000, to: file)
            return file
        }
        try await t.importFile(TestData.fixture("bag_addresses.gpkg"), layer: "bag")
        try await t.importFile(hydrants, layer: "hydrants")
        return t
    }

    /// Every feature position of a layer's current version, by fid, in WGS 84.
    static func positions(_ t: TempStore, _ layer: Layer) throws -> [Int64: Position] {
        let v = layer.current
        let transformer = try Transformer(from: v.crs, to: .wgs84)
        return try t.store.readSync { db in
            var out: [Int64: Position] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT fid, geom FROM \(GeoPackageSchema.quote(v.tableName))") {
                let blob: Data = row["geom"]
                if case .point(let p?) = try GeoPackageBinary.decode([UInt8](blob)).geometry {
                    out[row["fid"]] = try transformer.transform(p)
                }
            }
            return out
        }
    }

    /// Random policies over the two layers: organisations of every profile, audit status and
    /// reach in and around VR13 and VR09, random layer conditions and an activity.
    static func randomPolicy(_ rng: inout SplitMix64) -> Policy {
        let nearby = ["VR09", "VR12", "VR13", "VR14", "VR16", "VR11"]
        var orgs: [Organisation] = []
        for i in 0..<6 {
            let reach: Reach = [.regional, .regional, .supraRegional, .national].randomElement(using: &rng)!
            let n = reach == .regional ? Int.random(in: 1...2, using: &rng) : 3
            let regions = Array(nearby.shuffled(using: &rng).prefix(n))
            let audit: AuditStatus = [.certified, .notAudited, .conditional(until: now + 86_400), .conditional(until: now - 1)].randomElement(using: &rng)!
            orgs.append(Organisation(id: "o\(i)", name: "O\(i)", coreTask: .beheerder, profile: Profile.allCases.randomElement(using: &rng)!,
                                     audit: audit, reach: reach, regions: reach == .national ? [] : regions, adoptionRegion: regions[0]))
        }
        let users = orgs.map { User(id: "u-\($0.id)", name: "U", organisation: $0.id, roles: [[.viewer], [.editor], [.securityReviewer]].randomElement(using: &rng)!) }
        let layers = ["bag", "hydrants"].map { id in
            LayerConditions(layer: id, owner: orgs.randomElement(using: &rng)!.id, sensitivity: Sensitivity.allCases.randomElement(using: &rng)!,
                            allowedProfiles: Profile.allCases.filter { _ in Bool.random(using: &rng) }, clipToRegions: Bool.random(using: &rng),
                            hiddenAttributes: Bool.random(using: &rng) ? [.kern: ["region"], .standby: ["kind", "region"]] : [:])
        }
        let lon = Double.random(in: 4.7...5.1, using: &rng), lat = Double.random(in: 52.2...52.45, using: &rng)
        let activity = Activity(id: "a", name: "A", kind: .incident, regions: ["VR13"],
                                area: Bool.random(using: &rng) ? .box(minLon: lon, minLat: lat, maxLon: lon + 0.15, maxLat: lat + 0.1) : nil,
                                start: now - 3600, end: now + 3600,
                                attachments: orgs.filter { _ in Bool.random(using: &rng) }.map { Attachment(organisation: $0.id, from: now - 60, until: now + 60) })
        return Policy(organisations: orgs, users: users, activities: [activity], layers: layers, anonymousAccess: true)
    }

    @Test("no tile holds a feature of a denied layer, a feature outside the allowed area, or a hidden attribute")
    func tilesFollowDecisions() async throws {
        let t = try await Self.store()
        let clock = Clock(Self.now)
        let access = AccessStore(store: t.store)
        let layers = try t.store.layers()
        let positions = try Dictionary(uniqueKeysWithValues: layers.map { ($0.id, try Self.positions(t, $0)) })
        // Tiles over Amsterdam and its neighbours, in both grids and several zooms.
        var tiles: [(TileMatrixSet, TileID)] = []
        let wm = try Transformer(from: .wgs84, to: .webMercator), rd = try Transformer(from: .wgs84, to: .rdNew)
        for (lon, lat) in [(4.889, 52.389), (4.75, 52.35), (5.05, 52.30), (4.95, 52.45)] {
            for z in [9, 11, 13] { tiles.append((.webMercatorQuad, TileMatrixSet.webMercatorQuad.tile(containing: try wm.transform(Position(lon, lat)), z: z)!)) }
            for z in [5, 8] { tiles.append((.netherlandsRDNewQuad, TileMatrixSet.netherlandsRDNewQuad.tile(containing: try rd.transform(Position(lon, lat)), z: z)!)) }
        }
        var rng = SplitMix64(seed: 4242)
        var checkedFeatures = 0, deniedLayers = 0, partial = 0
        for round in 0..<12 {
            let policy = Self.randomPolicy(&rng)
            try access.change(by: .localOperator(), resource: "system", summary: "property round \(round)", at: Self.now) { $0 = policy }
            // One service per policy with a shared cache budget: cached tiles must still follow the decisions.
            let service = try Self.service(t, clock: clock)
            let version = service.access.policy
            let subjects = policy.users.values.sorted { $0.id < $1.id }.map(Self.principal) + [.anonymous]
            for caller in subjects {
                for layer in layers {
                    let decision = version.decide(caller.subject, .read, .layer(layer.id), at: Self.now)
                    guard let (visible, grant) = service.visibleLayer(layer.id, caller) else {
                        #expect(!decision.allowed, "\(caller.subject) \(layer.id): hidden but allowed")
                        deniedLayers += 1
                        continue
                    }
                    #expect(decision.allowed && grant.decision == decision)
                    // A caller limited to an area gets opaque ids (see opaqueIDsAndEdgeThinning): map them back.
                    var byID = positions[layer.id] ?? [:]
                    if decision.filter != .everywhere {
                        let hasher = OpaqueFeatureIDs(secret: service.access.keyBytes, layer: layer.id, version: visible.currentVersion,
                                                      accessClass: grant.accessClass).hasher()
                        byID = Dictionary(uniqueKeysWithValues: byID.map { (hasher.id($0.key), $0.value) })
                    }
                    var seen = 0
                    for (tms, tile) in tiles {
                        let result = try await service.tile(layer: visible, grant: grant, tms: tms, tile: tile, gzip: false)
                        guard result.body.readableBytes > 0 else { continue }
                        let decoded = try MVTDecoder.decodeAndInterpret(Array(result.body.readableBytesView))
                        for l in decoded.layers {
                            #expect(Set(l.keys).isDisjoint(with: decision.hiddenAttributes), "\(caller.subject) \(layer.id): hidden attribute in tile")
                            for f in l.features {
                                let id = Int64(try #require(f.id))
                                let p = try #require(byID[id])
                                #expect(try Self.inside(p, decision.filter), "\(caller.subject) \(layer.id) fid \(id) at \(p) outside \(decision.filter.text)")
                                seen += 1
                            }
                        }
                    }
                    checkedFeatures += seen
                    if case .within = decision.filter, seen > 0 { partial += 1 }
                }
            }
        }
        // The rounds exercised every branch: denials, spatially limited grants, features checked.
        #expect(deniedLayers > 10 && partial > 3 && checkedFeatures > 1000, "denied \(deniedLayers), partial \(partial), features \(checkedFeatures)")
    }

    @Test("a reader limited to an area gets feature ids that say nothing of the rest of the layer, and clusters that count only the points it may see")
    func opaqueIDsAndEdgeClusters() async throws {
        let t = try await Self.store()
        let clock = Clock(Self.now)
        let orgs = [Organisation(id: "owner", name: "Owner", coreTask: .hulpdienst, profile: .kern, audit: .certified, reach: .national, regions: [], adoptionRegion: "VR09"),
                    Organisation(id: "amsterdam", name: "A", coreTask: .hulpdienst, profile: .kern, audit: .certified, reach: .regional, regions: ["VR13"], adoptionRegion: "VR13"),
                    Organisation(id: "kennemerland", name: "K", coreTask: .hulpdienst, profile: .kern, audit: .certified, reach: .regional, regions: ["VR12", "VR13"], adoptionRegion: "VR12")]
        let users = orgs.map { User(id: $0.id, name: $0.id, organisation: $0.id, roles: [.viewer]) }
        try AccessStore(store: t.store).change(by: .localOperator(), resource: "system", summary: "ids", at: Self.now) {
            $0 = Policy(organisations: orgs, users: users, layers: [LayerConditions(layer: "hydrants", owner: "owner", sensitivity: .restricted)])
        }
        // A small budget, so that tiles along the area's border are clustered.
        let tiles = TileConfiguration(budgetBytes: 4096)
        let service = try Self.service(t, clock: clock, tiles: tiles)
        let layer = try #require(service.catalogLayer("hydrants"))
        let v = layer.current
        // Every point in the layer's CRS.
        let points: [Int64: Position] = try t.store.readSync { db in
            var out: [Int64: Position] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT fid, geom FROM \(GeoPackageSchema.quote(v.tableName))") {
                let blob: Data = row["geom"]
                if case .point(let p?) = try GeoPackageBinary.decode([UInt8](blob)).geometry { out[row["fid"]] = p }
            }
            return out
        }
        let toWGS = try Transformer(from: v.crs, to: .wgs84)
        let wm = try Transformer(from: .wgs84, to: .webMercator)
        let toWM = try Transformer(from: v.crs, to: .webMercator)
        let wgs = try points.mapValues { try toWGS.transform($0) }
        let mercator = try points.mapValues { try toWM.transform($0) }
        var clusteredEdgeTiles = 0
        let reader = Self.principal(users[1]), other = Self.principal(users[2]), owner = Self.principal(users[0])
        for z in [6, 7, 8, 9, 10] {
            for (lon, lat) in [(4.9, 52.37), (4.75, 52.3), (5.05, 52.45)] {
                let tile = TileMatrixSet.webMercatorQuad.tile(containing: try wm.transform(Position(lon, lat)), z: z)!
                func decoded(_ who: Principal) async throws -> (points: [(id: Int64, x: Int, y: Int, count: Int)], grant: LayerGrant) {
                    let (l, grant) = try #require(service.visibleLayer("hydrants", who))
                    let body = try await service.tile(layer: l, grant: grant, tms: .webMercatorQuad, tile: tile, gzip: false).body
                    return (try TileServiceTests.decodePoints(Array(body.readableBytesView)), grant)
                }
                let (ownerPoints, _) = try await decoded(owner)
                #expect(ownerPoints.allSatisfy { points[$0.id] != nil }, "the owner gets the stored ids")
                let (readerPoints, grant) = try await decoded(reader)
                let readerIDs = readerPoints.map(\.id)
                let hasher = OpaqueFeatureIDs(secret: service.access.keyBytes, layer: "hydrants", version: layer.currentVersion, accessClass: grant.accessClass).hasher()
                let opaque = Dictionary(uniqueKeysWithValues: points.keys.map { (hasher.id($0), $0) })
                let fids = try readerIDs.map { try #require(opaque[$0], "an id the reader's class does not map") }
                #expect(readerIDs.allSatisfy { $0 > 1 << 24 && $0 < 1 << 48 }, "ids are neither ranks nor beyond 48 bits")
                #expect(try fids.allSatisfy { try Self.inside(wgs[$0]!, grant.decision.filter) })
                // Another class sees other ids for the same features.
                let (otherPoints, otherGrant) = try await decoded(other)
                #expect(otherGrant.accessClass != grant.accessClass)
                #expect(Set(otherPoints.map(\.id)).isDisjoint(with: Set(readerIDs)) || readerIDs.isEmpty)
                // The counts add up to the points the reader may see in the buffered tile, not to
                // the points of the whole tile: a cluster tells nothing of hidden points.
                let bounds = try #require(TileMatrixSet.webMercatorQuad.bounds(of: tile))
                func visible(_ margin: Double) throws -> Int {
                    let lo = -64 - margin, hi = 4096 + 64 + margin
                    return try points.keys.filter { fid in
                        let p = mercator[fid]!
                        let x = (p.x - bounds.minX) / bounds.width * 4096, y = (bounds.maxY - p.y) / bounds.height * 4096
                        guard x >= lo && x <= hi && y >= lo && y <= hi else { return false }
                        return try Self.inside(wgs[fid]!, grant.decision.filter)
                    }.count
                }
                let sum = readerPoints.reduce(0) { $0 + $1.count }
                let (inner, outer) = (try visible(-1), try visible(1))
                #expect(sum >= inner && sum <= outer, "z\(z): counts sum to \(sum), the reader sees \(inner)...\(outer)")
                let ownerSum = ownerPoints.reduce(0) { $0 + $1.count }
                if readerPoints.contains(where: { $0.count > 1 }), ownerSum > outer { clusteredEdgeTiles += 1 }
            }
        }
        #expect(clusteredEdgeTiles >= 3, "clustered tiles on the area's edge: \(clusteredEdgeTiles)")
    }

    @Test("concurrent misses of one tile render it once; the tile settings are part of the key")
    func singleFlight() async throws {
        let t = try TempStore()
        let service = try Self.service(t, clock: Clock(Self.now))
        let key = TileCacheKey(accessClass: "c", layerID: "a", version: 1, format: "mvt", tileMatrixSet: "WebMercatorQuad", tile: TileID(z: 3, row: 1, col: 1))
        final class Counter: Sendable { let count = Mutex(0) }
        let counter = Counter()
        let bodies = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try await service.cached(key, gzip: false) {
                        counter.count.withLock { $0 += 1 }
                        try await Task.sleep(for: .milliseconds(200))
                        return [1, 2, 3]
                    }.body.readableBytes
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(bodies == Array(repeating: 3, count: 8))
        #expect(counter.count.withLock { $0 } == 1)
        // A failed render is not remembered: the next miss renders again.
        let other = TileCacheKey(accessClass: "c", layerID: "a", version: 1, format: "mvt", tileMatrixSet: "WebMercatorQuad", tile: TileID(z: 3, row: 2, col: 2))
        await #expect(throws: StoreError.self) { try await service.cached(other, gzip: false) { throw StoreError(.database, "boom") } }
        #expect(try await service.cached(other, gzip: false) { [9] }.body.readableBytes == 1)
        // Tiles made under another budget or full-detail zoom have other keys.
        try await t.importFile(TestData.fixture("bag_addresses.gpkg"), layer: "bag")
        let bag = try #require(try t.store.layer("bag"))
        let grant = service.access.readGrant(.anonymous, layer: "bag", at: Self.now)
        let a = TileService(store: t.store, transformers: t.transformers, scope: service.tiles.scope, configuration: TileConfiguration(budgetBytes: 1000))
        let b = TileService(store: t.store, transformers: t.transformers, scope: service.tiles.scope, configuration: TileConfiguration(defaultFullDetailZoom: 12))
        let access = service.access
        let keys = try [a, b, service.tiles].map { tiles in
            try LayerService(store: t.store, tiles: tiles, cache: TileCache(capacity: 1 << 20), access: access)
                .tileKey(layer: bag, grant: grant, tms: .webMercatorQuad, tile: TileID(z: 3, row: 1, col: 1), encoder: tiles.mvt)
        }
        #expect(Set(keys).count == 3)
    }

    @Test("a conditional audit lapses at its re-audit date and the layer disappears, with no one acting")
    func conditionalAuditLapse() async throws {
        let t = try TempStore()
        try await t.importFile(TestData.fixture("bag_addresses.gpkg"), layer: "bag")
        let lapse = Self.now + 86_400
        let gas = Organisation(id: "gas", name: "Gas", coreTask: .beheerder, profile: .kern, audit: .conditional(until: lapse),
                               reach: .regional, regions: ["VR13"], adoptionRegion: "VR13")
        let owner = Organisation(id: "owner", name: "Owner", coreTask: .beheerder, profile: .kern, audit: .certified,
                                 reach: .national, regions: [], adoptionRegion: "VR13")
        let user = User(id: "g", name: "G", organisation: "gas", roles: [.viewer])
        try AccessStore(store: t.store).change(by: .localOperator(), resource: "system", summary: "lapse test", at: Self.now) { p in
            p = Policy(organisations: [gas, owner], users: [user],
                       layers: [LayerConditions(layer: "bag", owner: "owner", sensitivity: .confidential)])
        }
        let clock = Clock(lapse - 1)
        let service = try Self.service(t, clock: clock)
        let caller = Self.principal(user)
        let (layer, grant) = try #require(service.visibleLayer("bag", caller))
        let tile = TileMatrixSet.webMercatorQuad.tile(containing: try Transformer(from: .wgs84, to: .webMercator).transform(Position(4.889, 52.389)), z: 12)!
        let body = try await service.tile(layer: layer, grant: grant, tms: .webMercatorQuad, tile: tile, gzip: false).body
        let unrestricted = try await t.tileService().render(layer: layer, tms: .webMercatorQuad, tile: tile)
        #expect(body.readableBytes > 0, "\(grant.decision.filter.text) unrestricted \(unrestricted.count) bytes; extent \(layer.current.extentWGS84)")
        #expect(service.visibleLayers(caller).map(\.layer.id) == ["bag"])
        clock.set(lapse)
        #expect(service.visibleLayer("bag", caller) == nil)
        #expect(service.visibleLayers(caller).isEmpty)
        try await service.access.recorder.flush()
        let denials = try t.store.readSync { db in try AuditLog.query(db, layer: "bag", kind: .denial) }
        #expect(denials.contains { $0.event.rules.last == "audit-required" && $0.event.detail.contains("lapsed") })
    }

    @Test("audit verify names a record whose bytes were changed in the database file, and deleted or reordered records")
    func auditTamper() async throws {
        let t = try TempStore()
        let access = AccessStore(store: t.store)
        let events = (1...40).map { i in
            AuditEvent(time: Self.now + Double(i), kind: .read, subject: "user\(i)", organisation: "org", action: "read",
                       resource: "layer:hydrants", decision: "allow", rules: ["profile-reads"], policyHash: String(repeating: "a", count: 64),
                       count: i, items: ["WebMercatorQuad/14/\(i)/\(i)"], detail: "marker-\(1000 + i)")
        }
        try await access.append(events)
        #expect(try access.verifyAudit().intact)
        #expect(try access.verifyAudit().records == 40)
        // The log is append-only for SQL.
        #expect(throws: (any Error).self) { try t.store.pool.write { db in try db.execute(sql: "UPDATE ls_audit SET detail = 'x' WHERE seq = 3") } }
        #expect(throws: (any Error).self) { try t.store.pool.write { db in try db.execute(sql: "DELETE FROM ls_audit WHERE seq = 3") } }
        // Into the main file, then change one byte of record 23 with the store closed.
        _ = try await t.store.pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
        let seqOfMarker: Int64 = try t.store.readSync { db in try Int64.fetchOne(db, sql: "SELECT seq FROM ls_audit WHERE detail = 'marker-1023'")! }
        try t.store.pool.close()
        let url = t.store.configuration.databaseURL
        var bytes = try Data(contentsOf: url)
        let range = try #require(bytes.firstRange(of: Data("marker-1023".utf8)))
        bytes[range.upperBound - 1] = UInt8(ascii: "4")  // marker-1023 -> marker-1024
        try bytes.write(to: url)
        let reopened = AccessStore(store: try LayerStore(configuration: t.store.configuration))
        let result = try reopened.verifyAudit()
        #expect(result.firstBad == seqOfMarker)
        #expect(result.problem?.contains("edited") == true)
    }

    @Test("deleting or reordering records past the triggers is found too")
    func auditDeleteAndReorder() async throws {
        for tamper in ["DELETE FROM ls_audit WHERE seq = 5",
                       "UPDATE ls_audit SET seq = -7 WHERE seq = 7; UPDATE ls_audit SET seq = 7 WHERE seq = 8; UPDATE ls_audit SET seq = 8 WHERE seq = -7",
                       "UPDATE ls_audit SET count = 99 WHERE seq = 9"] {
            let t = try TempStore()
            let access = AccessStore(store: t.store)
            try await access.append((1...12).map { i in
                AuditEvent(time: Self.now, kind: .denial, subject: "s\(i)", organisation: "o", action: "read", resource: "layer:x",
                           decision: "deny", rules: ["deny-default"], policyHash: "h", detail: "d\(i)")
            })
            try await t.store.pool.write { db in
                try db.execute(sql: "DROP TRIGGER ls_audit_no_update; DROP TRIGGER ls_audit_no_delete")
                try db.execute(sql: tamper)
            }
            let result = try access.verifyAudit()
            #expect(!result.intact, "\(tamper)")
            #expect([6, 7, 9].contains(result.firstBad ?? 0), "\(tamper): \(result.firstBad ?? 0) \(result.problem ?? "")")
        }
    }

    @Test("a head hash noted earlier finds records cut off the end, which the chain alone cannot")
    func auditTruncatedTail() async throws {
        let t = try TempStore()
        let access = AccessStore(store: t.store)
        try await access.append((1...10).map { i in
            AuditEvent(time: Self.now, kind: .denial, subject: "s\(i)", organisation: "o", action: "read", resource: "layer:x",
                       decision: "deny", rules: ["deny-default"], policyHash: "h", detail: "d\(i)")
        })
        let head = try access.auditHead()
        let verifiedHead = try access.verifyAudit().head
        #expect(head.seq == 10 && head.hash == verifiedHead)
        #expect(try access.verifyAudit(expectHead: head.hash).intact)
        try await t.store.pool.write { db in
            try db.execute(sql: "DROP TRIGGER ls_audit_no_delete")
            try db.execute(sql: "DELETE FROM ls_audit WHERE seq >= 8")
        }
        // The shorter chain is valid on its own ...
        #expect(try access.verifyAudit().intact)
        // ... but not against the head noted before.
        let checked = try access.verifyAudit(expectHead: head.hash)
        #expect(!checked.intact && checked.firstBad == 8 && checked.problem?.contains("cut off") == true, "\(checked)")
    }

    @Test("refused credentials: one record per address and reason per interval, a bounded number of short items, every attempt counted")
    func refusalRecords() async throws {
        let t = try TempStore()
        let recorder = AuditRecorder(store: AccessStore(store: t.store), refusalInterval: .seconds(60))
        let path = "/collections/" + String(repeating: "x", count: 60_000)
        for i in 0..<5000 {
            recorder.recordRefusal(address: i % 2 == 0 ? "10.0.0.1" : "10.0.0.2", reason: "invalid token (unknown id)",
                                   claimed: String(format: "%012x", i), path: path, policyHash: "h", at: Self.now + Double(i) / 1000)
        }
        // Too young to be written by the periodic flush; written by a forced one.
        try await recorder.flush(now: Self.now + 10)
        #expect(try t.store.readSync { db in try AuditLog.query(db) }.isEmpty)
        try await recorder.flush(now: Self.now + 61)
        let records = try t.store.readSync { db in try AuditLog.query(db) }
        #expect(records.count == 2)
        #expect(records.map(\.event.count).reduce(0, +) == 5000)
        #expect(Set(records.map(\.event.resource)) == ["address:10.0.0.1", "address:10.0.0.2"])
        for r in records {
            #expect(r.event.items.count == AuditRecorder.maximumRefusalItems)
            #expect(r.event.items.allSatisfy { $0.utf8.count < AuditRecorder.maximumPathBytes + 100 })
            #expect(r.event.subject == "unauthenticated" && r.event.kind == .authentication)
        }
        // Many addresses: beyond the cap they share one record.
        for i in 0..<1000 {
            recorder.recordRefusal(address: "10.1.\(i / 256).\(i % 256)", reason: "malformed", claimed: "unknown", path: "/", policyHash: "h", at: Self.now)
        }
        try await recorder.flush()
        let many = try t.store.readSync { db in try AuditLog.query(db) }.dropFirst(2)
        #expect(many.count == AuditRecorder.maximumRefusalKeys + 1)
        #expect(many.last?.event.resource == "address:(other addresses)" && many.last?.event.count == 1000 - AuditRecorder.maximumRefusalKeys)
        // The overflow record names the addresses it merged (a sample), and all items together stay in budget.
        #expect(many.last?.event.items.first?.hasPrefix("10.1.0.\(AuditRecorder.maximumRefusalKeys) ") == true, "\(many.last?.event.items ?? [])")
        #expect(many.map(\.event.items.count).reduce(0, +) <= AuditRecorder.maximumRefusalItemsPending)
    }

    @Test("the refusal limit counts an IPv4 address, or an IPv6 /64")
    func limitKeys() {
        #expect(ServerContext.limitKey("192.0.2.7") == "192.0.2.7")
        #expect(ServerContext.limitKey("::ffff:192.0.2.7") == "192.0.2.7")
        #expect(ServerContext.limitKey("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64")
        #expect(ServerContext.limitKey("2001:db8:1:2:bbbb:cccc:dddd:eeee") == "2001:db8:1:2::/64")
        #expect(ServerContext.limitKey("2001:db8:1:3::1") != ServerContext.limitKey("2001:db8:1:2::1"))
        #expect(ServerContext.limitKey("unknown") == "unknown")
    }

    @Test("tokens: shown once, stored as a hash, parsed strictly; signed parameters are bound to layer and class")
    func credentials() throws {
        let t = try TempStore()
        let access = AccessStore(store: t.store)
        try access.change(by: .localOperator(), resource: "system", summary: "t", at: Self.now) { p in
            p.organisations["o"] = Organisation(id: "o", name: "O", coreTask: .hulpdienst, profile: .kern, audit: .certified,
                                                reach: .national, regions: [], adoptionRegion: "VR09")
            p.users["u"] = User(id: "u", name: "U", organisation: "o", roles: [.viewer])
        }
        let issued = try access.issueToken(for: "u", label: "x", expiresAt: Self.now + 60, by: .localOperator(), at: Self.now)
        let secret = String(issued.token.split(separator: ".")[1])
        let stored = try t.store.readSync { db in try String.fetchAll(db, sql: "SELECT secret_sha256 FROM ls_token") }
        #expect(stored == [Credentials.digest(secret)] && !stored[0].contains(secret))
        #expect(Credentials.parseBearer("Bearer \(issued.token)")?.id == issued.record.id)
        for bad in ["Bearer", "Bearer lst_", "Token \(issued.token)", "Bearer \(issued.token)x!", "Bearer lst_zz.\(secret)"] {
            #expect(Credentials.parseBearer(bad) == nil, "\(bad)")
        }
        #expect(throws: StoreError.self) { try access.issueToken(for: "nobody", label: "", expiresAt: Self.now + 60, by: .localOperator(), at: Self.now) }
        // Removing the user revokes its tokens: re-creating the id does not revive them.
        try access.remove(.user, "u", by: .localOperator(), at: Self.now)
        #expect(try access.tokens().allSatisfy { $0.revokedAt != nil })
        let key = try access.signingKey()
        let signed = Credentials.sign(tokenID: "abc", expires: 100, layer: "l", accessClass: "c1", key: key)
        #expect(Credentials.verify(signed, layer: "l", key: key)?.accessClass == "c1")
        #expect(Credentials.verify(signed, layer: "m", key: key) == nil)
        #expect(Credentials.verify(signed.replacingOccurrences(of: ".c1.", with: ".c2."), layer: "l", key: key) == nil)
    }
}

@Suite("Bootstrap")
struct BootstrapTests {
    @Test("the bootstrap file makes the first administrator once, with a token file only the owner reads")
    func bootstrap() throws {
        let t = try TempStore()
        let access = AccessStore(store: t.store)
        let file = t.directory.appendingPathComponent("bootstrap.json")
        let tokenFile = t.directory.appendingPathComponent("admin.token")
        try Data("""
            { "organisation": { "id": "ifv", "name": "IFV", "coreTask": "hulpdienst", "profile": "kern",
                                "audit": { "status": "certified" }, "reach": "national", "regions": [], "adoptionRegion": "VR09" },
              "administrator": { "id": "admin", "name": "Admin", "organisation": "ifv", "roles": ["administrator"] },
              "tokenFile": "\(tokenFile.path)", "tokenDays": 2 }
            """.utf8).write(to: file)
        let done = try Bootstrap.apply(file: file.path, to: access)
        #expect(done?.contains("administrator admin") == true)
        let token = try String(contentsOf: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(Credentials.parseBearer("Bearer \(token)") != nil)
        let mode = try FileManager.default.attributesOfItem(atPath: tokenFile.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(!(done ?? "").contains(token))
        // Once there is an administrator, the file does nothing.
        try FileManager.default.removeItem(at: tokenFile)
        #expect(try Bootstrap.apply(file: file.path, to: access) == nil)
        #expect(!FileManager.default.fileExists(atPath: tokenFile.path))
        let v = PolicyVersion(try access.current().policy)
        #expect(v.decide(.user("admin"), .administer, .system, at: Date()).allowed)
        try Data("{}".utf8).write(to: file)
        #expect(throws: StoreError.self) { try Bootstrap.apply(file: file.path, to: access) }
    }
}
