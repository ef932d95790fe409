import Foundation
import GeoCore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import LayerServer
import Testing

/// Issue 13, item 8: `/metrics` for the operator, behind its own token, parsed as Prometheus does.
@Suite("Metrics")
struct MetricsTests {
    static let token = String(repeating: "m3tr1cs-", count: 5)

    /// One sample of the exposition.
    struct Sample: Hashable {
        var name: String
        var labels: [String: String]
    }

    /// The exposition parsed by prometheus-client (Tests/clients/metrics_parse.py).
    static func scrape(_ port: Int) async throws -> [Sample: Double] {
        let (status, output) = try await WMTSTests.runClient("metrics_parse.py", ["http://127.0.0.1:\(port)", token])
        guard status == 0 else {
            Issue.record("metrics_parse.py: \(output)")
            return [:]
        }
        var out: [Sample: Double] = [:]
        for s in try JSONValue.parse(Data(output.utf8)).array ?? [] {
            guard let a = s.array, a.count == 3, let name = a[0].string, case .object(let labels) = a[1], let value = a[2].number else { continue }
            out[Sample(name: name, labels: labels.compactMapValues(\.string))] = value
        }
        return out
    }

    /// The sum of `name`'s samples whose labels include `labels`.
    static func sum(_ samples: [Sample: Double], _ name: String, _ labels: [String: String] = [:]) -> Double {
        samples.filter { sample in sample.key.name == name && labels.allSatisfy { k, v in sample.key.labels[k] == v } }.values.reduce(0, +)
    }

    @Test("off by default: no /metrics without a metrics token; with one, a wrong or missing bearer gets 401")
    func guarded() async throws {
        try await ServerFixture.withServer { client in
            let status = try await client.execute(uri: "/metrics", method: .get).status
            #expect(status == .notFound)
        }
        try await ServerFixture.withServer(configure: { $0.metricsToken = Self.token }) { client in
            // An API token is not the metrics token.
            let withAPIToken = try await client.execute(uri: "/metrics", method: .get)
            #expect(withAPIToken.status == .unauthorized)
            #expect(withAPIToken.headers[.wwwAuthenticate] == "Bearer realm=\"metrics\"")
            #expect(try await client.anonymous("/metrics").status == .unauthorized)
            let wrong = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer " + Self.token.dropLast() + "x"])
            #expect(wrong.status == .unauthorized)
            // Refusals are audited like any refused credential.
            try await client.service.access.recorder.flush()
            let refusals = try await client.service.store.read { db in try AuditLog.query(db, kind: .authentication, limit: 1000) }
            #expect("\(refusals.map(\.event))".contains("invalid metrics token"), "\(refusals.map(\.event))")
            let right = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(Self.token)"])
            #expect(right.status == .ok)
            #expect(right.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
        }
    }

