import AccessPolicy
import Foundation
import HTTPTypes
import Hummingbird
import RiskPicture
import Synchronization
import TileRender

/// The risk-picture workflow over HTTP. Every route takes the read decision on the region's
/// picture first (a picture the caller may not read answers as an unknown region), then the
/// contribute or verify decision (403 with reasons). Every step is one transaction with its
/// audit record.
///
/// | method and path | who |
/// | --- | --- |
/// | `POST /pictures/{region}/contributions` | contributors (an editor of a partner that reads the picture) |
/// | `GET /pictures/{region}/contributions[?state=pending]` | the author's organisation and the region's information managers (pending, rejected); readers (published) |
/// | `GET /pictures/{region}/contributions/{id}` | as above |
/// | `POST /pictures/{region}/contributions/{id}/accept`, `.../reject` | information managers of the region |
/// | `POST /pictures/{region}/versions` | information managers of the region: publish |
/// | `GET /pictures/{region}[?at=T]`, `/pictures/{region}/versions`, `/pictures/{region}/versions/{n}` | readers |
/// | `GET /pictures/{region}/diff?from=n&to=m` | readers |
/// | `GET /pictures` | every region's current picture the caller reads (the national picture for national nodes) |
struct PictureRoutes {
    let routes: Routes
    let pictures: PictureService

