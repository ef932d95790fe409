import AccessPolicy
import Foundation
import GRDB
import GeoCore
import Logging
import ServiceLifecycle
import Synchronization

/// Runs uploads as jobs: the body lands in `DATA/uploads/<job>/`, a pre-flight check opens it
/// with GDAL, and one worker imports the queued jobs one after another (stage or publish).
/// Job rows live in the store; progress lives in memory. The job directory is removed
/// whatever the outcome, and at start-up every unfinished job reads failed and every leftover
/// directory is removed.
public final class UploadService: Sendable {
    let store: LayerStore
    let layers: LayerService
    let importer: LayerImporter
    /// The limits every upload is held to.
    public let limits: UploadLimits
    let logger: Logger
    let progress = Mutex<[String: UploadJob.Progress]>([:])
    /// Uploads in progress on this server (job id to organisation), from the first byte until the job ends.
    let slots = Mutex<[String: String]>([:])
    /// This process's name in the upload area and in its job rows.
    let instance: String
    private let instanceLock: ImportLock
    private let queue: AsyncStream<String>
    private let enqueue: AsyncStream<String>.Continuation

    /// The directory of this process's upload jobs' files.
    public var directory: URL { store.configuration.dataDirectory.appendingPathComponent("uploads").appendingPathComponent(instance) }

    /// Creates the service and cleans up after a previous process: unfinished jobs fail, their
    /// files go. (Pending versions are removed by ``LayerStore``'s own recovery.)
    public init(store: LayerStore, layers: LayerService, importer: LayerImporter, limits: UploadLimits,
                logger: Logger = Logger(label: "layerserver.upload")) throws {
        self.store = store
        self.layers = layers
        self.importer = importer
        self.limits = limits
        self.logger = logger
        (queue, enqueue) = AsyncStream.makeStream(of: String.self)
        // Each server process keeps its jobs under its own instance directory and holds a lock
        // on it while it runs. Another process's jobs are only failed, and its files only
        // removed, once its lock is free: that process has stopped.
        let uploads = store.configuration.dataDirectory.appendingPathComponent("uploads")
        try FileManager.default.createDirectory(at: uploads, withIntermediateDirectories: true)
        instance = Self.newID(prefix: "srv-")
        guard let lock = try ImportLock.acquire(path: uploads.appendingPathComponent(instance + ".lock").path, wait: false) else {
            throw StoreError(.database, "cannot lock this server's upload directory", context: uploads.path)
        }
        instanceLock = lock
        try FileManager.default.createDirectory(at: uploads.appendingPathComponent(instance), withIntermediateDirectories: true)
        let stopped = try Self.stoppedInstances(in: uploads, except: instance)
        let failed = try store.withDatabaseError("failing interrupted upload jobs") {
            try store.pool.write { db -> Int in
                let live = Set(try Self.liveInstances(in: uploads))
                var n = 0
                for row in try Row.fetchAll(db, sql: "SELECT id, instance FROM ls_job WHERE state IN ('receiving', 'queued', 'running')") {
                    let owner: String? = row["instance"]
                    guard owner.map({ !live.contains($0) || stopped.contains($0) }) ?? true else { continue }
                    try db.execute(sql: """
                        UPDATE ls_job SET state = 'failed', updated_at = ?,
                          error = 'the server stopped before the job finished; the layer is unchanged, upload the file again'
                        WHERE id = ?
                        """, arguments: [LayerStore.timestamp(Date()), row["id"] as String])
                    n += 1
                }
                return n
            }
        }
        for dead in stopped {
            try? FileManager.default.removeItem(at: uploads.appendingPathComponent(dead))
            try? FileManager.default.removeItem(at: uploads.appendingPathComponent(dead + ".lock"))
        }
        if failed > 0 { logger.warning("upload jobs interrupted by a stop are marked failed", metadata: ["jobs": "\(failed)"]) }
    }

