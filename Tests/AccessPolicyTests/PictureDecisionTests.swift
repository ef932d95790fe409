import AccessPolicy
import Foundation
import Testing

/// Who reads, contributes to and publishes which region's risk picture (issue 10): the framework's
/// "emergency services and (authorised and audited) vital partners", cell by cell.
@Suite struct PictureDecisionTests {
    struct Case {
        var org: Organisation
        var roles: [Role] = [.viewer, .editor]
        /// Expected read of VR09 and of VR13.
        var reads: (vr09: Bool, vr13: Bool)
        /// Expected contribution to VR09.
        var writes: Bool
    }

    static func org(_ id: String, _ task: CoreTask, _ profile: Profile, _ audit: AuditStatus = .certified,
                    reach: Reach = .regional, regions: [String] = ["VR09"]) -> Organisation {
        Organisation(id: id, name: id, coreTask: task, profile: profile, audit: audit, reach: reach,
                     regions: reach == .national ? [] : regions, adoptionRegion: reach == .national ? "VR09" : regions[0])
    }

    static let cases: [Case] = [
        Case(org: org("brandweer", .hulpdienst, .kern), reads: (true, false), writes: true),
        Case(org: org("ambulance", .hulpdienst, .structureel), reads: (true, false), writes: true),
        Case(org: org("unaudited-police", .hulpdienst, .kern, .notAudited), reads: (true, false), writes: true),
        Case(org: org("vitens", .beheerder, .kern, .certified, reach: .supraRegional, regions: ["VR04", "VR05", "VR09"]), reads: (true, false), writes: true),
        Case(org: org("stedin", .beheerder, .kern, .conditional(until: World.now + World.day)), reads: (true, false), writes: true),
        Case(org: org("lapsed", .beheerder, .kern, .conditional(until: World.now - 1)), reads: (false, false), writes: false),
        Case(org: org("unaudited", .beheerder, .structureel, .notAudited), reads: (false, false), writes: false),
        Case(org: org("hdsr", .beheerder, .structureel), reads: (true, false), writes: true),
        Case(org: org("locc", .hulpdienst, .kern, reach: .national), reads: (true, true), writes: true),
        Case(org: org("viewer-only", .hulpdienst, .kern), roles: [.viewer], reads: (true, false), writes: false),
        Case(org: org("reviewer", .hulpdienst, .kern, reach: .national), roles: [.securityReviewer], reads: (false, false), writes: false),
        Case(org: org("attached", .dienstverlener, .standby), reads: (true, false), writes: false),
        Case(org: org("idle", .dienstverlener, .standby), reads: (false, false), writes: false),
        Case(org: org("liaison", .beheerder, .koppel), reads: (false, false), writes: false),
        Case(org: org("adhoc", .incidenteel, .adhoc), reads: (false, false), writes: false),
        Case(org: org("consultant", .dienstverlener, .kern), reads: (false, false), writes: false),
        // An information manager of VR13 from an organisation of VR09 reads (and only publishes) VR13 too.
        Case(org: org("region-utrecht", .hulpdienst, .kern), roles: [.viewer, .informationManager(region: "VR13")], reads: (true, true), writes: false),
    ]

    @Test func whoReadsWhichRegionsPicture() {
        let users = Self.cases.map { User(id: "u-\($0.org.id)", name: $0.org.id, organisation: $0.org.id, roles: $0.roles) }
        let activity = Activity(id: "oefening", name: "Oefening", kind: .exercise, regions: ["VR09"], area: nil,
                                start: World.now - World.day, end: World.now + World.day,
                                attachments: [Attachment(organisation: "attached", from: World.now - 60, until: World.now + 60)])
        let p = PolicyVersion(Policy(organisations: Self.cases.map(\.org), users: users, activities: [activity]))
        #expect(p.policy.problems().isEmpty, "\(p.policy.problems())")
        for c in Self.cases {
            let u = Subject.user("u-\(c.org.id)")
            let r09 = p.decide(u, .read, .picture(region: "VR09"), at: World.now)
            let r13 = p.decide(u, .read, .picture(region: "VR13"), at: World.now)
            let w09 = p.decide(u, .write, .picture(region: "VR09"), at: World.now)
            #expect(r09.allowed == c.reads.vr09, "\(c.org.id) reads VR09: \(r09.reasons)")
            #expect(r13.allowed == c.reads.vr13, "\(c.org.id) reads VR13: \(r13.reasons)")
            #expect(w09.allowed == c.writes, "\(c.org.id) contributes to VR09: \(w09.reasons)")
            // Contributions always wait for the region; every answer is explained.
            if w09.allowed { #expect(w09.requiresApproval) }
            for d in [r09, r13, w09] { #expect(!d.rules.isEmpty && d.rules.allSatisfy { id in Rule.all.contains { $0.id == id } }) }
            // Only the region's information managers publish.
            let publishes = p.decide(u, .approve, .picture(region: "VR13"), at: World.now).allowed
            #expect(publishes == c.roles.contains(.informationManager(region: "VR13")))
        }
    }

    @Test func readsLapseWithTheAuditAndTheAttachment() {
        let operatorOrg = Self.org("stedin", .beheerder, .kern, .conditional(until: World.now + 3600))
        let standby = Self.org("contractor", .dienstverlener, .standby)
        let activity = Activity(id: "a", name: "A", kind: .incident, regions: ["VR09"], area: nil, start: World.now - 60, end: World.now + World.day,
                                attachments: [Attachment(organisation: "contractor", from: World.now - 60, until: World.now + 600)])
        let p = PolicyVersion(Policy(organisations: [operatorOrg, standby],
                                     users: [User(id: "s", name: "S", organisation: "stedin", roles: [.viewer]),
                                             User(id: "c", name: "C", organisation: "contractor", roles: [.viewer])],
                                     activities: [activity]))
        let s = p.decide(.user("s"), .read, .picture(region: "VR09"), at: World.now)
        #expect(s.allowed && s.validUntil == World.now + 3600)
        #expect(!p.decide(.user("s"), .read, .picture(region: "VR09"), at: World.now + 3600).allowed)
        let c = p.decide(.user("c"), .read, .picture(region: "VR09"), at: World.now)
        #expect(c.allowed && c.validUntil == World.now + 600)
        #expect(!p.decide(.user("c"), .read, .picture(region: "VR09"), at: World.now + 600).allowed)
        #expect(!p.decide(.anonymous, .read, .picture(region: "VR09"), at: World.now).allowed)
    }
}
