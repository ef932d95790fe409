import Foundation
import GeoCore
import Hummingbird
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
                                   onListening: (@Sendable (Int) async -> Void)? = nil) -> some ApplicationProtocol {
        let router = Router(context: BasicRequestContext.self)
        router.middlewares.add(ProblemMiddleware(logger: logger))
        Routes(service: service, transformers: transformers, publicURL: configuration.publicURL).register(on: router)
        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "layerserver"),
            services: [CatalogPoller(service: service, interval: configuration.catalogPollInterval, logger: logger)],
            onServerRunning: { channel in
                await onListening?(channel.localAddress?.port ?? configuration.port)
            },
            logger: logger)
    }

    /// Opens the store and builds the service for `configuration`.
    public static func makeService(configuration: ServerConfiguration, transformers: TransformerPool, logger: Logger) throws -> LayerService {
        let store = try LayerStore(configuration: configuration.store, logger: logger)
        let tiles = TileService(store: store, transformers: transformers, configuration: configuration.tiles)
        return try LayerService(store: store, tiles: tiles, cache: TileCache(capacity: configuration.tileCacheBytes),
                                gate: configuration.access, logger: logger)
    }
}

/// Polls the store for publishes and rollbacks made by other processes (the CLI) and reloads
/// the catalog snapshot when they happen.
struct CatalogPoller: Service {
    let service: LayerService
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await service.refreshCatalog()
            } catch {
                logger.error("catalog reload failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: interval)
        }
    }
}
