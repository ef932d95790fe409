import AccessPolicy
import Crypto
import Foundation
import GRDB

/// Who made a change: a user through the HTTP API, or the local operator through the CLI.
public struct AccessActor: Sendable, Hashable {
    public var subject: String
    public var organisation: String

    public init(subject: String, organisation: String) {
        self.subject = subject
        self.organisation = organisation
    }

    /// The operator at the console, who has the data directory in hand.
    public static func localOperator() -> AccessActor {
        AccessActor(subject: "cli:\(ProcessInfo.processInfo.environment["USER"] ?? "operator")", organisation: "(local operator)")
    }
}

/// A stored API token: never the secret, only its SHA-256.
public struct TokenRecord: Sendable, Hashable, Codable {
    public var id: String
    public var userID: String
    public var label: String
    public var createdAt: Date
    public var expiresAt: Date
    public var revokedAt: Date?
    var secretSHA256: String

    /// The secret's hash stays in the store: not in API answers or CLI output.
    enum CodingKeys: String, CodingKey { case id, userID, label, createdAt, expiresAt, revokedAt }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        userID = try c.decode(String.self, forKey: .userID)
        label = try c.decode(String.self, forKey: .label)
        createdAt = try c.decode(Date.self, forKey: .createdAt)
        expiresAt = try c.decode(Date.self, forKey: .expiresAt)
        revokedAt = try c.decodeIfPresent(Date.self, forKey: .revokedAt)
        secretSHA256 = ""
    }

    init(id: String, userID: String, label: String, createdAt: Date, expiresAt: Date, revokedAt: Date?, secretSHA256: String) {
        self.id = id
        self.userID = userID
        self.label = label
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.secretSHA256 = secretSHA256
    }
}

/// A token as issued: the only time the secret exists outside the caller's hands.
public struct IssuedToken: Sendable {
    public var record: TokenRecord
    /// `lst_<id>.<secret>`: send as `Authorization: Bearer <token>`.
    public var token: String
}

/// One stored policy version.
public struct PolicyVersionInfo: Sendable, Codable, Hashable {
    public var seq: Int
    public var hash: String
    public var createdAt: Date
    public var actor: String
    public var summary: String
}

/// The access data in the store: policy versions (every change makes one), API tokens and the
/// audit log. Every change is written in one transaction together with its audit record.
public final class AccessStore: Sendable {
    public let store: LayerStore

    public init(store: LayerStore) {
        self.store = store
    }

    // MARK: Policy

    /// The current policy (empty before the first change) and the policy generation.
    public func current() throws -> (policy: Policy, generation: Int) {
        try store.readSync { db in (try Self.loadPolicy(db), try AccessSchema.policyGeneration(db)) }
    }

    static func loadPolicy(_ db: Database) throws -> Policy {
        guard let body = try String.fetchOne(db, sql: "SELECT body FROM ls_policy_version ORDER BY seq DESC LIMIT 1") else {
            return Policy()
        }
        return try Policy.decode(canonicalJSON: Data(body.utf8))
    }

    /// A stored policy version by hash (or a unique prefix of at least 8 characters).
    public func policy(hash: String) throws -> Policy? {
        guard hash.count >= 8, hash.allSatisfy(\.isHexDigit) else {
            throw StoreError(.invalidRequest, "a policy hash is 8 to 64 hexadecimal characters, got \"\(hash)\"")
        }
        return try store.readSync { db in
            let bodies = try String.fetchAll(db, sql: "SELECT DISTINCT body FROM ls_policy_version WHERE hash LIKE ? LIMIT 2",
                                             arguments: [hash.lowercased() + "%"])
            guard bodies.count <= 1 else { throw StoreError(.invalidRequest, "policy hash prefix \(hash) is ambiguous") }
            return try bodies.first.map { try Policy.decode(canonicalJSON: Data($0.utf8)) }
        }
    }

    /// Every stored policy version, oldest first.
    public func versions() throws -> [PolicyVersionInfo] {
        try store.readSync { db in
            try Row.fetchAll(db, sql: "SELECT seq, hash, created_at, actor, summary FROM ls_policy_version ORDER BY seq").map {
                PolicyVersionInfo(seq: try $0.decode(forColumn: "seq"), hash: try $0.decode(forColumn: "hash"),
                                  createdAt: LayerStore.timestamp(try $0.decode(String.self, forColumn: "created_at")),
                                  actor: try $0.decode(forColumn: "actor"), summary: try $0.decode(forColumn: "summary"))
            }
        }
    }

    /// Applies `mutate` to the current policy and stores the result as a new version, with an
    /// audit record, in one transaction. Refused when the change introduces a problem
    /// (``Policy/problems()``).
    /// - Returns: The new policy version.
    @discardableResult
    public func change(by actor: AccessActor, resource: String, summary: String, at time: Date = Date(),
                       _ mutate: @escaping (inout Policy) throws -> Void) throws -> PolicyVersion {
        try store.withDatabaseError("changing the access policy") {
            try store.pool.write { db in
                try Self.change(db, by: actor, resource: resource, summary: summary, at: time, mutate)
            }
        }
    }

    @discardableResult
    static func change(_ db: Database, by actor: AccessActor, resource: String, summary: String, at time: Date,
                       _ mutate: (inout Policy) throws -> Void) throws -> PolicyVersion {
        let before = try loadPolicy(db)
        var after = before
        try mutate(&after)
        let introduced = Set(after.problems()).subtracting(before.problems())
        guard introduced.isEmpty else {
            throw StoreError(.invalidRequest, introduced.sorted().joined(separator: "; "))
        }
        let version = PolicyVersion(after)
        try db.execute(sql: "INSERT INTO ls_policy_version (hash, created_at, actor, summary, body) VALUES (?, ?, ?, ?, ?)",
                       arguments: [version.hash, LayerStore.timestamp(time), actor.subject, summary,
                                   String(decoding: after.canonicalJSON(), as: UTF8.self)])
        try AccessSchema.bumpPolicyGeneration(db)
        try AuditLog.append([AuditEvent(time: time, kind: .change, subject: actor.subject, organisation: actor.organisation,
                                        action: "change", resource: resource, decision: "allow", rules: [],
                                        policyHash: version.hash, detail: summary)], in: db)
        return version
    }