    /// Instances whose lock is free: their process has stopped. Files and directories in the
    /// upload area without a lock of their own are leftovers too.
    static func stoppedInstances(in uploads: URL, except own: String) throws -> [String] {
        var stopped: [String] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: uploads.path) {
            let id = name.hasSuffix(".lock") ? String(name.dropLast(5)) : name
            guard id != own, !stopped.contains(id) else { continue }
            let lockPath = uploads.appendingPathComponent(id + ".lock").path
            if !FileManager.default.fileExists(atPath: lockPath) { stopped.append(id); continue }
            if let probe = try ImportLock.acquire(path: lockPath, wait: false) {
                withExtendedLifetime(probe) { stopped.append(id) }
            }
        }
        return stopped
    }

    /// Instances with a lock file (running, or stopped and not yet swept).
    static func liveInstances(in uploads: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: uploads.path).filter { $0.hasSuffix(".lock") }.map { String($0.dropLast(5)) }
    }

    // MARK: Jobs

    /// Records a new job in state receiving and makes its directory. The job holds one of the
    /// organisation's and the server's upload slots until it ends.
    /// - Throws: ``UploadBusy`` when the organisation or the server has as many uploads in progress as allowed.
    public func create(layer: String, actor: AccessActor, fileName: String, options: UploadOptions) throws -> UploadJob {
        let id = Self.newID()
        try takeSlot(id, organisation: actor.organisation)
        do {
            return try createJob(id, layer: layer, actor: actor, fileName: fileName, options: options)
        } catch {
            releaseSlot(id)
            throw error
        }
    }

    private func createJob(_ id: String, layer: String, actor: AccessActor, fileName: String, options: UploadOptions) throws -> UploadJob {
        let now = LayerStore.timestamp(Date())
        try store.withDatabaseError("recording upload job") {
            try store.pool.write { db in
                try db.execute(sql: """
                    INSERT INTO ls_job (id, layer_id, state, subject, organisation, file_name, options, created_at, updated_at, instance)
                    VALUES (?, ?, 'receiving', ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [id, layer, actor.subject, actor.organisation, fileName, try LayerStore.json(options), now, now, instance])
                let change = VersionChange(actor: actor, rules: options.rules, policyHash: options.policyHash.isEmpty ? nil : options.policyHash, job: id)
                try change.audit("upload", layer: layer, detail: "upload of \(fileName) started (errors=\(options.errorMode.rawValue)"
                                 + (options.stage || options.requiresApproval ? ", to be staged" : "") + ")", in: db)
            }
        }
        do {
            try FileManager.default.createDirectory(at: jobDirectory(id), withIntermediateDirectories: true)
        } catch {
            try? fail(id, StoreError(.database, "cannot create the job directory: \(error)"))
            throw StoreError(.database, "cannot create the job directory", context: jobDirectory(id).path)
        }
        setProgress(id, UploadJob.Progress(phase: "receiving", bytesReceived: 0, featuresRead: 0))
        return try jobSync(id)!
    }

    /// The path the body of job `id` is written to.
    func bodyFile(_ id: String, ext: String) -> URL { jobDirectory(id).appendingPathComponent("upload." + ext) }

    func jobDirectory(_ id: String) -> URL { directory.appendingPathComponent(id) }

    /// The body is in: check it (pre-flight) and queue the job. A file that cannot be read
    /// fails the job here, so the uploader gets the 422 at once.
    public func received(_ id: String, bytes: Int) async throws {
        let job: UploadJob
        do {
            guard let found = try await self.job(id) else { throw StoreError(.notFound, "no job \(id)") }
            job = found
        } catch {
            // The job's slot and files go with it, whatever failed.
            try? await BlockingWork.run { try self.fail(id, error) }
            cleanUp(id)
            throw error
        }
        setProgress(id, UploadJob.Progress(phase: "checking", bytesReceived: bytes, featuresRead: 0))
        do {
            let file = bodyFile(id, ext: job.options.fileExtension)
            let limits = self.limits
            let dir = jobDirectory(id)
            try await BlockingWork.run {
                try UploadFile.checkSignature(file, ext: job.options.fileExtension, displayName: job.file)
                let source = job.options.fileExtension == "zip"
                    ? try UploadFile.unpackShapefile(file, displayName: job.file, into: dir, limits: limits, sourceLayer: job.options.sourceLayer)
                    : file
                try self.importer.preflight(self.request(job, file: source))
            }
            try await BlockingWork.run { try self.setState(id, .queued, bytes: bytes) }
            setProgress(id, UploadJob.Progress(phase: "queued", bytesReceived: bytes, featuresRead: 0))
            enqueue.yield(id)
        } catch {
            let clean = sanitized(error, job: job)
            try? await BlockingWork.run { try self.fail(id, clean) }
            throw clean
        }
    }

    /// The error with the job directory's paths replaced by the uploaded file's name: GDAL
    /// names the files it opened, and the uploader must not learn the server's layout.
    func sanitized(_ error: any Error, job: UploadJob) -> any Error {
        guard var e = error as? StoreError else { return error }
        let dir = jobDirectory(job.id).standardizedFileURL.path
        let body = bodyFile(job.id, ext: job.options.fileExtension).standardizedFileURL.path
        for (path, name) in [("/vsizip/" + body, job.file), (body, job.file), (dir + "/shapefile/", ""), (dir + "/", ""), (dir, "")] {
            e.message = e.message.replacingOccurrences(of: path, with: name)
            e.context = e.context?.replacingOccurrences(of: path, with: name)
        }
        return e
    }

    /// Fails a job (body refused, pre-flight or import failed), audits it and removes its files.
    public func fail(_ id: String, _ error: any Error) throws {
        let message: String
        var report: ImportReport?
        switch error {
        case let v as ValidationFailure: message = v.description; report = v.report
        case let e as StoreError where e.code == .database:
            // Database details (paths, SQL) are for the log, not for the uploader.
            logger.error("upload job \(id) failed in the store", metadata: ["error": "\(e)"])
            message = "the server could not store the version; the layer is unchanged. Try again later"
        case let e as StoreError: message = e.description
        case let p as Problem: message = p.detail
        case let full as DiskReserve: message = full.detail + "; the layer is unchanged"
        case let slow as ConnectionGuard.SlowBody: message = slow.description + "; the layer is unchanged, send the file again"
        default:
            logger.error("upload job \(id) failed", metadata: ["error": "\(error)"])
            message = "the upload failed on the server (\(type(of: error))); the layer is unchanged"
        }
        defer { cleanUp(id) }
        try store.withDatabaseError("failing upload job \(id)") {
            try store.pool.write { db in
                guard let row = try Row.fetchOne(db, sql: "SELECT * FROM ls_job WHERE id = ?", arguments: [id]) else { return }
                let job = try UploadJob.from(row)
                guard !job.state.isFinished else { return }
                try db.execute(sql: "UPDATE ls_job SET state = 'failed', error = ?, report = ?, updated_at = ? WHERE id = ?",
                               arguments: [message, try report.map(LayerStore.json), LayerStore.timestamp(Date()), id])
                let change = VersionChange(actor: AccessActor(subject: job.subject, organisation: job.organisation),
                                           rules: job.options.rules, policyHash: job.options.policyHash.isEmpty ? nil : job.options.policyHash, job: id)
                try change.audit("upload-failed", layer: job.layer, detail: "upload of \(job.file) failed: \(message)", in: db)
            }
        }
    }

    /// A job with its live progress, or nil; read off the cooperative pool.
    public func job(_ id: String) async throws -> UploadJob? {
        try await BlockingWork.run { try self.jobSync(id) }
    }

    /// A job with its live progress, or nil. Blocks: not for the cooperative pool.
    public func jobSync(_ id: String) throws -> UploadJob? {
        guard id.count <= 64, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else { return nil }
        return try store.withDatabaseError("reading upload job") {
            try store.pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM ls_job WHERE id = ?", arguments: [id]).map(UploadJob.from) }
        }.map(withLiveProgress)
    }

    /// The newest 100 jobs, of one organisation or (nil) all, with live progress. Blocks.
    public func recentJobs(organisation: String?) throws -> [UploadJob] {
        try store.withDatabaseError("reading upload jobs") {
            try store.pool.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM ls_job WHERE ?1 IS NULL OR organisation = ?1 ORDER BY created_at DESC LIMIT 100",
                                 arguments: [organisation]).map(UploadJob.from)
            }
        }.map(withLiveProgress)
    }

    /// Staged versions that wait for an information manager's approval (structureel partners'
    /// uploads), newest first, at most 100; who may see which is the route's decision.
    public func jobsAwaitingApproval() throws -> [UploadJob] {
        try store.withDatabaseError("reading upload jobs") {
            try store.pool.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT * FROM ls_job WHERE state = 'staged' AND json_extract(options, '$.requiresApproval') = 1
                    ORDER BY created_at DESC LIMIT 100
                    """).map(UploadJob.from)
            }
        }.map(withLiveProgress)
    }

    /// The job with this server's in-memory progress. A version committed but not yet loaded
    /// here shows as still running (phase publishing), so "published" always means "served here".
    func withLiveProgress(_ stored: UploadJob) -> UploadJob {
        var job = stored
        let live = progress.withLock { $0[job.id] }
        job.progress = live
        if job.state == .staged || job.state == .published, var live {
            live.phase = "publishing"
            job.state = .running
            job.progress = live
        } else if job.state.isFinished {
            job.progress = UploadJob.Progress(phase: "done", bytesReceived: job.bytes, featuresRead: job.report?.featuresRead ?? 0,
                                              featuresTotal: job.report?.featuresRead, fraction: 1)
        }
        return job
    }

    /// Waits until job `id` has finished, polling its row.
    public func waitUntilFinished(_ id: String) async throws -> UploadJob {
        while true {
            guard let job = try await job(id) else { throw StoreError(.notFound, "no job \(id)") }
            if job.state.isFinished { return job }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    // MARK: Worker

    /// Imports queued jobs one at a time, so that one upload never holds more than one
    /// blocking thread.
    func runWorker() async {
        for await id in queue {
            await process(id)
        }
    }

    func stopWorker() { enqueue.finish() }

    func process(_ id: String) async {
        do {
            guard var job = try await job(id), job.state == .queued else { return }
            // Decide again: a role, token or owner may have changed while the job waited.
            let uploader = Principal(subject: .user(job.subject), organisation: job.organisation, tokenID: nil, via: .bearer)
            let now = layers.clock()
            // The read decision first: a layer that appeared meanwhile and that the uploader may
            // not read does not exist for it (its owner is not named).
            if layers.catalogLayer(job.layer) != nil || layers.access.policy.policy.layers[job.layer] != nil,
               !layers.access.decide(uploader, .read, .layer(job.layer), at: now).allowed {
                throw StoreError(.notFound, "no layer \"\(job.layer)\"")
            }
            let decision = layers.access.decide(uploader, .write, .layer(job.layer), at: now)
            guard decision.allowed else {
                throw StoreError(.invalidRequest, "the right to write \(job.layer) ended while the upload waited: \(decision.reasons.last ?? "no rule allows it")")
            }
            job.options.requiresApproval = decision.requiresApproval
            job.options.rules = decision.rules
            job.options.policyHash = decision.policyHash
            let request = self.request(job, file: importSource(job))
            let bytes = job.bytes
            let report = try await BlockingWork.run {
                try self.setState(id, .running, bytes: bytes)
                return try self.importer.run(request) { p in
                    let fraction = p.total.map { $0 > 0 ? min(1, Double(p.read) / Double($0)) : 1 }
                    let written = p.written.map { w in p.read > 0 ? Double(w) / Double(p.read) : 1 }
                    self.setProgress(id, UploadJob.Progress(phase: p.written == nil ? "reading" : "writing", bytesReceived: bytes,
                                                            featuresRead: p.read, featuresTotal: p.total, fraction: written ?? fraction))
                }
            }
            // The version is in. This server serves it (and knows a new layer's conditions)
            // before the job reads as finished; if reloading fails, the poller catches up.
            do {
                _ = try await BlockingWork.run { try self.layers.access.refresh() }
                if report.state == "published" { try await layers.refreshCatalog() }
            } catch {
                logger.error("reload after upload job \(id) failed", metadata: ["error": "\(error)"])
            }
            try await BlockingWork.run {
                try self.store.withDatabaseError("finishing upload job \(id)") {
                    try self.store.pool.write { db in
                        try db.execute(sql: "UPDATE ls_job SET state = ?, version = ?, report = ?, updated_at = ? WHERE id = ?",
                                       arguments: [report.state, report.version, try LayerStore.json(report), LayerStore.timestamp(Date()), id])
                    }
                }
            }
            cleanUp(id)
            // The import's feature arena was large and short-lived: hand its pages back to the OS.
            releaseFreeMemory()
        } catch {
            logger.info("upload job failed", metadata: ["job": "\(id)", "error": "\(error)"])
            let clean = (try? await job(id)).flatMap { $0 }.map { sanitized(error, job: $0) } ?? error
            do { try await BlockingWork.run { try self.fail(id, clean) } } catch { logger.error("cannot record the failure of job \(id)", metadata: ["error": "\(error)"]) }
        }
    }

    /// The file the job imports: the upload itself, or the .shp unpacked from it by the pre-flight.
    func importSource(_ job: UploadJob) -> URL {
        guard job.options.fileExtension == "zip" else { return bodyFile(job.id, ext: job.options.fileExtension) }
        let dir = jobDirectory(job.id).appendingPathComponent("shapefile")
        let shp = (try? FileManager.default.contentsOfDirectory(atPath: dir.path))?.first { $0.hasSuffix(".shp") }
        return dir.appendingPathComponent(shp ?? "missing.shp")
    }

    func request(_ job: UploadJob, file: URL) -> ImportRequest {
        let o = job.options
        var r = ImportRequest(file: file, layerID: job.layer, title: o.title, owner: nil, sensitivity: o.sensitivity,
                              sourceCRS: o.sourceCRS.map { CRS(epsg: $0) }, sourceLayer: o.fileExtension == "zip" ? nil : o.sourceLayer,
                              minZoom: o.minZoom, maxZoom: o.maxZoom)
        r.newLayerOwner = job.organisation
        r.newLayerMetadataOnly = true
        let directory = jobDirectory(job.id)
        r.onWritten = { try? FileManager.default.removeItem(at: directory) }
        r.actor = AccessActor(subject: job.subject, organisation: job.organisation)
        r.grantedBy = (o.rules, o.policyHash)
        r.errorMode = o.errorMode
        r.stage = o.stage || o.requiresApproval
        r.displayName = job.file
        r.limits = limits.importLimits
        r.jobID = job.id
        r.authority = Authority(subject: .user(job.subject), action: .write, withoutApproval: !r.stage, clock: layers.clock)
        return r
    }

    // MARK: Helpers

    func setState(_ id: String, _ state: UploadJob.State, bytes: Int) throws {
        try store.withDatabaseError("updating upload job \(id)") {
            try store.pool.write { db in
                try db.execute(sql: "UPDATE ls_job SET state = ?, bytes = ?, updated_at = ? WHERE id = ?",
                               arguments: [state.rawValue, bytes, LayerStore.timestamp(Date()), id])
            }
        }
    }

    func setProgress(_ id: String, _ p: UploadJob.Progress) {
        progress.withLock { $0[id] = p }
    }

    func cleanUp(_ id: String) {
        progress.withLock { _ = $0.removeValue(forKey: id) }
        try? FileManager.default.removeItem(at: jobDirectory(id))
        releaseSlot(id)
    }

    // MARK: Limits

    func takeSlot(_ id: String, organisation: String) throws {
        try slots.withLock { s in
            if s.count >= limits.maxConcurrentTotal {
                throw UploadBusy(detail: "the server has \(s.count) uploads in progress, the most it takes at once (upload-concurrent-total)")
            }
            let own = s.values.filter { $0 == organisation }.count
            if own >= limits.maxConcurrentPerOrganisation {
                throw UploadBusy(detail: "\(organisation) has \(own) uploads in progress, the most one organisation may have at once (upload-concurrent-per-organisation)")
            }
            s[id] = organisation
        }
    }

    func releaseSlot(_ id: String) {
        slots.withLock { _ = $0.removeValue(forKey: id) }
    }

    /// Uploads in progress on this server.
    public var uploadsInProgress: Int { slots.withLock { $0.count } }

    /// Free bytes on the data directory's file system, or nil when it cannot be told.
    func freeBytes() -> Int? {
        var st = statvfs()
        guard statvfs(store.configuration.dataDirectory.path, &st) == 0 else { return nil }
        return Int(st.f_bavail) * Int(st.f_frsize)
    }

    /// Refuses an upload of `bytes` more when it would leave less than the disk reserve free.
    /// - Throws: ``DiskReserve``.
    func checkDisk(adding bytes: Int) throws {
        guard limits.diskReserveBytes > 0, let free = freeBytes() else { return }
        if free - bytes < limits.diskReserveBytes {
            throw DiskReserve(detail: "the server keeps \(limits.diskReserveBytes >> 20) MB free on its data disk and has \(max(0, free) >> 20) MB; "
                              + (bytes > 0 ? "an upload of \(bytes) bytes would leave less. " : "") + "Try again later, or ask the operator for room")
        }
    }

    static func newID(prefix: String = "job-") -> String {
        var g = SystemRandomNumberGenerator()
        let bytes = (0..<12).map { _ in UInt8.random(in: 0...255, using: &g) }
        return prefix + LayerService.hex(bytes)
    }
}

/// An upload refused because too many are in progress (429 with Retry-After).
public struct UploadBusy: Error, CustomStringConvertible {
    public var detail: String
    public var description: String { detail }
}

/// An upload refused or cut off to keep the data disk's reserve free (507).
public struct DiskReserve: Error, CustomStringConvertible {
    public var detail: String
    public var description: String { detail }
}

/// Runs the upload worker for the application's lifetime.
struct UploadWorker: Service {
    let uploads: UploadService

    func run() async throws {
        await withGracefulShutdownHandler {
            await uploads.runWorker()
        } onGracefulShutdown: {
            // The running job finishes; queued ones are failed at the next start.
            uploads.stopWorker()
        }
    }
}

#if os(Linux)
/// glibc's malloc_trim(3): returns freed heap pages to the kernel. Not in Swift's Glibc module.
@_silgen_name("malloc_trim")
private func mallocTrim(_ pad: Int) -> Int32
func releaseFreeMemory() { _ = mallocTrim(0) }
#else
func releaseFreeMemory() {}
#endif
