import Foundation

/// Settings of the embedded layer store.
public struct StoreConfiguration: Sendable, Hashable {
    /// The data directory; `layers.gpkg` lives in it.
    public var dataDirectory: URL
    /// How many versions of a layer are kept (the current one is always kept as well).
    public var keepVersions: Int
    /// How many connections may read at once.
    public var maximumReaders: Int
    /// How long a writer waits for another process's write transaction.
    public var busyTimeout: TimeInterval

    /// Creates a configuration with the defaults: 5 versions kept, 2 readers (one per core of the
    /// target machine; each keeps a 64 MB page cache), 120 s busy timeout.
    public init(dataDirectory: URL, keepVersions: Int = 5, maximumReaders: Int = 2, busyTimeout: TimeInterval = 120) {
        self.dataDirectory = dataDirectory
        self.keepVersions = keepVersions
        self.maximumReaders = maximumReaders
        self.busyTimeout = busyTimeout
    }

    /// The GeoPackage file.
    public var databaseURL: URL { dataDirectory.appendingPathComponent("layers.gpkg") }
}
