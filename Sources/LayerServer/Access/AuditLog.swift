import Crypto
import Foundation
import GRDB

/// One thing the audit log records.
public struct AuditEvent: Sendable, Hashable, Codable {
    /// What kind of event.
    public enum Kind: String, Sendable, Codable {
        /// An allowed read of a restricted or confidential layer.
        case read
        /// A denied decision.
        case denial
        /// A failed authentication (missing, malformed, expired, revoked or forged credentials).
        case authentication
        /// A change to organisations, users, tokens, activities or layer conditions.
        case change
    }

    public var time: Date
    public var kind: Kind
    /// The user id, `anonymous`, or what the credentials claimed.
    public var subject: String
    public var organisation: String
    public var action: String
    /// `layer:<id>`, `system`, `token:<id>`, a request path.
    public var resource: String
    /// `allow` or `deny`.
    public var decision: String
    public var rules: [String]
    public var policyHash: String
    /// How many tiles, features or requests this record covers.
    public var count: Int
    /// The tile or feature ids (at most ``AuditEvent/maximumItems``), e.g. `WebMercatorQuad/14/5461/8412`.
    public var items: [String]
    /// Reasons, or the change made.
    public var detail: String

    /// Item ids listed per record; `count` keeps the full number.
    public static let maximumItems = 500

    public init(time: Date, kind: Kind, subject: String, organisation: String, action: String, resource: String,
                decision: String, rules: [String], policyHash: String, count: Int = 1, items: [String] = [], detail: String) {
        self.time = time
        self.kind = kind
        self.subject = subject
        self.organisation = organisation
        self.action = action
        self.resource = resource
        self.decision = decision
        self.rules = rules
        self.policyHash = policyHash
        self.count = count
        self.items = items
        self.detail = detail
    }
}

/// A stored audit record: its place in the chain and its hash.
public struct AuditRecord: Sendable, Codable, Hashable {
    public var seq: Int64
    public var event: AuditEvent
    public var prevHash: String
    public var hash: String
}

/// A page of audit records and the cursor of the next one.
public struct AuditPage: Sendable, Codable {
    public var records: [AuditRecord]
    /// Give this as `after` for the next page; nil when this is the last.
    public var next: Int64?
}

/// The result of ``AuditLog/verify(_:)``.
public struct AuditVerification: Sendable, Codable {
    /// Records checked.
    public var records: Int
    /// The first record that does not fit the chain, nil when the whole log is intact.
    public var firstBad: Int64?
    /// What is wrong with it.
    public var problem: String?
    /// The hash of the last record: write it down elsewhere to detect truncation later.
    public var head: String

    public var intact: Bool { firstBad == nil }
}

/// The append-only, hash-chained audit log in `ls_audit`. Each record's hash is SHA-256 over
/// its sequence number, its fields exactly as stored, and the previous record's hash.
public enum AuditLog {
    /// The previous hash of the first record.
    public static let genesis = String(repeating: "0", count: 64)

    /// The columns as stored, in hashing order (everything except `hash`).
    static func canonical(seq: Int64, time: String, kind: String, _ e: AuditEvent, rules: String, items: String, prev: String) -> Data {
        let fields = [String(seq), time, kind, e.subject, e.organisation, e.action, e.resource, e.decision,
                      rules, e.policyHash, String(e.count), items, e.detail, prev]
        // A JSON array of strings: unambiguous field boundaries.
        return (try? JSONEncoder().encode(fields)) ?? Data()
    }

    static func hash(_ data: Data) -> String {
        LayerService.hex(SHA256.hash(data: data))
    }

    static func itemsText(_ items: [String]) -> String {
        String(decoding: (try? JSONEncoder().encode(items)) ?? Data("[]".utf8), as: UTF8.self)
    }

