import Foundation

/// An item's id, unique within the service (e.g. `rp-<random hex>`; given by the caller of ``RegionPicture/submit(_:)``).
public typealias ItemID = String

/// A threat: what may happen, where and when, and how bad.
public struct Threat: Codable, Sendable, Hashable {
    public var hazard: Hazard
    public var area: RiskArea
    /// Chance that it happens, 0...1, when the source gives one (CAP carries it as a parameter).
    public var likelihood: Double?
    public var severity: Severity
    public var urgency: Urgency
    public var certainty: Certainty
    /// A short title.
    public var headline: String
    /// The expected effects, in words.
    public var expectedEffects: String
    /// The threat applies in `[validFrom, validUntil)`; without an end it applies until cancelled.
    public var validFrom: Date
    public var validUntil: Date?

    public init(hazard: Hazard, area: RiskArea, likelihood: Double? = nil, severity: Severity, urgency: Urgency, certainty: Certainty,
                headline: String, expectedEffects: String, validFrom: Date, validUntil: Date? = nil) {
        self.hazard = hazard
        self.area = area
        self.likelihood = likelihood
        self.severity = severity
        self.urgency = urgency
        self.certainty = certainty
        self.headline = headline
        self.expectedEffects = expectedEffects
        self.validFrom = validFrom
        self.validUntil = validUntil
    }
}

/// A feature of a layer: the asset an effect is about. Feature ids are only stable within a
/// layer version, so the service records the version and the asset's position (WGS 84) when it
/// takes the effect: what the effect is about stays known when the layer changes, and who may
/// see the effect follows from the layer's read decision and that position.
public struct AssetRef: Codable, Sendable, Hashable {
    public var layer: String
    public var feature: Int64
    /// The layer version the feature id belongs to.
    public var version: Int?
    /// The asset's position (a point, or its geometry's centre) in WGS 84.
    public var position: XY?

    public init(layer: String, feature: Int64, version: Int? = nil, position: XY? = nil) {
        self.layer = layer
        self.feature = feature
        self.version = version
        self.position = position
    }
}

/// An effect of a threat on a partner's system: on an asset (a feature of a layer) or an area.
public struct Effect: Codable, Sendable, Hashable {
    /// The threat (any item of its supersession chain).
    public var threat: ItemID
    public var asset: AssetRef?
    public var area: RiskArea?
    /// What happens, in words.
    public var consequence: String
    /// How long the consequence is expected to last, in seconds.
    public var expectedDurationSeconds: Int?

    public init(threat: ItemID, asset: AssetRef? = nil, area: RiskArea? = nil, consequence: String, expectedDurationSeconds: Int? = nil) {
        self.threat = threat
        self.asset = asset
        self.area = area
        self.consequence = consequence
        self.expectedDurationSeconds = expectedDurationSeconds
    }
}

/// What an item says.
public enum Content: Codable, Sendable, Hashable {
    case threat(Threat)
    case effect(Effect)

    /// `threat` or `effect`.
    public var kind: String {
        switch self {
        case .threat: "threat"
        case .effect: "effect"
        }
    }
}

/// A contribution to a region's picture: new content (possibly replacing an item of the
/// picture), or the cancellation of an item.
public struct Contribution: Codable, Sendable, Hashable {
    public enum Action: Codable, Sendable, Hashable {
        /// New content; `supersedes` names the published item it replaces (an update).
        case add(Content, supersedes: ItemID?)
        /// Withdraws a published item (and, for a threat, its effects) with a reason.
        case cancel(ItemID, reason: String)
    }

    public var id: ItemID
    /// The safety region whose picture it is for (`VR01`...`VR25`).
    public var region: String
    public var action: Action
    /// The source organisation and the author (a user id).
    public var organisation: String
    public var author: String
    public var submittedAt: Date
    /// The message it came in as, when it came from another system: a CAP alert's
    /// `sender,identifier,sent`. Later CAP updates and cancels refer to it.
    public var externalReference: String?

    public init(id: ItemID, region: String, action: Action, organisation: String, author: String, submittedAt: Date,
                externalReference: String? = nil) {
        self.id = id
        self.region = region
        self.action = action
        self.organisation = organisation
        self.author = author
        self.submittedAt = submittedAt
        self.externalReference = externalReference
    }

    /// The content, for an addition.
    public var content: Content? {
        if case .add(let c, _) = action { return c }
        return nil
    }
}
