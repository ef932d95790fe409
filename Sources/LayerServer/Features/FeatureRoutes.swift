import AccessPolicy
import Foundation
import GeoCore
import GRDB
import HTTPTypes
import Hummingbird

/// OGC API Features: Part 1 (items, an item, GeoJSON), Part 2 (`crs`, `bbox-crs`) and Part 3
/// (`filter` in Basic CQL2 with S_INTERSECTS, queryables). The layer is resolved through the
/// read decision first (a layer the caller may not read is a missing one); the caller's
/// ``Restriction`` is the same as on tiles; every read of an audited layer is recorded with the
/// stored ids of the features served.
struct FeatureRoutes {
    let routes: Routes
    let limits: FeatureLimits
    var service: LayerService { routes.service }

    static let geoJSONType = "application/geo+json"

    func register(on router: Router<ServerContext>) {
        Self.clearExports(in: service.store.configuration.dataDirectory)
        router.get("/collections/:layer/items") { request, context in
            try await items(request, context)
        }
        router.get("/collections/:layer/items/:featureId") { request, context in
            try await item(request, context)
        }
        router.get("/exports/gpkg") { request, context in
            try await layerSetExport(request, context)
        }
        router.get("/collections/:layer/tiles/:tms/mbtiles") { request, context in
            try await mbtiles(request, context)
        }
        router.get("/collections/:layer/queryables") { request, context in
            let (layer, grant) = try granted(request, context)
            service.access.audit(read: grant, item: nil, at: service.clock())
            let fields = Restriction(grant, layer: layer, secret: []).visibleFields(layer.current.fields)
            return try queryables(request, layer, fields)
        }
    }

