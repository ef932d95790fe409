import NIOPosix

/// Runs blocking C work (GDAL reads, big imports) on NIO's blocking-I/O thread pool, never on
/// Swift's cooperative pool.
public enum BlockingWork {
    /// Runs `body` on `NIOThreadPool.singleton` and returns its result.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(body)
    }
}
