import Configuration
import NIOCore
import Foundation
import GeoCore
import TileRender

/// Everything `layerserver serve` needs, read from flags, then environment variables
/// (`LAYERSERVER_*`), then a JSON config file, then the defaults.
///
/// | key | environment | default |
/// | --- | --- | --- |
/// | `host` | `LAYERSERVER_HOST` | `127.0.0.1` |
/// | `port` | `LAYERSERVER_PORT` | `8080` |
/// | `data` | `LAYERSERVER_DATA` | `./data` |
/// | `anonymous-access` | `LAYERSERVER_ANONYMOUS_ACCESS` | `false` |
/// | `signed-url-seconds` | `LAYERSERVER_SIGNED_URL_SECONDS` | `900` |
/// | `bootstrap` | `LAYERSERVER_BOOTSTRAP` | none: a JSON file naming the first administrator |
/// | `keep-versions` | `LAYERSERVER_KEEP_VERSIONS` | `5` |
/// | `tile-cache-mb` | `LAYERSERVER_TILE_CACHE_MB` | a 32nd of the machine's memory, at most 1024 |
/// | `tile-buffer` | `LAYERSERVER_TILE_BUFFER` | `64` |
/// | `simplification` | `LAYERSERVER_SIMPLIFICATION` | `4` |
/// | `tile-budget-kb` | `LAYERSERVER_TILE_BUDGET_KB` | `500`: the most a vector tile weighs gzipped below full detail |
/// | `full-detail-zoom` | `LAYERSERVER_FULL_DETAIL_ZOOM` | `13` (WebMercatorQuad level; the nearest level in other grids) |
/// | `full-detail-zooms` | `LAYERSERVER_FULL_DETAIL_ZOOMS` | none: per layer, `layer=zoom,layer=zoom` |
/// | `point-index-mb` | `LAYERSERVER_POINT_INDEX_MB` | a 16th of the machine's memory, at most 2048: point layers held in memory for tiles |
/// | `public-url` | `LAYERSERVER_PUBLIC_URL` | from the request's Host header |
/// | `catalog-poll-seconds` | `LAYERSERVER_CATALOG_POLL_SECONDS` | `1` |
/// | `upload-max-mb` | `LAYERSERVER_UPLOAD_MAX_MB` | `2048` |
/// | `upload-max-uncompressed-mb` | `LAYERSERVER_UPLOAD_MAX_UNCOMPRESSED_MB` | `4096` |
/// | `upload-max-files` | `LAYERSERVER_UPLOAD_MAX_FILES` | `64` |
/// | `upload-max-features` | `LAYERSERVER_UPLOAD_MAX_FEATURES` | `5000000` |
/// | `upload-max-vertices` | `LAYERSERVER_UPLOAD_MAX_VERTICES` | `200000000` |
/// | `upload-concurrent-per-organisation` | `LAYERSERVER_UPLOAD_CONCURRENT_PER_ORGANISATION` | `4` |
/// | `upload-concurrent-total` | `LAYERSERVER_UPLOAD_CONCURRENT_TOTAL` | `16` |
/// | `upload-disk-reserve-mb` | `LAYERSERVER_UPLOAD_DISK_RESERVE_MB` | `1024` |
/// | `header-timeout-seconds` | `LAYERSERVER_HEADER_TIMEOUT_SECONDS` | `30` |
/// | `idle-timeout-seconds` | `LAYERSERVER_IDLE_TIMEOUT_SECONDS` | `60` |
/// | `body-min-bytes-per-second` | `LAYERSERVER_BODY_MIN_BYTES_PER_SECOND` | `1024` |
/// | `body-slow-seconds` | `LAYERSERVER_BODY_SLOW_SECONDS` | `60` |
/// | `refusals-per-minute` | `LAYERSERVER_REFUSALS_PER_MINUTE` | `60` |
/// | `audit-refusal-seconds` | `LAYERSERVER_AUDIT_REFUSAL_SECONDS` | `60` |
/// | `audit-head-log-minutes` | `LAYERSERVER_AUDIT_HEAD_LOG_MINUTES` | `60` (0: off) |
/// | `styles` | `LAYERSERVER_STYLES` | `./styles` when it exists: MapLibre styles and `sprites/` |
/// | `tile-disk-cache-mb` | `LAYERSERVER_TILE_DISK_CACHE_MB` | `0`: no disk tier; else its budget in `DATA/tile-cache` |
/// | `cors-origins` | `LAYERSERVER_CORS_ORIGINS` | none: other origins' pages may not call the service; `*` or `https://a.example,https://b.example` |
/// | `default-style` | `LAYERSERVER_DEFAULT_STYLE` | `operational-picture`: draws a layer alone on `/collections/{id}/map/tiles` |
/// | `viewer` | `LAYERSERVER_VIEWER` | `./viewer` when it exists: the map viewer's files (`/viewer`) |
/// | `viewer-vendor` | `LAYERSERVER_VIEWER_VENDOR` | `./.build/maplibre` when it exists: MapLibre GL JS for the viewer (make run fetches it) |
/// | `metrics-token` | `LAYERSERVER_METRICS_TOKEN` | none: no `/metrics`; else the bearer secret (32+ characters) a Prometheus scrape sends |
public struct ServerConfiguration: Sendable {
    /// Address to listen on.
    public var host: String
    /// Port to listen on; 0 picks a free port.
    public var port: Int
    /// The store settings, including the data directory.
    public var store: StoreConfiguration
    /// Anonymous access and signed-URL lifetime.
    public var access: AccessControl.Configuration
    /// The first administrator, applied when the policy has none.
    public var bootstrapFile: String?
    /// How often read and denial records are written to the audit log.
    public var auditFlushInterval: Duration = .seconds(1)
    /// Tile production settings.
    public var tiles: TileConfiguration
    /// Tile cache budget in bytes; 0 turns the cache off.
    public var tileCacheBytes: Int
    /// Base URL for links in documents, e.g. `https://maps.example.nl`; nil derives it from the request.
    public var publicURL: String?
    /// How often the server looks for publishes and rollbacks made by other processes.
    public var catalogPollInterval: Duration
    /// Limits on uploads.
    public var uploads = UploadLimits()
    /// Timeouts of connections and request bodies.
    public var connections = ConnectionLimits()
    /// Page sizes of OGC API Features items.
    public var features = FeatureLimits()
    /// How often the server logs the audit log's head hash (for the operator to keep
    /// elsewhere); nil: never.
    public var auditHeadLogInterval: Duration? = .seconds(3600)
    /// The MapLibre styles (and `sprites/`) the service draws and serves; nil: only the
    /// built-in per-layer styles.
    public var stylesDirectory: URL?
    /// Budget of the tile cache's disk tier in `DATA/tile-cache`; 0: no disk tier.
    public var tileDiskCacheBytes = 0
    /// The style whose layers draw a layer alone on `/collections/{id}/map/tiles`.
    public var defaultStyle = "operational-picture"
    /// Other origins whose web pages may call the service (CORS); none by default.
    public var crossOrigin = CrossOriginPolicy.none
    /// The viewer's files and MapLibre GL JS (nil: the viewer answers that it is not installed).
    public var viewerDirectory: URL?
    public var viewerVendorDirectory: URL?
    /// The bearer secret of `/metrics`; nil (the default) serves no `/metrics` at all.
    public var metricsToken: String?

