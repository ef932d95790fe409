import Foundation

/// The partner's core task (kerntaak) in the policy framework.
public enum CoreTask: String, Codable, Sendable, CaseIterable {
    /// A: emergency service.
    case hulpdienst
    /// B: operator responsible for a system, area or object (incl. vital partners).
    case beheerder
    /// C: service provider with expertise or capacity.
    case dienstverlener
    /// D: incidental partner without a core task.
    case incidenteel
}

/// The collaboration profile (samenwerkingsprofiel); it fixes the partner's rights (framework, table 1).
public enum Profile: String, Codable, Sendable, CaseIterable, Comparable {
    /// Core: reads the shared picture, writes its own layers.
    case kern
    /// Structural: reads, submits for the region's approval.
    case structureel
    /// Liaison: no access to the system.
    case koppel
    /// Standby: reads only inside the activities it is attached to, while attached.
    case standby
    /// Ad hoc: no access to the system.
    case adhoc

    public static func < (a: Profile, b: Profile) -> Bool { a.rawValue < b.rawValue }
}

/// How layer content is classified by its owner. Ordered: `open < restricted < confidential`.
public enum Sensitivity: String, Codable, Sendable, CaseIterable, Comparable {
    /// May be shown to anyone with access to the service.
    case open
    /// Crisis organisation only.
    case restricted
    /// Need-to-know, audited partners only.
    case confidential

    private var rank: Int { Self.allCases.firstIndex(of: self)! }
    public static func < (a: Sensitivity, b: Sensitivity) -> Bool { a.rank < b.rank }
}

/// The outcome of the partnership audit (toetsing).
public enum AuditStatus: Codable, Sendable, Hashable {
    /// Gecertificeerd: the profile applies.
    case certified
    /// Voorwaardelijk: the profile applies until the re-audit date; from that moment on the
    /// organisation counts as not audited.
    case conditional(until: Date)
    /// Not audited, or not per the chosen profile.
    case notAudited

    /// True when the audit counts at `time`.
    public func isValid(at time: Date) -> Bool {
        switch self {
        case .certified: true
        case .conditional(let until): time < until
        case .notAudited: false
        }
    }
}

/// How many regions a partner works with.
public enum Reach: String, Codable, Sendable, CaseIterable {
    /// One or two regions.
    case regional
    /// Three or more regions, territorially bound.
    case supraRegional = "supra-regional"
    /// Any region.
    case national
}

/// A partner organisation.
public struct Organisation: Codable, Sendable, Hashable, Identifiable {
    public var id: String
    public var name: String
    public var coreTask: CoreTask
    public var profile: Profile
    public var audit: AuditStatus
    public var reach: Reach
    /// Safety-region codes (`VR01`...`VR25`) the organisation works in; ignored for national reach.
    public var regions: [String]
    /// The region that makes agreements on behalf of all regions the partner works in.
    public var adoptionRegion: String

    public init(id: String, name: String, coreTask: CoreTask, profile: Profile, audit: AuditStatus,
                reach: Reach, regions: [String], adoptionRegion: String) {
        self.id = id
        self.name = name
        self.coreTask = coreTask
        self.profile = profile
        self.audit = audit
        self.reach = reach
        self.regions = regions.sorted()
        self.adoptionRegion = adoptionRegion
    }
}

/// What a user may do inside its organisation's rights.
public enum Role: Codable, Sendable, Hashable, Comparable {
    /// Reads layers.
    case viewer
    /// Reads layers and uploads versions of its organisation's layers.
    case editor
    /// Informatiemanager of a region: reads, and approves structural partners' submissions there.
    case informationManager(region: String)
    /// Sets the conditions of its own organisation's layers; reads and uploads them.
    case layerAdministrator
    /// Reads the explanations, the permission matrix and the audit log; no layer data.
    case securityReviewer
    /// Manages organisations, users, tokens, activities and layer conditions; no layer data.
    case administrator

    /// Roles that let a user read layer data (need-to-know: reviewers and administrators do not).
    public var readsLayers: Bool {
        switch self {
        case .viewer, .editor, .informationManager, .layerAdministrator: true
        case .securityReviewer, .administrator: false
        }
    }

    /// Roles that let a user upload versions of its organisation's layers.
    public var writesLayers: Bool {
        switch self {
        case .editor, .layerAdministrator: true
        default: false
        }
    }

