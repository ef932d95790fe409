import AccessPolicy
import Foundation
import Testing

/// A seeded generator, so a failing case can be replayed from its seed.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random policies: organisations of every profile, audit status and reach; users with random
/// roles; activities with random attachments; layers with random conditions.
enum RandomPolicy {
    static func make(_ rng: inout SeededRandom) -> Policy {
        let regions = Policy.regionCodes
        var orgs: [Organisation] = []
        for i in 0..<Int.random(in: 2...8, using: &rng) {
            let reach = Reach.allCases.randomElement(using: &rng)!
            let count = reach == .regional ? Int.random(in: 1...2, using: &rng) : Int.random(in: 3...6, using: &rng)
            let mine = Array(regions.shuffled(using: &rng).prefix(count))
            let audit: AuditStatus = switch Int.random(in: 0..<4, using: &rng) {
            case 0: .certified
            case 1: .conditional(until: World.now + Double(Int.random(in: -5...5, using: &rng)) * World.day)
            default: .notAudited
            }
            orgs.append(Organisation(id: "org\(i)", name: "Org \(i)", coreTask: CoreTask.allCases.randomElement(using: &rng)!,
                                     profile: Profile.allCases.randomElement(using: &rng)!, audit: audit, reach: reach,
                                     regions: reach == .national ? [] : mine, adoptionRegion: mine[0]))
        }
        let allRoles: [Role] = [.viewer, .editor, .layerAdministrator, .securityReviewer, .administrator, .informationManager(region: "VR09")]
        let users = orgs.flatMap { o in
            (0..<Int.random(in: 1...2, using: &rng)).map { j in
                User(id: "\(o.id)-u\(j)", name: "U", organisation: o.id,
                     roles: (0..<Int.random(in: 1...3, using: &rng)).map { _ in allRoles.randomElement(using: &rng)! })
            }
        }
        let activities = (0..<Int.random(in: 0...2, using: &rng)).map { k in
            let lon = Double.random(in: 4...6.5, using: &rng), lat = Double.random(in: 51...53, using: &rng)
            return Activity(id: "act\(k)", name: "A", kind: .incident, regions: [regions.randomElement(using: &rng)!],
                            area: Bool.random(using: &rng) ? .box(minLon: lon, minLat: lat, maxLon: lon + 0.3, maxLat: lat + 0.2) : nil,
                            start: World.now - Double(Int.random(in: 0...3, using: &rng)) * World.day,
                            end: World.now + Double(Int.random(in: -1...3, using: &rng)) * World.day + 1,
                            attachments: orgs.filter { _ in Bool.random(using: &rng) }.map {
                                Attachment(organisation: $0.id, from: World.now - World.day,
                                           until: World.now + Double(Int.random(in: -1...2, using: &rng)) * World.day + 1)
                            })
        }
        let layers = (0..<Int.random(in: 1...4, using: &rng)).map { l in
            LayerConditions(layer: "layer\(l)", owner: orgs.randomElement(using: &rng)!.id,
                            sensitivity: Sensitivity.allCases.randomElement(using: &rng)!,
                            allowedProfiles: Profile.allCases.filter { _ in Bool.random(using: &rng) },
                            auditRequired: Bool.random(using: &rng) ? nil : Bool.random(using: &rng),
                            clipToRegions: Bool.random(using: &rng),
                            hiddenAttributes: Bool.random(using: &rng) ? [.kern: ["a"], .standby: ["a", "b"]] : [:])
        }
        return Policy(organisations: orgs, users: users, activities: activities, layers: layers,
                      anonymousAccess: Bool.random(using: &rng))
    }

    static func subjects(_ p: Policy) -> [Subject] {
        [.anonymous] + p.users.keys.sorted().map { .user($0) } + p.organisations.keys.sorted().map { .member(organisation: $0) }
    }
}

