import AccessPolicy
import Foundation
import GeoCore
import Hummingbird
import NIOCore
import Synchronization

/// Uploads, jobs, staging, publication, rollback and version history. Every route asks the
/// access policy (write for the owner, approve for an information manager of the owner's
/// region); a layer the caller may not see is a 404 here as everywhere.
struct UploadRoutes {
    let routes: Routes
    let uploads: UploadService
    var service: LayerService { routes.service }
    var access: AccessControl { service.access }

    func register(on router: Router<BasicRequestContext>) {
        router.post("/collections/:layer/versions") { request, context in
            try await upload(request, context)
        }
        router.get("/collections/:layer/versions") { request, context in
            let id = context.parameters.get("layer") ?? ""
            _ = try manager(request, layer: id, action: "read the version history of")
            let history = try await BlockingWork.run { [uploads] in try uploads.store.history(id) }
            guard !history.isEmpty else { throw Problem.notFound("no layer \"\(id)\"") }
            return try routes.json(["layer": AnyEncodable(id), "versions": AnyEncodable(history)])
        }
        router.post("/collections/:layer/versions/:version/publish") { request, context in
            let id = context.parameters.get("layer") ?? ""
            let v = try routes.integer(context, "version")
            let change = try publisher(request, layer: id, action: "publish")
            try await BlockingWork.run { [uploads] in _ = try uploads.store.publish(id, version: v, from: "staged", change: change) }
            _ = try await BlockingWork.run { [access] in try access.refresh() }
            try await service.refreshCatalog()
            return try await versionAnswer(id, v)
        }
        router.post("/collections/:layer/versions/:version/discard") { request, context in
            let id = context.parameters.get("layer") ?? ""
            let v = try routes.integer(context, "version")
            let change = try manager(request, layer: id, action: "discard a staged version of")
            try await BlockingWork.run { [uploads] in try uploads.store.discard(id, version: v, change: change) }
            return try await versionAnswer(id, v)
        }
        router.post("/collections/:layer/rollback") { request, context in
            let id = context.parameters.get("layer") ?? ""
            var target: Int?
            if let raw = request.uri.queryParameters["version"] {
                guard let v = Int(raw), v > 0 else { throw Problem.badRequest("version must be a positive whole number, got \"\(raw)\"") }
                target = v
            }
            let change = try publisher(request, layer: id, action: "roll back")
            let layer = try await BlockingWork.run { [uploads, target] in try uploads.store.rollback(layerID: id, to: target, change: change) }
            try await service.refreshCatalog()
            return try await versionAnswer(id, layer.currentVersion)
        }
        router.get("/jobs") { request, _ in
            let caller = try routes.principal(request)
            guard !caller.organisation.isEmpty else { return try routes.json(["jobs": [UploadJob]()]) }
            let organisation = caller.organisation
            let jobs = try await BlockingWork.run { [uploads] in try uploads.recentJobs(organisation: organisation) }
            let base = routes.documents(request).base
            return try routes.json(["jobs": jobs.filter { mayFollow(caller, $0) }.map { JobDocument($0, base: base) }])
        }
        router.get("/jobs/:id") { request, context in
            let caller = try routes.principal(request)
            let id = context.parameters.get("id") ?? ""
            guard let job = try await uploads.job(id), mayFollow(caller, job) else {
                throw Problem.notFound("no job \"\(id)\"")
            }
            return try routes.json(JobDocument(job, base: routes.documents(request).base))
        }
    }

    // MARK: Upload

