import Foundation

extension PolicyVersion {
    /// The one access decision. Every read and write in the service, the explanation and the
    /// permission matrix call this function. Pure: no I/O, and `time` is the only clock.
    public func decide(_ subject: Subject, _ action: Action, _ resource: Resource, at time: Date) -> Decision {
        var d = DecisionBuilder(hash: hash, time: time)
        switch subject {
        case .anonymous:
            return decideAnonymous(action, resource, &d)
        case .user(let id):
            guard let user = policy.users[id], let org = policy.organisations[user.organisation] else {
                return d.deny("subject-unknown", "user \"\(id)\" or its organisation is not in the policy")
            }
            return decide(org: org, roles: user.roles, who: "user \(user.id) of \(org.id)", action, resource, &d)
        case .member(let orgID):
            guard let org = policy.organisations[orgID] else {
                return d.deny("subject-unknown", "organisation \"\(orgID)\" is not in the policy")
            }
            return decide(org: org, roles: [.viewer, .editor], who: org.id, action, resource, &d)
        }
    }

    private func decideAnonymous(_ action: Action, _ resource: Resource, _ d: inout DecisionBuilder) -> Decision {
        guard policy.anonymousAccess else { return d.deny("anonymous-off", "anonymous access is off") }
        guard action == .read, case .layer(let id) = resource else {
            return d.deny("deny-default", "anonymous callers only read")
        }
        guard let c = policy.layers[id] else { return d.deny("layer-no-conditions", "layer \(id) has no conditions") }
        guard c.sensitivity == .open, !c.auditRequired else {
            return d.deny("anonymous-open", "layer \(id) is \(c.sensitivity.rawValue)\(c.auditRequired ? " and needs an audit" : ""); anonymous callers read open layers only")
        }
        let hidden = Set(c.hiddenAttributes.values.flatMap { $0 }).sorted()
        d.note("anonymous-open", "layer \(id) is open and anonymous access is on")
        if !hidden.isEmpty { d.note("hidden-attributes", "hidden from anonymous callers: \(hidden.joined(separator: ", "))") }
        return d.allow(.everywhere, hidden: hidden)
    }

    private func decide(org: Organisation, roles: [Role], who: String, _ action: Action, _ resource: Resource,
                        _ d: inout DecisionBuilder) -> Decision {
        if org.profile == .koppel || org.profile == .adhoc {
            return d.deny("profile-no-access", "\(org.id) has profile \(org.profile.rawValue), which has no access to the system")
        }
        switch (action, resource) {
        case (.read, .layer(let id)): return read(org: org, roles: roles, who: who, layer: id, &d)
        case (.write, .layer(let id)): return write(org: org, roles: roles, who: who, layer: id, &d)
        case (.approve, .layer(let id)): return approve(org: org, roles: roles, who: who, layer: id, &d)
        case (.read, .picture(let region)), (.write, .picture(let region)), (.approve, .picture(let region)):
            return picture(org: org, roles: roles, who: who, action, region: region, &d)
        case (.setConditions, .layer(let id)):
            if roles.contains(.administrator) { d.note("administrator", "\(who) is an administrator"); return d.allow(.everywhere) }
            // A layer without conditions has no owner in the policy yet: only an administrator
            // gives it one (else any layer administrator could claim it).
            guard let owner = policy.layers[id]?.owner else {
                return d.deny("conditions-owner", "\(id) has no conditions yet; only an administrator sets the first ones")
            }
            guard roles.contains(.layerAdministrator), owner == org.id else {
                return d.deny("conditions-owner", "only a layer administrator of \(owner) or an administrator sets the conditions of \(id)")
            }
            d.note("conditions-owner", "\(who) is a layer administrator of the owner organisation")
            return d.allow(.everywhere)
        case (.administer, .system):
            guard roles.contains(.administrator) else { return d.deny("administrator", "\(who) is not an administrator") }
            d.note("administrator", "\(who) is an administrator")
            return d.allow(.everywhere)
        case (.review, .system):
            guard roles.contains(.securityReviewer) else { return d.deny("security-reviewer", "\(who) is not a security reviewer") }
            d.note("security-reviewer", "\(who) is a security reviewer")
            return d.allow(.everywhere)
        default:
            return d.deny("deny-default", "\(action.rawValue) on \(resource.text) is not something any rule allows")
        }
    }

