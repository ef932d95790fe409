import Foundation

extension PolicyVersion {
    /// Who reads, contributes to and publishes a region's risk picture. The framework: the
    /// picture is "accessible to emergency services and (authorised and audited) vital partners
    /// that have a role in the vital infrastructure"; the region's information manager keeps it
    /// verified. Koppel and ad-hoc partners were refused before this is asked.
    func picture(org: Organisation, roles: [Role], who: String, _ action: Action, region: String,
                 _ d: inout DecisionBuilder) -> Decision {
        let time = d.time
        let manages = roles.contains(.informationManager(region: region))
        if action == .approve {
            guard manages else { return d.deny("picture-manager", "\(who) is not an information manager of \(region)") }
            d.note("picture-manager", "\(who) is an information manager of \(region)")
            return d.allow(.everywhere)
        }
        guard roles.contains(where: \.readsLayers) else {
            return d.deny("role-no-read", "\(who) has no role that reads the shared picture (\(roles.map(\.text).joined(separator: ", ")))")
        }
        if manages {
            d.note("picture-manager", "\(who) is an information manager of \(region)")
        } else {
            switch org.profile {
            case .standby:
                var names: [String] = []
                for a in policy.activities.values.sorted(by: { $0.id < $1.id }) {
                    for t in a.attachments where t.organisation == org.id {
                        for moment in [t.from, t.until, a.start, a.end] { d.boundary(moment) }
                        if t.isActive(at: time), a.isRunning(at: time), a.regions.contains(region) { names.append(a.id) }
                    }
                }
                guard !names.isEmpty else {
                    return d.deny("picture-standby-attached", "\(org.id) is a standby partner not attached to a running activity in \(region) at \(Self.format(time))")
                }
                d.note("picture-standby-attached", "\(org.id) is attached to \(names.joined(separator: ", ")) in \(region)")
            case .kern, .structureel:
                switch org.coreTask {
                case .hulpdienst:
                    d.note("picture-emergency-service", "\(org.id) is an emergency service (\(org.profile.rawValue))")
                case .beheerder:
                    switch org.audit {
                    case .certified:
                        d.note("picture-operator-audited", "\(org.id) is an operator with a certified audit")
                    case .conditional(let until) where time < until:
                        d.boundary(until)
                        d.note("picture-operator-audited", "\(org.id) is an operator with a conditional audit until \(Self.format(until))")
                    case .conditional(let until):
                        return d.deny("picture-operator-audited", "\(org.id) is an operator whose conditional audit lapsed at \(Self.format(until))")
                    case .notAudited:
                        return d.deny("picture-operator-audited", "\(org.id) is an operator that is not audited")
                    }
                case .dienstverlener, .incidenteel:
                    return d.deny("picture-task", "\(org.id) has core task \(org.coreTask.rawValue); risk pictures are for emergency services and operators")
                }
                if org.reach == .national {
                    d.note("picture-region", "\(org.id) works nationally")
                } else {
                    guard org.regions.contains(region) else {
                        return d.deny("picture-region", "\(org.id) works in \(org.regions.joined(separator: ", ")), not in \(region)")
                    }
                    d.note("picture-region", "\(org.id) works in \(region)")
                }
            case .koppel, .adhoc:
                return d.deny("profile-no-access", "\(org.id) has profile \(org.profile.rawValue), which has no access to the system")
            }
        }
        guard action == .write else { return d.allow(.everywhere) }
        guard org.profile == .kern || org.profile == .structureel, roles.contains(where: \.writesLayers) else {
            return d.deny("picture-contribute", "\(who) may read the picture of \(region) but not contribute: that needs a kern or structureel partner's editor")
        }
        d.note("picture-contribute", "\(who) contributes to the picture of \(region); the region verifies")
        return d.allow(.everywhere, requiresApproval: true)
    }
}