    func upload(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let caller = try routes.principal(request)
        let id = context.parameters.get("layer") ?? ""
        try Layer.validate(id: id)
        let now = service.clock()
        let decision = access.decide(caller, .write, .layer(id), at: now)
        // A layer in the store without conditions is readable by no one and belongs to no one
        // who uploads: it does not exist for the caller (the policy alone would call it new).
        if access.policy.policy.layers[id] == nil, service.catalogLayer(id) != nil {
            access.audit(denied: decision, principal: caller, action: .write, resource: .layer(id), at: now)
            throw Problem.notFound("no layer \"\(id)\"")
        }
        guard decision.allowed else {
            access.audit(denied: decision, principal: caller, action: .write, resource: .layer(id), at: now)
            throw refusal(caller, layer: id, decision: decision, action: "upload to")
        }
        let q = request.uri.queryParameters
        var options = UploadOptions(fileExtension: "")
        options.title = q["title"].map(String.init)
        if let s = q["sensitivity"] {
            guard let v = Sensitivity(rawValue: String(s)) else { throw Problem.badRequest("sensitivity must be open, restricted or confidential") }
            options.sensitivity = v
        }
        if let c = q["crs"] {
            guard let crs = CRS(String(c)) else { throw Problem.badRequest("crs \"\(c)\" is not valid; use EPSG:n, e.g. EPSG:28992") }
            options.sourceCRS = crs.epsg
        }
        options.sourceLayer = q["sourceLayer"].map(String.init)
        options.minZoom = try q["minZoom"].map { try zoom(String($0)) }
        options.maxZoom = try q["maxZoom"].map { try zoom(String($0)) }
        switch q["errors"].map(String.init) ?? "reject" {
        case "reject": options.errorMode = .reject
        case "repair": options.errorMode = .repair
        case let other: throw Problem.badRequest("errors must be reject (reject-on-any-error) or repair (accept-with-repairs), got \"\(other)\"")
        }
        options.stage = try flag(q["stage"].map(String.init), "stage")
        let wait = try flag(q["wait"].map(String.init), "wait")
        options.requiresApproval = decision.requiresApproval
        options.rules = decision.rules
        options.policyHash = decision.policyHash

        // The file's name: a filename parameter, Content-Disposition, or the media type.
        let given = q["filename"].map(String.init) ?? Self.dispositionName(request.headers[.contentDisposition])
        var name = UploadFile.safeName(given)
        var ext = name.map { URL(fileURLWithPath: $0).pathExtension.lowercased() } ?? ""
        if !UploadFile.extensions.contains(ext) {
            if name == nil || ext.isEmpty, let fromType = UploadFile.fileExtension(mediaType: request.headers[.contentType]) {
                ext = fromType
                name = (name ?? id) + "." + ext
            } else {
                throw Problem(.unsupportedMediaType, "Unsupported media type",
                              detail: "\(name ?? "the upload") is not an accepted format: name the file (filename=...) with .gpkg, .zip (Shapefile set), .geojson, .fgb or .csv, or send its media type")
            }
        }
        options.fileExtension = ext
        let limit = uploads.limits.maxUploadBytes
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw Problem(.contentTooLarge, "Content too large", detail: "the upload is \(length) bytes; at most \(limit) are accepted (upload-max-mb)")
        }

