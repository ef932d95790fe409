import NIOPosix

/// Runs blocking C and SQLite work (GDAL reads, imports, store writes) on the service's own
/// thread pool, never on Swift's cooperative pool and never on NIO's shared singleton pool
/// (which the HTTP server's file I/O uses).
///
/// Eight threads: the work mostly waits on the disk or runs one long import; a long import
/// must not starve short store writes (a job row, a publish) behind it.
public enum BlockingWork {
    /// The pool, started on first use and kept for the life of the process.
    static let pool: NIOThreadPool = {
        let p = NIOThreadPool(numberOfThreads: 8)
        p.start()
        return p
    }()

    /// Runs `body` on the pool and returns its result.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(body)
    }
}