@Suite struct PropertyTests {
    @Test func raisingSensitivityNeverWidensAccess() {
        var rng = SeededRandom(state: 20261122)
        var checked = 0
        for _ in 0..<300 {
            let policy = RandomPolicy.make(&rng)
            let before = PolicyVersion(policy)
            for (id, c) in policy.layers {
                for higher in Sensitivity.allCases where higher > c.sensitivity {
                    var raised = policy
                    raised.layers[id]?.sensitivity = higher
                    // The owner's explicit audit flag stays; a default one would follow the sensitivity.
                    raised.layers[id]?.auditRequired = c.auditRequired || higher == .confidential
                    let after = PolicyVersion(raised)
                    for subject in RandomPolicy.subjects(policy) {
                        let a = before.decide(subject, .read, .layer(id), at: World.now)
                        let b = after.decide(subject, .read, .layer(id), at: World.now)
                        checked += 1
                        if b.allowed {
                            #expect(a.allowed, "\(subject) gained \(id) at \(higher): \(b.reasons)")
                            #expect(b.filter.isWithin(a.filter), "\(subject) \(id): \(b.filter) not within \(a.filter)")
                            #expect(Set(a.hiddenAttributes).isSubset(of: b.hiddenAttributes))
                        }
                    }
                }
            }
        }
        #expect(checked > 1000)
    }

    @Test func deniedDecisionsCarryNoScopeAndEveryDecisionIsExplained() {
        var rng = SeededRandom(state: 7)
        for _ in 0..<200 {
            let v = PolicyVersion(RandomPolicy.make(&rng))
            for subject in RandomPolicy.subjects(v.policy) {
                for layer in v.policy.layers.keys {
                    for action in [Action.read, .write, .approve, .setConditions] {
                        let d = v.decide(subject, action, .layer(layer), at: World.now)
                        #expect(d.rules.count == d.reasons.count && !d.rules.isEmpty)
                        #expect(Set(d.rules).isSubset(of: Rule.all.map(\.id)))
                        if !d.allowed { #expect(d.filter == .nowhere && d.hiddenAttributes.isEmpty) }
                        // The decision holds until validUntil: just before it, nothing changes.
                        if let until = d.validUntil {
                            #expect(until > World.now)
                            let later = v.decide(subject, action, .layer(layer), at: until - 0.001)
                            #expect(later.allowed == d.allowed && later.filter == d.filter)
                        }
                    }
                }
            }
        }
    }

    @Test func conditionalAuditAndStandbyAttachmentLapseOnTheirOwn() {
        let until = World.now + World.day
        let gas = World.organisation("gas", .kern, .conditional(until: until))
        let standby = World.organisation("sb", .standby, .certified)
        let attachmentEnd = World.now + 3600
        let p = PolicyVersion(Policy(
            organisations: [World.owner, gas, standby],
            users: [User(id: "g", name: "G", organisation: "gas", roles: [.viewer]),
                    User(id: "s", name: "S", organisation: "sb", roles: [.viewer])],
            activities: [World.activity(attached: ["sb"], from: World.now - 60, until: attachmentEnd)],
            layers: [World.layer(.confidential)]))
        let g1 = p.decide(.user("g"), .read, .layer("layer_confidential"), at: until - 1)
        let g2 = p.decide(.user("g"), .read, .layer("layer_confidential"), at: until)
        #expect(g1.allowed && g1.validUntil == until)
        #expect(!g2.allowed && g2.rules.last == "audit-required")
        #expect(g2.reasons.last!.contains("lapsed"))
        let s1 = p.decide(.user("s"), .read, .layer("layer_confidential"), at: attachmentEnd - 1)
        let s2 = p.decide(.user("s"), .read, .layer("layer_confidential"), at: attachmentEnd)
        let s0 = p.decide(.user("s"), .read, .layer("layer_confidential"), at: World.now - 61)
        #expect(s1.allowed && s1.validUntil == attachmentEnd)
        #expect(!s2.allowed && s2.rules.last == "standby-not-attached")
        #expect(!s0.allowed && s0.validUntil == World.now - 60)
    }

    @Test func matrixAndDiffUseTheDecision() {
        var rng = SeededRandom(state: 99)
        let policy = RandomPolicy.make(&rng)
        let v = PolicyVersion(policy)
        let m = PermissionMatrix(v, at: World.now)
        for e in m.entries where e.organisation != "(anonymous)" {
            let d = v.decide(.member(organisation: e.organisation), .read, .layer(e.layer), at: World.now)
            #expect((e.access.contains("read")) == d.allowed && e.scope == d.filter.text)
        }
        #expect(m.csv.split(separator: "\r\n").count == m.entries.count + 1)
        var raised = policy
        for id in raised.layers.keys { raised.layers[id]?.sensitivity = .confidential; raised.layers[id]?.auditRequired = true }
        let changes = PermissionMatrix(PolicyVersion(raised), at: World.now).diff(from: m)
        #expect(changes.allSatisfy { $0.kind != "widened" && $0.kind != "added" })
        #expect(PermissionMatrix(v, at: World.now).diff(from: m).isEmpty)
    }
}
