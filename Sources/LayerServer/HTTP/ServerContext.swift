import Hummingbird
import NIOCore

/// The request context of every route: Hummingbird's core context and the peer's address, which
/// the refused-credential limit and its audit records are kept by.
public struct ServerContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The TCP peer. Behind a reverse proxy this is the proxy: the limit then applies to all of
    /// its clients together (forwarded-for headers are not trusted; a caller could choose them).
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The peer's IP address as text (no port), or `unknown`.
    var clientAddress: String {
        guard let remoteAddress else { return "unknown" }
        return remoteAddress.ipAddress ?? remoteAddress.pathname ?? "unknown"
    }
}
