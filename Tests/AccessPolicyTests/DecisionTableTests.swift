import AccessPolicy
import Foundation
import Testing

/// DOMAIN.md's table 1 (profiles), the audit outcomes and the layer sensitivities, cell by cell.
@Suite struct DecisionTableTests {
    /// What the framework says a profile may do, written out independently of `decide`.
    static func expectedRead(_ profile: Profile, attached: Bool, audit: World.AuditCase, _ s: Sensitivity) -> Bool {
        let reads: Bool = switch profile {
        case .kern, .structureel: true
        case .standby: attached
        case .koppel, .adhoc: false
        }
        guard reads else { return false }
        return s != .confidential || audit.valid
    }

    static func expectedWrite(_ profile: Profile, ownLayer: Bool) -> (allowed: Bool, approval: Bool) {
        switch profile {
        case .kern: (ownLayer, false)
        case .structureel: (ownLayer, true)
        case .koppel, .standby, .adhoc: (false, false)
        }
    }

    @Test(arguments: Profile.allCases)
    func everyProfileAuditSensitivityAndAction(profile: Profile) {
        for audit in World.AuditCase.allCases {
            for attached in profile == .standby ? [true, false] : [false] {
                let org = World.organisation("p", profile, audit.status)
                let user = User(id: "u", name: "U", organisation: "p", roles: [.viewer, .editor])
                var layers = Sensitivity.allCases.map { World.layer($0) }
                // The same sensitivities, owned by the subject's organisation, for the write column.
                layers += Sensitivity.allCases.map { LayerConditions(layer: "own_\($0.rawValue)", owner: "p", sensitivity: $0) }
                let policy = PolicyVersion(Policy(organisations: [World.owner, org], users: [user],
                                                  activities: [World.activity(attached: attached ? ["p"] : [])], layers: layers))
                #expect(policy.policy.problems().isEmpty)
                for s in Sensitivity.allCases {
                    let context = "\(profile) \(audit) attached=\(attached) \(s)"
                    let read = policy.decide(.user("u"), .read, .layer("layer_\(s.rawValue)"), at: World.now)
                    #expect(read.allowed == Self.expectedRead(profile, attached: attached, audit: audit, s), "\(context): \(read.reasons)")
                    #expect(!read.rules.isEmpty && !read.reasons.isEmpty && read.policyHash == policy.hash)
                    if !read.allowed { #expect(read.filter == .nowhere) }
                    if read.allowed, profile == .standby {
                        #expect(read.filter == .within(regions: [], areas: [World.activity(attached: []).area!]))
                    } else if read.allowed {
                        #expect(read.filter == .within(regions: ["VR09"], areas: []))
                    }
                    for (own, id) in [(false, "layer_\(s.rawValue)"), (true, "own_\(s.rawValue)")] {
                        let write = policy.decide(.user("u"), .write, .layer(id), at: World.now)
                        let expected = Self.expectedWrite(profile, ownLayer: own)
                        #expect(write.allowed == expected.allowed, "\(context) write own=\(own): \(write.reasons)")
                        #expect(write.requiresApproval == (expected.allowed && expected.approval))
                    }
                }
            }
        }
    }

    @Test func nationalPartnersReadAllRegions() {
        let national = World.organisation("lcms", .kern, .certified, reach: .national)
        let user = User(id: "u", name: "U", organisation: "lcms", roles: [.viewer])
        let p = PolicyVersion(Policy(organisations: [World.owner, national], users: [user], layers: [World.layer(.confidential)]))
        let d = p.decide(.user("u"), .read, .layer("layer_confidential"), at: World.now)
        #expect(d.allowed && d.filter == .everywhere && d.rules.contains("reach-national"))
    }

    @Test func informationManagersApproveOnlyWhatTheyMayRead() {
        let waterBoard = World.organisation("board", .structureel, .certified)
        let layer = LayerConditions(layer: "dikes", owner: "board", sensitivity: .confidential)
        for (audit, approves) in [(AuditStatus.certified, true), (.notAudited, false), (.conditional(until: World.now - World.day), false)] {
            let region = World.organisation("region", .kern, audit)
            let manager = User(id: "im", name: "IM", organisation: "region", roles: [.informationManager(region: "VR09")])
            let p = PolicyVersion(Policy(organisations: [waterBoard, region], users: [manager], layers: [layer]))
            let d = p.decide(.user("im"), .approve, .layer("dikes"), at: World.now)
            #expect(d.allowed == approves, "\(audit)")
            #expect(d.rules.contains("approve-read"), "\(d.rules)")
            #expect(d.allowed == p.decide(.user("im"), .read, .layer("dikes"), at: World.now).allowed)
        }
    }

    @Test func informationManagersApproveStructureelPartnersOnly() {
        let region = World.organisation("region", .kern, .certified)
        let manager = User(id: "im", name: "IM", organisation: "region", roles: [.informationManager(region: "VR09")])
        for (profile, approves) in [(Profile.structureel, true), (.kern, false)] {
            let partner = World.organisation("partner", profile, .certified)
            let writer = User(id: "w", name: "W", organisation: "partner", roles: [.editor])
            let p = PolicyVersion(Policy(organisations: [partner, region], users: [manager, writer],
                                         layers: [LayerConditions(layer: "l", owner: "partner", sensitivity: .restricted)]))
            let d = p.decide(.user("im"), .approve, .layer("l"), at: World.now)
            #expect(d.allowed == approves, "\(profile): \(d.reasons)")
            #expect(d.rules.contains("approve-structureel"))
            // The kern partner's own writers publish without approval; the structureel partner's need it.
            let w = p.decide(.user("w"), .write, .layer("l"), at: World.now)
            #expect(w.allowed && w.requiresApproval == (profile == .structureel))
        }
    }

    @Test func partnersOutsideTheOwnersRegionsDoNotSeeClippedLayers() {
        let owner = World.organisation("owner", .kern, .certified, reach: .supraRegional, regions: ["VR04", "VR05", "VR09"])
        let inside = World.organisation("inside", .structureel, .certified, regions: ["VR09", "VR16"])
        let outside = World.organisation("outside", .structureel, .certified, regions: ["VR10", "VR11"])
        let national = World.organisation("national", .kern, .certified, reach: .national)
        let users = ["inside", "outside", "national"].map { User(id: $0, name: $0, organisation: $0, roles: [.viewer]) }
        let clipped = LayerConditions(layer: "clipped", owner: "owner", sensitivity: .restricted)
        let unclipped = LayerConditions(layer: "unclipped", owner: "owner", sensitivity: .restricted, clipToRegions: false)
        let p = PolicyVersion(Policy(organisations: [owner, inside, outside, national], users: users, layers: [clipped, unclipped]))
        let a = p.decide(.user("inside"), .read, .layer("clipped"), at: World.now)
        #expect(a.allowed && a.filter == .within(regions: ["VR09", "VR16"], areas: []))
        let b = p.decide(.user("outside"), .read, .layer("clipped"), at: World.now)
        #expect(!b.allowed && b.rules.last == "regions-disjoint" && b.filter == .nowhere, "\(b.reasons)")
        #expect(p.decide(.user("outside"), .read, .layer("unclipped"), at: World.now).allowed)
        #expect(p.decide(.user("national"), .read, .layer("clipped"), at: World.now).filter == .everywhere)
        // A national owner's clipped layer lies anywhere: every region reads its own part.
        var nationalOwned = p.policy
        nationalOwned.layers["clipped"]?.owner = "national"
        #expect(PolicyVersion(nationalOwned).decide(.user("outside"), .read, .layer("clipped"), at: World.now).allowed)
    }

    @Test func ownerReadsEverywhereAndUnlistedLayersAreDenied() {
        let user = User(id: "u", name: "U", organisation: "owner", roles: [.viewer])
        let p = PolicyVersion(Policy(organisations: [World.owner], users: [user], layers: [World.layer(.confidential)]))
        #expect(p.decide(.user("u"), .read, .layer("layer_confidential"), at: World.now).filter == .everywhere)
        let none = p.decide(.user("u"), .read, .layer("no_such_layer"), at: World.now)
        #expect(!none.allowed && none.rules == ["layer-no-conditions"])
        #expect(!p.decide(.user("nobody"), .read, .layer("layer_confidential"), at: World.now).allowed)
    }

    @Test func rolesAndAnonymous() {
        let org = World.organisation("p", .kern, .certified)
        let reviewer = User(id: "r", name: "R", organisation: "p", roles: [.securityReviewer])
        let admin = User(id: "a", name: "A", organisation: "p", roles: [.administrator])
        var policy = Policy(organisations: [World.owner, org], users: [reviewer, admin],
                            layers: Sensitivity.allCases.map { World.layer($0) })
        var p = PolicyVersion(policy)
        // Need-to-know: reviewers and administrators read no layer data.
        #expect(!p.decide(.user("r"), .read, .layer("layer_open"), at: World.now).allowed)
        #expect(!p.decide(.user("a"), .read, .layer("layer_open"), at: World.now).allowed)
        #expect(p.decide(.user("r"), .review, .system, at: World.now).allowed)
        #expect(!p.decide(.user("r"), .administer, .system, at: World.now).allowed)
        #expect(p.decide(.user("a"), .administer, .system, at: World.now).allowed)
        #expect(!p.decide(.user("a"), .review, .system, at: World.now).allowed)
        // Layer conditions: a layer administrator changes its own organisation's layers only, and
        // only an administrator sets the first conditions of a layer (no claiming).
        var withLayerAdmin = policy
        withLayerAdmin.users["la"] = User(id: "la", name: "LA", organisation: "p", roles: [.layerAdministrator])
        withLayerAdmin.layers["mine"] = LayerConditions(layer: "mine", owner: "p", sensitivity: .open)
        let la = PolicyVersion(withLayerAdmin)
        #expect(la.decide(.user("la"), .setConditions, .layer("mine"), at: World.now).allowed)
        #expect(!la.decide(.user("la"), .setConditions, .layer("layer_open"), at: World.now).allowed)
        #expect(!la.decide(.user("la"), .setConditions, .layer("unclaimed"), at: World.now).allowed)
        #expect(la.decide(.user("a"), .setConditions, .layer("unclaimed"), at: World.now).allowed)
        // Anonymous: off by default; when on, open layers only.
        #expect(!p.decide(.anonymous, .read, .layer("layer_open"), at: World.now).allowed)
        policy.anonymousAccess = true
        p = PolicyVersion(policy)
        #expect(p.decide(.anonymous, .read, .layer("layer_open"), at: World.now).allowed)
        #expect(!p.decide(.anonymous, .read, .layer("layer_restricted"), at: World.now).allowed)
        #expect(!p.decide(.anonymous, .write, .layer("layer_open"), at: World.now).allowed)
    }

    @Test func hiddenAttributesAndProfileLimits() {
        let kern = World.organisation("k", .kern, .certified)
        let standby = World.organisation("s", .standby, .certified)
        let layer = LayerConditions(layer: "l", owner: "owner", sensitivity: .restricted, allowedProfiles: [.kern],
                                    hiddenAttributes: [.kern: ["capacity"]])
        let p = PolicyVersion(Policy(organisations: [World.owner, kern, standby],
                                     users: [User(id: "k", name: "K", organisation: "k", roles: [.viewer]),
                                             User(id: "s", name: "S", organisation: "s", roles: [.viewer]),
                                             User(id: "o", name: "O", organisation: "owner", roles: [.viewer])],
                                     activities: [World.activity(attached: ["s"])], layers: [layer]))
        #expect(p.decide(.user("k"), .read, .layer("l"), at: World.now).hiddenAttributes == ["capacity"])
        #expect(p.decide(.user("o"), .read, .layer("l"), at: World.now).hiddenAttributes == [])
        #expect(p.decide(.user("s"), .read, .layer("l"), at: World.now).rules.last == "layer-profile")
    }

    @Test func policyHashFollowsContent() {
        let a = Policy(organisations: [World.owner], layers: [World.layer(.open)])
        var b = a
        #expect(PolicyVersion(a).hash == PolicyVersion(b).hash)
        b.layers["layer_open"]?.sensitivity = .restricted
        #expect(PolicyVersion(a).hash != PolicyVersion(b).hash)
        let decoded = try? Policy.decode(canonicalJSON: a.canonicalJSON())
        #expect(decoded == a)
    }
}
