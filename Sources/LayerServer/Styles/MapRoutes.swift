import AccessPolicy
import Foundation
import GeoCore
import Hummingbird
import NIOCore
import NIOPosix
import TileRender

/// OGC API Maps tiles (a layer in its default style, a whole style), OGC API Styles documents,
/// and the sprites and glyph ranges the styles refer to. Every layer goes through the read
/// decision first: a layer the caller may not read answers as an unknown one.
struct MapRoutes {
    let routes: Routes
    let maps: MapService

    var service: LayerService { routes.service }

    func register(on router: Router<ServerContext>) {
        router.get("/collections/:layer/map/tiles/:tms/:z/:row/:col") { request, context in
            try await layerTile(request, context, suffixOn: "col")
        }
        router.get("/styles") { request, context in
            _ = try routes.principal(request, context)
            let base = routes.documents(request).base
            return try routes.json(StylesDocument(styles: maps.styles.entries.values.sorted { $0.id < $1.id }.map { summary($0, base: base) },
                                                  links: [Link(href: "\(base)/styles", rel: "self", type: "application/json", title: "Styles")]))
        }
        router.get("/styles/:style") { request, context in
            let caller = try routes.principal(request, context)
            let entry = try style(context)
            let document = try await maps.document(entry, caller: caller, base: routes.documents(request).base)
            return Response(status: .ok, headers: [.contentType: "application/vnd.mapbox.style+json", .cacheControl: "private, max-age=10"],
                            body: .init(byteBuffer: ByteBuffer(bytes: try Routes.encoder.encode(document))))
        }
        // XYZ alias of layer tiles: MVT as before, PNG when y ends in .png (or @2x.png).
        router.get("/xyz/:layer/:tms/:z/:col/:row") { request, context in
            if context.parameters.get("row")?.hasSuffix(".png") == true {
                return try await layerTile(request, context, suffixOn: "row")
            }
            return try await routes.tile(request, context, rowHasExtension: true)
        }
        router.get("/styles/:style/map/tiles/:tms/:z/:row/:col") { request, context in
            try await styleTile(request, context, suffixOn: "col")
        }
        // XYZ aliases: x = column, y = row, the format and scale on y.
        router.get("/xyz/styles/:style/:tms/:z/:col/:row") { request, context in
            try await styleTile(request, context, suffixOn: "row", formats: ["png"])
        }
        router.get("/sprites/:file") { _, context in
            let file = context.parameters.get("file") ?? ""
            let name = StyleCatalog.spriteName
            let table: [String: (Int, Bool)] = ["\(name).json": (1, true), "\(name).png": (1, false), "\(name)@2x.json": (2, true), "\(name)@2x.png": (2, false)]
            guard let (ratio, isIndex) = table[file], let files = maps.styles.sprites[ratio] else {
                throw Problem.notFound("no sprite file \"\(file)\"; this service has \(name).json, \(name).png and their @2x forms")
            }
            // Symbols only: no layer data, the same for every caller.
            return Response(status: .ok, headers: [.contentType: isIndex ? "application/json" : "image/png", .cacheControl: "public, max-age=3600"],
                            body: .init(byteBuffer: ByteBuffer(bytes: isIndex ? files.index : files.png)))
        }
        router.get("/fonts/:fontstack/:range") { _, context in
            let stack = context.parameters.get("fontstack") ?? ""
            let range = context.parameters.get("range") ?? ""
            guard stack.utf8.count <= 256 else { throw Problem.badRequest("font stack names are at most 256 bytes") }
            guard range.hasSuffix(".pbf"), let dash = range.firstIndex(of: "-"),
                  let start = Int(range[..<dash]), let end = Int(range.dropLast(4)[range.index(after: dash)...]),
                  start >= 0, start % 256 == 0, end == start + 255, end <= 65535 else {
                throw Problem.badRequest("glyph range \"\(range)\" is not one: use {start}-{start+255}.pbf with start a multiple of 256, up to 65535")
            }
            // One thread of its own: glyph ranges are public, and making them must not hold the
            // threads that serve everything else.
            let bytes = try await Self.glyphThread.runIfActive { [styles = maps.styles] in try styles.glyphs(fontstack: stack, start: start) }
            return Response(status: .ok, headers: [.contentType: "application/x-protobuf", .cacheControl: "public, max-age=86400"],
                            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }

    static let glyphThread: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        return pool
    }()

    struct StylesDocument: Encodable {
        var styles: [StyleSummary]
        var links: [Link]
    }

    struct StyleSummary: Encodable {
        var id: String
        var title: String
        var links: [Link]
    }

    func summary(_ e: StyleCatalog.Entry, base: String) -> StyleSummary {
        StyleSummary(id: e.id, title: e.style.name ?? e.id, links: [
            Link(href: "\(base)/styles/\(e.id)", rel: "stylesheet", type: "application/vnd.mapbox.style+json", title: "MapLibre style"),
            Link(href: "\(base)/styles/\(e.id)/map/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}", rel: "item", type: "image/png",
                 title: "Map tiles (WebMercatorQuad; NetherlandsRDNewQuad too)"),
        ])
    }

    func style(_ context: ServerContext) throws -> StyleCatalog.Entry {
        let id = context.parameters.get("style") ?? ""
        guard let entry = maps.styles.entries[id] else { throw Problem.notFound("no style \"\(id)\"") }
        return entry
    }

    /// `f=png` (or none) is the only map format; anything else is a 400 that says so.
    static func checkFormat(_ request: Request) throws {
        guard request.uri.string.utf8.contains(UInt8(ascii: "?")), let f = request.uri.queryParameters["f"] else { return }
        guard f == "png" || f == "image/png" else { throw Problem.badRequest("map format \"\(f)\" is not served; use f=png") }
    }

    /// The map tile of a layer in its default style.
    func layerTile(_ request: Request, _ context: ServerContext, suffixOn: String, formats: Set<String> = ["png"]) async throws -> Response {
        let (tms, id, suffix) = try routes.tileAddress(context, suffixOn: suffixOn, formats: formats)
        try Self.checkFormat(request)
        let layerID = context.parameters.get("layer") ?? ""
        let caller = try routes.tilePrincipal(request, context, layer: layerID)
        guard let (l, grant) = service.visibleLayer(layerID, caller, item: "png:\(tms.id)/\(id.z)/\(id.row)/\(id.col)") else {
            throw Routes.unknownLayer(layerID)
        }
        let tag = try maps.layerTileETag(layer: l, grant: grant, tms: tms, tile: id, pixelRatio: suffix.pixelRatio)
        if let inm = request.headers[.ifNoneMatch], Routes.matches(inm, tag) { return Self.notModified(tag) }
        let (body, etag) = try await maps.layerTile(layer: l, grant: grant, tms: tms, tile: id, pixelRatio: suffix.pixelRatio)
        return Self.png(body, etag: etag)
    }

    /// The map tile of a whole style.
    func styleTile(_ request: Request, _ context: ServerContext, suffixOn: String, formats: Set<String> = ["png"]) async throws -> Response {
        let (tms, id, suffix) = try routes.tileAddress(context, suffixOn: suffixOn, formats: formats)
        try Self.checkFormat(request)
        let entry = try style(context)
        let caller = try routes.tilePrincipal(request, context, layer: "style:" + entry.id)
        let inm = request.headers[.ifNoneMatch]
        let (body, etag) = try await maps.styleTile(entry, caller: caller, tms: tms, tile: id, pixelRatio: suffix.pixelRatio) { tag in
            inm.map { Routes.matches($0, tag) } ?? false
        }
        guard let body else { return Self.notModified(etag) }
        return Self.png(body, etag: etag)
    }

    static func notModified(_ etag: String) -> Response {
        Response(status: .notModified, headers: [.eTag: etag, .cacheControl: "private, max-age=60", .vary: "Authorization"])
    }

    static func png(_ body: ByteBuffer, etag: String) -> Response {
        Response(status: .ok, headers: [.contentType: "image/png", .eTag: etag, .cacheControl: "private, max-age=60", .vary: "Authorization"],
                 body: .init(byteBuffer: body))
    }
}