    /// Creates a configuration with the defaults.
    public init(host: String = "127.0.0.1", port: Int = 8080, store: StoreConfiguration,
                access: AccessControl.Configuration = .init(), bootstrapFile: String? = nil, tiles: TileConfiguration = TileConfiguration(),
                tileCacheBytes: Int = TileCache.defaultCapacity, publicURL: String? = nil, catalogPollInterval: Duration = .seconds(1)) {
        self.host = host
        self.port = port
        self.store = store
        self.access = access
        self.bootstrapFile = bootstrapFile
        self.tiles = tiles
        self.tileCacheBytes = tileCacheBytes
        self.publicURL = publicURL
        self.catalogPollInterval = catalogPollInterval
    }

    /// Reads the configuration. `overrides` are the command-line flags that were given
    /// (key to value); `configFile` is an optional JSON file with the same keys.
    /// - Throws: `StoreError(.invalidRequest)` naming the key and the value that is wrong.
    public static func load(overrides: [String: String], configFile: String?,
                            environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> ServerConfiguration {
        var providers: [any ConfigProvider] = [
            InMemoryProvider(name: "flags", values: Dictionary(uniqueKeysWithValues: overrides.map {
                (AbsoluteConfigKey(ConfigKey($0.key)), ConfigValue(.string($0.value), isSecret: false))
            })),
            EnvironmentVariablesProvider(environmentVariables: environment).prefixKeys(with: "layerserver"),
        ]
        if let configFile {
            do {
                providers.append(try await FileProvider<JSONSnapshot>(filePath: .init(configFile)))
            } catch {
                throw StoreError(.invalidRequest, "cannot read the config file: \(error)", context: configFile)
            }
        }
        let reader = ConfigReader(providers: providers)
        // Flags and environment variables are text; a JSON file may hold a number.
        func int(_ key: String, _ def: Int, _ range: ClosedRange<Int>) throws -> Int {
            let raw = reader.string(forKey: ConfigKey(key)) ?? reader.int(forKey: ConfigKey(key)).map(String.init)
            guard let raw else { return def }
            guard let v = Int(raw), range.contains(v) else {
                throw StoreError(.invalidRequest, "\(key) must be a whole number in \(range.lowerBound)...\(range.upperBound), got \"\(raw)\"")
            }
            return v
        }
        let anonymousText = reader.string(forKey: "anonymous-access") ?? reader.bool(forKey: "anonymous-access").map { $0 ? "true" : "false" } ?? "false"
        guard let anonymous = ["true": true, "false": false][anonymousText.lowercased()] else {
            throw StoreError(.invalidRequest, "anonymous-access must be true or false, got \"\(anonymousText)\"")
        }
        let data = reader.string(forKey: "data", default: "./data")
        let store = StoreConfiguration(dataDirectory: URL(fileURLWithPath: data),
                                       keepVersions: try int("keep-versions", 5, 1...1000))
        let mvt = MVTOptions(extent: 4096, buffer: try int("tile-buffer", 64, 0...1024),
                             simplificationTolerance: Double(try int("simplification", 4, 0...256)))
        var config = ServerConfiguration(
            host: reader.string(forKey: "host", default: "127.0.0.1"),
            port: try int("port", 8080, 0...65535),
            store: store,
            access: AccessControl.Configuration(anonymousAccess: anonymous,
                                                signedURLLifetime: .seconds(try int("signed-url-seconds", 900, 10...86_400)),
                                                refusalsPerMinute: try int("refusals-per-minute", 60, 1...1_000_000),
                                                refusalAuditInterval: .seconds(try int("audit-refusal-seconds", 60, 1...86_400))),
            bootstrapFile: reader.string(forKey: "bootstrap"),
            tiles: TileConfiguration(mvt: mvt, budgetBytes: try int("tile-budget-kb", 500, 16...1_048_576) * 1024,
                                     defaultFullDetailZoom: try int("full-detail-zoom", 13, 0...24),
                                     fullDetailZooms: try TileConfiguration.parseFullDetailZooms(reader.string(forKey: "full-detail-zooms") ?? ""),
                                     pointIndexBytes: try int("point-index-mb", PointIndexCache.defaultBudget >> 20, 0...1_048_576) << 20),
            tileCacheBytes: try int("tile-cache-mb", TileCache.defaultCapacity >> 20, 0...65536) << 20,
            publicURL: reader.string(forKey: "public-url"),
            catalogPollInterval: .milliseconds(try int("catalog-poll-seconds", 1, 1...3600) * 1000))
        config.uploads = UploadLimits(
            maxUploadBytes: try int("upload-max-mb", 2048, 1...1_048_576) << 20,
            maxUncompressedBytes: try int("upload-max-uncompressed-mb", 4096, 1...1_048_576) << 20,
            maxFiles: try int("upload-max-files", 64, 1...100_000),
            maxFeatures: try int("upload-max-features", 5_000_000, 1...1_000_000_000),
            maxVertices: try int("upload-max-vertices", 200_000_000, 1...10_000_000_000),
            maxConcurrentPerOrganisation: try int("upload-concurrent-per-organisation", 4, 1...1000),
            maxConcurrentTotal: try int("upload-concurrent-total", 16, 1...10_000),
            diskReserveBytes: try int("upload-disk-reserve-mb", 1024, 0...1_048_576) << 20)
        let maximumLimit = try int("items-max-limit", 10_000, 1...1_000_000)
        config.features = FeatureLimits(defaultLimit: try int("items-default-limit", 100, 1...maximumLimit), maximumLimit: maximumLimit)
        config.connections = ConnectionLimits(
            headerTimeout: .seconds(try int("header-timeout-seconds", 30, 1...3600)),
            idleTimeout: .seconds(try int("idle-timeout-seconds", 60, 1...86_400)),
            bodyMinBytesPerSecond: try int("body-min-bytes-per-second", 1024, 0...1 << 30),
            bodySlowSeconds: try int("body-slow-seconds", 60, 1...86_400))
        if let styles = reader.string(forKey: "styles") {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: styles, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw StoreError(.invalidRequest, "styles must name a directory of MapLibre style files, got \"\(styles)\"")
            }
            config.stylesDirectory = URL(fileURLWithPath: styles)
        } else {
            // The repository's styles/ when the service runs from a checkout (make run).
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: "styles", isDirectory: &isDirectory), isDirectory.boolValue {
                config.stylesDirectory = URL(fileURLWithPath: "styles")
            }
        }
        config.defaultStyle = reader.string(forKey: "default-style", default: "operational-picture")
        config.crossOrigin = try CrossOriginPolicy.parse(reader.string(forKey: "cors-origins") ?? "")
        if config.crossOrigin == .any, anonymous {
            // Anonymous reads on an internal network plus any origin would let every web page a
            // user opens read the open layers through the user's browser.
            throw StoreError(.invalidRequest, "cors-origins=* together with anonymous-access=true would let any web page read the service through its visitors' browsers; list the origins instead")
        }
        config.tileDiskCacheBytes = try int("tile-disk-cache-mb", 0, 0...1_048_576) << 20
        func directory(_ key: String, default fallback: String) throws -> URL? {
            var isDirectory: ObjCBool = false
            if let given = reader.string(forKey: ConfigKey(key)) {
                guard FileManager.default.fileExists(atPath: given, isDirectory: &isDirectory), isDirectory.boolValue else {
                    throw StoreError(.invalidRequest, "\(key) must name a directory, got \"\(given)\"")
                }
                return URL(fileURLWithPath: given)
            }
            return FileManager.default.fileExists(atPath: fallback, isDirectory: &isDirectory) && isDirectory.boolValue ? URL(fileURLWithPath: fallback) : nil
        }
        config.viewerDirectory = try directory("viewer", default: "viewer")
        config.viewerVendorDirectory = try directory("viewer-vendor", default: ".build/maplibre")
        if let token = reader.string(forKey: "metrics-token"), !token.isEmpty {
            guard token.count >= 32, token.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "," }) else {
                throw StoreError(.invalidRequest, "metrics-token must be at least 32 printable ASCII characters without spaces or commas (for example: openssl rand -hex 32)")
            }
            config.metricsToken = token
        }
        let headMinutes = try int("audit-head-log-minutes", 60, 0...525_600)
        config.auditHeadLogInterval = headMinutes == 0 ? nil : .seconds(headMinutes * 60)
        return config
    }
}