    private func read(org: Organisation, roles: [Role], who: String, layer id: String, _ d: inout DecisionBuilder) -> Decision {
        let time = d.time
        guard roles.contains(where: \.readsLayers) else {
            return d.deny("role-no-read", "\(who) has no role that reads layer data (\(roles.map(\.text).joined(separator: ", ")))")
        }
        guard let c = policy.layers[id] else { return d.deny("layer-no-conditions", "layer \(id) has no conditions") }
        if c.owner == org.id {
            d.note("owner-reads", "\(org.id) owns \(id)")
            return d.allow(.everywhere)
        }
        guard c.allowedProfiles.contains(org.profile) else {
            return d.deny("layer-profile", "\(c.owner) allows \(id) to profiles \(c.allowedProfiles.map(\.rawValue).joined(separator: ", ")); \(org.id) is \(org.profile.rawValue)")
        }
        if c.sensitivity == .confidential || c.auditRequired {
            let why = c.sensitivity == .confidential ? "\(id) is confidential" : "the owner of \(id) requires an audit"
            switch org.audit {
            case .certified:
                d.note("audit-required", "\(why); \(org.id) is certified")
            case .conditional(let until) where time < until:
                d.boundary(until)
                d.note("audit-required", "\(why); \(org.id) has a conditional audit until \(Self.format(until))")
            case .conditional(let until):
                return d.deny("audit-required", "\(why); the conditional audit of \(org.id) lapsed at \(Self.format(until))")
            case .notAudited:
                return d.deny("audit-required", "\(why); \(org.id) is not audited")
            }
        }
        let filter: SpatialFilter
        switch org.profile {
        case .standby:
            var regions = Set<String>(), areas: [Area] = []
            var names: [String] = []
            for a in policy.activities.values.sorted(by: { $0.id < $1.id }) {
                for t in a.attachments where t.organisation == org.id {
                    for moment in [t.from, t.until, a.start, a.end] { d.boundary(moment) }
                    guard t.isActive(at: time), a.isRunning(at: time) else { continue }
                    names.append(a.id)
                    if let area = a.area { areas.append(area) } else { regions.formUnion(a.regions) }
                }
            }
            guard !names.isEmpty else {
                return d.deny("standby-not-attached", "\(org.id) is a standby partner not attached to a running activity at \(Self.format(time))")
            }
            d.note("standby-attached", "\(org.id) is attached to \(names.joined(separator: ", "))")
            filter = .within(regions: regions.sorted(), areas: areas)
        default:
            d.note("profile-reads", "\(org.id) is a \(org.profile.rawValue) partner")
            if org.reach == .national {
                d.note("reach-national", "\(org.id) works nationally")
                filter = .everywhere
            } else if c.clipToRegions {
                // A layer lies in its owner's regions: a reader that shares none of them has
                // nothing to see of it, and the layer does not exist for it.
                if let owner = policy.organisations[c.owner], owner.reach != .national, Set(owner.regions).isDisjoint(with: org.regions) {
                    return d.deny("regions-disjoint", "\(id) is clipped to the reader's regions and \(org.id) (\(org.regions.joined(separator: ", "))) shares none with its owner \(owner.id) (\(owner.regions.joined(separator: ", ")))")
                }
                d.note("clip-regions", "\(id) is clipped to the regions of \(org.id): \(org.regions.joined(separator: ", "))")
                filter = .within(regions: org.regions, areas: [])
            } else {
                d.note("no-clip", "\(id) is not clipped to regions")
                filter = .everywhere
            }
        }
        let hidden = c.hiddenAttributes[org.profile.rawValue] ?? []
        if !hidden.isEmpty { d.note("hidden-attributes", "hidden from \(org.profile.rawValue) partners: \(hidden.joined(separator: ", "))") }
        return d.allow(filter, hidden: hidden)
    }

