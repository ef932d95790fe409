import AccessPolicy
import Foundation
import GeoCore
import Hummingbird

/// Who the caller is and where it reads (`GET /me`), and the same for any organisation as a
/// security reviewer sees it (`GET /access/areas`, "view as"). Both come from the decision
/// function that enforcement uses, with each read scope resolved to its area by the same
/// ``SpatialScope`` that clips tiles and features. Neither answer holds layer data.
struct ViewAsRoutes {
    let routes: Routes
    var service: LayerService { routes.service }
    var access: AccessControl { service.access }

    /// One layer as seen by a subject: its read and write decision and the read area.
    struct LayerView: Encodable, Sendable {
        var layer: String
        var access: String
        var write: String
        var scope: String
        /// The read area in WGS 84 (GeoJSON); null where the subject reads everywhere, or not at all.
        var area: JSONValue
        var everywhere: Bool
        var hiddenAttributes: [String]?
        var readRules: [String]?
        var reasons: [String]?
    }

    func register(on router: Router<ServerContext>) {
        router.get("/me") { request, context in
            let caller = try routes.principal(request, context)
            let now = service.clock()
            let policy = access.policy.policy
            var user: User?
            if case .user(let id) = caller.subject { user = policy.users[id] }
            let organisation = policy.organisations[caller.organisation]
            // The layers the caller reads (a listing, as /collections: denials are audited there).
            let visible = service.visibleLayers(caller).map { layer, grant in
                (layer.id, access.decide(caller, .write, .layer(layer.id), at: now), grant.decision.filter)
            }
            // Areas are unions of region polygons (GEOS): off the cooperative pool.
            let layers = try await BlockingWork.run { [self] in
                try visible.map { id, w, filter in
                    LayerView(layer: id, access: w.allowed ? "read+write" : "read",
                              write: !w.allowed ? "none" : (w.requiresApproval ? "approval" : "direct"),
                              scope: filter.text, area: try area(filter), everywhere: filter == .everywhere)
                }
            }
            let approves = Policy.regionCodes.filter { access.decide(caller, .approve, .picture(region: $0), at: now).allowed }
            return try unstored(Me(user: user?.id, name: user?.name, organisation: organisation?.id, organisationName: organisation?.name,
                                      profile: organisation?.profile.rawValue, at: now,
                                      reviews: access.decide(caller, .review, .system, at: now).allowed,
                                      administers: access.decide(caller, .administer, .system, at: now).allowed,
                                      approvesPictures: approves, layers: layers))
        }
        router.get("/access/areas") { request, context in
            let reviews = AccessRoutes(routes: routes)
            _ = try reviews.require(request, context, .review, or: .administer)
            let q = request.uri.queryParameters
            guard let organisation = q["organisation"].map(String.init) else {
                throw Problem.badRequest("give organisation, e.g. /access/areas?organisation=hdsr[&at=2026-12-01T12:00:00Z][&policy=<hash>]")
            }
            let version = try await reviews.policy(q["policy"].map(String.init))
            let at = try reviews.time(q["at"].map(String.init))
            guard version.policy.organisations[organisation] != nil else { throw Problem.notFound("no organisation \"\(organisation)\"") }
            // The matrix's row of the organisation, with each read scope's area.
            let subject = Subject.member(organisation: organisation)
            let matrix = PermissionMatrix(version, organisation: organisation, at: at)
            let layers = try await BlockingWork.run { [self] in
                try matrix.entries.map { e in
                    let read = version.decide(subject, .read, .layer(e.layer), at: at)
                    return LayerView(layer: e.layer, access: e.access, write: e.write, scope: e.scope,
                                     area: read.allowed ? try area(read.filter) : .null, everywhere: read.allowed && read.filter == .everywhere,
                                     hiddenAttributes: e.hiddenAttributes, readRules: e.readRules, reasons: read.reasons)
                }
            }
            return try unstored(ViewAs(organisation: organisation, at: at, policyHash: matrix.policyHash, layers: layers))
        }
    }

    struct Me: Encodable {
        var user: String?
        var name: String?
        var organisation: String?
        var organisationName: String?
        var profile: String?
        var at: Date
        var reviews: Bool
        var administers: Bool
        var approvesPictures: [String]
        var layers: [LayerView]
    }

    struct ViewAs: Encodable {
        var organisation: String
        var at: Date
        var policyHash: String
        var layers: [LayerView]
    }

    /// Who may read what, where, and who the caller is: kept by no cache, not even the browser's
    /// (a shared desk's disk outlives a sign-out).
    func unstored(_ value: some Encodable) throws -> Response {
        var response = try routes.json(value)
        response.headers[.cacheControl] = "private, no-store"
        return response
    }

    /// A read scope's area in WGS 84 as GeoJSON (6 decimals, about 10 cm); null for everywhere.
    func area(_ filter: SpatialFilter) throws -> JSONValue {
        guard let resolved = try service.tiles.scope.resolve(filter, crs: .wgs84) else { return .null }
        return try JSONValue.parse(Data(GeoJSON.encode(resolved.geometry, decimals: 6).utf8))
    }
}
