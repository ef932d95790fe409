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

    func register(on router: Router<ServerContext>) {
        router.post("/collections/:layer/versions") { request, context in
            try await upload(request, context)
        }
        router.get("/collections/:layer/versions") { request, context in
            let id = context.parameters.get("layer") ?? ""
            let right = try versionRight(try routes.principal(request, context), id, .history)
            let history = try await BlockingWork.run { [uploads] in try uploads.store.history(id) }
            return try routes.json(["layer": AnyEncodable(id), "versions": AnyEncodable(history.map(right.view))])
        }
        router.post("/collections/:layer/versions/:version/publish") { request, context in
            let id = context.parameters.get("layer") ?? ""
            let v = try routes.integer(context, "version")
            let right = try versionRight(try routes.principal(request, context), id, .publish)
            try await BlockingWork.run { [uploads] in _ = try uploads.store.publish(id, version: v, from: "staged", change: right.change) }
            _ = try await BlockingWork.run { [access] in try access.refresh() }
            try await service.refreshCatalog()
            return try await versionAnswer(id, v, right)
        }
        router.post("/collections/:layer/versions/:version/discard") { request, context in
            let id = context.parameters.get("layer") ?? ""
            let v = try routes.integer(context, "version")
            let right = try versionRight(try routes.principal(request, context), id, .discard)
            try await BlockingWork.run { [uploads] in try uploads.store.discard(id, version: v, change: right.change) }
            return try await versionAnswer(id, v, right)
        }
        router.post("/collections/:layer/rollback") { request, context in
            let id = context.parameters.get("layer") ?? ""
            var target: Int?
            if let raw = request.uri.queryParameters["version"] {
                guard let v = Int(raw), v > 0 else { throw Problem.badRequest("version must be a positive whole number, got \"\(raw)\"") }
                target = v
            }
            let right = try versionRight(try routes.principal(request, context), id, .rollback)
            let layer = try await BlockingWork.run { [uploads, target] in try uploads.store.rollback(layerID: id, to: target, change: right.change) }
            try await service.refreshCatalog()
            return try await versionAnswer(id, layer.currentVersion, right)
        }
        router.get("/jobs") { request, context in
            let caller = try routes.principal(request, context)
            guard !caller.organisation.isEmpty else { return try routes.json(["jobs": [JobDocument]()]) }
            let organisation = caller.organisation
            // The organisation's jobs, then staged versions awaiting an approval: each shown only
            // where jobView allows (the approver reads the layer and may approve it).
            let jobs = try await BlockingWork.run { [uploads] in
                let own = try uploads.recentJobs(organisation: organisation)
                let ids = Set(own.map(\.id))
                return own + (try uploads.jobsAwaitingApproval()).filter { !ids.contains($0.id) }
            }
            let base = routes.documents(request).base
            return try routes.json(["jobs": jobs.compactMap { job in jobView(caller, job).map { JobDocument(job, base: base, view: $0) } }])
        }
        router.get("/jobs/:id") { request, context in
            let caller = try routes.principal(request, context)
            let id = context.parameters.get("id") ?? ""
            guard let job = try await uploads.job(id), let view = jobView(caller, job) else {
                throw Problem.notFound("no job \"\(id)\"")
            }
            return try routes.json(JobDocument(job, base: routes.documents(request).base, view: view))
        }
    }

    // MARK: Upload

    func upload(_ request: Request, _ context: ServerContext) async throws -> Response {
        let caller = try routes.principal(request, context)
        let id = context.parameters.get("layer") ?? ""
        try Layer.validate(id: id)
        let now = service.clock()
        // The read decision first: a layer the caller may not read does not exist for it.
        let exists = service.catalogLayer(id) != nil || access.policy.policy.layers[id] != nil
        if exists { _ = try routes.readable(caller, id) }
        let decision = access.decide(caller, .write, .layer(id), at: now)
        guard decision.allowed else {
            access.audit(denied: decision, principal: caller, action: .write, resource: .layer(id), at: now)
            // An id that does not exist for the caller, and that it may not create, answers as unknown.
            guard exists else { throw Routes.unknownLayer(id) }
            throw Problem.forbidden("you may not upload to \(id): \(decision.reasons.last ?? "no rule allows it")")
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
        let length = request.headers[.contentLength].flatMap { Int($0) }
        if let length, length > limit {
            throw Problem(.contentTooLarge, "Content too large", detail: "the upload is \(length) bytes; at most \(limit) are accepted (upload-max-mb)")
        }
        do {
            try uploads.checkDisk(adding: length ?? 0)
        } catch let full as DiskReserve {
            throw Self.insufficientStorage(full)
        }

        let actor = AccessActor(subject: caller.subject.text, organisation: caller.organisation)
        let job: UploadJob
        do {
            job = try await BlockingWork.run { [uploads, name, options] in try uploads.create(layer: id, actor: actor, fileName: name!, options: options) }
        } catch let busy as UploadBusy {
            var p = Problem(.tooManyRequests, "Too many requests", detail: "\(busy.detail); try again when one has finished")
            p.headers[.retryAfter] = "10"
            throw p
        }
        let received = Mutex(0)
        // What stopped the body, as thrown inside it (the file writer wraps it in its own error).
        let stopped = BodyStop()
        do {
            let counted = CountingBody(base: request.body, limit: limit, stopped: stopped) { n in
                received.withLock { $0 = n }
                uploads.setProgress(job.id, UploadJob.Progress(phase: "receiving", bytesReceived: n, featuresRead: 0))
                // The disk may fill while the body streams (other uploads, imports): stop in time.
                try uploads.checkDisk(adding: 0)
            }
            try await FileIO().writeFile(contents: counted, path: uploads.bodyFile(job.id, ext: ext).path, context: context)
            let got = received.withLock { $0 }
            if let length, got != length {
                throw StoreError(.invalidInput, "the upload ended after \(got) of its \(length) bytes; send the whole file", context: name)
            }
        } catch {
            let cause = stopped.error ?? error
            try? await BlockingWork.run { [uploads] in try uploads.fail(job.id, cause) }
            switch cause {
            case let tooLarge as UploadTooLarge:
                throw Problem(.contentTooLarge, "Content too large", detail: "the upload passed \(tooLarge.limit) bytes, the most accepted (upload-max-mb)")
            case let full as DiskReserve:
                throw Self.insufficientStorage(full)
            default:
                throw cause
            }
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

    /// 507: the upload would eat into the data disk's reserve.
    static func insufficientStorage(_ full: DiskReserve) -> Problem {
        Problem(HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage"), "Insufficient storage", detail: full.detail)
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

    /// What a caller does with a layer's versions.
    enum VersionAction: String {
        case history = "read the version history of"
        case publish = "publish a version of"
        case discard = "discard a version of"
        case rollback = "roll back"
    }

    /// A caller's right over a layer's versions: as the owner's writer, or as an information
    /// manager who approves the owner's (structureel) versions.
    struct VersionRight {
        /// The change, with the decision that allowed it; taken again in the store's transaction.
        var change: VersionChange
        /// The caller reads the layer only in part: no whole-layer counts, files or reports.
        var limited: Bool

        func view(_ entry: VersionHistoryEntry) -> VersionHistoryEntry { limited ? entry.limited() : entry }
    }

    /// The one order of decisions on a layer's versions. First the read decision: a caller that
    /// may not read the layer gets the answer of an unknown id. Then: the owner's writers
    /// (`write`) see the history, discard and roll back, and publish when their versions need
    /// no approval; an information manager of the region of a structureel owner (`approve`)
    /// sees the history, publishes and discards. Anything else is 403 with the reasons.
    func versionRight(_ caller: Principal, _ id: String, _ action: VersionAction) throws -> VersionRight {
        let grant = try routes.readable(caller, id)
        let now = service.clock()
        let write = access.decide(caller, .write, .layer(id), at: now)
        let approve = access.decide(caller, .approve, .layer(id), at: now)
        func right(_ d: Decision, _ act: Action, withoutApproval: Bool) -> VersionRight {
            var change = VersionChange(actor: AccessActor(subject: caller.subject.text, organisation: caller.organisation),
                                       rules: d.rules, policyHash: d.policyHash)
            change.authority = Authority(subject: caller.subject, action: act, withoutApproval: withoutApproval, clock: service.clock)
            // The owner's writers read their own layer everywhere; an approver may be limited.
            return VersionRight(change: change, limited: act == .approve && grant.decision.filter != .everywhere)
        }
        switch action {
        case .history, .discard:
            if write.allowed { return right(write, .write, withoutApproval: false) }
            if approve.allowed { return right(approve, .approve, withoutApproval: false) }
        case .publish:
            if write.allowed, !write.requiresApproval { return right(write, .write, withoutApproval: true) }
            if approve.allowed { return right(approve, .approve, withoutApproval: false) }
        case .rollback:
            if write.allowed { return right(write, .write, withoutApproval: false) }
        }
        access.audit(denied: write, principal: caller, action: .write, resource: .layer(id), at: now)
        if action == .publish, write.allowed {
            access.audit(denied: approve, principal: caller, action: .approve, resource: .layer(id), at: now)
            throw Problem.forbidden("\(write.reasons.last ?? "your versions need approval"): an information manager of the owner's region must publish \(id)")
        }
        var reasons = [write.reasons.last ?? "no rule allows it"]
        if action != .rollback {
            access.audit(denied: approve, principal: caller, action: .approve, resource: .layer(id), at: now)
            reasons.append(approve.reasons.last ?? "no rule allows it")
        }
        throw Problem.forbidden("you may not \(action.rawValue) \(id): \(reasons.joined(separator: "; "))")
    }

    /// How much of a job the caller sees, or nil (the job does not exist for it). The uploader
    /// sees its own job; then the read decision on the job's layer comes first; the owner's
    /// writers see it whole, and the information managers who approve it (a structureel
    /// partner's upload) see it whole or, when they read the layer only in part, without the
    /// file's name, counts, report or error.
    func jobView(_ caller: Principal, _ job: UploadJob) -> JobDocument.View? {
        let now = service.clock()
        if caller.subject.text == job.subject, caller.organisation == job.organisation { return .full }
        let grant = access.readGrant(caller, layer: job.layer, at: now)
        guard grant.decision.allowed else { return nil }
        if caller.organisation == job.organisation, access.decide(caller, .write, .layer(job.layer), at: now).allowed { return .full }
        guard job.options.requiresApproval, access.decide(caller, .approve, .layer(job.layer), at: now).allowed else { return nil }
        return grant.decision.filter == .everywhere ? .full : .limited
    }

    func versionAnswer(_ id: String, _ v: Int, _ right: VersionRight) async throws -> Response {
        let history = try await BlockingWork.run { [uploads] in try uploads.store.history(id) }
        guard let entry = history.first(where: { $0.version == v }) else { throw Problem.notFound("layer \(id) has no version \(v)") }
        return try routes.json(right.view(entry))
    }
}

/// A job as `GET /jobs/{id}` shows it, with links.
struct JobDocument: Encodable {
    /// All of the job, or what a caller limited to part of the layer may see of it.
    enum View { case full, limited }

    /// A job without what describes the uploaded file as a whole.
    struct Limited: Encodable {
        var id: String
        var layer: String
        var state: UploadJob.State
        var subject: String
        var organisation: String
        var createdAt: Date
        var updatedAt: Date
        var version: Int?
    }

    var job: UploadJob
    var view: View
    var links: [Link]

    init(_ job: UploadJob, base: String, view: View = .full) {
        self.job = job
        self.view = view
        links = [Link(href: "\(base)/jobs/\(job.id)", rel: "self", type: "application/json", title: "This job"),
                 Link(href: "\(base)/collections/\(job.layer)/versions", rel: "version-history", type: "application/json", title: "Versions of \(job.layer)")]
    }

    func encode(to encoder: any Encoder) throws {
        switch view {
        case .full: try job.encode(to: encoder)
        case .limited:
            try Limited(id: job.id, layer: job.layer, state: job.state, subject: job.subject, organisation: job.organisation,
                        createdAt: job.createdAt, updatedAt: job.updatedAt, version: job.version).encode(to: encoder)
        }
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(links, forKey: .links)
    }

    enum Key: String, CodingKey { case links }
}

/// The first error that ended a request body, as thrown inside it: the file writer that
/// consumes the body wraps it in an error of its own.
final class BodyStop: Sendable {
    private let first = Mutex<(any Error)?>(nil)

    var error: (any Error)? { first.withLock { $0 } }

    func record(_ error: any Error) {
        first.withLock { if $0 == nil { $0 = error } }
    }
}

/// The body passed the upload limit.
struct UploadTooLarge: Error { var limit: Int }

/// The request body, counted as it streams, failing once it passes `limit` bytes.
struct CountingBody<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    typealias Element = ByteBuffer

    let base: Base
    let limit: Int
    /// Receives the error that ended the body, before it is thrown.
    let stopped: BodyStop
    let onProgress: @Sendable (Int) throws -> Void

    init(base: Base, limit: Int, stopped: BodyStop, onProgress: @escaping @Sendable (Int) throws -> Void) {
        self.base = base
        self.limit = limit
        self.stopped = stopped
        self.onProgress = onProgress
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        var inner: Base.AsyncIterator
        let limit: Int
        let stopped: BodyStop
        let onProgress: @Sendable (Int) throws -> Void
        var count = 0
        var reported = 0

        mutating func next() async throws -> ByteBuffer? {
            do {
                return try await step()
            } catch {
                stopped.record(error)
                throw error
            }
        }

        mutating func step() async throws -> ByteBuffer? {
            guard let buffer = try await inner.next() else {
                try onProgress(count)
                return nil
            }
            count += buffer.readableBytes
            guard count <= limit else { throw UploadTooLarge(limit: limit) }
            if count - reported >= 1 << 20 {
                reported = count
                try onProgress(count)
            }
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(inner: base.makeAsyncIterator(), limit: limit, stopped: stopped, onProgress: onProgress)
    }
}
