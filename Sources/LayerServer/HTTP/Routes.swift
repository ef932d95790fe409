import Foundation
import GeoCore
import Hummingbird
import Logging
import TileRender

/// The HTTP API: OGC API Tiles for layers, TileJSON, OGC TMS 2.0 documents and health checks.
/// Every layer route resolves the layer through ``LayerService/visibleLayer(_:)``, the access gate.
struct Routes {
    let service: LayerService
    let transformers: TransformerPool
    let publicURL: String?

    func register(on router: Router<BasicRequestContext>) {
        router.get("/") { request, _ in try json(documents(request).landing()) }
        router.get("/conformance") { _, _ in try json(["conformsTo": Documents.conformance]) }
        router.get("/collections") { request, _ in
            try json(documents(request).collections(service.visibleLayers()))
        }
        router.get("/collections/:layer") { request, context in
            try json(documents(request).collection(try layer(context)))
        }
        router.get("/collections/:layer/tiles") { request, context in
            let l = try layer(context)
            let docs = documents(request)
            return try json([
                "tilesets": AnyEncodable(TileMatrixSet.supported.map { docs.tilesetSummary(l, $0) }),
                "links": AnyEncodable([Link(href: "\(docs.base)/collections/\(l.id)/tiles", rel: "self", type: "application/json", title: "Tilesets")]),
            ])
        }
        router.get("/collections/:layer/tiles/:tms") { request, context in
            let l = try layer(context)
            return try json(documents(request).tileset(l, try tileMatrixSet(context)))
        }
        router.get("/collections/:layer/tiles/:tms/tilejson") { request, context in
            let l = try layer(context)
            return try json(documents(request).tileJSON(l, try tileMatrixSet(context)))
        }
        router.get("/collections/:layer/tiles/:tms/:z/:row/:col") { request, context in
            try await tile(request, context, rowKey: "row", colKey: "col")
        }
        // XYZ alias: /xyz/{layer}/{tms}/{z}/{x}/{y}.mvt, x = column, y = row.
        router.get("/xyz/:layer/:tms/:z/:col/:row") { request, context in
            try await tile(request, context, rowKey: "row", colKey: "col", stripExtension: true)
        }
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

    func documents(_ request: Request) -> Documents {
        let base: String
        if let publicURL {
            base = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        } else {
            base = "http://" + (request.head.authority ?? "localhost")
        }
        return Documents(base: base, transformers: transformers)
    }

    func layer(_ context: BasicRequestContext) throws -> Layer {
        let id = context.parameters.get("layer") ?? ""
        guard let l = service.visibleLayer(id) else { throw Problem.notFound("no layer \"\(id)\"") }
        return l
    }

    func tileMatrixSet(_ context: BasicRequestContext) throws -> TileMatrixSet {
        let id = context.parameters.get("tms") ?? ""
        guard let tms = TileMatrixSet.named(id) else {
            let known = TileMatrixSet.supported.map(\.id).joined(separator: ", ")
            throw Problem.badRequest("unknown tile matrix set \"\(id)\"; use one of \(known)")
        }
        return tms
    }

    func integer(_ context: BasicRequestContext, _ key: String, stripExtension: Bool = false) throws -> Int {
        var raw = Substring(context.parameters.get(key) ?? "")
        if stripExtension, let dot = raw.firstIndex(of: ".") {
            let ext = raw[raw.index(after: dot)...]
            guard ext == "mvt" || ext == "pbf" else {
                throw Problem.badRequest("tile format \".\(ext)\" is not served; use .mvt or .pbf")
            }
            raw = raw[..<dot]
        }
        guard let v = Int(raw), v >= 0, raw.allSatisfy(\.isASCII) else {
            throw Problem.badRequest("\(key) must be a non-negative whole number, got \"\(raw)\"")
        }
        return v
    }

    // MARK: Tiles

    func tile(_ request: Request, _ context: BasicRequestContext, rowKey: String, colKey: String,
              stripExtension: Bool = false) async throws -> Response {
        // Validate the tile address before anything else touches it.
        let tms = try tileMatrixSet(context)
        let z = try integer(context, "z")
        let row = try integer(context, rowKey, stripExtension: stripExtension && rowKey == "row")
        let col = try integer(context, colKey)
        guard let matrix = tms.matrix(z) else {
            throw Problem.badRequest("tile matrix \(z) does not exist in \(tms.id); use \(tms.zoomRange.lowerBound)-\(tms.zoomRange.upperBound)")
        }
        guard row < matrix.matrixHeight, col < matrix.matrixWidth else {
            throw Problem.badRequest("tile \(z)/\(row)/\(col) is outside \(tms.id) matrix \(z): rows and columns run 0-\(matrix.matrixHeight - 1)")
        }
        let l = try layer(context)
        let id = TileID(z: z, row: row, col: col)
        let etag = service.etag(layer: l, tms: tms, tile: id)
        var headers: HTTPFields = [.eTag: etag, .cacheControl: "private, max-age=60", .vary: "Accept-Encoding"]
        if let inm = request.headers[.ifNoneMatch], Self.matches(inm, etag) {
            return Response(status: .notModified, headers: headers)
        }
        let acceptsGzip = request.headers[values: .acceptEncoding].contains { $0.lowercased().contains("gzip") }
        let result = try await service.tile(layer: l, tms: tms, tile: id, gzip: acceptsGzip)
        if result.body.readableBytes == 0 {
            return Response(status: .noContent, headers: headers)
        }
        headers[.contentType] = Documents.mvtType
        if result.isGzipped { headers[.contentEncoding] = "gzip" }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: result.body))
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
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
