import Foundation
import RiskPicture

/// The JSON body of `POST /pictures/{region}/contributions`:
///
/// ```json
/// {"type": "threat", "hazard": "high-water", "area": {"crs": "EPSG:28992", "polygons": [[[x, y], ...]],
///  "circles": [{"center": [x, y], "radiusMetres": 2000}]}, "likelihood": 0.3, "severity": "Severe",
///  "urgency": "Expected", "certainty": "Likely", "headline": "...", "expectedEffects": "...",
///  "validFrom": "2026-12-01T12:00:00Z", "validUntil": "...", "supersedes": "rp-..."}
/// {"type": "effect", "threat": "rp-...", "asset": {"layer": "water_facilities", "feature": 17},
///  "consequence": "...", "expectedDurationSeconds": 172800}
/// {"type": "cancel", "item": "rp-...", "reason": "..."}
/// ```
struct ContributionBody: Decodable, Sendable {
    struct AreaBody: Decodable, Sendable {
        var crs: AreaCRS?
        var polygons: [[[XY]]]?
        var circles: [Circle]?

        func area() throws -> RiskArea {
            try RiskArea(crs: crs ?? .wgs84, given: Shape(polygons: polygons ?? [], circles: circles ?? []))
        }
    }

    struct AssetBody: Decodable, Sendable {
        var layer: String
        var feature: Int64
    }

    var type: String
    // Threat
    var hazard: Hazard?
    var area: AreaBody?
    var likelihood: Double?
    var severity: Severity?
    var urgency: Urgency?
    var certainty: Certainty?
    var headline: String?
    var expectedEffects: String?
    var validFrom: Date?
    var validUntil: Date?
    var supersedes: ItemID?
    // Effect
    var threat: ItemID?
    var asset: AssetBody?
    var consequence: String?
    var expectedDurationSeconds: Int?
    // Cancel
    var item: ItemID?
    var reason: String?

    /// The domain's contribution action, or a 400 that names what is missing.
    func action() throws -> Contribution.Action {
        func need<T>(_ v: T?, _ name: String) throws -> T {
            guard let v else { throw Problem.badRequest("a \(type) needs \"\(name)\"") }
            return v
        }
        switch type {
        case "threat":
            let threat = Threat(hazard: try need(hazard, "hazard"), area: try need(area, "area").area(), likelihood: likelihood,
                                severity: severity ?? .unknown, urgency: urgency ?? .unknown, certainty: certainty ?? .unknown,
                                headline: try need(headline, "headline"), expectedEffects: expectedEffects ?? "",
                                validFrom: try need(validFrom, "validFrom"), validUntil: validUntil)
            return .add(.threat(threat), supersedes: supersedes)
        case "effect":
            let effect = Effect(threat: try need(threat, "threat"), asset: asset.map { AssetRef(layer: $0.layer, feature: $0.feature) },
                                area: try area.map { try $0.area() }, consequence: try need(consequence, "consequence"),
                                expectedDurationSeconds: expectedDurationSeconds)
            return .add(.effect(effect), supersedes: supersedes)
        case "cancel":
            return .cancel(try need(item, "item"), reason: try need(reason, "reason"))
        default:
            throw Problem.badRequest("type must be threat, effect or cancel, got \"\(type)\"")
        }
    }
}

/// An item as the picture routes show it: its contribution, source, state and history.
struct ItemDocument: Encodable {
    var id: ItemID
    var region: String
    /// `threat`, `effect` or `cancel`.
    var kind: String
    var state: ItemState
    var organisation: String
    var author: String
    var submittedAt: Date
    var threat: Threat?
    var effect: Effect?
    var supersedes: ItemID?
    var cancels: ItemID?
    var reason: String?
    var history: [StateChange]

    init(_ item: Item) {
        let c = item.contribution
        id = item.id
        region = c.region
        organisation = c.organisation
        author = c.author
        submittedAt = c.submittedAt
        state = item.state
        history = item.history
        switch c.action {
        case .add(let content, let old):
            kind = content.kind
            switch content {
            case .threat(let t): threat = t
            case .effect(let e): effect = e
            }
            supersedes = old
        case .cancel(let target, let why):
            kind = "cancel"
            cancels = target
            reason = why
        }
    }
}

/// A published version of a region's picture, with the items the caller may see.
struct VersionDocument: Encodable {
    var region: String
    var version: Int
    var publishedAt: Date
    var publishedBy: String
    var items: [ItemDocument]
}

/// The data of a live event: a published version as the subscriber may see it.
struct PictureEvent: Encodable {
    var region: String
    var version: Int
    var publishedAt: Date
    var publishedBy: String
    /// `publication` (including cancellations) or `expiry`.
    var kind: String
    var items: [ItemID]
    var diff: PictureDiff
}