        let actor = AccessActor(subject: caller.subject.text, organisation: caller.organisation)
        let job = try await BlockingWork.run { [uploads, name, options] in try uploads.create(layer: id, actor: actor, fileName: name!, options: options) }
        let received = Mutex(0)
        do {
            let counted = CountingBody(base: request.body, limit: limit) { n in
                received.withLock { $0 = n }
                uploads.setProgress(job.id, UploadJob.Progress(phase: "receiving", bytesReceived: n, featuresRead: 0))
            }
            try await FileIO().writeFile(contents: counted, path: uploads.bodyFile(job.id, ext: ext).path, context: context)
        } catch {
            try? await BlockingWork.run { [uploads] in try uploads.fail(job.id, error) }
            if let tooLarge = error as? UploadTooLarge {
                throw Problem(.contentTooLarge, "Content too large", detail: "the upload passed \(tooLarge.limit) bytes, the most accepted (upload-max-mb)")
            }
            throw error
        }
        try await uploads.received(job.id, bytes: received.withLock { $0 })
        let base = routes.documents(request).base
        if wait {
            let done = try await uploads.waitUntilFinished(job.id)
            if done.state == .failed {
                var p = Problem(.unprocessableContent, "Upload refused", detail: done.error ?? "the upload failed")
                p.extensions = ["job": AnyEncodable(JobDocument(done, base: base))]
                throw p
            }
            return try routes.json(JobDocument(done, base: base), status: .created)
        }
        let fresh = try await uploads.job(job.id) ?? job
        var response = try routes.json(JobDocument(fresh, base: base), status: .accepted)
        response.headers[.location] = "\(base)/jobs/\(job.id)"
        return response
    }

    static func dispositionName(_ header: String?) -> String? {
        guard let header else { return nil }
        for part in header.split(separator: ";") {
            let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard kv.count == 2, kv[0].lowercased() == "filename" else { continue }
            return kv[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return nil
    }

    func flag(_ raw: String?, _ name: String) throws -> Bool {
        switch raw?.lowercased() {
        case nil, "false", "0", "no": false
        case "true", "1", "yes", "": true
        default: throw Problem.badRequest("\(name) must be true or false")
        }
    }

    func zoom(_ raw: String) throws -> Int {
        guard let z = Int(raw), (0...24).contains(z) else { throw Problem.badRequest("zoom \"\(raw)\" must be 0-24") }
        return z
    }

    // MARK: Decisions

    /// The caller may publish or roll back: an information manager of the owner's region
    /// (approve), or a writer of the owner that needs no approval.
    func publisher(_ request: Request, layer id: String, action: String) throws -> VersionChange {
        let caller = try routes.principal(request)
        let now = service.clock()
        let approve = access.decide(caller, .approve, .layer(id), at: now)
        let write = access.decide(caller, .write, .layer(id), at: now)
        let actor = AccessActor(subject: caller.subject.text, organisation: caller.organisation)
        if approve.allowed { return VersionChange(actor: actor, rules: approve.rules, policyHash: approve.policyHash) }
        if write.allowed, !write.requiresApproval { return VersionChange(actor: actor, rules: write.rules, policyHash: write.policyHash) }
        access.audit(denied: approve, principal: caller, action: .approve, resource: .layer(id), at: now)
        if write.allowed {
            throw Problem.forbidden("\(write.reasons.last ?? "your versions need approval"): an information manager of the owner's region must \(action) \(id)")
        }
        throw refusal(caller, layer: id, decision: approve, action: action)
    }

    /// The caller may see the history and discard staged versions: a writer of the owner or an approver.
    func manager(_ request: Request, layer id: String, action: String) throws -> VersionChange {
        let caller = try routes.principal(request)
        let now = service.clock()
        let actor = AccessActor(subject: caller.subject.text, organisation: caller.organisation)
        let approve = access.decide(caller, .approve, .layer(id), at: now)
        let write = access.decide(caller, .write, .layer(id), at: now)
        // Writing an id without conditions is the right to create it; it shows nothing that exists.
        for d in [approve, write] where d.allowed && access.policy.policy.layers[id] != nil {
            return VersionChange(actor: actor, rules: d.rules, policyHash: d.policyHash)
        }
        access.audit(denied: write, principal: caller, action: .write, resource: .layer(id), at: now)
        throw refusal(caller, layer: id, decision: write, action: action)
    }


    /// A job is the uploader's, and its organisation's writers' of the layer, and its approvers':
    /// reports carry schemas and values, so the decision function is asked, as for the layer.
    func mayFollow(_ caller: Principal, _ job: UploadJob) -> Bool {
        let now = service.clock()
        if caller.subject.text == job.subject, caller.organisation == job.organisation { return true }
        if caller.organisation == job.organisation, access.decide(caller, .write, .layer(job.layer), at: now).allowed { return true }
        return access.decide(caller, .approve, .layer(job.layer), at: now).allowed
    }

    /// 404 when the caller may not see the layer (it does not exist for it), else 403 with the reason.
    func refusal(_ caller: Principal, layer id: String, decision: Decision, action: String) -> Problem {
        let exists = service.catalogLayer(id) != nil || access.policy.policy.layers[id] != nil
        let readable = access.readGrant(caller, layer: id, at: service.clock()).decision.allowed
        if exists && !readable { return Problem.notFound("no layer \"\(id)\"") }
        return Problem.forbidden("you may not \(action) \(id): \(decision.reasons.last ?? "no rule allows it")")
    }

    func versionAnswer(_ id: String, _ v: Int) async throws -> Response {
        let history = try await BlockingWork.run { [uploads] in try uploads.store.history(id) }
        guard let entry = history.first(where: { $0.version == v }) else { throw Problem.notFound("layer \(id) has no version \(v)") }
        return try routes.json(entry)
    }
}

/// A job as `GET /jobs/{id}` shows it, with links.
struct JobDocument: Encodable {
    var job: UploadJob
    var links: [Link]

    init(_ job: UploadJob, base: String) {
        self.job = job
        links = [Link(href: "\(base)/jobs/\(job.id)", rel: "self", type: "application/json", title: "This job"),
                 Link(href: "\(base)/collections/\(job.layer)/versions", rel: "version-history", type: "application/json", title: "Versions of \(job.layer)")]
    }

    func encode(to encoder: any Encoder) throws {
        try job.encode(to: encoder)
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(links, forKey: .links)
    }

    enum Key: String, CodingKey { case links }
}

/// The body passed the upload limit.
struct UploadTooLarge: Error { var limit: Int }

/// The request body, counted as it streams, failing once it passes `limit` bytes.
struct CountingBody<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    typealias Element = ByteBuffer

    let base: Base
    let limit: Int
    let onProgress: @Sendable (Int) -> Void

    init(base: Base, limit: Int, onProgress: @escaping @Sendable (Int) -> Void) {
        self.base = base
        self.limit = limit
        self.onProgress = onProgress
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        var inner: Base.AsyncIterator
        let limit: Int
        let onProgress: @Sendable (Int) -> Void
        var count = 0
        var reported = 0

        mutating func next() async throws -> ByteBuffer? {
            guard let buffer = try await inner.next() else {
                onProgress(count)
                return nil
            }
            count += buffer.readableBytes
            guard count <= limit else { throw UploadTooLarge(limit: limit) }
            if count - reported >= 1 << 20 {
                reported = count
                onProgress(count)
            }
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(inner: base.makeAsyncIterator(), limit: limit, onProgress: onProgress)
    }
}
