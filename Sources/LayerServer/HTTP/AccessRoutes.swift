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

    func register(on router: Router<ServerContext>) {
        router.get("/access/explain") { request, context in
            let caller = try require(request, context, .review, or: .administer)
            let q = request.uri.queryParameters
            guard let user = q["user"].map(String.init), let layer = q["layer"].map(String.init) else {
                throw Problem.badRequest("give user and layer, e.g. /access/explain?user=u&layer=hydrants[&at=2026-12-01T12:00:00Z]")
            }
            let at = try time(q["at"].map(String.init))
            _ = caller
            return try routes.json(Explanation.make(access.policy, user: user, layer: layer, at: at))
        }
        router.get("/access/rules") { request, context in
            _ = try require(request, context, .review, or: .administer)
            return try routes.json(Rule.all.map { ["id": $0.id, "text": $0.text] })
        }
        router.get("/access/versions") { request, context in
            _ = try require(request, context, .review, or: .administer)
            return try routes.json(try await BlockingWork.run { [access] in try access.store.versions() })
        }
        router.get("/access/matrix") { request, context in
            _ = try require(request, context, .review, or: .administer)
            let q = request.uri.queryParameters
            let version = try await policy(q["policy"].map(String.init))
            let matrix = PermissionMatrix(version, at: try time(q["at"].map(String.init)))
            if q["format"] == "csv" {
                return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8", .cacheControl: "private, no-store"],
                                body: .init(byteBuffer: ByteBuffer(string: matrix.csv)))
            }
            return try routes.json(matrix)
        }
        router.get("/access/matrix/diff") { request, context in
            _ = try require(request, context, .review, or: .administer)
            let q = request.uri.queryParameters
            guard let from = q["from"].map(String.init) else { throw Problem.badRequest("give from=<policy hash> (and to=<policy hash>, default current)") }
            let at = try time(q["at"].map(String.init))
            let before = PermissionMatrix(try await policy(from), at: at)
            let after = PermissionMatrix(try await policy(q["to"].map(String.init)), at: at)
            return try routes.json(["from": AnyEncodable(before.policyHash), "to": AnyEncodable(after.policyHash),
                                    "changes": AnyEncodable(after.diff(from: before))])
        }
        router.get("/audit") { request, context in
            _ = try require(request, context, .review)
            let q = request.uri.queryParameters
            // Pending read records first, so the reviewer sees everything up to now.
            try await access.recorder.flush()
            let kind = try q["kind"].map { k -> AuditEvent.Kind in
                guard let v = AuditEvent.Kind(rawValue: String(k)) else { throw Problem.badRequest("kind is read, denial, authentication or change") }
                return v
            }
            let limit = try count(q["limit"].map(String.init), "limit", default: 100, max: AuditLog.maximumPage)
            let after = try q["after"].map { raw -> Int64 in
                guard let v = Int64(raw), v >= 0 else { throw Problem.badRequest("after must be the next cursor of an earlier page (a whole number), got \"\(raw)\"") }
                return v
            }
            let from = try q["from"].map { try time(String($0)) }, to = try q["to"].map { try time(String($0)) }
            let layer = q["layer"].map(String.init), org = q["organisation"].map(String.init)
            let page = try await service.store.read { db in
                try AuditLog.page(db, layer: layer, organisation: org, kind: kind, from: from, to: to, after: after, limit: limit)
            }
            var links: [Link] = []
            if let next = page.next {
                var items = URLComponents()
                items.queryItems = request.uri.queryParameters.filter { $0.key != "after" }.map { URLQueryItem(name: String($0.key), value: String($0.value)) }
                    + [URLQueryItem(name: "after", value: String(next))]
                links.append(Link(href: "\(routes.documents(request).base)/audit?\(items.percentEncodedQuery ?? "")", rel: "next", type: "application/json", title: "Next page"))
            }
            return try routes.json(["records": AnyEncodable(page.records), "next": AnyEncodable(page.next), "links": AnyEncodable(links)])
        }
        router.get("/audit/verify") { request, context in
            _ = try require(request, context, .review)
            try await access.recorder.flush()
            return try routes.json(try await service.store.read { db in try AuditLog.verify(db) })
        }
    }

    /// The caller, when the policy allows one of the actions on the system; 401 without
    /// credentials, 403 (audited) otherwise.
    func require(_ request: Request, _ context: ServerContext, _ action: Action, or other: Action? = nil) throws -> Principal {
        let caller = try routes.principal(request, context)
        let now = service.clock()
        let d = access.decide(caller, action, .system, at: now)
        if d.allowed { return caller }
        if let other, access.decide(caller, other, .system, at: now).allowed { return caller }
        access.audit(denied: d, principal: caller, action: action, resource: .system, at: now)
        throw Problem.forbidden(d.reasons.last ?? "not allowed")
    }

    /// A positive count parameter, at most `max`.
    func count(_ text: String?, _ name: String, default value: Int, max: Int) throws -> Int {
        guard let text else { return value }
        guard let n = Int(text), (1...max).contains(n) else { throw Problem.badRequest("\(name) must be a whole number 1-\(max), got \"\(text)\"") }
        return n
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
