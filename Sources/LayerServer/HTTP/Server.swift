import Foundation
import GeoCore
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle
import TileRender

/// Builds the HTTP application around a ``LayerService``.
public enum Server {
    /// The Hummingbird application: routes, problem+json errors, and the catalog poller.
    /// `onListening` receives the bound port (useful with port 0).
    public static func application(configuration: ServerConfiguration, service: LayerService,
                                   transformers: TransformerPool, logger: Logger,
                                   onListening: (@Sendable (Int) async -> Void)? = nil) throws -> some ApplicationProtocol {
        let router = Router(context: ServerContext.self)
        // Outermost, so that error answers carry the CORS headers too (a page must be able to
        // read a 401 or 404 to tell its user).
        router.middlewares.add(CrossOriginMiddleware(policy: configuration.crossOrigin))
        // Inside CORS (preflights are not requests of a route), outside the problem middleware
        // (so that it counts the statuses of error answers).
        router.middlewares.add(MetricsMiddleware(metrics: service.access.metrics))
        router.middlewares.add(VaryOnAuthorizationMiddleware())
        router.middlewares.add(ProblemMiddleware(logger: logger))
        let routes = Routes(service: service, transformers: transformers, publicURL: configuration.publicURL)
        routes.register(on: router)
        AccessRoutes(routes: routes).register(on: router)
        ViewAsRoutes(routes: routes).register(on: router)
        AdminRoutes(routes: routes).register(on: router)
        FeatureRoutes(routes: routes, limits: configuration.features).register(on: router)
        let importer = LayerImporter(store: service.store, transformers: transformers, logger: logger)
        let uploads = try UploadService(store: service.store, layers: service, importer: importer, limits: configuration.uploads, logger: logger)
        UploadRoutes(routes: routes, uploads: uploads).register(on: router)
        let pictures = try PictureService(store: SQLitePictureStore(store: service.store), layers: service)
        PictureRoutes(routes: routes, pictures: pictures).register(on: router)
        let (styles, warnings) = try StyleCatalog.load(directory: configuration.stylesDirectory, defaultStyle: configuration.defaultStyle)
        for w in warnings { logger.warning("style outside the renderer's subset", metadata: ["warning": "\(w)"]) }
        let maps = MapService(layers: service, pictures: pictures, styles: styles)
        MapRoutes(routes: routes, maps: maps).register(on: router)
        WMTSRoutes(routes: routes, maps: maps).register(on: router)
        if let token = configuration.metricsToken {
            MetricsRoutes(routes: routes, token: token).register(on: router)
        }
        ViewerRoutes(directory: configuration.viewerDirectory, vendorDirectory: configuration.viewerVendorDirectory).register(on: router)
        // The API document, checked against the routes: the application does not start if they differ.
        let metricsEnabled = configuration.metricsToken != nil
        router.get("/api") { request, _ -> Response in
            let document = APIDocument.document(base: routes.documents(request).base, metricsEnabled: metricsEnabled)
            return Response(status: .ok, headers: [.contentType: APIDocument.openAPIType, .cacheControl: "public, max-age=300"],
                            body: .init(byteBuffer: ByteBuffer(bytes: try Routes.encoder.encode(document))))
        }
        try APIDocument.check(router.routes.map { (method: $0.method.rawValue, path: $0.path.description) }, metricsEnabled: metricsEnabled)
        let guardConfiguration = configuration.connections.guardConfiguration
        var services: [any Service] = [
            CatalogPoller(service: service, interval: configuration.catalogPollInterval, logger: logger),
            AuditFlusher(recorder: service.access.recorder, interval: configuration.auditFlushInterval, clock: service.clock),
            UploadWorker(uploads: uploads),
            PictureExpiry(pictures: pictures, interval: .seconds(1), logger: logger),
            PictureEventPoller(events: pictures.events, interval: .milliseconds(100), logger: logger),
        ]
        if let every = configuration.auditHeadLogInterval { services.append(AuditHeadLogger(access: service.access, interval: every)) }
        return Application(
            router: router,
            // A guard per connection: header, idle and slow-body timeouts.
            server: .http1(configuration: HTTP1Channel.Configuration(additionalChannelHandlers: [ConnectionGuard(configuration: guardConfiguration)])),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "layerserver"),
            services: services,
            onServerRunning: { channel in
                await onListening?(channel.localAddress?.port ?? configuration.port)
            },
            logger: logger)
    }

    /// Opens the store and builds the service for `configuration`.
    public static func makeService(configuration: ServerConfiguration, transformers: TransformerPool, logger: Logger,
                                   clock: @escaping @Sendable () -> Date = { Date() }) throws -> LayerService {
        let store = try LayerStore(configuration: configuration.store, logger: logger)
        let tiles = TileService(store: store, transformers: transformers, scope: try SpatialScope(transformers: transformers),
                                configuration: configuration.tiles)
        let access = try AccessControl(store: AccessStore(store: store), configuration: configuration.access, logger: logger)
        let disk = try configuration.tileDiskCacheBytes > 0
            ? DiskTileCache(directory: configuration.store.dataDirectory.appendingPathComponent("tile-cache"), capacity: configuration.tileDiskCacheBytes)
            : nil
        let service = try LayerService(store: store, tiles: tiles, cache: TileCache(capacity: configuration.tileCacheBytes, disk: disk),
                                       access: access, clock: clock, logger: logger)
        // Point layers into memory for the tile path, behind the first requests (which use SQLite
        // until their index is ready).
        let layers = (try? store.layers()) ?? []
        Task.detached { await tiles.warm(layers) }
        return service
    }
}

/// Polls the store for publishes, rollbacks and access changes made by other processes (the
/// CLI) and reloads the catalog and policy snapshots when they happen.
struct CatalogPoller: Service {
    let service: LayerService
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            // Separately: a failing catalog reload must not keep revocations from loading.
            do {
                // Store reads block: never on the cooperative pool (GRDB's async readers
                // resume there, so blocking it can deadlock them).
                _ = try await BlockingWork.run { [service] in try service.access.refresh() }
            } catch {
                logger.error("access policy reload failed", metadata: ["error": "\(error)"])
            }
            do {
                try await service.refreshCatalog()
            } catch {
                logger.error("catalog reload failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: interval)
        }
    }
}

/// Withdraws expired threats from the regions' pictures as they expire (a version by
/// `system:expiry`), checking every `interval`.
struct PictureExpiry: Service {
    let pictures: PictureService
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let now = pictures.layers.clock()
                let expired = try await BlockingWork.run { [pictures] in try pictures.expire(at: now) }
                for (region, v) in expired { logger.info("risk picture expired items", metadata: ["region": "\(region)", "version": "\(v.number)"]) }
            } catch {
                logger.error("risk-picture expiry failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: interval)
        }
    }
}
