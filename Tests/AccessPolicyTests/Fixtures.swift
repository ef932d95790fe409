import AccessPolicy
import Foundation

/// A small world for decisions: one organisation per case, one layer per sensitivity.
enum World {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let day: TimeInterval = 86_400

    enum AuditCase: String, CaseIterable {
        case certified, conditionalValid, conditionalLapsed, notAudited
        var status: AuditStatus {
            switch self {
            case .certified: .certified
            case .conditionalValid: .conditional(until: World.now + 30 * World.day)
            case .conditionalLapsed: .conditional(until: World.now - World.day)
            case .notAudited: .notAudited
            }
        }
        var valid: Bool { self == .certified || self == .conditionalValid }
    }

    static func organisation(_ id: String, _ profile: Profile, _ audit: AuditStatus, reach: Reach = .regional,
                             regions: [String] = ["VR09"]) -> Organisation {
        let task: CoreTask = switch profile {
        case .kern, .structureel, .koppel: .beheerder
        case .standby: .dienstverlener
        case .adhoc: .incidenteel
        }
        return Organisation(id: id, name: id, coreTask: task, profile: profile, audit: audit, reach: reach,
                            regions: reach == .national ? [] : regions, adoptionRegion: regions.first ?? "VR09")
    }

    /// The owner of every test layer: a certified kern partner.
    static let owner = organisation("owner", .kern, .certified)

    static func layer(_ s: Sensitivity, owner: String = "owner") -> LayerConditions {
        LayerConditions(layer: "layer_\(s.rawValue)", owner: owner, sensitivity: s)
    }

    /// An exercise running around `now`, in VR09, with `attached` attached for the whole of it.
    static func activity(attached: [String], from: Date = now - day, until: Date = now + day) -> Activity {
        Activity(id: "exercise", name: "Oefening", kind: .exercise, regions: ["VR09"],
                 area: .box(minLon: 5.0, minLat: 52.0, maxLon: 5.2, maxLat: 52.1), start: now - 2 * day, end: now + 2 * day,
                 attachments: attached.map { Attachment(organisation: $0, from: from, until: until) })
    }
}