    /// The query string as (name, value) pairs: `+` is a space and %-escapes are decoded.
    static func query(_ request: Request) throws -> [(String, String)] {
        guard let raw = request.uri.query, !raw.isEmpty else { return [] }
        guard raw.utf8.count <= 65_536 else { throw Problem.badRequest("the query string is longer than 64 KiB") }
        return try raw.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) throws -> String {
                guard let d = s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding else {
                    throw Problem.badRequest("the query string has an invalid %-escape in \"\(s.prefix(100))\"")
                }
                return d
            }
            return (try decode(parts[0]), parts.count > 1 ? try decode(parts[1]) : "")
        }
    }

    /// The layer and grant of an allowed read, or the answer of a missing layer. A denial is
    /// audited here; an allowed read is audited by the route once it knows what it served.
    func granted(_ request: Request, _ context: ServerContext) throws -> (Layer, LayerGrant) {
        let caller = try routes.principal(request, context)
        let id = context.parameters.get("layer") ?? ""
        guard let found = service.grantedLayer(id, caller) else { throw Routes.unknownLayer(id) }
        return found
    }

    /// Refuses Accept headers that admit no JSON (406), as GeoJSON is all these routes write.
    static func checkAccept(_ request: Request, format: FeatureRequest.Format) throws {
        guard format == .json, let accept = request.headers[.accept]?.lowercased(), !accept.isEmpty else { return }
        let ok = ["json", "*/*", "application/*"].contains { accept.contains($0) }
        guard ok else { throw Problem(.notAcceptable, "Not acceptable", detail: "features are served as application/geo+json (or f=gpkg, f=fgb, f=csv); the Accept header admits none of them") }
    }

    // MARK: Items

    func items(_ request: Request, _ context: ServerContext) async throws -> Response {
        let (current, grant) = try granted(request, context)
        let secret = service.access.keyBytes
        var parsed = try FeatureRequest.parse(try Self.query(request),
                                             fields: Restriction(grant, layer: current, secret: []).visibleFields(current.current.fields),
                                             storage: current.current.crs, limits: limits)
        try Self.checkAccept(request, format: parsed.format)
        // A page stays on the version its paging started on.
        var layer = current
        var position = FeatureQuery.Position.after(Int64.min)
        var resumed = false
        if let raw = parsed.cursor {
            guard let cursor = FeatureCursor.open(raw, key: secret), cursor.layer == current.id, cursor.accessClass == grant.accessClass else {
                throw Problem.badRequest("cursor is not one this server gave for this collection and caller; start again without it")
            }
            guard current.versions.contains(where: { $0.number == cursor.version }) else {
                throw Problem(.gone, "Gone", detail: "the layer changed: version \(cursor.version), on which this paging started, is no longer kept; start again from the first page (without cursor)")
            }
            layer.currentVersion = cursor.version
            position = cursor.position
            resumed = true
        }
        guard parsed.format == .json else {
            parsed.limit = Int.max
            return try await export(request, layer: layer, grant: grant, parsed: parsed)
        }
        let restriction = Restriction(grant, layer: layer, secret: secret)
        let version = layer.current
        let (start, wanted) = (position, parsed.limit + 1)
        let page = try await read(layer: layer, restriction: restriction, parsed: parsed) { query, db in
            try query.page(db, from: start, limit: wanted)
        }
        var features = page.features
        // One row beyond the limit tells whether there is more in the reading direction.
        let more = features.count > parsed.limit
        if more {
            if case .before = position { features.removeFirst() } else { features.removeLast() }
        }
        let now = service.clock()
        service.access.audit(read: grant, item: Self.auditItem("items", version: version.number, fids: features.map(\.fid)), at: now)

        let base = routes.documents(request).base + "/collections/\(layer.id)/items"
        func link(_ cursor: FeatureQuery.Position?) -> String {
            var params = parsed.parameters
            if let cursor {
                params.append(("cursor", FeatureCursor(layer: layer.id, version: version.number, accessClass: grant.accessClass, position: cursor).seal(key: secret)))
            }
            return base + Self.encode(params)
        }
        var links: [Link] = [Link(href: link(resumed ? position : nil), rel: "self", type: Self.geoJSONType, title: "This page")]
        let backwards: Bool = if case .before = position { true } else { false }
        if let last = features.last, backwards || more {
            links.append(Link(href: link(.after(last.fid)), rel: "next", type: Self.geoJSONType, title: "Next page"))
        }
        if let first = features.first, backwards ? more : resumed {
            links.append(Link(href: link(.before(first.fid)), rel: "prev", type: Self.geoJSONType, title: "Previous page"))
        }
        links.append(Link(href: routes.documents(request).base + "/collections/\(layer.id)", rel: "collection", type: "application/json", title: layer.title))

        var out = "{\"type\":\"FeatureCollection\",\"timeStamp\":\"\(Self.timestamp(now))\",\"numberReturned\":\(features.count),\"links\":"
        out += String(decoding: try Routes.encoder.encode(links), as: UTF8.self)
        out += ",\"features\":["
        for (i, f) in features.enumerated() {
            if i > 0 { out += "," }
            FeatureJSON.feature(f, geometry: page.geometries[f.fid] ?? nil, fields: page.fields, crs: parsed.crs, links: nil, into: &out)
        }
        out += "]}"
        return Self.geoJSON(out, crs: parsed.crs)
    }

    /// One feature by the id the caller was given (opaque for a caller limited to an area).
    func item(_ request: Request, _ context: ServerContext) async throws -> Response {
        let (layer, grant) = try granted(request, context)
        let rawID = context.parameters.get("featureId") ?? ""
        let secret = service.access.keyBytes
        let restriction = Restriction(grant, layer: layer, secret: secret)
        var parsed = FeatureRequest(limit: 1)
        for (key, value) in try Self.query(request) {
            switch key {
            case "f":
                guard value == "json" || value == "geojson" else { throw Problem.badRequest("f=\(value.prefix(50)) is not offered for a single feature; use f=json") }
            case "crs": parsed.crs = try FeatureCRS.parse(value, offered: FeatureCRS.offered(storage: layer.current.crs), parameter: "crs")
            default: throw Problem.badRequest("unknown parameter \"\(key.prefix(100))\" for a single feature; use f or crs")
            }
            parsed.parameters.append((key, value))
        }
        try Self.checkAccept(request, format: .json)
        let notFound = Problem.notFound("no feature \"\(rawID.prefix(100))\" in collection \"\(layer.id)\"")
        guard let given = Int64(rawID) else { throw notFound }
        let fid: Int64
        if let ids = restriction.featureIDs {
            guard let stored = ids.hasher().fid(given) else { throw notFound }
            fid = stored
        } else {
            fid = given
        }
        let page = try await read(layer: layer, restriction: restriction, parsed: parsed) { query, db in
            try query.feature(db, fid: fid).map { [$0] } ?? []
        }
        let now = service.clock()
        service.access.audit(read: grant, item: Self.auditItem("item", version: layer.currentVersion, fids: page.features.map(\.fid)), at: now)
        guard let feature = page.features.first else { throw notFound }
        let docs = routes.documents(request)
        let links = [
            Link(href: "\(docs.base)/collections/\(layer.id)/items/\(feature.id)" + Self.encode(parsed.parameters), rel: "self", type: Self.geoJSONType, title: "This feature"),
            Link(href: "\(docs.base)/collections/\(layer.id)", rel: "collection", type: "application/json", title: layer.title),
        ]
        var out = ""
        FeatureJSON.feature(feature, geometry: page.geometries[feature.fid] ?? nil, fields: page.fields, crs: parsed.crs,
                            links: String(decoding: try Routes.encoder.encode(links), as: UTF8.self), into: &out)
        return Self.geoJSON(out, crs: parsed.crs)
    }

    /// What a read gave: the features, their geometries in the output CRS (by stored id) and the fields.
    struct Page {
        var features: [VisibleFeature]
        var geometries: [Int64: Geometry?]
        var fields: [Field]
    }

    /// Plans the query (bbox and filter into the layer's CRS), runs `body` on a store reader and
    /// brings the geometries into the output CRS there (all C work off the cooperative pool).
    func read(layer: Layer, restriction: Restriction, parsed: FeatureRequest,
              _ body: @escaping @Sendable (FeatureQuery, GRDB.Database) throws -> [VisibleFeature]) async throws -> Page {
        let version = layer.current
        let fields = restriction.visibleFields(version.fields)
        let transformers = service.tiles.transformers
        let scope = service.tiles.scope
        let output = parsed.crs
        let box = try bbox(parsed, version: version)
        let filter = try compiledFilter(parsed, version: version, fields: fields)
        return try await service.store.read { db in
            guard let query = try FeatureQuery.make(version: version, restriction: restriction, scope: scope, bbox: box, filter: filter) else {
                return Page(features: [], geometries: [:], fields: fields)
            }
            let features = try body(query, db)
            var geometries: [Int64: Geometry?] = [:]
            try transformers.withTransformer(from: version.crs, to: output.crs) { t in
                for f in features {
                    // A geometry outside the output CRS's domain is written as null.
                    let g = f.geometry.flatMap { try? t.transform($0) }
                    geometries[f.fid] = output.latitudeFirst ? g?.mapPositions { Position($0.y, $0.x) } : g
                }
            }
            return Page(features: features, geometries: geometries, fields: fields)
        }
    }

    /// The requested bbox in the layer's CRS.
    func bbox(_ parsed: FeatureRequest, version: LayerVersion) throws -> Envelope? {
        try parsed.bbox.map { b -> Envelope in
            let lower = parsed.bboxCRS.ordered(Position(b[0], b[1]))
            let upper = parsed.bboxCRS.ordered(Position(b[2], b[3]))
            let e = Envelope(minX: lower.x, minY: lower.y, maxX: upper.x, maxY: upper.y)
            do {
                return try service.tiles.transformers.withTransformer(from: parsed.bboxCRS.crs, to: version.crs) { try $0.transformBounds(e) }
            } catch {
                throw Problem.badRequest("bbox cannot be brought into the layer's coordinate reference system (\(version.crs)): is it in bbox-crs \(parsed.bboxCRS.uri) and its axis order?")
            }
        }
    }

    /// The request's filter compiled against the visible `fields`, its literals in the layer's CRS.
    func compiledFilter(_ parsed: FeatureRequest, version: LayerVersion, fields: [Field]) throws -> FeatureFilterSQL? {
        let transformers = service.tiles.transformers
        guard let f = parsed.filter else { return nil }
        let result = Result { () throws(CQL2.ParseError) in
            try FeatureFilterSQL.compile(f, fields: fields) { g in
                let ordered = parsed.filterCRS.latitudeFirst ? g.mapPositions { Position($0.y, $0.x) } : g
                return try transformers.withTransformer(from: parsed.filterCRS.crs, to: version.crs) { try $0.transform(ordered) }
            }
        }
        switch result {
        case .success(let compiled): return compiled
        case .failure(let e): throw Problem.badRequest("filter: \(e.message)")
        }
    }

    // MARK: Queryables

    func queryables(_ request: Request, _ layer: Layer, _ fields: [Field]) throws -> Response {
        var properties: [String: [String: String]] = [:]
        for f in fields {
            switch f.type {
            case .integer: properties[f.name] = ["type": "integer", "title": f.name]
            case .real: properties[f.name] = ["type": "number", "title": f.name]
            case .bool: properties[f.name] = ["type": "boolean", "title": f.name]
            case .date: properties[f.name] = ["type": "string", "format": "date", "title": f.name]
            case .dateTime: properties[f.name] = ["type": "string", "format": "date-time", "title": f.name]
            default: properties[f.name] = ["type": "string", "title": f.name]
            }
        }
        let geometryFormat = switch layer.current.geometryType.family {
        case .point: "geometry-point-or-multipoint"
        case .line: "geometry-linestring-or-multilinestring"
        case .polygon: "geometry-polygon-or-multipolygon"
        default: "geometry-any"
        }
        properties["geom"] = ["format": geometryFormat, "title": "The feature's geometry"]
        let base = routes.documents(request).base
        let document: [String: AnyEncodable] = [
            "$schema": AnyEncodable("https://json-schema.org/draft/2020-12/schema"),
            "$id": AnyEncodable("\(base)/collections/\(layer.id)/queryables"),
            "type": AnyEncodable("object"),
            "title": AnyEncodable(layer.title),
            "properties": AnyEncodable(properties),
            "additionalProperties": AnyEncodable(false),
        ]
        var response = try routes.json(document)
        response.headers[.contentType] = "application/schema+json"
        return response
    }

    // MARK: Helpers

    static func geoJSON(_ body: String, crs: FeatureCRS) -> Response {
        Response(status: .ok,
                 headers: [.contentType: geoJSONType, .cacheControl: "private, max-age=10", HTTPField.Name("Content-Crs")!: "<\(crs.uri)>"],
                 body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func encode(_ params: [(String, String)]) -> String {
        guard !params.isEmpty else { return "" }
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+?#/:,;")
        return "?" + params.map { k, v in
            (k.addingPercentEncoding(withAllowedCharacters: allowed) ?? "") + "=" + (v.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")
        }.joined(separator: "&")
    }

    static func timestamp(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: date)
    }

    /// The audit item of a feature read: the version and the stored ids, as ranges
    /// (`items v3: 1-40,52`).
    static func auditItem(_ what: String, version: Int, fids: [Int64]) -> String {
        let out = "\(what) v\(version): "
        guard !fids.isEmpty else { return out + "none" }
        let sorted = fids.sorted()
        var start = sorted[0]
        var end = sorted[0]
        var parts: [String] = []
        for fid in sorted.dropFirst() {
            if fid == end + 1 { end = fid; continue }
            parts.append(start == end ? "\(start)" : "\(start)-\(end)")
            start = fid
            end = fid
        }
        parts.append(start == end ? "\(start)" : "\(start)-\(end)")
        return out + parts.joined(separator: ",")
    }
}
