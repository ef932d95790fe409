import AccessPolicy
import Foundation
import GRDB

/// The layer metadata an upload asks for, kept with its version until the version is published.
public struct VersionMeta: Codable, Sendable, Hashable {
    public var title: String
    public var owner: String
    public var sensitivity: Sensitivity
    public var minZoom: Int
    public var maxZoom: Int
}

/// Who changes a layer's versions, and under which rules: for the version history and the audit log.
public struct VersionChange: Sendable {
    public var actor: AccessActor
    /// The rules of the decision that allowed the change; nil for the local operator.
    public var rules: [String]?
    /// The policy those rules came from; nil: the current policy.
    public var policyHash: String?
    /// The upload job, when there is one.
    public var job: String?
    /// The organisation that uploaded the version, when it came over HTTP: it must own the layer
    /// when the version is staged or published (checked in that transaction).
    public var uploaderOrganisation: String?
    /// The decision that allowed the change, taken again inside its transaction against the
    /// policy stored there; nil for the local operator (the CLI), who acts on any layer.
    public var authority: Authority?

    public init(actor: AccessActor, rules: [String]? = nil, policyHash: String? = nil, job: String? = nil) {
        self.actor = actor
        self.rules = rules
        self.policyHash = policyHash
        self.job = job
    }

    /// The audit record of this change, in the transaction that makes it.
    func audit(_ action: String, layer: String, detail: String, in db: Database) throws {
        let hash = try policyHash ?? PolicyVersion(AccessStore.loadPolicy(db)).hash
        try AuditLog.append([AuditEvent(time: Date(), kind: .change, subject: actor.subject, organisation: actor.organisation,
                                        action: action, resource: "layer:\(layer)", decision: "allow", rules: rules ?? [],
                                        policyHash: hash, items: job.map { ["job:\($0)"] } ?? [], detail: detail)], in: db)
    }
}

/// Who acts on a layer's versions over HTTP, and by which right: checked again inside the
/// transaction that makes the change, so that a policy change between the request's decision
/// and the commit cannot let a write through.
public struct Authority: Sendable {
    /// The caller.
    public var subject: Subject
    /// `.write` (the owner's writers) or `.approve` (an information manager of the owner's region).
    public var action: Action
    /// The write must not need approval (publishing and rolling back a kern partner's versions).
    public var withoutApproval: Bool
    /// The service clock: decisions depend on time (audits lapse, attachments end).
    public var clock: @Sendable () -> Date

    public init(subject: Subject, action: Action, withoutApproval: Bool, clock: @escaping @Sendable () -> Date) {
        self.subject = subject
        self.action = action
        self.withoutApproval = withoutApproval
        self.clock = clock
    }
}

/// One entry of a layer's version history.
public struct VersionHistoryEntry: Codable, Sendable {
    public var version: Int
    /// pending, staged, published or discarded.
    public var state: String
    public var current: Bool
    public var createdAt: Date
    public var uploadedBy: String?
    public var organisation: String?
    public var job: String?
    public var stagedAt: Date?
    public var publishedAt: Date?
    public var publishedBy: String?
    public var checksum: String
    /// Whole-layer figures: left out for a caller who reads the layer only in part.
    public var featureCount: Int?
    public var rejectedCount: Int?
    public var sourceFile: String?
    public var report: ImportReport?

    /// The entry as a caller limited to part of the layer (a spatial filter) may see it: no
    /// feature counts, source file or validation report, which describe the whole layer (as
    /// the layer documents leave them out).
    public func limited() -> VersionHistoryEntry {
        var e = self
        e.featureCount = nil
        e.rejectedCount = nil
        e.sourceFile = nil
        e.report = nil
        return e
    }
}