    func register(on router: Router<ServerContext>) {
        router.post("/pictures/:region/contributions") { request, context in
            let caller = try routes.principal(request, context)
            let region = context.parameters.get("region") ?? ""
            // Read first (404), then the right to contribute (403), before the body is read.
            _ = try pictures.require(caller, .write, region)
            let buffer = try await request.body.collect(upTo: XMLTree.maximumBytes)
            if let type = request.headers[.contentType]?.lowercased(), type.hasPrefix("application/cap+xml") || type.hasPrefix("application/xml") || type.hasPrefix("text/xml") {
                let item = try await pictures.submitCAP(caller, region: region, Data(buffer.readableBytesView))
                return try routes.json(ItemDocument(pictures.presented(item, for: caller)), status: .created)
            }
            let body: ContributionBody
            do {
                body = try Self.decoder.decode(ContributionBody.self, from: Data(buffer.readableBytesView))
            } catch {
                throw Problem.badRequest("the JSON body is not a valid contribution: \(error)")
            }
            let item = try await pictures.submit(caller, region: region, body)
            return try routes.json(ItemDocument(pictures.presented(item, for: caller)), status: .created)
        }
        router.get("/pictures/:region/contributions") { request, context in
            let (caller, region) = try reader(request, context)
            let picture = try await pictures.picture(region)
            let pendingOnly = request.uri.queryParameters["state"] == "pending"
            let items = picture.items.values
                .filter { (!pendingOnly || [.submitted, .accepted].contains($0.state)) && pictures.maySeeContribution(caller, $0, in: picture) }
                .sorted { ($0.contribution.submittedAt, $0.id) < ($1.contribution.submittedAt, $1.id) }
            let hidden = pictures.hidden(for: caller, in: picture)
            return try routes.json(["region": AnyEncodable(region), "contributions": AnyEncodable(items.map { ItemDocument(pictures.presented($0, hiding: hidden, for: caller)) })])
        }
        router.get("/pictures/:region/contributions/:id") { request, context in
            let (caller, region) = try reader(request, context)
            let id = context.parameters.get("id") ?? ""
            let picture = try await pictures.picture(region)
            guard let item = picture.items[id], pictures.maySeeContribution(caller, item, in: picture) else { throw Self.unknownItem(id) }
            return try routes.json(ItemDocument(pictures.presented(item, hiding: pictures.hidden(for: caller, in: picture), for: caller)))
        }
        for verb in ["accept", "reject"] {
            router.post("/pictures/:region/contributions/:id/\(verb)") { request, context in
                let (caller, region) = try reader(request, context)
                let id = context.parameters.get("id") ?? ""
                // An item the caller may not see does not exist for it, before any other answer.
                let picture = try await pictures.picture(region)
                guard let item = picture.items[id], pictures.maySeeContribution(caller, item, in: picture) else { throw Self.unknownItem(id) }
                _ = try pictures.require(caller, .approve, region)
                struct Body: Decodable { var reason: String?; var note: String? }
                let buffer = try await request.body.collect(upTo: 64 << 10)
                let body: Body
                do {
                    body = buffer.readableBytes == 0 ? Body() : try Self.decoder.decode(Body.self, from: Data(buffer.readableBytesView))
                } catch {
                    throw Problem.badRequest("the JSON body must be {\"note\": \"...\"} or {\"reason\": \"...\"}")
                }
                if verb == "reject", (body.reason ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
                    throw Problem.badRequest("a rejection needs a reason: {\"reason\": \"...\"}")
                }
                for text in [body.reason, body.note].compactMap({ $0 }) where text.count > PictureService.maximumText {
                    throw Problem.badRequest("a reason or note has at most \(PictureService.maximumText) characters")
                }
                let changed = try await pictures.verify(caller, region: region, item: id, accept: verb == "accept",
                                                        text: verb == "accept" ? body.note : body.reason)
                return try routes.json(ItemDocument(pictures.presented(changed, hiding: pictures.hidden(for: caller, in: picture), for: caller)))
            }
        }
        router.post("/pictures/:region/versions") { request, context in
            let caller = try routes.principal(request, context)
            let region = context.parameters.get("region") ?? ""
            let (picture, version) = try await pictures.publish(caller, region: region)
            return try routes.json(document(caller, picture, version), status: .created)
        }
        router.get("/pictures/:region") { request, context in
            let (caller, region) = try reader(request, context)
            let picture = try await pictures.picture(region)
            let version: PictureVersion?
            if let at = request.uri.queryParameters["at"] {
                guard let time = try? Date(String(at), strategy: .iso8601) else {
                    throw Problem.badRequest("at must be an ISO 8601 time, e.g. 2026-12-01T12:00:00Z")
                }
                version = picture.version(at: time)
            } else {
                version = picture.current
            }
            guard let version else { throw Problem.notFound("the picture of \(region) has no published version\(request.uri.queryParameters["at"].map { " at \($0)" } ?? "")") }
            return try routes.json(document(caller, picture, version))
        }
        router.get("/pictures/:region/versions") { request, context in
            // The history of publications (for a time slider): when, by whom; the items are in each version.
            let (_, region) = try reader(request, context)
            let limit = try AccessRoutes(routes: routes).count(request.uri.queryParameters["limit"].map(String.init), "limit", default: 100, max: 1000)
            let picture = try await pictures.picture(region)
            struct Entry: Encodable { var version: Int; var publishedAt: Date; var publishedBy: String }
            // The latest `limit` publications, oldest first.
            return try routes.json(["region": AnyEncodable(region),
                                    "versions": AnyEncodable(picture.versions.suffix(limit).map { Entry(version: $0.number, publishedAt: $0.publishedAt, publishedBy: $0.publishedBy) })])
        }
        router.get("/pictures/:region/versions/:n") { request, context in
            let (caller, region) = try reader(request, context)
            let n = try routes.integer(context, "n")
            let picture = try await pictures.picture(region)
            guard let version = picture.version(n) else { throw Problem.notFound("the picture of \(region) has no version \(n)") }
            return try routes.json(document(caller, picture, version))
        }
        router.get("/pictures/:region/diff") { request, context in
            let (caller, region) = try reader(request, context)
            let q = request.uri.queryParameters
            func version(_ name: String) throws -> Int? {
                guard let raw = q[name[...]] else { return nil }
                guard let v = Int(raw), (0...1_000_000_000).contains(v) else { throw Problem.badRequest("\(name) must be a version number, got \"\(raw.prefix(40))\"") }
                return v
            }
            guard let to = try version("to"), to >= 1 else { throw Problem.badRequest("give to=<version> (and from=<version>, default the one before)") }
            let picture = try await pictures.picture(region)
            let from = try version("from") ?? (to - 1)
            guard let b = picture.version(to), from == 0 || picture.version(from) != nil else {
                throw Problem.notFound("the picture of \(region) has no version \(picture.version(to) == nil ? to : from)")
            }
            let diff = picture.diff(from: picture.version(from), to: b)
            // Items the caller may not see are left out of the diff as of the picture.
            return try routes.json(pictures.presented(diff, hiding: pictures.hidden(for: caller, in: picture)))
        }
        router.get("/pictures/:region/alerts") { request, context in
            let (caller, region) = try reader(request, context)
            let picture = try await pictures.picture(region)
            let feed = CAPExport.feed(picture, base: routes.documents(request).base) { pictures.maySee(caller, $0, in: picture) }
            return Response(status: .ok, headers: [.contentType: "application/atom+xml; charset=utf-8", .cacheControl: "private, max-age=10"],
                            body: .init(byteBuffer: ByteBuffer(string: feed)))
        }
        router.get("/pictures/:region/alerts/:id") { request, context in
            let (caller, region) = try reader(request, context)
            let id = context.parameters.get("id") ?? ""
            let picture = try await pictures.picture(region)
            guard let item = picture.items[id], pictures.maySee(caller, item, in: picture), let alert = CAPExport.alert(id, in: picture) else {
                throw Problem.notFound("no published threat \"\(id)\" in the picture of \(region)")
            }
            return Response(status: .ok, headers: [.contentType: "application/cap+xml; charset=utf-8", .cacheControl: "private, max-age=10"],
                            body: .init(byteBuffer: ByteBuffer(string: alert)))
        }
        router.get("/pictures/:region/tiles/:tms/:z/:row/:col") { request, context in
            let (tms, tile, _) = try routes.tileAddress(context)
            let (caller, region) = try reader(request, context)
            return try await tileResponse(request, try await pictures.tile(caller, regions: [region], tms: tms, tile: tile))
        }
        // The national picture: every region the caller reads, in one tile layer.
        router.get("/pictures/tiles/:tms/:z/:row/:col") { request, context in
            let (tms, tile, _) = try routes.tileAddress(context)
            let caller = try routes.principal(request, context)
            let regions = try await readableRegions(caller)
            return try await tileResponse(request, try await pictures.tile(caller, regions: regions, tms: tms, tile: tile))
        }
        router.get("/pictures/:region/threats/:id/impact") { request, context in
            let (caller, region) = try reader(request, context)
            let id = context.parameters.get("id") ?? ""
            let picture = try await pictures.picture(region)
            guard let item = picture.items[id], pictures.maySee(caller, item, in: picture), case .threat(let threat)? = item.contribution.content,
                  item.history.contains(where: { $0.state == .published }) else {
                throw Problem.notFound("no published threat \"\(id)\" in the picture of \(region)")
            }
            guard let list = request.uri.queryParameters["layers"], !list.isEmpty else {
                throw Problem.badRequest("give the layers to look in: ?layers=hydrants,water_facilities")
            }
            let layerIDs = list.split(separator: ",").map(String.init)
            guard layerIDs.count <= 20 else { throw Problem.badRequest("at most 20 layers per impact query") }
            let layers = try await pictures.impact(caller, threat: threat, threatID: id, layerIDs: layerIDs)
            return try routes.json(["threat": AnyEncodable(id), "region": AnyEncodable(region), "layers": AnyEncodable(layers)])
        }
        router.get("/pictures/:region/events") { request, context in
            let (caller, region) = try reader(request, context)
            return try stream(request, caller, regions: [region])
        }
        // The national stream: every region the caller reads, decided at each event.
        router.get("/pictures/events") { request, context in
            try stream(request, try routes.principal(request, context), regions: nil)
        }
        router.get("/pictures") { request, context in
            let caller = try routes.principal(request, context)
            var versions: [VersionDocument] = []
            for region in try await readableRegions(caller) {
                let picture = try await pictures.picture(region)
                if let current = picture.current { versions.append(document(caller, picture, current)) }
            }
            return try routes.json(["pictures": versions])
        }
    }