    /// A stable text form, e.g. `information-manager:VR09`.
    public var text: String {
        switch self {
        case .viewer: "viewer"
        case .editor: "editor"
        case .informationManager(let region): "information-manager:\(region)"
        case .layerAdministrator: "layer-administrator"
        case .securityReviewer: "security-reviewer"
        case .administrator: "administrator"
        }
    }

    /// Parses ``text``.
    public init?(text: String) {
        switch text {
        case "viewer": self = .viewer
        case "editor": self = .editor
        case "layer-administrator": self = .layerAdministrator
        case "security-reviewer": self = .securityReviewer
        case "administrator": self = .administrator
        default:
            let prefix = "information-manager:"
            guard text.hasPrefix(prefix), text.count > prefix.count else { return nil }
            self = .informationManager(region: String(text.dropFirst(prefix.count)))
        }
    }

    public static func < (a: Role, b: Role) -> Bool { a.text < b.text }
}

/// A person (or system account) of one organisation.
public struct User: Codable, Sendable, Hashable, Identifiable {
    public var id: String
    public var name: String
    public var organisation: String
    public var roles: [Role]

    public init(id: String, name: String, organisation: String, roles: [Role]) {
        self.id = id
        self.name = name
        self.organisation = organisation
        self.roles = Array(Set(roles)).sorted()
    }
}

/// A standby partner's attachment to an activity, for a time window `[from, until)`.
public struct Attachment: Codable, Sendable, Hashable {
    public var organisation: String
    public var from: Date
    public var until: Date

    public init(organisation: String, from: Date, until: Date) {
        self.organisation = organisation
        self.from = from
        self.until = until
    }

    func isActive(at time: Date) -> Bool { from <= time && time < until }
}

/// An incident or exercise.
public struct Activity: Codable, Sendable, Hashable, Identifiable {
    public enum Kind: String, Codable, Sendable { case incident, exercise }
    public var id: String
    public var name: String
    public var kind: Kind
    /// The safety regions the activity runs in.
    public var regions: [String]
    /// The area of operations; when nil the activity's regions are its area.
    public var area: Area?
    /// The activity runs in `[start, end)`.
    public var start: Date
    public var end: Date
    public var attachments: [Attachment]

    public init(id: String, name: String, kind: Kind, regions: [String], area: Area?, start: Date, end: Date, attachments: [Attachment]) {
        self.id = id
        self.name = name
        self.kind = kind
        self.regions = regions.sorted()
        self.area = area
        self.start = start
        self.end = end
        self.attachments = attachments
    }

    func isRunning(at time: Date) -> Bool { start <= time && time < end }
}

/// The conditions the owner organisation sets on a layer.
public struct LayerConditions: Codable, Sendable, Hashable {
    public var layer: String
    /// The owner organisation's id.
    public var owner: String
    public var sensitivity: Sensitivity
    /// Profiles that may read the layer at all (the system rules still apply: koppel and adhoc never read).
    public var allowedProfiles: [Profile]
    /// When true, readers need a valid audit even for an open or restricted layer.
    public var auditRequired: Bool
    /// When true, regional and supra-regional readers see only the features inside their regions.
    public var clipToRegions: Bool
    /// Attribute names hidden from readers, keyed by profile name (`kern`, `standby`, ...);
    /// the owner always sees everything. Anonymous readers never see an attribute hidden from any profile.
    public var hiddenAttributes: [String: [String]]

    /// Defaults: readable by kern, structureel and standby; audit required for confidential
    /// layers; clipped to the reader's regions; nothing hidden.
    public init(layer: String, owner: String, sensitivity: Sensitivity,
                allowedProfiles: [Profile] = [.kern, .structureel, .standby], auditRequired: Bool? = nil,
                clipToRegions: Bool = true, hiddenAttributes: [Profile: [String]] = [:]) {
        self.layer = layer
        self.owner = owner
        self.sensitivity = sensitivity
        self.allowedProfiles = Array(Set(allowedProfiles)).sorted()
        self.auditRequired = auditRequired ?? (sensitivity == .confidential)
        self.clipToRegions = clipToRegions
        self.hiddenAttributes = Dictionary(uniqueKeysWithValues: hiddenAttributes.filter { !$0.value.isEmpty }
            .map { ($0.key.rawValue, Array(Set($0.value)).sorted()) })
    }
}
