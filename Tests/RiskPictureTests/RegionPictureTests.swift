import Foundation
import GeoCore
import RiskPicture
import Testing

/// The risk-picture domain: the workflow's states, versions, as-of queries and diffs.
@Suite struct RegionPictureTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    /// A box around the Lekdijk near Vianen, in WGS 84.
    static let lekdijk = try! RiskArea(crs: .wgs84, given: Shape(polygons: [[[XY(5.05, 51.97), XY(5.15, 51.97), XY(5.15, 52.0), XY(5.05, 52.0), XY(5.05, 51.97)]]]))

    static func threat(_ headline: String, severity: Severity = .severe, until: Date? = nil) -> Content {
        .threat(Threat(hazard: .highWater, area: lekdijk, likelihood: 0.3, severity: severity, urgency: .expected, certainty: .likely,
                       headline: headline, expectedEffects: "Overstroming van de uiterwaarden", validFrom: t0, validUntil: until))
    }

    static func effect(on threat: ItemID) -> Content {
        .effect(Effect(threat: threat, asset: AssetRef(layer: "water_facilities", feature: 17), consequence: "Pompstation Lexmond valt uit",
                       expectedDurationSeconds: 48 * 3600))
    }

    static func contribution(_ id: ItemID, _ action: Contribution.Action, by org: String, at seconds: Double) -> Contribution {
        Contribution(id: id, region: "VR09", action: action, organisation: org, author: "\(org)-user", submittedAt: t0 + seconds)
    }

    /// v1: the water board's threat; v2: Vitens' effect on it (and a rejected second effect).
    static func twoVersions() throws -> RegionPicture {
        var p = RegionPicture(region: "VR09")
        try p.submit(contribution("t1", .add(threat("Hoogwater Lek"), supersedes: nil), by: "hdsr", at: 10))
        try p.accept("t1", by: "im", at: t0 + 20)
        try p.publish(by: "im", at: t0 + 30)
        try p.submit(contribution("e1", .add(effect(on: "t1"), supersedes: nil), by: "vitens", at: 40))
        try p.submit(contribution("e2", .add(effect(on: "t1"), supersedes: nil), by: "vitens", at: 41))
        try p.accept("e1", by: "im", at: t0 + 50)
        try p.reject("e2", by: "im", at: t0 + 51, reason: "dubbel gemeld")
        try p.publish(by: "im", at: t0 + 60)
        return p
    }

    @Test func submitAcceptRejectPublish() throws {
        let p = try Self.twoVersions()
        #expect(p.versions.map(\.items) == [["t1"], ["e1", "t1"]])
        #expect(p.items["t1"]?.history.map(\.state) == [.submitted, .accepted, .published])
        #expect(p.items["e1"]?.state == .published && p.items["e1"]?.history.last?.version == 2)
        // A rejection keeps its reason and never reaches a version.
        #expect(p.items["e2"]?.state == .rejected && p.items["e2"]?.history.last?.reason == "dubbel gemeld")
        #expect(!p.versions.contains { $0.items.contains("e2") })
        #expect(p.pending.isEmpty)
        #expect(p.diff(from: p.version(1), to: p.version(2)!) == PictureDiff(from: 1, to: 2, added: ["e1"], changed: [], withdrawn: []))
    }

    @Test func updatesSupersedeCancelsAndExpiryWithdraw() throws {
        var p = try Self.twoVersions()
        // The water board updates its threat: the effect stays, attached to the chain.
        try p.submit(Self.contribution("t2", .add(Self.threat("Hoogwater Lek, verhoogd", severity: .extreme, until: Self.t0 + 10_000), supersedes: "t1"),
                                       by: "hdsr", at: 70))
        try p.accept("t2", by: "im", at: Self.t0 + 80)
        let v3 = try p.publish(by: "im", at: Self.t0 + 90)
        #expect(v3.items == ["e1", "t2"])
        #expect(p.items["t1"]?.state == .superseded && p.items["t1"]?.history.last?.reason == "superseded by t2")
        #expect(p.diff(from: p.version(2), to: v3).changed == [.init(old: "t1", new: "t2")])
        // An effect names any item of the chain.
        #expect(p.head(of: "t1", in: v3) == "t2")

        // Nothing expires before its time; at its time the threat and its effect go, as a version of their own.
        let early = p.expire(at: Self.t0 + 9_999)
        #expect(early == nil)
        let expired = p.expire(at: Self.t0 + 10_000)
        let v4 = try #require(expired)
        #expect(v4.items.isEmpty && v4.publishedBy == RegionPicture.expiryActor)
        #expect(p.items["t2"]?.state == .expired && p.items["e1"]?.state == .expired)
        let diff = p.diff(from: v3, to: v4)
        #expect(diff.withdrawn.map(\.item).sorted() == ["e1", "t2"] && diff.withdrawn.allSatisfy { $0.state == .expired })
        #expect(diff.withdrawn.first { $0.item == "e1" }?.reason?.contains("its threat") == true)
        // Nothing was lost: every item keeps every state it had.
        #expect(p.items["t1"]?.history.map(\.state) == [.submitted, .accepted, .published, .superseded])
        #expect(p.items.count == 4)
    }

    @Test func cancellationWithdrawsTheThreatAndItsEffects() throws {
        var p = try Self.twoVersions()
        try p.submit(Self.contribution("c1", .cancel("t1", reason: "waterstand daalt"), by: "hdsr", at: 70))
        try p.accept("c1", by: "im", at: Self.t0 + 71)
        let v3 = try p.publish(by: "im", at: Self.t0 + 72)
        #expect(v3.items.isEmpty)
        #expect(p.items["t1"]?.state == .cancelled && p.items["t1"]?.history.last?.reason == "waterstand daalt")
        #expect(p.items["e1"]?.state == .cancelled)
        #expect(p.items["c1"]?.state == .published)
        let diff = p.diff(from: p.version(2), to: v3)
        #expect(Set(diff.withdrawn.map(\.item)) == ["t1", "e1"])
    }

    @Test func asOfIsExactToTheSecond() throws {
        var p = try Self.twoVersions()
        try p.submit(Self.contribution("t2", .add(Self.threat("Update"), supersedes: "t1"), by: "hdsr", at: 100))
        try p.accept("t2", by: "im", at: Self.t0 + 100)
        try p.publish(by: "im", at: Self.t0 + 200.7)  // kept as t0 + 200
        #expect(p.version(at: Self.t0 + 29.999) == nil)
        #expect(p.version(at: Self.t0 + 30)?.number == 1)
        #expect(p.version(at: Self.t0 + 59.9)?.number == 1)
        #expect(p.version(at: Self.t0 + 60)?.number == 2)
        #expect(p.version(at: Self.t0 + 199.999)?.number == 2)
        #expect(p.version(at: Self.t0 + 200)?.number == 3)
        #expect(p.version(at: Self.t0 + 1e6)?.items == ["e1", "t2"])
        // An item's state at a time, from its kept history.
        #expect(p.items["t1"]?.state(at: Self.t0 + 199) == .published)
        #expect(p.items["t1"]?.state(at: Self.t0 + 200) == .superseded)
        #expect(p.items["t1"]?.state(at: Self.t0 + 5) == nil)
    }

    @Test func contributionsThatLostTheirTargetAreRejectedAtPublication() throws {
        var p = try Self.twoVersions()
        try p.submit(Self.contribution("c1", .cancel("t1", reason: "voorbij"), by: "hdsr", at: 70))
        try p.submit(Self.contribution("e3", .add(Self.effect(on: "t1"), supersedes: nil), by: "vitens", at: 71))
        try p.accept("c1", by: "im", at: Self.t0 + 72)
        try p.accept("e3", by: "im", at: Self.t0 + 73)
        let v3 = try p.publish(by: "im", at: Self.t0 + 74)
        #expect(!v3.items.contains("e3"))
        #expect(p.items["e3"]?.state == .rejected && p.items["e3"]?.history.last?.reason?.contains("no longer in the picture") == true)
    }

    @Test func refusals() throws {
        var p = try Self.twoVersions()
        func code(_ body: () throws -> Void) -> RiskPictureError.Code? {
            do { try body(); return nil } catch let e as RiskPictureError { return e.code } catch { return nil }
        }
        #expect(code { try p.submit(Self.contribution("x", .add(Self.effect(on: "nope"), supersedes: nil), by: "vitens", at: 90)) } == .notFound)
        #expect(code { try p.submit(Self.contribution("t1", .add(Self.threat("again"), supersedes: nil), by: "hdsr", at: 90)) } == .conflict)
        #expect(code { try p.submit(Self.contribution("x", .add(Self.threat("upd"), supersedes: "e1"), by: "hdsr", at: 90)) } == .invalidContribution)
        #expect(code { try p.submit(Self.contribution("x", .cancel("t1", reason: " "), by: "hdsr", at: 90)) } == .invalidContribution)
        #expect(code { try p.submit(Contribution(id: "x", region: "VR13", action: .add(Self.threat("elders"), supersedes: nil), organisation: "o", author: "a", submittedAt: Self.t0)) } == .invalidContribution)
        let noWhere = Content.effect(Effect(threat: "t1", consequence: "iets"))
        #expect(code { try p.submit(Self.contribution("x", .add(noWhere, supersedes: nil), by: "vitens", at: 90)) } == .invalidContribution)
        #expect(code { try p.accept("e2", by: "im", at: Self.t0 + 100) } == .conflict)
        #expect(code { try p.reject("e1", by: "im", at: Self.t0 + 100, reason: "te laat") } == .conflict)
        #expect(code { try p.publish(by: "im", at: Self.t0 + 100) } == .conflict)
        #expect(code { try p.publish(by: "im", at: Self.t0) } == .conflict)
        let backwards = Content.threat(Threat(hazard: .storm, area: Self.lekdijk, severity: .minor, urgency: .future, certainty: .possible,
                                              headline: "Storm", expectedEffects: "", validFrom: Self.t0 + 10, validUntil: Self.t0 + 5))
        #expect(code { try p.submit(Self.contribution("x", .add(backwards, supersedes: nil), by: "hdsr", at: 90)) } == .invalidContribution)
        let ancient = Content.threat(Threat(hazard: .storm, area: Self.lekdijk, severity: .minor, urgency: .future, certainty: .possible,
                                            headline: "Storm", expectedEffects: "", validFrom: Date(timeIntervalSince1970: -62_135_596_800)))
        #expect(code { try p.submit(Self.contribution("x", .add(ancient, supersedes: nil), by: "hdsr", at: 90)) } == .invalidContribution)
        // Nothing of a refused step was kept.
        #expect(p.items.count == 3 && p.versions.count == 2)
    }

    @Test func areasAreCheckedAndKeptAsGivenAndInWGS84() throws {
        func code(_ shape: Shape, _ crs: AreaCRS = .wgs84) -> RiskPictureError.Code? {
            do { _ = try RiskArea(crs: crs, given: shape); return nil } catch let e as RiskPictureError { return e.code } catch { return nil }
        }
        #expect(code(Shape()) == .invalidArea)
        #expect(code(Shape(polygons: [[[XY(5, 52), XY(5.1, 52), XY(5, 52)]]])) == .invalidArea)
        #expect(code(Shape(polygons: [[[XY(5, 52), XY(5.1, 52), XY(5.1, 52.1), XY(5, 52.1)]]])) == .invalidArea)
        #expect(code(Shape(circles: [Circle(center: XY(5, 52), radiusMetres: 0)])) == .invalidArea)
        #expect(code(Shape(circles: [Circle(center: XY(5, 52), radiusMetres: 1e308)])) == .invalidArea)
        #expect(code(Shape(circles: [Circle(center: XY(1e300, 1e300), radiusMetres: 10)]), .rdNew) == .invalidArea)
        // RD numbers declared as WGS 84 lie outside the world.
        #expect(code(Shape(circles: [Circle(center: XY(155_000, 463_000), radiusMetres: 100)])) == .invalidArea)
        // RD New: kept as given, and in WGS 84 through PROJ (Amersfoort, the RD origin area).
        let rd = try RiskArea(crs: .rdNew, given: Shape(circles: [Circle(center: XY(155_000, 463_000), radiusMetres: 2_000)]))
        #expect(rd.given.circles[0].center == XY(155_000, 463_000))
        let c = rd.wgs84.circles[0].center
        #expect(abs(c.x - 5.3872) < 0.001 && abs(c.y - 52.1552) < 0.001, "\(c)")
        // The circle as a polygon spans its radius (within a percent) in both directions.
        guard case .multiPolygon(let polys) = rd.geometry(), let ring = polys.first?.exterior else { Issue.record("no polygon"); return }
        let toRD = try Transformer(from: .wgs84, to: .rdNew)
        for p in ring.prefix(64) {
            let q = try toRD.transform(p)
            let d = ((q.x - 155_000) * (q.x - 155_000) + (q.y - 463_000) * (q.y - 463_000)).squareRoot()
            #expect(abs(d - 2_000) < 20, "\(d)")
        }
    }

    @Test func aPictureRoundTripsThroughJSON() throws {
        var p = try Self.twoVersions()
        try p.submit(Self.contribution("c1", .cancel("t1", reason: "voorbij"), by: "hdsr", at: 70))
        let data = try JSONEncoder().encode(p)
        #expect(try JSONDecoder().decode(RegionPicture.self, from: data) == p)
    }
}
