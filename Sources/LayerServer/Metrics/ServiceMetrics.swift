import CoreMetrics
import Foundation
import Prometheus
import Synchronization

/// The operator's numbers: requests, tiles, the tile cache, upload jobs, audit records, access
/// denials and reads, in the Prometheus text format (`/metrics`).
///
/// Recorded through swift-metrics with a factory of this service's own (swift-prometheus over a
/// registry of its own), never the process-wide `MetricsSystem`: two services in one process
/// (the tests) keep apart, and no library can add series behind our back.
///
/// Labels name routes (their templates), methods, statuses, formats, layer ids, organisation
/// ids and policy rule ids; never a feature, an attribute value, a path or a token. Label values
/// that come from outside the code (layers, organisations, rules) are capped per family at
/// ``maximumSeries``; beyond the cap they are counted under `other`, so that no one can make the
/// service hold an unbounded number of series.
public final class ServiceMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory
    private let series = Mutex<[String: Set<[String]>]>([:])
    private let tileCounts = Mutex<(hits: Int, misses: Int)>((0, 0))
    /// The tile counters, made once: the tile path is the hot one.
    private let tileCounters: [String: CoreMetrics.Counter]

    /// Distinct label sets per metric family whose labels come from data.
    public static let maximumSeries = 5_000

    /// The methods the service answers; any other is counted as `other`.
    static let methods: Set<String> = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"]

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30),
        ]
        self.factory = factory
        var counters: [String: CoreMetrics.Counter] = [:]
        for format in Self.tileFormats {
            for source in [TileSource.rendered, .memory, .disk] {
                counters[format + "|" + source.rawValue] = CoreMetrics.Counter(label: "layerserver_tiles_total", dimensions: [("format", format), ("source", source.rawValue)],
                                                                   factory: factory)
            }
        }
        tileCounters = counters
    }

    /// The tile formats counted.
    public static let tileFormats = ["mvt", "png"]

    /// `values`, or `other` for each once `family` holds ``maximumSeries`` label sets.
    private func bounded(_ family: String, _ values: [String]) -> [String] {
        series.withLock { s in
            if s[family, default: []].contains(values) { return values }
            guard s[family, default: []].count < Self.maximumSeries else { return values.map { _ in "other" } }
            s[family, default: []].insert(values)
            return values
        }
    }

    // MARK: Recording

    /// One answered request: its route template (nil, or Hummingbird's `NotFound`, when no route
    /// matched), method and status.
    public func request(route: String?, method: String, status: Int, nanoseconds: UInt64) {
        let m = Self.methods.contains(method) ? method : "other"
        let r = route.flatMap { $0.hasPrefix("/") ? $0 : nil } ?? "unmatched"
        Counter(label: "layerserver_http_requests_total", dimensions: [("route", r), ("method", m), ("status", String(status))], factory: factory)
            .increment()
        CoreMetrics.Timer(label: "layerserver_http_request_duration_seconds", dimensions: [("route", r), ("method", m)], factory: factory)
            .recordNanoseconds(Int64(clamping: nanoseconds))
    }

    /// Where a tile came from.
    public enum TileSource: String, Sendable {
        case rendered, memory, disk
    }

    /// One tile answered (MVT or PNG, of a layer, a style or a risk picture; `format` one of ``tileFormats``).
    public func tile(format: String, source: TileSource) {
        tileCounters[format + "|" + source.rawValue]?.increment()
        tileCounts.withLock { c in
            if source == .rendered { c.misses += 1 } else { c.hits += 1 }
        }
    }

    /// An allowed read of a layer by an organisation (a tile, a page of features, an export...).
    public func read(layer: String, organisation: String) {
        let v = bounded("reads", [layer, organisation.isEmpty ? "anonymous" : organisation])
        Counter(label: "layerserver_layer_reads_total", dimensions: [("layer", v[0]), ("organisation", v[1])], factory: factory).increment()
    }

    /// A denied decision, counted once for each rule that decided it.
    public func denial(rules: [String]) {
        for rule in rules.isEmpty ? ["none"] : rules {
            let v = bounded("denials", [rule])
            Counter(label: "layerserver_access_denials_total", dimensions: [("rule", v[0])], factory: factory).increment()
        }
    }

    /// A refused credential (no such token, expired, revoked, bad signature...).
    public func authenticationFailure(reason: String) {
        let v = bounded("authentication", [reason])
        Counter(label: "layerserver_authentication_failures_total", dimensions: [("reason", v[0])], factory: factory).increment()
    }

    /// Audit records written to the store.
    public func auditRecordsWritten(_ n: Int) {
        Counter(label: "layerserver_audit_records_written_total", dimensions: [], factory: factory).increment(by: n)
    }

    // MARK: Exposition

    /// What the gauges read at scrape time.
    public struct Snapshot: Sendable {
        public var memoryCache: (entries: Int, bytes: Int, capacity: Int)
        public var diskCache: (files: Int, bytes: Int, capacity: Int)?
        public var jobs: [String: Int]
        public var layers: Int
    }

    /// The text exposition, with the gauges set from `snapshot` first.
    public func render(_ snapshot: Snapshot) -> [UInt8] {
        func gauge(_ name: String, _ labels: [(String, String)] = [], _ value: Double) {
            Gauge(label: name, dimensions: labels, factory: factory).record(value)
        }
        gauge("layerserver_tile_cache_entries", [("tier", "memory")], Double(snapshot.memoryCache.entries))
        gauge("layerserver_tile_cache_bytes", [("tier", "memory")], Double(snapshot.memoryCache.bytes))
        gauge("layerserver_tile_cache_capacity_bytes", [("tier", "memory")], Double(snapshot.memoryCache.capacity))
        if let disk = snapshot.diskCache {
            gauge("layerserver_tile_cache_entries", [("tier", "disk")], Double(disk.files))
            gauge("layerserver_tile_cache_bytes", [("tier", "disk")], Double(disk.bytes))
            gauge("layerserver_tile_cache_capacity_bytes", [("tier", "disk")], Double(disk.capacity))
        }
        let (hits, misses) = tileCounts.withLock { ($0.hits, $0.misses) }
        gauge("layerserver_tile_cache_hit_ratio", [], hits + misses == 0 ? 0 : Double(hits) / Double(hits + misses))
        for (state, count) in snapshot.jobs {
            gauge("layerserver_upload_jobs", [("state", state)], Double(count))
        }
        gauge("layerserver_layers", [], Double(snapshot.layers))
        return registry.emitToBuffer()
    }
}