extension LayerStore {
    /// Moves a written version from `from` (pending or staged) to published and makes it
    /// current, in one transaction with its audit record. Readers see the old version or the
    /// new one, never a mix: the current pointer moves in the same commit.
    /// - Returns: Versions dropped by the keep-versions limit.
    @discardableResult
    public func publish(_ layerID: String, version: Int, from state: String = "staged", meta: VersionMeta? = nil,
                        change: VersionChange) throws -> [Int] {
        try withDatabaseError("publishing \(layerID) v\(version)") {
            try pool.write { db in
                let now = Date()
                let stored = try String.fetchOne(db, sql: "SELECT meta FROM ls_layer_version WHERE layer_id = ? AND version = ? AND state = ?",
                                                 arguments: [layerID, version, state])
                guard let meta = try meta ?? stored.flatMap({ try JSONDecoder().decode(VersionMeta.self, from: Data($0.utf8)) }) else {
                    let actual = try String.fetchOne(db, sql: "SELECT state FROM ls_layer_version WHERE layer_id = ? AND version = ?",
                                                     arguments: [layerID, version])
                    throw StoreError(actual == nil ? .notFound : .invalidRequest,
                                     actual == nil ? "layer \(layerID) has no version \(version)"
                                                   : "version \(version) of \(layerID) is \(actual!), not \(state); \(actual == "published" ? "use rollback to make it current again" : "it cannot be published")")
                }
                try db.execute(sql: """
                    UPDATE ls_layer_version SET state = 'published', meta = ?, published_at = ?, published_by = ?
                    WHERE layer_id = ? AND version = ? AND state = ?
                    """, arguments: [Self.json(meta), Self.timestamp(now), change.actor.subject, layerID, version, state])
                guard db.changesCount == 1 else {
                    throw StoreError(.invalidRequest, "version \(version) of \(layerID) is no longer \(state); it was not published")
                }
                try Self.checkAuthority(layerID, change: change, in: db)
                try Self.checkOwner(layerID, version: version, change: change, in: db)
                let stamp = Self.timestamp(now)
                try db.execute(sql: """
                    INSERT INTO ls_layer (id, title, owner, sensitivity, min_zoom, max_zoom, current_version, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET title = excluded.title, owner = excluded.owner,
                      sensitivity = excluded.sensitivity, min_zoom = excluded.min_zoom, max_zoom = excluded.max_zoom,
                      current_version = excluded.current_version, updated_at = excluded.updated_at
                    """, arguments: [layerID, meta.title, meta.owner, meta.sensitivity.rawValue, meta.minZoom, meta.maxZoom,
                                     version, stamp, stamp])
                let dropped = try Self.prune(layerID: layerID, keep: configuration.keepVersions, in: db)
                try Self.bumpGeneration(db)
                try Self.ensureConditions(layerID, meta: meta, change: change, in: db)
                let checksum = try String.fetchOne(db, sql: "SELECT checksum FROM ls_layer_version WHERE layer_id = ? AND version = ?",
                                                   arguments: [layerID, version]) ?? ""
                if state == "pending" { try Self.finishJob(change, state: "published", version: version, in: db) }
                try change.audit("publish", layer: layerID, detail: "published \(layerID) v\(version) (checksum \(checksum))"
                                 + (dropped.isEmpty ? "" : "; dropped old versions \(dropped.map(String.init).joined(separator: ", "))"), in: db)
                return dropped
            }
        }
    }

    /// Moves a written version from pending to staged: it waits for publication (by the owner
    /// or, for a structural partner, an information manager). Audited in the same transaction.
    public func stage(_ layerID: String, version: Int, meta: VersionMeta, change: VersionChange) throws {
        try withDatabaseError("staging \(layerID) v\(version)") {
            try pool.write { db in
                try db.execute(sql: "UPDATE ls_layer_version SET state = 'staged', meta = ?, staged_at = ? WHERE layer_id = ? AND version = ? AND state = 'pending'",
                               arguments: [Self.json(meta), Self.timestamp(Date()), layerID, version])
                guard db.changesCount == 1 else {
                    throw StoreError(.database, "version \(version) of \(layerID) is no longer pending; it was not staged")
                }
                try Self.checkAuthority(layerID, change: change, in: db)
                try Self.checkOwner(layerID, version: version, change: change, in: db)
                try Self.finishJob(change, state: "staged", version: version, in: db)
                // A new layer's owner is known from now on: its approvers can be found, and no
                // other organisation can claim the id.
                try Self.ensureConditions(layerID, meta: meta, change: change, in: db)
                let checksum = try String.fetchOne(db, sql: "SELECT checksum FROM ls_layer_version WHERE layer_id = ? AND version = ?",
                                                   arguments: [layerID, version]) ?? ""
                try change.audit("stage", layer: layerID, detail: "staged \(layerID) v\(version) (checksum \(checksum)) for publication", in: db)
            }
        }
    }

    /// Discards a staged version: its tables are dropped, its history row stays (state discarded).
    public func discard(_ layerID: String, version: Int, change: VersionChange) throws {
        try withDatabaseError("discarding \(layerID) v\(version)") {
            try pool.write { db in
                try db.execute(sql: "UPDATE ls_layer_version SET state = 'discarded' WHERE layer_id = ? AND version = ? AND state = 'staged'",
                               arguments: [layerID, version])
                guard db.changesCount == 1 else { throw StoreError(.invalidRequest, "version \(version) of \(layerID) is not staged") }
                try Self.checkAuthority(layerID, change: change, in: db)
                try GeoPackageSchema.dropVersionTables(VersionTables(layerID: layerID, version: version), in: db)
                try change.audit("discard", layer: layerID, detail: "discarded staged \(layerID) v\(version)", in: db)
            }
        }
    }

