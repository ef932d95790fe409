import Foundation

/// Who asks.
public enum Subject: Sendable, Hashable {
    /// A caller without credentials.
    case anonymous
    /// A user, by id.
    case user(String)
    /// Any user of this organisation holding the viewer and editor roles: the organisation's
    /// own rights, as the permission matrix shows them.
    case member(organisation: String)

    /// `anonymous` or the user id.
    public var text: String {
        switch self {
        case .anonymous: "anonymous"
        case .user(let id): id
        case .member(let org): "member-of:\(org)"
        }
    }
}

/// What the subject wants to do.
public enum Action: String, Sendable, Hashable, CaseIterable, Codable {
    /// Read layer data or metadata (tiles, features, TileJSON, listings).
    case read
    /// Upload a new version of a layer (or create it).
    case write
    /// Approve a structural partner's staged upload (information manager of its region).
    case approve
    /// Change a layer's conditions.
    case setConditions = "set-conditions"
    /// Manage organisations, users, tokens and activities.
    case administer
    /// Read explanations, the permission matrix and the audit log.
    case review
}

/// What the action is about.
public enum Resource: Sendable, Hashable {
    /// A layer, by id; for `write` the layer may not exist yet.
    case layer(String)
    /// A safety region's current risk picture (`VR01`...`VR25`): read it, contribute to it
    /// (`write`), verify and publish it (`approve`).
    case picture(region: String)
    /// The system itself (administer, review).
    case system

    public var text: String {
        switch self {
        case .layer(let id): "layer:\(id)"
        case .picture(let region): "picture:\(region)"
        case .system: "system"
        }
    }
}

/// Where an allowed read may see features.
public enum SpatialFilter: Codable, Sendable, Hashable {
    /// Nowhere (the decision denies).
    case nowhere
    /// No spatial restriction.
    case everywhere
    /// The union of these safety regions and activity areas.
    case within(regions: [String], areas: [Area])

    /// True when every place this filter admits is admitted by `other` (a sufficient test on
    /// the region codes and areas, which is exact for the filters `decide` produces).
    public func isWithin(_ other: SpatialFilter) -> Bool {
        switch (self, other) {
        case (.nowhere, _), (_, .everywhere): return true
        case (_, .nowhere), (.everywhere, _): return false
        case (.within(let r1, let a1), .within(let r2, let a2)):
            return Set(r1).isSubset(of: r2) && Set(a1).isSubset(of: a2)
        }
    }

    /// A short description for explanations and the permission matrix.
    public var text: String {
        switch self {
        case .nowhere: "nowhere"
        case .everywhere: "everywhere"
        case .within(let regions, let areas):
            (regions + (areas.isEmpty ? [] : ["\(areas.count) activity area(s)"])).joined(separator: ", ")
        }
    }
}

/// The answer of ``PolicyVersion/decide(_:_:_:at:)``.
public struct Decision: Sendable, Hashable, Codable {
    /// Allow or deny.
    public var allowed: Bool
    /// Why, in words a reviewer can check, in the order the rules were applied.
    public var reasons: [String]
    /// The ids of the rules that fired (see ``Rule``).
    public var rules: [String]
    /// Where an allowed read may see features; `.nowhere` when denied.
    public var filter: SpatialFilter
    /// Attributes the subject may not see.
    public var hiddenAttributes: [String]
    /// The hash of the policy version used.
    public var policyHash: String
    /// For an allowed write: the upload waits for an information manager's approval.
    public var requiresApproval: Bool
    /// The decision may change at this moment (an audit lapses, an attachment or activity
    /// starts or ends); nil when only a policy change can change it.
    public var validUntil: Date?
}

/// The rules `decide` applies, by id. A reviewer reads the whole policy here.
public enum Rule {
    public static let all: [(id: String, text: String)] = [
        ("deny-default", "Nothing is allowed unless a rule below allows it."),
        ("anonymous-off", "Anonymous access is off (the operator's setting)."),
        ("anonymous-open", "With anonymous access on, anonymous callers read open layers only, without attributes hidden from any profile."),
        ("subject-unknown", "The user or its organisation is not in the policy."),
        ("layer-no-conditions", "A layer whose owner set no conditions is readable by no one."),
        ("profile-no-access", "Koppel and ad-hoc partners have no access to the system (framework table 1)."),
        ("role-no-read", "Only viewers, editors, information managers and layer administrators read layer data; reviewers and administrators do not (need-to-know)."),
        ("owner-reads", "The owner organisation reads its own layer everywhere, all attributes."),
        ("layer-profile", "The layer's owner allows only the listed profiles."),
        ("audit-required", "Confidential layers, and layers whose owner requires it, need a certified audit or a conditional audit before its re-audit date."),
        ("profile-reads", "Kern and structureel partners read the shared picture."),
        ("standby-attached", "Standby partners read only inside the activities they are attached to, while attached and while the activity runs."),
        ("standby-not-attached", "A standby partner not attached to a running activity reads nothing."),
        ("reach-national", "National partners read all regions."),
        ("clip-regions", "Regional and supra-regional partners read only inside their regions when the layer is clipped."),
        ("regions-disjoint", "A regional or supra-regional partner that shares no region with the owner of a clipped layer reads nothing of it: the layer does not exist for it."),
        ("no-clip", "The layer is not clipped to the reader's regions."),
        ("hidden-attributes", "The owner hides these attributes from the reader's profile."),
        ("picture-task", "Risk pictures are read by emergency services (core task hulpdienst) and operators (beheerder) with a kern or structureel profile, and by attached standby partners."),
        ("picture-emergency-service", "Emergency services read the pictures of the regions they work in."),
        ("picture-operator-audited", "Operators and vital partners read the pictures of their regions only while audited (certified, or conditional before its date)."),
        ("picture-region", "A partner reads the pictures of the regions it works in; national partners read all regions."),
        ("picture-standby-attached", "Standby partners read the pictures of the regions of the running activities they are attached to, while attached."),
        ("picture-manager", "An information manager of a region reads, verifies and publishes that region's picture."),
        ("picture-contribute", "Contributing to a picture needs its read right and an editor role (standby partners do not contribute)."),
        ("role-no-write", "Only editors and layer administrators upload."),
        ("write-not-owner", "Only the owner organisation uploads versions of a layer."),
        ("write-kern", "Kern partners write their own layers, and may create new ones."),
        ("write-structureel-submit", "Structureel partners submit uploads for the approval of an information manager of their region."),
        ("write-profile", "Koppel, standby and ad-hoc partners do not write."),
        ("approve-region", "An information manager approves submissions to layers of partners working in the manager's region."),
        ("approve-structureel", "Information managers approve versions of structureel partners only; a kern partner's writers publish, discard and roll back its own versions."),
        ("approve-read", "An information manager approves only versions of layers it may read itself."),
        ("conditions-owner", "A layer administrator of the owner organisation, or an administrator, sets a layer's conditions."),
        ("administrator", "Administrators manage organisations, users, tokens, activities and layer conditions."),
        ("security-reviewer", "Security reviewers read explanations, the permission matrix and the audit log."),
    ]
}
