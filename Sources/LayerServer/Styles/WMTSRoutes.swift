import AccessPolicy
import Foundation
import GeoCore
import Hummingbird
import NIOCore
import TileRender

/// WMTS 1.0.0 for QGIS and ArcGIS: GetCapabilities (KVP and RESTful) and GetTile (KVP and
/// RESTful) over the same map tiles as OGC API Maps. The capabilities list what the caller may
/// see and are never cached across callers; a layer the caller may not read answers exactly as
/// an unknown one. Errors are OWS exception reports.
struct WMTSRoutes {
    let routes: Routes
    let maps: MapService

    var service: LayerService { routes.service }

    /// The scope of signed capabilities URLs: their `access` value also serves every tile listed.
    /// A colon cannot occur in a layer id, so no layer's signature is also this scope's.
    static let scope = "scope:wmts"

    func register(on router: Router<ServerContext>) {
        router.get("/wmts") { request, context in
            try await answer {
                let q = Self.parameters(request)
                guard let service = q["service"], service.uppercased() == "WMTS" else {
                    throw WMTSError("MissingParameterValue", locator: "SERVICE", "SERVICE=WMTS is required")
                }
                switch q["request"]?.lowercased() {
                case "getcapabilities"?:
                    return try capabilities(request, context)
                case "gettile"?:
                    if let v = q["version"], v != "1.0.0" {
                        throw WMTSError("InvalidParameterValue", locator: "VERSION", "VERSION \(v) is not served; use 1.0.0")
                    }
                    func required(_ key: String) throws -> String {
                        guard let v = q[key], !v.isEmpty else { throw WMTSError("MissingParameterValue", locator: key.uppercased(), "\(key.uppercased()) is required") }
                        return v
                    }
                    let format = try required("format")
                    guard format == "image/png" else {
                        throw WMTSError("InvalidParameterValue", locator: "FORMAT", "FORMAT \(format) is not served; use image/png")
                    }
                    return try await tile(request, context, layer: try required("layer"), style: try required("style"), tms: try required("tilematrixset"),
                                          z: try required("tilematrix"), row: try required("tilerow"), col: try required("tilecol"))
                case let other?:
                    throw WMTSError("OperationNotSupported", locator: "REQUEST", "REQUEST \(other) is not served; use GetCapabilities or GetTile", status: .notImplemented)
                case nil:
                    throw WMTSError("MissingParameterValue", locator: "REQUEST", "REQUEST is required: GetCapabilities or GetTile")
                }
            }
        }
        router.get("/wmts/1.0.0/WMTSCapabilities.xml") { request, context in
            try await answer { try capabilities(request, context) }
        }
        router.get("/wmts/:layer/:style/:tms/:z/:row/:col") { request, context in
            try await answer {
                var col = Substring(context.parameters.get("col") ?? "")
                if col.hasSuffix(".png") { col = col.dropLast(4) }
                return try await tile(request, context, layer: context.parameters.get("layer") ?? "", style: context.parameters.get("style") ?? "",
                                      tms: context.parameters.get("tms") ?? "", z: context.parameters.get("z") ?? "",
                                      row: context.parameters.get("row") ?? "", col: String(col))
            }
        }
    }