    // MARK: Tokens

    /// Issues a token for `userID`, valid until `expiresAt`. The secret is returned once and
    /// stored only as its SHA-256.
    public func issueToken(for userID: String, label: String, expiresAt: Date, by actor: AccessActor, at time: Date = Date()) throws -> IssuedToken {
        guard expiresAt > time else { throw StoreError(.invalidRequest, "a token must expire after it is issued") }
        let id = LayerService.hex(SymmetricKey(size: .bits128).withUnsafeBytes { Array($0.prefix(6)) })
        let secret = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let record = TokenRecord(id: id, userID: userID, label: label, createdAt: time, expiresAt: expiresAt, revokedAt: nil,
                                 secretSHA256: Credentials.digest(secret))
        try store.withDatabaseError("issuing a token") {
            try store.pool.write { db in
                let policy = try Self.loadPolicy(db)
                guard policy.users[userID] != nil else { throw StoreError(.notFound, "no user \"\(userID)\"") }
                try db.execute(sql: """
                    INSERT INTO ls_token (id, user_id, secret_sha256, label, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)
                    """, arguments: [id, userID, record.secretSHA256, label, LayerStore.timestamp(time), LayerStore.timestamp(expiresAt)])
                try AccessSchema.bumpPolicyGeneration(db)
                try AuditLog.append([AuditEvent(time: time, kind: .change, subject: actor.subject, organisation: actor.organisation,
                                                action: "issue-token", resource: "token:\(id)", decision: "allow", rules: [],
                                                policyHash: PolicyVersion(policy).hash,
                                                detail: "token \(id) for user \(userID) (\(label)), expires \(LayerStore.timestamp(expiresAt))")], in: db)
            }
        }
        return IssuedToken(record: record, token: "lst_\(id).\(secret)")
    }

    /// Revokes a token; it stops working at once on this server and within the poll interval on others.
    public func revokeToken(_ id: String, by actor: AccessActor, at time: Date = Date()) throws {
        try store.withDatabaseError("revoking a token") {
            try store.pool.write { db in
                guard try Bool.fetchOne(db, sql: "SELECT 1 FROM ls_token WHERE id = ?", arguments: [id]) == true else {
                    throw StoreError(.notFound, "no token \"\(id)\"")
                }
                try db.execute(sql: "UPDATE ls_token SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                               arguments: [LayerStore.timestamp(time), id])
                try AccessSchema.bumpPolicyGeneration(db)
                try AuditLog.append([AuditEvent(time: time, kind: .change, subject: actor.subject, organisation: actor.organisation,
                                                action: "revoke-token", resource: "token:\(id)", decision: "allow", rules: [],
                                                policyHash: PolicyVersion(try Self.loadPolicy(db)).hash, detail: "token \(id) revoked")], in: db)
            }
        }
    }

    /// Every token record (no secrets).
    public func tokens() throws -> [TokenRecord] {
        try store.readSync { db in try Self.loadTokens(db) }
    }

    static func loadTokens(_ db: Database) throws -> [TokenRecord] {
        // Decoded with errors, not traps: a damaged row fails the reload, it does not crash the server.
        try Row.fetchAll(db, sql: "SELECT * FROM ls_token ORDER BY created_at").map { row in
            let revoked: String? = try row.decode(forColumn: "revoked_at")
            return TokenRecord(id: try row.decode(forColumn: "id"), userID: try row.decode(forColumn: "user_id"),
                               label: try row.decode(forColumn: "label"),
                               createdAt: LayerStore.timestamp(try row.decode(String.self, forColumn: "created_at")),
                               expiresAt: LayerStore.timestamp(try row.decode(String.self, forColumn: "expires_at")),
                               revokedAt: revoked.map { LayerStore.timestamp($0) }, secretSHA256: try row.decode(forColumn: "secret_sha256"))
        }
    }

    // MARK: Audit

    /// Appends events to the audit log in one transaction.
    public func append(_ events: [AuditEvent]) async throws {
        guard !events.isEmpty else { return }
        try await store.pool.write { db in try AuditLog.append(events, in: db) }
    }

    /// Verifies the whole chain; with `expectHead` (a head hash noted earlier) also that no
    /// record was cut off the end since.
    public func verifyAudit(expectHead: String? = nil) throws -> AuditVerification {
        try store.readSync { db in try AuditLog.verify(db, expectHead: expectHead) }
    }

    /// The last record's sequence number and hash (the genesis hash for an empty log).
    public func auditHead() throws -> (seq: Int64, hash: String) {
        try store.readSync { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT seq, hash FROM ls_audit ORDER BY seq DESC LIMIT 1") else { return (0, AuditLog.genesis) }
            return (row["seq"], row["hash"])
        }
    }

    /// The URL-signing key (created with the access tables).
    func signingKey() throws -> SymmetricKey {
        try store.readSync { db in
            guard let text = try String.fetchOne(db, sql: "SELECT value FROM ls_meta WHERE key = 'url_signing_key'"),
                  let data = Data(base64Encoded: text), data.count >= 32 else {
                throw StoreError(.database, "the URL-signing key is missing from ls_meta")
            }
            return SymmetricKey(data: data)
        }
    }
}
