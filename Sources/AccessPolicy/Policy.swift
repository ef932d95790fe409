import Crypto
import Foundation

/// Everything access decisions depend on: organisations, users, activities, layer conditions,
/// and whether the operator allows anonymous reads. A value; every change makes a new version.
public struct Policy: Codable, Sendable, Hashable {
    public var organisations: [String: Organisation]
    public var users: [String: User]
    public var activities: [String: Activity]
    /// Layer conditions by layer id. A layer without conditions is readable by no one.
    public var layers: [String: LayerConditions]
    /// Operator setting: anonymous callers may read open layers.
    public var anonymousAccess: Bool

    public init(organisations: [Organisation] = [], users: [User] = [], activities: [Activity] = [],
                layers: [LayerConditions] = [], anonymousAccess: Bool = false) {
        self.organisations = Dictionary(organisations.map { ($0.id, $0) }, uniquingKeysWith: { $1 })
        self.users = Dictionary(users.map { ($0.id, $0) }, uniquingKeysWith: { $1 })
        self.activities = Dictionary(activities.map { ($0.id, $0) }, uniquingKeysWith: { $1 })
        self.layers = Dictionary(layers.map { ($0.layer, $0) }, uniquingKeysWith: { $1 })
        self.anonymousAccess = anonymousAccess
    }

    /// The 25 safety-region codes.
    public static let regionCodes: [String] = (1...25).map { String(format: "VR%02d", $0) }

    /// Referential and domain checks; empty when the policy is consistent.
    public func problems() -> [String] {
        var out: [String] = []
        let known = Set(Self.regionCodes)
        func checkID(_ kind: String, _ id: String) {
            let ok = !id.isEmpty && id.count <= 64 && id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
            if !ok { out.append("\(kind) id \"\(id)\" must be 1-64 letters, digits, '-', '_' or '.'") }
        }
        for o in organisations.values.sorted(by: { $0.id < $1.id }) {
            checkID("organisation", o.id)
            for r in o.regions + [o.adoptionRegion] where !known.contains(r) {
                out.append("organisation \(o.id): \"\(r)\" is not a safety-region code (VR01-VR25)")
            }
            switch o.reach {
            case .regional where !(1...2).contains(o.regions.count):
                out.append("organisation \(o.id): a regional partner works in 1 or 2 regions, not \(o.regions.count)")
            case .supraRegional where o.regions.count < 3:
                out.append("organisation \(o.id): a supra-regional partner works in 3 or more regions, not \(o.regions.count)")
            default: break
            }
            if o.reach != .national, !o.regions.contains(o.adoptionRegion) {
                out.append("organisation \(o.id): the adoption region \(o.adoptionRegion) is not one of its regions")
            }
        }
        for u in users.values.sorted(by: { $0.id < $1.id }) {
            checkID("user", u.id)
            if organisations[u.organisation] == nil { out.append("user \(u.id): unknown organisation \"\(u.organisation)\"") }
            for case .informationManager(let r) in u.roles where !known.contains(r) {
                out.append("user \(u.id): information-manager region \"\(r)\" is not a safety-region code")
            }
        }
        for a in activities.values.sorted(by: { $0.id < $1.id }) {
            checkID("activity", a.id)
            if a.end <= a.start { out.append("activity \(a.id): end must be after start") }
            if a.regions.isEmpty { out.append("activity \(a.id): needs at least one region") }
            for r in a.regions where !known.contains(r) { out.append("activity \(a.id): \"\(r)\" is not a safety-region code") }
            if let problem = a.area?.problem { out.append("activity \(a.id): \(problem)") }
            for t in a.attachments {
                if organisations[t.organisation] == nil { out.append("activity \(a.id): unknown organisation \"\(t.organisation)\"") }
                if t.until <= t.from { out.append("activity \(a.id): attachment of \(t.organisation) must end after it starts") }
            }
        }
        for l in layers.values.sorted(by: { $0.layer < $1.layer }) {
            if organisations[l.owner] == nil { out.append("layer \(l.layer): unknown owner organisation \"\(l.owner)\"") }
            for key in l.hiddenAttributes.keys where Profile(rawValue: key) == nil {
                out.append("layer \(l.layer): hidden attributes for unknown profile \"\(key)\"")
            }
        }
        return out
    }

    /// The canonical JSON form: sorted keys, dates as seconds since 1970. Equal policies give equal bytes.
    public func canonicalJSON() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .secondsSince1970
        // Encoding plain value types with String keys cannot fail.
        return (try? encoder.encode(self)) ?? Data()
    }

    /// Decodes ``canonicalJSON()``.
    public static func decode(canonicalJSON data: Data) throws -> Policy {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return try decoder.decode(Policy.self, from: data)
    }
}

/// A policy with its hash: the version every decision names.
public struct PolicyVersion: Sendable {
    public let policy: Policy
    /// SHA-256 of the canonical JSON, hex.
    public let hash: String

    public init(_ policy: Policy) {
        self.policy = policy
        self.hash = SHA256.hash(data: policy.canonicalJSON()).map { String(format: "%02x", $0) }.joined()
    }
}
