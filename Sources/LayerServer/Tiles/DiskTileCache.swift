import Crypto
import Foundation
import Synchronization

/// The optional disk tier of the tile cache, so that a restart does not start cold. A tile is a
/// file under `DATA/tile-cache/{layer}/{version}/`, named by a digest of the rest of its key
/// (access class, format, tile matrix set, tile): like the memory tier it is partitioned by
/// access class and layer version, and a publish or rollback removes the layer's directory.
/// Files are written to a temporary name and renamed (atomic); each carries a digest of its
/// bytes, and a file that is short, corrupt or unreadable is deleted, never served. The tier
/// holds at most `capacity` bytes; the oldest files go first.
///
/// - Important: Blocking file I/O: call it off the cooperative pool (``BlockingWork``).
public final class DiskTileCache: Sendable {
    /// The cache directory.
    public let root: URL
    /// Budget in bytes.
    public let capacity: Int

    private struct Index {
        var sizes: [String: Int] = [:]
        /// Paths in the order they were written (lazily: removed paths are skipped).
        var order: [String] = []
        var head = 0
        var bytes = 0
    }

    private let index = Mutex(Index())
    private static let magic = Array("LSTC1\n".utf8)
    private static let headerSize = magic.count + 32

    /// Opens (or creates) the tier in `directory`, indexing the files a previous run left and
    /// removing half-written ones.
    public init(directory: URL, capacity: Int) throws {
        root = directory
        self.capacity = capacity
        let fm = FileManager.default
        try fm.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var found: [(path: String, size: Int, time: Date)] = []
        if let walker = fm.enumerator(at: directory, includingPropertiesForKeys: [.fileSizeKey, .contentModificationDateKey, .isRegularFileKey]) {
            for case let url as URL in walker {
                let values = try? url.resourceValues(forKeys: [.fileSizeKey, .contentModificationDateKey, .isRegularFileKey])
                guard values?.isRegularFile == true else { continue }
                if url.lastPathComponent.hasPrefix(".tmp-") {
                    try? fm.removeItem(at: url)
                    continue
                }
                found.append((url.path, values?.fileSize ?? 0, values?.contentModificationDate ?? .distantPast))
            }
        }
        found.sort { $0.time < $1.time }
        index.withLock { i in
            for f in found {
                i.sizes[f.path] = f.size
                i.order.append(f.path)
                i.bytes += f.size
            }
        }
        evict()
    }

    /// Whether the tier keeps tiles of `key` (a stored layer's; see ``file(_:)``).
    public func accepts(_ key: TileCacheKey) -> Bool {
        key.version > 0 && (try? Layer.validate(id: key.layerID)) != nil
    }

    /// The file of a tile, nil for keys that are not a stored layer's (pictures, whole styles:
    /// their versions are digests, not layer versions, and no publish would clean them).
    func file(_ key: TileCacheKey) -> URL? {
        guard accepts(key) else { return nil }
        let name = "\(key.accessClass)|\(key.format)|\(key.tileMatrixSet)|\(key.tile.z)|\(key.tile.row)|\(key.tile.col)"
        let digest = LayerService.hex(SHA256.hash(data: Data(name.utf8)))
        return root.appendingPathComponent(key.layerID).appendingPathComponent(String(key.version))
            .appendingPathComponent(String(digest.prefix(2))).appendingPathComponent(digest)
    }

    /// The bytes of a cached tile, or nil. A file that fails its checks is deleted.
    public func read(_ key: TileCacheKey) -> [UInt8]? {
        guard let url = file(key), let data = FileManager.default.contents(atPath: url.path) else { return nil }
        let bytes = [UInt8](data)
        guard bytes.count >= Self.headerSize, Array(bytes[0..<Self.magic.count]) == Self.magic else {
            discard(url)
            return nil
        }
        let body = Array(bytes[Self.headerSize...])
        guard Array(SHA256.hash(data: body)) == Array(bytes[Self.magic.count..<Self.headerSize]) else {
            discard(url)
            return nil
        }
        return body
    }

    /// Stores a tile's bytes (atomically: a reader sees the old file, the new one, or none).
    public func write(_ key: TileCacheKey, _ body: [UInt8]) {
        guard let url = file(key), Self.headerSize + body.count <= capacity / 2 else { return }
        let fm = FileManager.default
        let directory = url.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".tmp-\(UUID().uuidString)")
        do {
            try fm.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try Data(Self.magic + Array(SHA256.hash(data: body)) + body).write(to: temporary)
            guard rename(temporary.path, url.path) == 0 else { throw CocoaError(.fileWriteUnknown) }
        } catch {
            try? fm.removeItem(at: temporary)
            return
        }
        let size = Self.headerSize + body.count
        index.withLock { i in
            if let old = i.sizes.updateValue(size, forKey: url.path) { i.bytes -= old }
            i.bytes += size
            i.order.append(url.path)
        }
        evict()
    }

    /// Removes every tile of a layer (all versions and access classes).
    public func removeAll(layerID: String) {
        guard (try? Layer.validate(id: layerID)) != nil else { return }
        let directory = root.appendingPathComponent(layerID)
        let prefix = directory.path + "/"
        index.withLock { i in
            for (path, size) in i.sizes where path.hasPrefix(prefix) {
                i.sizes[path] = nil
                i.bytes -= size
            }
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// Files and bytes held.
    public var usage: (files: Int, bytes: Int) {
        index.withLock { ($0.sizes.count, $0.bytes) }
    }

    private func discard(_ url: URL) {
        try? FileManager.default.removeItem(at: url)
        index.withLock { i in
            if let size = i.sizes.removeValue(forKey: url.path) { i.bytes -= size }
        }
    }

    /// Deletes the oldest files until the tier is within its budget.
    private func evict() {
        let victims: [String] = index.withLock { i in
            var out: [String] = []
            while i.bytes > capacity, i.head < i.order.count {
                let path = i.order[i.head]
                i.head += 1
                guard let size = i.sizes.removeValue(forKey: path) else { continue }
                i.bytes -= size
                out.append(path)
            }
            if i.head > 1_024, i.head > i.order.count / 2 {
                i.order = i.order[i.head...].filter { i.sizes[$0] != nil }
                i.head = 0
            }
            return out
        }
        for path in victims { try? FileManager.default.removeItem(atPath: path) }
    }
}
