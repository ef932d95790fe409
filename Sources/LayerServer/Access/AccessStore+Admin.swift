import AccessPolicy
import Foundation

/// The administration operations, shared by the HTTP API and the CLI. Each is one policy
/// change with its audit record; the caller has already checked the actor's rights.
extension AccessStore {
    /// JSON as the HTTP API and the audit log show it: sorted keys, ISO 8601 dates.
    public static func apiJSON(_ value: some Encodable) -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .iso8601
        return String(decoding: (try? e.encode(value)) ?? Data(), as: UTF8.self)
    }

    /// A decoder for the HTTP API's JSON bodies and the bootstrap file.
    public static func apiDecoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return d
    }

    @discardableResult
    public func put(_ o: Organisation, by actor: AccessActor, at time: Date = Date()) throws -> PolicyVersion {
        try set("organisation", o.id, o, by: actor, at: time) { $0.organisations[o.id] = o }
    }

    @discardableResult
    public func put(_ u: User, by actor: AccessActor, at time: Date = Date()) throws -> PolicyVersion {
        try set("user", u.id, u, by: actor, at: time) { $0.users[u.id] = u }
    }

    @discardableResult
    public func put(_ a: Activity, by actor: AccessActor, at time: Date = Date()) throws -> PolicyVersion {
        try set("activity", a.id, a, by: actor, at: time) { $0.activities[a.id] = a }
    }

    /// A layer's conditions; audited under `layer:<id>`, so a reviewer finds them with the layer's reads.
    @discardableResult
    public func put(_ c: LayerConditions, by actor: AccessActor, at time: Date = Date()) throws -> PolicyVersion {
        try set("layer", c.layer, c, by: actor, at: time) { $0.layers[c.layer] = c }
    }

    /// One "set" change: audited as `<kind>:<id>` with the new value as JSON.
    private func set(_ kind: String, _ id: String, _ value: some Encodable, by actor: AccessActor, at time: Date,
                     _ apply: @escaping (inout Policy) -> Void) throws -> PolicyVersion {
        try change(by: actor, resource: "\(kind):\(id)", summary: "set \(kind) \(id): \(Self.apiJSON(value))", at: time, apply)
    }

    /// What ``remove(_:_:by:at:)`` removes.
    public enum Kind: String, Sendable, CaseIterable {
        case organisation, user, activity, conditions
    }

    /// Removes an organisation (refused while users or layers refer to it), a user, an
    /// activity or a layer's conditions (the layer is then readable by no one).
    @discardableResult
    public func remove(_ kind: Kind, _ id: String, by actor: AccessActor, at time: Date = Date()) throws -> PolicyVersion {
        let resource = kind == .conditions ? "layer:\(id)" : "\(kind.rawValue):\(id)"
        return try store.withDatabaseError("changing the access policy") {
            try store.pool.write { db in
                let version = try Self.change(db, by: actor, resource: resource, summary: "remove \(kind.rawValue) \(id)", at: time) { p in
                    let existed: Bool = switch kind {
                    case .organisation: p.organisations.removeValue(forKey: id) != nil
                    case .user: p.users.removeValue(forKey: id) != nil
                    case .activity: p.activities.removeValue(forKey: id) != nil
                    case .conditions: p.layers.removeValue(forKey: id) != nil
                    }
                    guard existed else { throw StoreError(.notFound, "no \(kind.rawValue) \"\(id)\"") }
                }
                // A removed user's tokens die with it: re-creating the id must not revive them.
                if kind == .user {
                    try db.execute(sql: "UPDATE ls_token SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
                                   arguments: [LayerStore.timestamp(time), id])
                }
                return version
            }
        }
    }
}