    private func write(org: Organisation, roles: [Role], who: String, layer id: String, _ d: inout DecisionBuilder) -> Decision {
        guard org.profile == .kern || org.profile == .structureel else {
            return d.deny("write-profile", "\(org.id) is a \(org.profile.rawValue) partner, which does not write")
        }
        guard roles.contains(where: \.writesLayers) else { return d.deny("role-no-write", "\(who) is not an editor or layer administrator") }
        if let c = policy.layers[id], c.owner != org.id {
            return d.deny("write-not-owner", "\(id) belongs to \(c.owner)")
        }
        if org.profile == .kern {
            d.note("write-kern", policy.layers[id] == nil ? "\(org.id) (kern) creates \(id)" : "\(org.id) (kern) owns \(id)")
            return d.allow(.everywhere)
        }
        d.note("write-structureel-submit", "\(org.id) (structureel) submits to an information manager of \(org.adoptionRegion) or its other regions")
        return d.allow(.everywhere, requiresApproval: true)
    }

    private func approve(org: Organisation, roles: [Role], who: String, layer id: String, _ d: inout DecisionBuilder) -> Decision {
        guard let c = policy.layers[id], let owner = policy.organisations[c.owner] else {
            return d.deny("layer-no-conditions", "layer \(id) has no conditions or owner")
        }
        let managed = roles.compactMap { if case .informationManager(let r) = $0 { r } else { nil } }
        let ownerRegions = owner.reach == .national ? [owner.adoptionRegion] : owner.regions
        guard let region = managed.first(where: { ownerRegions.contains($0) }) else {
            return d.deny("approve-region", "\(who) is not an information manager of a region of \(owner.id) (\(ownerRegions.joined(separator: ", ")))")
        }
        d.note("approve-region", "\(who) is information manager of \(region), a region of \(owner.id)")
        // The region controls what structureel partners submit; a kern partner publishes its own
        // versions (also those it staged for its own review).
        guard owner.profile == .structureel else {
            return d.deny("approve-structureel", "\(owner.id) is a \(owner.profile.rawValue) partner: its writers publish its versions; information managers approve structureel partners' submissions only")
        }
        d.note("approve-structureel", "\(owner.id) is a structureel partner: its versions need the region's approval")
        // Approving means looking at the data: the manager must be allowed to read the layer.
        var reading = DecisionBuilder(hash: hash, time: d.time)
        let readDecision = read(org: org, roles: roles, who: who, layer: id, &reading)
        if let until = readDecision.validUntil { d.boundary(until) }
        guard readDecision.allowed else {
            return d.deny("approve-read", "\(who) may not read \(id), so may not approve it: \(readDecision.reasons.last ?? "no rule allows it")")
        }
        d.note("approve-read", "\(who) may read \(id)")
        return d.allow(.everywhere)
    }

    static func format(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}

/// Collects reasons and rule ids while `decide` runs.
struct DecisionBuilder {
    let hash: String
    let time: Date
    var reasons: [String] = []
    var rules: [String] = []
    var validUntil: Date?

    mutating func note(_ rule: String, _ reason: String) {
        rules.append(rule)
        reasons.append(reason)
    }

    /// Records a moment at which the decision may change, when it lies after `time`.
    mutating func boundary(_ moment: Date) {
        guard moment > time else { return }
        validUntil = validUntil.map { min($0, moment) } ?? moment
    }

    mutating func deny(_ rule: String, _ reason: String) -> Decision {
        note(rule, reason)
        return Decision(allowed: false, reasons: reasons, rules: rules, filter: .nowhere, hiddenAttributes: [],
                        policyHash: hash, requiresApproval: false, validUntil: validUntil)
    }

    mutating func allow(_ filter: SpatialFilter, hidden: [String] = [], requiresApproval: Bool = false) -> Decision {
        Decision(allowed: true, reasons: reasons, rules: rules, filter: filter, hiddenAttributes: hidden,
                 policyHash: hash, requiresApproval: requiresApproval, validUntil: validUntil)
    }
}
