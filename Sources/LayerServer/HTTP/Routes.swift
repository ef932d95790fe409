import AccessPolicy
import Foundation
import GeoCore
import Hummingbird
import Logging
import TileRender

/// The HTTP API: OGC API Tiles for layers, TileJSON, OGC TMS 2.0 documents and health checks.
/// Every layer route authenticates the caller and resolves the layer through
/// ``LayerService/visibleLayer(_:_:item:)``, which asks the access policy.
struct Routes {
    let service: LayerService
    let transformers: TransformerPool
    let publicURL: String?

    func register(on router: Router<ServerContext>) {
        router.get("/") { request, _ in try json(documents(request).landing()) }
        router.get("/conformance") { _, _ in try json(["conformsTo": Documents.conformance]) }
        router.get("/collections") { request, context in
            let caller = try principal(request, context)
            let visible = service.visibleLayers(caller)
            return try json(documents(request, visible.map(\.grant)).collections(visible.map { service.asSeen($0.layer, $0.grant) }))
        }
        router.get("/collections/:layer") { request, context in
            let (l, grant) = try layer(context, request)
            return try json(documents(request, [grant]).collection(l))
        }
        router.get("/collections/:layer/tiles") { request, context in
            let (l, grant) = try layer(context, request)
            let docs = documents(request, [grant])
            return try json([
                "tilesets": AnyEncodable(TileMatrixSet.supported.map { docs.tilesetSummary(l, $0) }),
                "links": AnyEncodable([Link(href: "\(docs.base)/collections/\(l.id)/tiles", rel: "self", type: "application/json", title: "Tilesets")]),
            ])
        }
        router.get("/collections/:layer/tiles/:tms") { request, context in
            let (l, grant) = try layer(context, request)
            return try json(documents(request, [grant]).tileset(l, try tileMatrixSet(context)))
        }
        router.get("/collections/:layer/tiles/:tms/tilejson") { request, context in
            // A signed URL for the layer serves its TileJSON too: style documents point here.
            let id = context.parameters.get("layer") ?? ""
            let caller = try tilePrincipal(request, context, layer: id)
            guard let (l, grant) = service.visibleLayer(id, caller) else { throw Self.unknownLayer(id) }
            // Map clients that cannot send headers get tile URLs signed for this caller's access;
            // a caller that came with a signed URL gets the same one (a signature never extends itself).
            let signed = service.access.signedParameter(for: caller, layer: id, at: service.clock())?.value
                ?? (caller.via == .signedURL ? request.uri.queryParameters["access"].map(String.init) : nil)
            let tms = try tileMatrixSet(context)
            return try json(documents(request, [grant]).tileJSON(service.asSeen(l, grant), tms,
                                                                 tileQuery: signed.map { "access=" + $0 }))
        }
        router.get("/collections/:layer/tiles/:tms/:z/:row/:col") { request, context in
            try await tile(request, context)
        }
        // The XYZ alias /xyz/{layer}/{tms}/{z}/{x}/{y}.mvt (x = column, y = row) is registered
        // by MapRoutes, which also answers its .png form.
        router.get("/tileMatrixSets") { request, _ in try json(documents(request).tileMatrixSets()) }
        router.get("/tileMatrixSets/:tms") { _, context in try json(try tileMatrixSet(context).document) }
        router.get("/health/live") { _, _ in try json(["status": "live"]) }
        router.get("/health/ready") { _, _ in
            do {
                _ = try await service.store.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ls_layer") }
                return try json(["status": "ready"])
            } catch {
                throw Problem(.serviceUnavailable, "Not ready", detail: "the layer store cannot be read")
            }
        }
    }

    // MARK: Parameters

    func documents(_ request: Request, _ grants: [LayerGrant] = []) -> Documents {
        let base: String
        if let publicURL {
            base = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        } else {
            // Links echo the Host header only when it is a plain host[:port]; behind a proxy or
            // TLS, configure public-url.
            let authority = request.head.authority ?? ""
            let plain = !authority.isEmpty && authority.count <= 255
                && authority.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-.:[]".contains($0)) }
            base = "http://" + (plain ? authority : "localhost")
        }
        let limited = grants.filter { $0.decision.filter != .everywhere }.map(\.layer)
        return Documents(base: base, transformers: transformers, limited: Set(limited), tiles: service.tiles.configuration)
    }

    /// The authenticated caller. No credentials means anonymous, which is refused (401) unless
    /// the operator turned anonymous access on. Every refusal is audited.
    func principal(_ request: Request, _ context: ServerContext) throws -> Principal {
        let now = service.clock()
        switch service.access.authenticate(authorization: request.headers[.authorization], at: now) {
        case .failure(let failure):
            throw refused(failure, request, context, at: now)
        case .success(let caller):
            if caller.via == .anonymous, !service.access.configuration.anonymousAccess {
                let failure = AuthenticationFailure(claimed: "anonymous", reason: "no credentials: send Authorization: Bearer <token>")
                throw refused(failure, request, context, at: now)
            }
            // A browser that once stored a Basic login sends it by itself, to requests any page
            // can make: Basic reads (all that desktop GIS clients need), it never writes.
            if caller.via == .basic, request.method != .get, request.method != .head {
                let failure = AuthenticationFailure(claimed: caller.tokenID ?? "unknown",
                                                    reason: "HTTP Basic is accepted for reading only (GET); send the token as Authorization: Bearer <token> to change anything")
                throw refused(failure, request, context, at: now)
            }
            return caller
        }
    }