    /// Every version row of a layer, newest first, with its report.
    public func history(_ layerID: String) throws -> [VersionHistoryEntry] {
        try withDatabaseError("reading the history of \(layerID)") {
            try pool.read { db in
                let current = try Int.fetchOne(db, sql: "SELECT current_version FROM ls_layer WHERE id = ?", arguments: [layerID])
                return try Row.fetchAll(db, sql: "SELECT * FROM ls_layer_version WHERE layer_id = ? AND state != 'pending' ORDER BY version DESC",
                                        arguments: [layerID]).map { row in
                    let v: Int = try row.decode(forColumn: "version")
                    let state: String = try row.decode(forColumn: "state")
                    let report = (row["report"] as String?).flatMap { try? JSONDecoder().decode(ImportReport.self, from: Data($0.utf8)) }
                    return VersionHistoryEntry(
                        version: v, state: state, current: state == "published" && v == current,
                        createdAt: Self.timestamp(try row.decode(forColumn: "created_at") as String),
                        uploadedBy: row["uploaded_by"], organisation: row["organisation"], job: row["job_id"],
                        stagedAt: (row["staged_at"] as String?).map(Self.timestamp),
                        publishedAt: (row["published_at"] as String?).map(Self.timestamp), publishedBy: row["published_by"],
                        checksum: try row.decode(forColumn: "checksum"), featureCount: try row.decode(forColumn: "feature_count"),
                        rejectedCount: try row.decode(forColumn: "rejected_count"), sourceFile: try row.decode(forColumn: "source_file"),
                        report: report)
                }
            }
        }
    }

    /// Refuses a version whose uploader does not own the layer (any more): conditions and the
    /// catalog name the owner; a layer in the store without conditions belongs to nobody who uploads.
    static func checkOwner(_ layerID: String, version: Int, change: VersionChange, in db: Database) throws {
        let uploader: String?
        if let org = change.uploaderOrganisation {
            uploader = org
        } else if try String.fetchOne(db, sql: "SELECT job_id FROM ls_layer_version WHERE layer_id = ? AND version = ?",
                                      arguments: [layerID, version]) != nil {
            uploader = try String.fetchOne(db, sql: "SELECT organisation FROM ls_layer_version WHERE layer_id = ? AND version = ?",
                                           arguments: [layerID, version])
        } else {
            return  // the local operator's import
        }
        let policyOwner = try AccessStore.loadPolicy(db).layers[layerID]?.owner
        let catalogOwner = try String.fetchOne(db, sql: "SELECT owner FROM ls_layer WHERE id = ?", arguments: [layerID])
        if let owner = policyOwner ?? catalogOwner, owner != uploader {
            throw StoreError(.invalidRequest, "layer \(layerID) belongs to \(owner), not to \(uploader ?? "the uploader"); the version was not published")
        }
        if policyOwner == nil, catalogOwner != nil {
            throw StoreError(.invalidRequest, "layer \(layerID) has no access conditions; an administrator must set them before versions are published")
        }
    }

    /// Takes the change's decision again against the policy in this transaction: the read
    /// decision first (a layer the actor may not read does not exist for it), then the write or
    /// approve decision. The local operator (no authority) passes.
    static func checkAuthority(_ layerID: String, change: VersionChange, in db: Database) throws {
        guard let authority = change.authority else { return }
        let policy = PolicyVersion(try AccessStore.loadPolicy(db))
        let now = authority.clock()
        let inCatalog = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM ls_layer WHERE id = ?)", arguments: [layerID]) ?? false
        // A new layer's first version has no conditions yet: only the write decision applies.
        if inCatalog || policy.policy.layers[layerID] != nil {
            guard policy.decide(authority.subject, .read, .layer(layerID), at: now).allowed else {
                throw StoreError(.notFound, "no layer \"\(layerID)\"")
            }
        }
        let d = policy.decide(authority.subject, authority.action, .layer(layerID), at: now)
        guard d.allowed else {
            throw StoreError(.forbidden, "the right to change \(layerID) ended: \(d.reasons.last ?? "no rule allows it"); nothing was changed")
        }
        if authority.withoutApproval, d.requiresApproval {
            throw StoreError(.forbidden, "versions of \(layerID) by \(authority.subject.text) need an information manager's approval; nothing was changed")
        }
    }

    /// Marks the upload job of a change with the version's new state, in the same transaction.
    static func finishJob(_ change: VersionChange, state: String, version: Int, in db: Database) throws {
        guard let job = change.job else { return }
        // With the version's report, so that a finished job always has one.
        try db.execute(sql: """
            UPDATE ls_job SET state = ?, version = ?, updated_at = ?,
              report = (SELECT report FROM ls_layer_version v WHERE v.layer_id = ls_job.layer_id AND v.version = ?)
            WHERE id = ? AND state IN ('running', 'queued')
            """, arguments: [state, version, timestamp(Date()), version, job])
    }

    /// A new layer of a known organisation gets the default conditions for its sensitivity.
    /// Without an owner organisation in the policy it gets none, and nobody reads it until an
    /// administrator sets them (deny by default).
    static func ensureConditions(_ layerID: String, meta: VersionMeta, change: VersionChange, in db: Database) throws {
        let policy = try AccessStore.loadPolicy(db)
        guard policy.layers[layerID] == nil, policy.organisations[meta.owner] != nil else { return }
        let conditions = LayerConditions(layer: layerID, owner: meta.owner, sensitivity: meta.sensitivity)
        try AccessStore.change(db, by: change.actor, resource: "layer:\(layerID)",
                               summary: "default conditions of new layer \(layerID): \(AccessStore.apiJSON(conditions))",
                               at: Date()) { $0.layers[layerID] = conditions }
    }

    static func json(_ value: some Encodable) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = .sortedKeys
        return String(decoding: try e.encode(value), as: UTF8.self)
    }
}
