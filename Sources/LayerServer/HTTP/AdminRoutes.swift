import AccessPolicy
import Foundation
import Hummingbird

/// The administration API (administrator role; layer conditions also for a layer administrator
/// of the owner). Every change is one policy version with its audit record.
struct AdminRoutes {
    let routes: Routes
    var service: LayerService { routes.service }
    var access: AccessControl { service.access }
    var reviews: AccessRoutes { AccessRoutes(routes: routes) }

    func register(on router: Router<ServerContext>) {
        router.get("/admin/policy") { request, context in
            _ = try reviews.require(request, context, .administer)
            let v = access.policy
            return try routes.json(["hash": AnyEncodable(v.hash), "policy": AnyEncodable(v.policy)])
        }
        router.put("/admin/organisations/:id") { request, context in
            let actor = try admin(request, context)
            var o = try await body(Organisation.self, request, context)
            o.id = try pathID(context)
            let org = Organisation(id: o.id, name: o.name, coreTask: o.coreTask, profile: o.profile, audit: o.audit,
                                   reach: o.reach, regions: o.regions, adoptionRegion: o.adoptionRegion)
            let now = service.clock()
            _ = try await BlockingWork.run { [access] in try access.store.put(org, by: actor, at: now) }
            return try await changed()
        }
        router.put("/admin/users/:id") { request, context in
            let actor = try admin(request, context)
            let u = try await body(User.self, request, context)
            let user = User(id: try pathID(context), name: u.name, organisation: u.organisation, roles: u.roles)
            let now = service.clock()
            _ = try await BlockingWork.run { [access] in try access.store.put(user, by: actor, at: now) }
            return try await changed()
        }
        router.put("/admin/activities/:id") { request, context in
            let actor = try admin(request, context)
            let a = try await body(Activity.self, request, context)
            let activity = Activity(id: try pathID(context), name: a.name, kind: a.kind, regions: a.regions, area: a.area,
                                    start: a.start, end: a.end, attachments: a.attachments)
            let now = service.clock()
            _ = try await BlockingWork.run { [access] in try access.store.put(activity, by: actor, at: now) }
            return try await changed()
        }
        for kind in [AccessStore.Kind.organisation, .user, .activity] {
            router.delete("/admin/\(kind.rawValue == "activity" ? "activities" : kind.rawValue + "s")/:id") { request, context in
                let actor = try admin(request, context)
                let id = try pathID(context)
                let now = service.clock()
                _ = try await BlockingWork.run { [access] in try access.store.remove(kind, id, by: actor, at: now) }
                return try await changed()
            }
        }
        router.put("/admin/layers/:id/conditions") { request, context in
            let id = try pathID(context)
            let actor = try conditionsActor(request, context, layer: id)
            let c = try await body(LayerConditions.self, request, context)
            // A layer administrator sets conditions for its own organisation's layers; handing a
            // layer to another owner takes an administrator.
            if c.owner != actor.organisation {
                let caller = try routes.principal(request, context)
                let now = service.clock()
                let d = access.decide(caller, .administer, .system, at: now)
                guard d.allowed else {
                    access.audit(denied: d, principal: caller, action: .setConditions, resource: .layer(id), at: now)
                    throw Problem.forbidden("only an administrator gives layer \(id) to another owner (\(c.owner))")
                }
            }
            let unknown = c.hiddenAttributes.keys.filter { Profile(rawValue: $0) == nil }.sorted()
            guard unknown.isEmpty else {
                throw Problem(.unprocessableContent, "Unprocessable content",
                              detail: "hiddenAttributes has unknown profiles \(unknown.joined(separator: ", ")); use kern, structureel, koppel, standby or adhoc")
            }
            let conditions = LayerConditions(layer: id, owner: c.owner, sensitivity: c.sensitivity, allowedProfiles: c.allowedProfiles,
                                             auditRequired: c.auditRequired, clipToRegions: c.clipToRegions,
                                             hiddenAttributes: Dictionary(uniqueKeysWithValues: c.hiddenAttributes.compactMap { k, v in
                                                 Profile(rawValue: k).map { ($0, v) }
                                             }))
            let now = service.clock()
            _ = try await BlockingWork.run { [access] in try access.store.put(conditions, by: actor, at: now) }
            return try await changed()
        }
        router.get("/admin/tokens") { request, context in
            _ = try admin(request, context)
            return try routes.json(try await BlockingWork.run { [access] in try access.store.tokens() })
        }
        router.post("/admin/users/:id/tokens") { request, context in
            let actor = try admin(request, context)
            struct Body: Decodable { var label: String?; var days: Int? }
            let b = try await body(Body.self, request, context)
            let days = b.days ?? 30
            guard (1...366).contains(days) else { throw Problem.badRequest("days must be 1-366") }
            let now = service.clock()
            let userID = try pathID(context)
            let issued = try await BlockingWork.run { [access] in
                let issued = try access.store.issueToken(for: userID, label: b.label ?? "", expiresAt: now + Double(days) * 86_400, by: actor, at: now)
                _ = try access.refresh()
                return issued
            }
            return try routes.json(["id": AnyEncodable(issued.record.id), "token": AnyEncodable(issued.token),
                                    "expiresAt": AnyEncodable(issued.record.expiresAt),
                                    "note": AnyEncodable("the token is shown once; the server keeps only its hash")], status: .created)
        }
        router.delete("/admin/tokens/:id") { request, context in
            let actor = try admin(request, context)
            let id = try pathID(context)
            let now = service.clock()
            try await BlockingWork.run { [access] in try access.store.revokeToken(id, by: actor, at: now) }
            return try await changed()
        }
    }

    func admin(_ request: Request, _ context: ServerContext) throws -> AccessActor {
        let caller = try reviews.require(request, context, .administer)
        return AccessActor(subject: caller.subject.text, organisation: caller.organisation)
    }

    /// Who sets a layer's conditions. An administrator acts on any layer id (it sets the first
    /// conditions; it reads no layer data). Anyone else meets the read decision first: a layer
    /// it may not read does not exist for it (404, as an unknown id), and only then the
    /// set-conditions decision (403 with the reason).
    func conditionsActor(_ request: Request, _ context: ServerContext, layer: String) throws -> AccessActor {
        let caller = try routes.principal(request, context)
        let now = service.clock()
        if !access.decide(caller, .administer, .system, at: now).allowed {
            _ = try routes.readable(caller, layer)
        }
        let d = access.decide(caller, .setConditions, .layer(layer), at: now)
        guard d.allowed else {
            access.audit(denied: d, principal: caller, action: .setConditions, resource: .layer(layer), at: now)
            throw Problem.forbidden(d.reasons.last ?? "not allowed")
        }
        return AccessActor(subject: caller.subject.text, organisation: caller.organisation)
    }

    func pathID(_ context: ServerContext) throws -> String {
        let id = context.parameters.get("id") ?? ""
        guard !id.isEmpty, id.count <= 64 else { throw Problem.badRequest("the id in the path must be 1-64 characters") }
        return id
    }

    func body<T: Decodable>(_ type: T.Type, _ request: Request, _ context: ServerContext) async throws -> T {
        let buffer = try await request.body.collect(upTo: 1 << 20)
        do {
            return try AccessStore.apiDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch {
            throw Problem.badRequest("the JSON body is not a valid \(T.self): \(error)")
        }
    }

    /// The new policy hash after a change, once this server has loaded it.
    func changed() async throws -> Response {
        _ = try await BlockingWork.run { [access] in try access.refresh() }
        return try routes.json(["policy": access.policy.hash])
    }
}