    /// The caller of a tile request: a signed URL's `access` parameter, or the usual credentials.
    /// `alsoScope` names a second scope a signature may be bound to (the WMTS capabilities'
    /// "wmts", whose signed URL serves every tile the capabilities list).
    func tilePrincipal(_ request: Request, _ context: ServerContext, layer: String, alsoScope: String? = nil) throws -> Principal {
        // Parse the query only when there is one: this runs on every tile request.
        guard request.uri.string.utf8.contains(UInt8(ascii: "?")), let signed = request.uri.queryParameters["access"] else {
            return try principal(request, context)
        }
        let now = service.clock()
        switch service.access.authenticate(signed: String(signed), layer: layer, at: now) {
        case .failure(let failure):
            if let alsoScope, case .success(let caller) = service.access.authenticate(signed: String(signed), layer: alsoScope, at: now) {
                return caller
            }
            throw refused(failure, request, context, at: now)
        case .success(let caller):
            return caller
        }
    }

    /// The answer to refused credentials: 401, or 429 with Retry-After once the caller's address
    /// has sent more than `refusals-per-minute` refused credentials this minute. Audited either
    /// way, merged per address and reason (a stranger cannot grow the log with its requests).
    func refused(_ failure: AuthenticationFailure, _ request: Request, _ context: ServerContext, at now: Date) -> Problem {
        let access = service.access
        let address = context.clientAddress
        if let wait = access.refusals.refuse(address, at: now) {
            let limit = access.refusals.perMinute
            access.audit(AuthenticationFailure(claimed: failure.claimed, reason: "rate limited",
                                               audit: "rate limited: more than \(limit) refused credentials in a minute"),
                         address: address, path: request.uri.path, at: now)
            var p = Problem(.tooManyRequests, "Too many requests",
                            detail: "more than \(limit) refused credentials from your address in a minute; try again in \(wait) s with a valid token")
            p.headers[.retryAfter] = String(wait)
            return p
        }
        access.audit(failure, address: address, path: request.uri.path, at: now)
        return Problem.unauthorized(failure.reason)
    }

    /// A layer as the caller may see it (hidden attributes gone, extents cut to its area) with
    /// the caller's grant, or 404.
    func layer(_ context: ServerContext, _ request: Request) throws -> (Layer, LayerGrant) {
        let caller = try principal(request, context)
        let id = context.parameters.get("layer") ?? ""
        guard let (l, grant) = service.visibleLayer(id, caller) else { throw Self.unknownLayer(id) }
        return (service.asSeen(l, grant), grant)
    }

    /// The one answer for a layer that does not exist for the caller: unknown, or hidden from it.
    static func unknownLayer(_ id: String) -> Problem { Problem.notFound("no layer \"\(id)\"") }

    /// The first decision of every route that takes a layer id and acts on more than its
    /// published documents (versions, jobs, conditions): the caller's read grant, or the answer
    /// of an unknown id. A layer exists for a caller when the caller may read it (its
    /// conditions allow it; the layer may be published or only staged). The read, or the
    /// denial of a layer that exists, is audited.
    func readable(_ caller: Principal, _ id: String) throws -> LayerGrant {
        // An id neither in the catalog nor in the policy has no conditions: every read decision
        // on it denies (`layer-no-conditions`). Answer without deciding, so that made-up ids
        // (of any length) never reach the decision memo or the audit log.
        guard service.catalogLayer(id) != nil || service.access.policy.policy.layers[id] != nil else { throw Self.unknownLayer(id) }
        let now = service.clock()
        let grant = service.access.readGrant(caller, layer: id, at: now)
        service.access.audit(read: grant, item: nil, at: now)
        guard grant.decision.allowed else { throw Self.unknownLayer(id) }
        return grant
    }

    func tileMatrixSet(_ context: ServerContext) throws -> TileMatrixSet {
        let id = context.parameters.get("tms") ?? ""
        guard let tms = TileMatrixSet.named(id) else {
            let known = TileMatrixSet.supported.map(\.id).joined(separator: ", ")
            throw Problem.badRequest("unknown tile matrix set \"\(id)\"; use one of \(known)")
        }
        return tms
    }

    func integer(_ context: ServerContext, _ key: String) throws -> Int {
        try Self.integer(Substring(context.parameters.get(key) ?? ""), key)
    }

    static func integer(_ raw: Substring, _ key: String) throws -> Int {
        guard let v = Int(raw), v >= 0 else {
            throw Problem.badRequest("\(key) must be a non-negative whole number, got \"\(raw)\"")
        }
        return v
    }

    // MARK: Tiles

    /// What the last path segment of a tile address may carry after its number: a scale
    /// (`@2x`) and a format extension (`.mvt`, `.png`).
    struct TileSuffix {
        var format: String?
        var pixelRatio: Double = 1
    }