    /// The caller and the region of the path, after the read decision on its picture.
    func reader(_ request: Request, _ context: ServerContext) throws -> (Principal, String) {
        let caller = try routes.principal(request, context)
        let region = context.parameters.get("region") ?? ""
        _ = try pictures.readable(caller, region)
        return (caller, region)
    }

    /// Most event streams open at once, in all and per user.
    static let maximumStreams = 10_000
    static let maximumStreamsPerUser = 20
    static let openStreams = Mutex<[String: Int]>([:])

    /// Server-Sent Events: each publication (including cancellations) and expiry of the
    /// pictures the caller reads, as it is published (`id` = its place in the sequence of all
    /// publications; `Last-Event-ID` resumes after it). The stream ends as soon as the caller's
    /// access lapses (an attachment ends, an audit lapses, the token is revoked or expires).
    func stream(_ request: Request, _ caller: Principal, regions: Set<String>?) throws -> Response {
        let raw = request.headers[HTTPField.Name("Last-Event-ID")!] ?? request.uri.queryParameters["lastEventId"].map(String.init)
        let resume: Int64?
        if let raw {
            guard let v = Int64(raw), v >= 0 else { throw Problem.badRequest("Last-Event-ID must be the id of an earlier event, got \"\(raw.prefix(40))\"") }
            resume = v
        } else {
            resume = nil
        }
        let who = caller.subject.text
        let admitted = Self.openStreams.withLock { open -> Bool in
            guard open.values.reduce(0, +) < Self.maximumStreams, open[who, default: 0] < Self.maximumStreamsPerUser else { return false }
            open[who, default: 0] += 1
            return true
        }
        guard admitted else {
            var p = Problem(.tooManyRequests, "Too many requests", detail: "too many event streams are open (at most \(Self.maximumStreamsPerUser) per user)")
            p.headers[.retryAfter] = "30"
            throw p
        }
        let events = pictures.events
        // Subscribe before reading the replay: nothing published meanwhile falls between.
        let (id, signals) = events.subscribe()
        let replay: [(Int64, RegionPicture, PictureVersion)]
        do {
            replay = try resume.map { try events.replay(after: $0, regions: regions) } ?? []
        } catch {
            events.unsubscribe(id)
            Self.openStreams.withLock { $0[who, default: 1] -= 1 }
            throw error
        }
        let access = routes.service.access
        let clock = routes.service.clock
        let pictures = self.pictures
        // The response ends when access lapses (and says Connection: close): the client's next
        // request gets its 401 or 404.
        let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-store", .connection: "close",
                                   HTTPField.Name("X-Accel-Buffering")!: "no"]
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            defer {
                events.unsubscribe(id)
                Self.openStreams.withLock { $0[who, default: 1] -= 1 }
            }
            func reads(_ region: String) -> Bool { access.decide(caller, .read, .picture(region: region), at: clock()).allowed }
            func stillGood() -> Bool { access.stillAuthenticated(caller, at: clock()) && (regions?.allSatisfy(reads) ?? true) }
            var sent = resume ?? 0
            var beat = Date()
            func event(_ seq: Int64, _ picture: RegionPicture, _ version: PictureVersion) -> ByteBuffer? {
                guard seq > sent, regions?.contains(picture.region) ?? true, reads(picture.region) else { return nil }
                sent = seq
                let hidden = pictures.hidden(for: caller, in: picture)
                let diff = pictures.presented(picture.diff(from: picture.version(version.number - 1), to: version), hiding: hidden)
                let body = PictureEvent(region: picture.region, version: version.number, publishedAt: version.publishedAt, publishedBy: version.publishedBy,
                                        kind: version.publishedBy == RegionPicture.expiryActor ? "expiry" : "publication",
                                        items: version.items.filter { !hidden.contains($0) }, diff: diff)
                let json = (try? Routes.encoder.encode(body)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
                return ByteBuffer(string: "id: \(seq)\nevent: \(body.kind)\ndata: \(json)\n\n")
            }
            try await writer.write(ByteBuffer(string: "retry: 1000\n\n"))
            for (seq, picture, version) in replay {
                if let b = event(seq, picture, version) { try await writer.write(b) }
            }
            for await signal in signals {
                guard stillGood() else { break }
                switch signal {
                case .tick:
                    // A comment now and then: a client that went away shows up as a failed write.
                    if Date().timeIntervalSince(beat) >= 5 {
                        beat = Date()
                        try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    }
                case .version(let seq, let picture, let version):
                    if let b = event(seq, picture, version) { try await writer.write(b) }
                }
            }
            try await writer.finish(nil)
        })
    }

    /// The regions whose picture the caller reads (every region, for a national node).
    func readableRegions(_ caller: Principal) async throws -> [String] {
        try await pictures.readableRegions(caller)
    }

    /// A picture tile: 204 when empty, 304 for a matching ETag; private, like every tile.
    func tileResponse(_ request: Request, _ tile: (body: ByteBuffer, etag: String)) async throws -> Response {
        var headers: HTTPFields = [.cacheControl: "private, max-age=10", .vary: "Authorization", .eTag: tile.etag]
        if let inm = request.headers[.ifNoneMatch], Routes.matches(inm, tile.etag) { return Response(status: .notModified, headers: headers) }
        guard tile.body.readableBytes > 0 else { return Response(status: .noContent, headers: headers) }
        headers[.contentType] = Documents.mvtType
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: tile.body))
    }

    /// A version with the items the caller may see.
    func document(_ caller: Principal, _ picture: RegionPicture, _ version: PictureVersion) -> VersionDocument {
        let hidden = pictures.hidden(for: caller, in: picture)
        return VersionDocument(region: picture.region, version: version.number, publishedAt: version.publishedAt, publishedBy: version.publishedBy,
                        items: picture.items(of: version).filter { !hidden.contains($0.id) }.map { ItemDocument(pictures.presented($0, hiding: hidden, for: caller)) })
    }

    static func unknownItem(_ id: String) -> Problem { Problem.notFound("no contribution \"\(id)\"") }

    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return d
    }()
}
