import Crypto
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import NIOCore

/// Counts every answered request by route template, method and status, and times it until the
/// body is written.
struct MetricsMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    let metrics: ServiceMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let method = request.method.rawValue
        @Sendable func elapsed() -> UInt64 {
            let d = ContinuousClock.now - start
            return UInt64(max(0, d.components.seconds)) * 1_000_000_000 + UInt64(max(0, d.components.attoseconds / 1_000_000_000))
        }
        do {
            var response = try await next(request, context)
            let status = response.status.code
            let metrics = self.metrics
            let route = context.endpointPath
            let body = response.body
            response.body = ResponseBody(contentLength: body.contentLength) { writer in
                // Recorded once the body is written, or its writing failed (a client went away).
                defer { metrics.request(route: route, method: method, status: status, nanoseconds: elapsed()) }
                try await body.write(writer)
            }
            return response
        } catch {
            // The problem middleware inside this one answers every error; this is the rest.
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.request(route: context.endpointPath, method: method, status: status, nanoseconds: elapsed())
            throw error
        }
    }
}

/// `GET /metrics`: the Prometheus text format, for the operator. Served only when a
/// `metrics-token` is set, and only to a request that sends it as a bearer token; it holds no
/// feature data (see ``ServiceMetrics``).
struct MetricsRoutes: Sendable {
    let routes: Routes
    let tokenDigest: [UInt8]
    var service: LayerService { routes.service }

    init(routes: Routes, token: String) {
        self.routes = routes
        tokenDigest = Array(SHA256.hash(data: Data(token.utf8)))
    }

    /// Whether `presented` is the metrics token: digests of equal length, compared in constant time.
    func accepts(_ presented: String) -> Bool {
        let digest = Array(SHA256.hash(data: Data(presented.utf8)))
        return zip(digest, tokenDigest).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    func register(on router: Router<ServerContext>) {
        router.get("/metrics") { request, context -> Response in
            try await metrics(request, context)
        }
    }

    func metrics(_ request: Request, _ context: ServerContext) async throws -> Response {
        let presented = request.headers[.authorization].flatMap { value -> String? in
            let parts = value.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
            return String(parts[1])
        }
        guard let presented, accepts(presented) else {
            // Counted against the address and audited like any refused credential.
            let failure = AuthenticationFailure(claimed: "metrics", reason: "/metrics needs the metrics token of the server's configuration (metrics-token) as a bearer token",
                                                audit: "invalid metrics token")
            var p = routes.refused(failure, request, context, at: service.clock())
            if p.status == .unauthorized { p.headers[.wwwAuthenticate] = "Bearer realm=\"metrics\"" }
            throw p
        }
        let store = service.store
        let jobs = try await store.read { db -> [String: Int] in
            var counts: [String: Int] = [:]
            for state in ["receiving", "queued", "running", "staged", "published", "failed"] { counts[state] = 0 }
            guard try db.tableExists("ls_job") else { return counts }
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) FROM ls_job GROUP BY state") {
                counts[row[0] as String] = row[1]
            }
            return counts
        }
        let memory = service.cache.usage
        let disk = service.cache.disk.map { d in (files: d.usage.files, bytes: d.usage.bytes, capacity: d.capacity) }
        let snapshot = ServiceMetrics.Snapshot(memoryCache: (memory.entries, memory.bytes, service.cache.capacity), diskCache: disk,
                                               jobs: jobs, layers: service.catalogCount)
        let body = service.access.metrics.render(snapshot)
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