    /// The tile matrix set and tile of the path, checked before anything else touches them (400).
    /// `suffixOn` names the parameter that may end in `@2x` and `.{format}` (one of `formats`).
    func tileAddress(_ context: ServerContext, suffixOn: String? = nil, formats: Set<String> = ["mvt", "pbf"]) throws -> (TileMatrixSet, TileID, TileSuffix) {
        let tms = try tileMatrixSet(context)
        let z = try integer(context, "z")
        var suffix = TileSuffix()
        func parse(_ key: String) throws -> Int {
            var raw = Substring(context.parameters.get(key) ?? "")
            guard key == suffixOn else { return try Self.integer(raw, key) }
            if let dot = raw.firstIndex(of: ".") {
                let ext = String(raw[raw.index(after: dot)...])
                guard formats.contains(ext) else {
                    throw Problem.badRequest("tile format \".\(ext)\" is not served here; use " + formats.sorted().map { "." + $0 }.joined(separator: " or "))
                }
                suffix.format = ext
                raw = raw[..<dot]
            }
            if let at = raw.firstIndex(of: "@") {
                let scale = raw[raw.index(after: at)...]
                guard formats.contains("png"), scale == "1x" || scale == "2x" else {
                    throw Problem.badRequest("tile scale \"@\(scale)\" is not served; use @2x (512 px) on image tiles, or nothing (256 px)")
                }
                suffix.pixelRatio = scale == "2x" ? 2 : 1
                raw = raw[..<at]
            }
            return try Self.integer(raw, key)
        }
        let row = try parse("row")
        let col = try parse("col")
        guard let matrix = tms.matrix(z) else {
            throw Problem.badRequest("tile matrix \(z) does not exist in \(tms.id); use \(tms.zoomRange.lowerBound)-\(tms.zoomRange.upperBound)")
        }
        guard row < matrix.matrixHeight, col < matrix.matrixWidth else {
            throw Problem.badRequest("tile \(z)/\(row)/\(col) is outside \(tms.id) matrix \(z): rows and columns run 0-\(matrix.matrixHeight - 1)")
        }
        return (tms, TileID(z: z, row: row, col: col), suffix)
    }

    func tile(_ request: Request, _ context: ServerContext, rowHasExtension: Bool = false) async throws -> Response {
        // Validate the tile address before anything else touches it.
        let (tms, id, _) = try tileAddress(context, suffixOn: rowHasExtension ? "row" : nil)
        let (z, row, col) = (id.z, id.row, id.col)
        let layerID = context.parameters.get("layer") ?? ""
        let caller = try tilePrincipal(request, context, layer: layerID)
        guard let (l, grant) = service.visibleLayer(layerID, caller, item: "\(tms.id)/\(z)/\(row)/\(col)") else {
            throw Self.unknownLayer(layerID)
        }
        let acceptsGzip = Self.acceptsGzip(request.headers[values: .acceptEncoding])
        // The gzip and identity forms are different representations: their strong ETags differ.
        let plainTag = service.etag(layer: l, grant: grant, format: service.tiles.mvt.cacheKey, tms: tms, tile: id)
        let gzipTag = String(plainTag.dropLast()) + "-gz\""
        var headers: HTTPFields = [.cacheControl: "private, max-age=60", .vary: "Accept-Encoding, Authorization"]
        if let inm = request.headers[.ifNoneMatch], Self.matches(inm, acceptsGzip ? gzipTag : plainTag) || Self.matches(inm, plainTag) {
            headers[.eTag] = Self.matches(inm, plainTag) ? plainTag : gzipTag
            return Response(status: .notModified, headers: headers)
        }
        let result = try await service.tile(layer: l, grant: grant, tms: tms, tile: id, gzip: acceptsGzip)
        if result.body.readableBytes == 0 {
            headers[.eTag] = plainTag
            return Response(status: .noContent, headers: headers)
        }
        headers[.eTag] = result.isGzipped ? gzipTag : plainTag
        headers[.contentType] = Documents.mvtType
        if result.isGzipped { headers[.contentEncoding] = "gzip" }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: result.body))
    }

    /// True when an Accept-Encoding header lists gzip (or *) with a non-zero quality.
    static func acceptsGzip(_ values: [String]) -> Bool {
        for value in values {
            for item in value.split(separator: ",") {
                let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
                guard let coding = parts.first, coding == "gzip" || coding == "x-gzip" || coding == "*" else { continue }
                let q = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
                if q > 0 { return true }
            }
        }
        return false
    }

    static func matches(_ ifNoneMatch: String, _ etag: String) -> Bool {
        ifNoneMatch.split(separator: ",").contains {
            let t = $0.trimmingCharacters(in: .whitespaces)
            return t == "*" || t == etag || t == "W/" + etag
        }
    }

    // MARK: JSON

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .iso8601
        return e
    }()

    func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try Self.encoder.encode(value)
        // Documents list what this caller may see: never from a shared cache.
        return Response(status: status, headers: [.contentType: "application/json", .cacheControl: "private, max-age=10"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