    /// Query parameters by lower-cased name (WMTS KVP names are case-insensitive).
    static func parameters(_ request: Request) -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in request.uri.queryParameters { out[String(k).lowercased()] = String(v) }
        return out
    }

    /// Runs a WMTS handler; problems become OWS exception reports with the same status and headers.
    func answer(_ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let e as WMTSError {
            return Self.report(e.status, code: e.code, locator: e.locator, text: e.text)
        } catch let p as Problem {
            let code = p.status == .notFound ? "InvalidParameterValue" : "NoApplicableCode"
            var r = Self.report(p.status == .notFound ? .badRequest : p.status, code: code, locator: nil, text: p.detail)
            for field in p.headers { r.headers[field.name] = field.value }
            return r
        }
    }

    static func report(_ status: HTTPResponse.Status, code: String, locator: String?, text: String) -> Response {
        Response(status: status, headers: [.contentType: "application/xml; charset=utf-8", .cacheControl: "private, no-store"],
                 body: .init(byteBuffer: ByteBuffer(string: WMTSCapabilities.exception(code: code, locator: locator, text: text))))
    }

    // MARK: Capabilities

    func capabilities(_ request: Request, _ context: ServerContext) throws -> Response {
        let caller = try routes.tilePrincipal(request, context, layer: Self.scope)
        let now = service.clock()
        let base = routes.documents(request).base
        // The caller's own signed URL, or a fresh one for a token: every listed tile takes it.
        let incoming = request.uri.queryParameters["access"].map(String.init)
        let own = service.access.signedParameter(for: caller, layer: Self.scope, at: now)?.value ?? incoming
        func query(_ scope: String) -> String {
            if let signed = service.access.signedParameter(for: caller, layer: scope, at: now) { return "?access=" + signed.value }
            return own.map { "?access=" + $0 } ?? ""
        }
        var layers: [WMTSCapabilities.Layer] = []
        for (layer, grant) in service.visibleLayers(caller) {
            let seen = service.asSeen(layer, grant)
            layers.append(.init(identifier: layer.id, title: layer.title, abstract: nil, wgs84: seen.current.extentWGS84,
                                template: "\(base)/wmts/\(layer.id)/default/{TileMatrixSet}/{TileMatrix}/{TileRow}/{TileCol}.png" + query(layer.id)))
        }
        for entry in maps.styles.entries.values.sorted(by: { $0.id < $1.id }) where service.catalogLayer(entry.id) == nil {
            layers.append(.init(identifier: entry.id, title: entry.style.name ?? entry.id,
                                abstract: "The style \(entry.id): every layer in it the caller may see",
                                wgs84: Envelope(minX: 3.2, minY: 50.7, maxX: 7.3, maxY: 53.6),
                                template: "\(base)/wmts/\(entry.id)/default/{TileMatrixSet}/{TileMatrix}/{TileRow}/{TileCol}.png" + query("style:" + entry.id)))
        }
        let document = WMTSCapabilities(base: base, query: own.map { "access=" + $0 } ?? "", layers: layers)
        return Response(status: .ok, headers: [.contentType: "application/xml; charset=utf-8", .cacheControl: "private, no-store", .vary: "Authorization"],
                        body: .init(byteBuffer: ByteBuffer(string: document.xml)))
    }

    // MARK: Tiles

    func tile(_ request: Request, _ context: ServerContext, layer id: String, style: String, tms tmsID: String,
              z: String, row: String, col: String) async throws -> Response {
        guard let tms = TileMatrixSet.named(tmsID) else {
            throw WMTSError("InvalidParameterValue", locator: "TILEMATRIXSET", "unknown tile matrix set \"\(tmsID)\"; use WebMercatorQuad or NetherlandsRDNewQuad")
        }
        guard let zi = Int(z), let matrix = tms.matrix(zi) else {
            throw WMTSError("InvalidParameterValue", locator: "TILEMATRIX", "tile matrix \"\(z)\" does not exist in \(tms.id); use \(tms.zoomRange.lowerBound)-\(tms.zoomRange.upperBound)")
        }
        guard let r = Int(row), r >= 0, r < matrix.matrixHeight else {
            throw WMTSError("TileOutOfRange", locator: "TILEROW", "tile row \"\(row)\" is outside matrix \(zi): 0-\(matrix.matrixHeight - 1)")
        }
        guard let c = Int(col), c >= 0, c < matrix.matrixWidth else {
            throw WMTSError("TileOutOfRange", locator: "TILECOL", "tile column \"\(col)\" is outside matrix \(zi): 0-\(matrix.matrixWidth - 1)")
        }
        guard style == "default" else {
            throw WMTSError("InvalidParameterValue", locator: "STYLE", "style \"\(style)\" is not served; use default")
        }
        let tile = TileID(z: zi, row: r, col: c)
        let unknown = WMTSError("InvalidParameterValue", locator: "LAYER", "no layer \"\(id)\"")
        let inm = request.headers[.ifNoneMatch]
        if service.catalogLayer(id) != nil {
            let caller = try routes.tilePrincipal(request, context, layer: id, alsoScope: Self.scope)
            guard let (l, grant) = service.visibleLayer(id, caller, item: "png:\(tms.id)/\(zi)/\(r)/\(c)") else { throw unknown }
            let tag = try maps.layerTileETag(layer: l, grant: grant, tms: tms, tile: tile, pixelRatio: 1)
            if let inm, Routes.matches(inm, tag) { return MapRoutes.notModified(tag) }
            let (body, etag) = try await maps.layerTile(layer: l, grant: grant, tms: tms, tile: tile, pixelRatio: 1)
            return MapRoutes.png(body, etag: etag)
        }
        guard let entry = maps.styles.entries[id] else {
            // Authenticate first, so an unknown id costs a stranger what a known one does.
            _ = try routes.tilePrincipal(request, context, layer: id, alsoScope: Self.scope)
            throw unknown
        }
        let caller = try routes.tilePrincipal(request, context, layer: "style:" + entry.id, alsoScope: Self.scope)
        let (body, etag) = try await maps.styleTile(entry, caller: caller, tms: tms, tile: tile, pixelRatio: 1) { tag in
            inm.map { Routes.matches($0, tag) } ?? false
        }
        guard let body else { return MapRoutes.notModified(etag) }
        return MapRoutes.png(body, etag: etag)
    }
}

/// A WMTS exception (OWS 1.1 exception codes).
struct WMTSError: Error {
    var code: String
    var locator: String?
    var text: String
    var status: HTTPResponse.Status

    init(_ code: String, locator: String?, _ text: String, status: HTTPResponse.Status = .badRequest) {
        self.code = code
        self.locator = locator
        self.text = text
        self.status = status
    }
}