    /// Appends events at the end of the chain, inside the caller's write transaction.
    static func append(_ events: [AuditEvent], in db: Database) throws {
        guard !events.isEmpty else { return }
        let last = try Row.fetchOne(db, sql: "SELECT seq, hash FROM ls_audit ORDER BY seq DESC LIMIT 1")
        var seq: Int64 = last?["seq"] ?? 0
        var prev: String = last?["hash"] ?? genesis
        let statement = try db.cachedStatement(sql: """
            INSERT INTO ls_audit (seq, time, kind, subject, organisation, action, resource, decision, rules, policy_hash,
                                  count, items, detail, prev_hash, hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for e in events {
            seq += 1
            let time = LayerStore.timestamp(e.time)
            let rules = e.rules.joined(separator: " ")
            let items = itemsText(Array(e.items.prefix(AuditEvent.maximumItems)))
            let h = hash(canonical(seq: seq, time: time, kind: e.kind.rawValue, e, rules: rules, items: items, prev: prev))
            try statement.execute(arguments: [seq, time, e.kind.rawValue, e.subject, e.organisation, e.action, e.resource,
                                              e.decision, rules, e.policyHash, e.count, items, e.detail, prev, h])
            prev = h
        }
    }

    /// Walks the chain from the first record and names the first that was edited, deleted
    /// (a gap or a broken link), reordered or inserted.
    /// With `expectHead`, a head hash noted earlier (printed by `audit verify`, logged by the
    /// server): a chain that no longer holds a record with that hash was cut off at the end
    /// (or rewritten), which the chain alone cannot show.
    public static func verify(_ db: Database, expectHead: String? = nil) throws -> AuditVerification {
        var expectedSeq: Int64 = 1
        var prev = genesis
        var count = 0
        var sawExpected = expectHead == nil || expectHead == genesis
        let rows = try Row.fetchCursor(db, sql: "SELECT * FROM ls_audit ORDER BY seq")
        while let row = try rows.next() {
            count += 1
            let seq: Int64 = (try row.decode(forColumn: "seq"))
            func bad(_ problem: String) -> AuditVerification {
                AuditVerification(records: count, firstBad: seq, problem: problem, head: prev)
            }
            if seq != expectedSeq {
                return bad("expected record \(expectedSeq) here, found \(seq): records are missing or out of order")
            }
            let stored = try event(from: row)
            let storedPrev: String = (try row.decode(forColumn: "prev_hash"))
            if storedPrev != prev {
                return bad("its previous-hash does not match record \(seq - 1): a record before it was changed, removed or moved")
            }
            let computed = hash(canonical(seq: seq, time: (try row.decode(forColumn: "time")), kind: (try row.decode(forColumn: "kind")), stored, rules: (try row.decode(forColumn: "rules")), items: (try row.decode(forColumn: "items")), prev: storedPrev))
            let storedHash: String = (try row.decode(forColumn: "hash"))
            if computed != storedHash {
                return bad("its content does not match its hash: the record was edited")
            }
            prev = storedHash
            if storedHash == expectHead { sawExpected = true }
            expectedSeq += 1
        }
        if !sawExpected {
            return AuditVerification(records: count, firstBad: expectedSeq, problem: "no record has the head hash \(expectHead ?? "") noted earlier: records were cut off the end of the log (or the chain was rewritten)", head: prev)
        }
        return AuditVerification(records: count, firstBad: nil, problem: nil, head: prev)
    }

    /// One page of records matching the filters, oldest first: at most `limit` (capped at
    /// ``maximumPage``) records after sequence number `after`, and the cursor of the next page
    /// (nil on the last).
    public static func page(_ db: Database, layer: String? = nil, organisation: String? = nil, kind: AuditEvent.Kind? = nil,
                            from: Date? = nil, to: Date? = nil, after: Int64? = nil, limit: Int = 100) throws -> AuditPage {
        let size = max(1, min(limit, maximumPage))
        var records = try query(db, layer: layer, organisation: organisation, kind: kind, from: from, to: to, after: after, limit: size + 1)
        let more = records.count > size
        if more { records.removeLast() }
        return AuditPage(records: records, next: more ? records.last?.seq : nil)
    }

    /// The most records one page holds.
    public static let maximumPage = 1000

    /// Records matching the filters, oldest first, at most `limit`, after sequence number `after`.
    public static func query(_ db: Database, layer: String? = nil, organisation: String? = nil, kind: AuditEvent.Kind? = nil,
                             from: Date? = nil, to: Date? = nil, after: Int64? = nil, limit: Int = 1000) throws -> [AuditRecord] {
        var clauses: [String] = []
        var args: [any DatabaseValueConvertible] = []
        if let after { clauses.append("seq > ?"); args.append(after) }
        if let layer { clauses.append("resource = ?"); args.append("layer:\(layer)") }
        if let organisation { clauses.append("organisation = ?"); args.append(organisation) }
        if let kind { clauses.append("kind = ?"); args.append(kind.rawValue) }
        if let from { clauses.append("time >= ?"); args.append(LayerStore.timestamp(from)) }
        if let to { clauses.append("time < ?"); args.append(LayerStore.timestamp(to)) }
        let whereSQL = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        args.append(max(1, min(limit, 100_000)))
        return try Row.fetchAll(db, sql: "SELECT * FROM ls_audit \(whereSQL) ORDER BY seq LIMIT ?",
                                arguments: StatementArguments(args)).map { row in
            AuditRecord(seq: (try row.decode(forColumn: "seq")), event: try event(from: row), prevHash: (try row.decode(forColumn: "prev_hash")), hash: (try row.decode(forColumn: "hash")))
        }
    }

    static func event(from row: Row) throws -> AuditEvent {
        let itemsText: String = (try row.decode(forColumn: "items"))
        let items = (try? JSONDecoder().decode([String].self, from: Data(itemsText.utf8))) ?? []
        let rules: String = (try row.decode(forColumn: "rules"))
        return AuditEvent(time: LayerStore.timestamp(try row.decode(String.self, forColumn: "time")), kind: AuditEvent.Kind(rawValue: (try row.decode(forColumn: "kind"))) ?? .denial,
                          subject: (try row.decode(forColumn: "subject")), organisation: (try row.decode(forColumn: "organisation")), action: (try row.decode(forColumn: "action")),
                          resource: (try row.decode(forColumn: "resource")), decision: (try row.decode(forColumn: "decision")),
                          rules: rules.split(separator: " ").map(String.init), policyHash: (try row.decode(forColumn: "policy_hash")),
                          count: (try row.decode(forColumn: "count")), items: items, detail: (try row.decode(forColumn: "detail")))
    }
}
