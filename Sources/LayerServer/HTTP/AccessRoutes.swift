import AccessPolicy
import Foundation
import Hummingbird

/// The review API: explanations, the permission matrix and its diff, the audit log. For
/// security reviewers (explain also for administrators); every answer comes from the same
/// decision function as enforcement.
struct AccessRoutes {
    let routes: Routes
    var service: LayerService { routes.service }
    var access: AccessControl { service.access }

    func register(on router: Router<BasicRequestContext>) {
        router.get("/access/explain") { request, _ in
            let caller = try require(request, .review, or: .administer)
            let q = request.uri.queryParameters
            guard let user = q["user"].map(String.init), let layer = q["layer"].map(String.init) else {
                throw Problem.badRequest("give user and layer, e.g. /access/explain?user=u&layer=hydrants[&at=2026-12-01T12:00:00Z]")
            }
            let at = try time(q["at"].map(String.init))
            _ = caller
            return try routes.json(Explanation.make(access.policy, user: user, layer: layer, at: at))
        }
        router.get("/access/rules") { request, _ in
            _ = try require(request, .review, or: .administer)
            return try routes.json(Rule.all.map { ["id": $0.id, "text": $0.text] })
        }
        router.get("/access/versions") { request, _ in
            _ = try require(request, .review, or: .administer)
            return try routes.json(try await BlockingWork.run { [access] in try access.store.versions() })
        }
        router.get("/access/matrix") { request, _ in
            _ = try require(request, .review, or: .administer)
            let q = request.uri.queryParameters
            let version = try await policy(q["policy"].map(String.init))
            let matrix = PermissionMatrix(version, at: try time(q["at"].map(String.init)))
            if q["format"] == "csv" {
                return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8", .cacheControl: "private, no-store"],
                                body: .init(byteBuffer: ByteBuffer(string: matrix.csv)))
            }
            return try routes.json(matrix)
        }
        router.get("/access/matrix/diff") { request, _ in
            _ = try require(request, .review, or: .administer)
            let q = request.uri.queryParameters
            guard let from = q["from"].map(String.init) else { throw Problem.badRequest("give from=<policy hash> (and to=<policy hash>, default current)") }
            let at = try time(q["at"].map(String.init))
            let before = PermissionMatrix(try await policy(from), at: at)
            let after = PermissionMatrix(try await policy(q["to"].map(String.init)), at: at)
            return try routes.json(["from": AnyEncodable(before.policyHash), "to": AnyEncodable(after.policyHash),
                                    "changes": AnyEncodable(after.diff(from: before))])
        }
        router.get("/audit") { request, _ in
            _ = try require(request, .review)
            let q = request.uri.queryParameters
            // Pending read records first, so the reviewer sees everything up to now.
            try await access.recorder.flush()
            let kind = try q["kind"].map { k -> AuditEvent.Kind in
                guard let v = AuditEvent.Kind(rawValue: String(k)) else { throw Problem.badRequest("kind is read, denial, authentication or change") }
                return v
            }
            let limit = min(Int(q["limit"].map(String.init) ?? "") ?? 1000, 10_000)
            let from = try q["from"].map { try time(String($0)) }, to = try q["to"].map { try time(String($0)) }
            let layer = q["layer"].map(String.init), org = q["organisation"].map(String.init)
            let records = try await service.store.read { db in
                try AuditLog.query(db, layer: layer, organisation: org, kind: kind, from: from, to: to, limit: limit)
            }
            return try routes.json(records)
        }
        router.get("/audit/verify") { request, _ in
            _ = try require(request, .review)
            try await access.recorder.flush()
            return try routes.json(try await service.store.read { db in try AuditLog.verify(db) })
        }
    }

    /// The caller, when the policy allows one of the actions on the system; 401 without
    /// credentials, 403 (audited) otherwise.
    func require(_ request: Request, _ action: Action, or other: Action? = nil) throws -> Principal {
        let caller = try routes.principal(request)
        let now = service.clock()
        let d = access.decide(caller, action, .system, at: now)
        if d.allowed { return caller }
        if let other, access.decide(caller, other, .system, at: now).allowed { return caller }
        access.audit(denied: d, principal: caller, action: action, resource: .system, at: now)
        throw Problem.forbidden(d.reasons.last ?? "not allowed")
    }

    func time(_ text: String?) throws -> Date {
        guard let text else { return service.clock() }
        guard let date = try? Date(text, strategy: .iso8601) else {
            throw Problem.badRequest("time \"\(text)\" is not ISO 8601, e.g. 2026-12-01T12:00:00Z")
        }
        return date
    }

    /// A stored policy version by hash, or the current one.
    func policy(_ hash: String?) async throws -> PolicyVersion {
        guard let hash else { return access.policy }
        guard let p = try await BlockingWork.run({ [access] in try access.store.policy(hash: hash) }) else { throw Problem.notFound("no policy version \(hash)") }
        return AccessControl.effective(p, access.configuration)
    }
}

/// The answer of `access explain`: the read and write decisions for a user and a layer.
public struct Explanation: Codable, Sendable {
    public var user: String
    public var organisation: String?
    public var layer: String
    public var at: Date
    public var read: Decision
    public var write: Decision

    public static func make(_ policy: PolicyVersion, user: String, layer: String, at: Date) -> Explanation {
        Explanation(user: user, organisation: policy.policy.users[user]?.organisation, layer: layer, at: at,
                    read: policy.decide(.user(user), .read, .layer(layer), at: at),
                    write: policy.decide(.user(user), .write, .layer(layer), at: at))
    }

    /// A plain-text form for the CLI.
    public var text: String {
        var out = "user \(user) (\(organisation ?? "unknown organisation")), layer \(layer), at \(at.formatted(.iso8601))\n"
        for (name, d) in [("read", read), ("write", write)] {
            out += "\n\(name): \(d.allowed ? "ALLOW" : "DENY")\(d.requiresApproval ? " (needs approval)" : "")\n"
            for (rule, reason) in zip(d.rules, d.reasons) { out += "  [\(rule)] \(reason)\n" }
            if d.allowed, name == "read" {
                out += "  scope: \(d.filter.text)\n"
                if !d.hiddenAttributes.isEmpty { out += "  hidden attributes: \(d.hiddenAttributes.joined(separator: ", "))\n" }
            }
            if let until = d.validUntil { out += "  holds until \(until.formatted(.iso8601))\n" }
        }
        out += "\npolicy \(read.policyHash)\n"
        return out
    }
}
