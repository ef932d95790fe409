import Foundation
import Hummingbird
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// The request context of every route: Hummingbird's core context and the peer's address, which
/// the refused-credential limit and its audit records are kept by.
public struct ServerContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connection, asked for its peer only when a request is refused (not on every tile).
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// The TCP peer. Behind a reverse proxy this is the proxy: the limit then applies to all of
    /// its clients together (forwarded-for headers are not trusted; a caller could choose them).
    public var remoteAddress: SocketAddress? { channel.remoteAddress }

    /// The peer's address as the refusal limit and its audit records count it: an IPv4
    /// address, or an IPv6 /64 (one subscriber's network: changing addresses inside it gets
    /// around nothing); `unknown` without one.
    var clientAddress: String {
        guard let remoteAddress else { return "unknown" }
        return Self.limitKey(remoteAddress.ipAddress ?? remoteAddress.pathname ?? "unknown")
    }

    /// `text` (an IP address) as the limit's key: IPv4 as is (also when mapped into IPv6),
    /// IPv6 cut to its /64.
    static func limitKey(_ text: String) -> String {
        guard text.contains(":") else { return text }
        var bytes = [UInt8](repeating: 0, count: 16)
        guard inet_pton(AF_INET6, text, &bytes) == 1 else { return text }
        if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
            return bytes[12..<16].map(String.init).joined(separator: ".")
        }
        let groups = stride(from: 0, to: 8, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
        return groups.joined(separator: ":") + "::/64"
    }
}