    @Test("a known sequence of requests is counted exactly: routes and statuses, latencies, tiles by source, reads, denials, audit records")
    func counts() async throws {
        guard WMTSTests.clientsInstalled() else { return }
        try await ServerFixture.withServer(configure: { $0.metricsToken = Self.token }) { client in
            let port = try #require(client.client.port)
            let before = try await Self.scrape(port)
            for _ in 0..<3 { #expect(try await client.execute(uri: "/collections", method: .get).status == .ok) }
            for _ in 0..<2 { #expect(try await client.execute(uri: "/collections/no-such-layer", method: .get).status == .notFound) }
            #expect(try await client.execute(uri: "/no/such/route", method: .get).status == .notFound)
            // A confidential layer for a partner that is not audited: a denial, answered as missing.
            #expect(try await client.execute(uri: "/collections/zones/items", method: .get, token: client.tokens.notAudited).status == .notFound)
            // The same tile twice: rendered, then from memory. Both are reads of a restricted layer.
            #expect(try await client.execute(uri: MetricsTests.tile, method: .get).status == .ok)
            #expect(try await client.execute(uri: MetricsTests.tile, method: .get).status == .ok)
            try await client.service.access.recorder.flush()
            let organisation = try client.service.access.authenticate(authorization: "Bearer \(client.tokens.national)", at: Date()).get().organisation

            // Request counts are recorded once the body is written: wait until they are in.
            var after = try await Self.scrape(port)
            for _ in 0..<20 where Self.sum(after, "layerserver_http_requests_total", ["route": "/collections"]) - Self.sum(before, "layerserver_http_requests_total", ["route": "/collections"]) < 3 {
                try await Task.sleep(for: .milliseconds(100))
                after = try await Self.scrape(port)
            }
            func delta(_ name: String, _ labels: [String: String] = [:]) -> Double { Self.sum(after, name, labels) - Self.sum(before, name, labels) }

            #expect(delta("layerserver_http_requests_total", ["route": "/collections", "method": "GET", "status": "200"]) == 3)
            #expect(delta("layerserver_http_requests_total", ["route": "/collections/{layer}", "method": "GET", "status": "404"]) == 2)
            #expect(delta("layerserver_http_requests_total", ["route": "unmatched", "status": "404"]) == 1,
                    "\(after.keys.filter { $0.name == "layerserver_http_requests_total" }.map(\.labels))")
            #expect(delta("layerserver_http_requests_total", ["route": "/collections/{layer}/items", "status": "404"]) == 1)
            #expect(delta("layerserver_http_request_duration_seconds_count", ["route": "/collections", "method": "GET"]) == 3)
            #expect(delta("layerserver_http_request_duration_seconds_bucket", ["route": "/collections", "le": "+Inf"]) == 3)
            #expect(delta("layerserver_tiles_total", ["format": "mvt", "source": "rendered"]) == 1)
            #expect(delta("layerserver_tiles_total", ["format": "mvt", "source": "memory"]) == 1)
            #expect(delta("layerserver_layer_reads_total", ["layer": "hydrants", "organisation": organisation]) == 2)
            #expect(delta("layerserver_access_denials_total") >= 1)
            #expect(delta("layerserver_audit_records_written_total") >= 1)
            #expect(Self.sum(after, "layerserver_tile_cache_entries", ["tier": "memory"]) >= 1)
            #expect(Self.sum(after, "layerserver_tile_cache_hit_ratio") > 0)
            #expect(Self.sum(after, "layerserver_upload_jobs", ["state": "failed"]) >= 0)
            #expect(after.keys.contains { $0.name == "layerserver_upload_jobs" && $0.labels["state"] == "published" })
            // Labels name routes, formats, layers, organisations and rules, nothing else: no feature data.
            let allowed: Set<String> = ["route", "method", "status", "format", "source", "layer", "organisation", "rule", "reason", "tier", "state", "le"]
            for sample in after.keys {
                #expect(Set(sample.labels.keys).isSubset(of: allowed), "\(sample)")
                #expect(!sample.labels.values.contains { $0.hasPrefix("lst_") || $0.contains("no-such") }, "\(sample)")
            }
        }
    }

    static let tile = "/collections/hydrants/tiles/WebMercatorQuad/10/336/527"

    @Test("a stranger's methods, routes and label values cannot grow the series without bound")
    func bounded() async throws {
        let metrics = ServiceMetrics()
        for i in 0..<(ServiceMetrics.maximumSeries + 50) { metrics.read(layer: "layer-\(i)", organisation: "org") }
        metrics.request(route: nil, method: "BREW", status: 404, nanoseconds: 1)
        let text = String(decoding: metrics.render(.init(memoryCache: (0, 0, 0), diskCache: nil, jobs: [:], layers: 0)), as: UTF8.self)
        let reads = text.split(separator: "\n").filter { $0.hasPrefix("layerserver_layer_reads_total{") }
        #expect(reads.count == ServiceMetrics.maximumSeries + 1)
        #expect(reads.contains { $0.contains("layer=\"other\"") && $0.hasSuffix(" 50") })
        #expect(text.contains("method=\"other\""))
        #expect(!text.contains("BREW"))
    }
}