/// How long a connection may take to send its request header, sit idle, or trickle a body.
public struct ConnectionLimits: Sendable, Hashable {
    /// A request header must be complete this long after its first byte (`header-timeout-seconds`).
    public var headerTimeout: Duration
    /// A connection without a request in flight is closed after this long (`idle-timeout-seconds`).
    public var idleTimeout: Duration
    /// A request body averaging fewer bytes per second than this (`body-min-bytes-per-second`) ...
    public var bodyMinBytesPerSecond: Int
    /// ... over this many seconds, while the server waits for it, is cut off (`body-slow-seconds`).
    public var bodySlowSeconds: Int
    /// How often connections are checked (shortened by tests together with the limits).
    public var checkInterval: Duration

    public init(headerTimeout: Duration = .seconds(30), idleTimeout: Duration = .seconds(60),
                bodyMinBytesPerSecond: Int = 1024, bodySlowSeconds: Int = 60, checkInterval: Duration = .seconds(1)) {
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.bodyMinBytesPerSecond = bodyMinBytesPerSecond
        self.bodySlowSeconds = bodySlowSeconds
        self.checkInterval = checkInterval
    }

    var guardConfiguration: ConnectionGuard.Configuration {
        ConnectionGuard.Configuration(headerTimeout: Self.amount(headerTimeout), idleTimeout: Self.amount(idleTimeout),
                                      bodyMinBytesPerSecond: bodyMinBytesPerSecond, bodySlowSeconds: bodySlowSeconds,
                                      tick: Self.amount(checkInterval))
    }

    static func amount(_ d: Duration) -> TimeAmount {
        .nanoseconds(d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000)
    }
}
