import AccessPolicy
import Foundation

/// The demo's organisations, users and activity: a realistic cast around the safety region
/// Utrecht (VR09), with the owners of the demo layers among them.
public enum DemoCast {
    /// One cast member with a freshly issued token.
    public struct Member: Sendable {
        public var user: String
        public var organisation: String
        public var description: String
        public var token: String
    }

    static let actor = AccessActor(subject: "demo", organisation: "(demo set-up)")

    static func organisations(now: Date) -> [Organisation] {
        [
            Organisation(id: "ifv", name: "Instituut Fysieke Veiligheid (platform operator)", coreTask: .hulpdienst, profile: .kern,
                         audit: .certified, reach: .national, regions: [], adoptionRegion: "VR09"),
            Organisation(id: "vr-utrecht", name: "Veiligheidsregio Utrecht", coreTask: .hulpdienst, profile: .kern,
                         audit: .certified, reach: .regional, regions: ["VR09"], adoptionRegion: "VR09"),
            Organisation(id: "hdsr", name: "Hoogheemraadschap De Stichtse Rijnlanden", coreTask: .beheerder, profile: .structureel,
                         audit: .certified, reach: .regional, regions: ["VR09", "VR16"], adoptionRegion: "VR09"),
            Organisation(id: "vitens", name: "Vitens (drinkwater)", coreTask: .beheerder, profile: .kern, audit: .certified,
                         reach: .supraRegional, regions: ["VR02", "VR04", "VR05", "VR06", "VR09", "VR25"], adoptionRegion: "VR09"),
            Organisation(id: "stedin", name: "Stedin (gas)", coreTask: .beheerder, profile: .kern,
                         audit: .conditional(until: now + 60 * 86_400), reach: .regional, regions: ["VR09", "VR17"], adoptionRegion: "VR09"),
            Organisation(id: "dewaard", name: "Aannemingsbedrijf De Waard (standby)", coreTask: .dienstverlener, profile: .standby,
                         audit: .certified, reach: .regional, regions: ["VR09"], adoptionRegion: "VR09"),
            Organisation(id: "dorpsraad", name: "Dorpsraad Vianen (ad hoc)", coreTask: .incidenteel, profile: .adhoc,
                         audit: .notAudited, reach: .regional, regions: ["VR09"], adoptionRegion: "VR09"),
            Organisation(id: "locc", name: "Landelijk Operationeel Coördinatiecentrum", coreTask: .hulpdienst, profile: .kern,
                         audit: .certified, reach: .national, regions: [], adoptionRegion: "VR09"),
        ]
    }

    static let users: [(User, String)] = [
        (User(id: "admin", name: "Beheerder platform", organisation: "ifv", roles: [.administrator]), "administrator"),
        (User(id: "reviewer", name: "Security reviewer", organisation: "ifv", roles: [.securityReviewer]), "security reviewer"),
        (User(id: "im-utrecht", name: "Informatiemanager VR Utrecht", organisation: "vr-utrecht",
              roles: [.informationManager(region: "VR09"), .viewer]), "information manager of VR09 (kern, certified, regional)"),
        (User(id: "hdsr-editor", name: "Waterschap HDSR", organisation: "hdsr", roles: [.viewer, .editor]),
         "water board (structureel, certified, VR09+VR16)"),
        (User(id: "vitens-editor", name: "Vitens GIS", organisation: "vitens", roles: [.viewer, .editor, .layerAdministrator]),
         "drinking-water company (kern, certified, supra-regional; owns water_facilities and protection_zones)"),
        (User(id: "stedin-viewer", name: "Stedin meldkamer", organisation: "stedin", roles: [.viewer, .editor]),
         "gas company (kern, conditional audit for 60 days; owns gas_stations)"),
        (User(id: "standby-viewer", name: "De Waard uitvoerder", organisation: "dewaard", roles: [.viewer]),
         "standby contractor attached to the exercise oefening-lekdijk"),
        (User(id: "adhoc-viewer", name: "Dorpsraad Vianen", organisation: "dorpsraad", roles: [.viewer]),
         "ad-hoc partner (no access to the system)"),
        (User(id: "locc-viewer", name: "LOCC officier van dienst", organisation: "locc", roles: [.viewer]),
         "national node (kern, certified, all regions)"),
    ]

    /// The owners and conditions of the demo layers.
    static let layers: [LayerConditions] = [
        LayerConditions(layer: "safety_regions", owner: "ifv", sensitivity: .open, clipToRegions: false),
        LayerConditions(layer: "municipalities", owner: "ifv", sensitivity: .open, clipToRegions: false),
        LayerConditions(layer: "bag_addresses", owner: "ifv", sensitivity: .open, clipToRegions: false),
        LayerConditions(layer: "hydrants", owner: "vr-utrecht", sensitivity: .restricted,
                        hiddenAttributes: [.standby: ["capacity_m3h", "inspected"]]),
        LayerConditions(layer: "gas_stations", owner: "stedin", sensitivity: .restricted,
                        hiddenAttributes: [.standby: ["inlet_bar", "outlet_bar"]]),
        LayerConditions(layer: "water_facilities", owner: "vitens", sensitivity: .confidential, allowedProfiles: [.kern, .structureel, .standby],
                        hiddenAttributes: [.structureel: ["capacity_m3d"], .standby: ["capacity_m3d"]]),
        LayerConditions(layer: "protection_zones", owner: "vitens", sensitivity: .confidential, allowedProfiles: [.kern, .structureel]),
    ]

    /// Writes the cast into the policy when it has no organisations yet, then issues a fresh
    /// 30-day token for every cast member (tokens are shown once; earlier demo tokens stay valid until they expire).
    public static func apply(_ access: AccessStore, now: Date = Date(), issueTokens: Bool = true) throws -> [Member] {
        if try access.current().policy.organisations.isEmpty {
            try access.change(by: actor, resource: "system", summary: "demo cast: organisations, users, activity, layer conditions", at: now) { p in
                for o in organisations(now: now) { p.organisations[o.id] = o }
                for (u, _) in users { p.users[u.id] = u }
                for c in layers { p.layers[c.layer] = c }
                p.activities["oefening-lekdijk"] = Activity(
                    id: "oefening-lekdijk", name: "Oefening hoogwater Lekdijk", kind: .exercise, regions: ["VR09"],
                    area: .box(minLon: 4.95, minLat: 51.93, maxLon: 5.30, maxLat: 52.06), start: now - 3600, end: now + 7 * 86_400,
                    attachments: [Attachment(organisation: "dewaard", from: now - 3600, until: now + 7 * 86_400)])
            }
        }
        guard issueTokens else { return [] }
        return try users.map { user, description in
            let issued = try access.issueToken(for: user.id, label: "demo", expiresAt: now + 30 * 86_400, by: actor, at: now)
            return Member(user: user.id, organisation: user.organisation, description: description, token: issued.token)
        }
    }
}
