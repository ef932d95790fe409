import Foundation

/// An advisory lock (`flock`) on `DATA/import.lock`, held by an import from the start of its
/// write phase until its version is published. The store's recovery only removes pending
/// versions while it can take the lock, so it never deletes the version of an import that is
/// still running in another process; the kernel releases the lock of a process that died.
final class ImportLock: Sendable {
    private let fd: Int32

    private init(fd: Int32) { self.fd = fd }

    /// Takes the lock; with `wait: false` returns nil when another import holds it.
    static func acquire(in directory: URL, wait: Bool) throws -> ImportLock? {
        try acquire(path: directory.appendingPathComponent("import.lock").path, wait: wait)
    }

    /// Takes an exclusive lock on the file at `path` (created when missing); with `wait: false`
    /// returns nil when another process holds it.
    static func acquire(path: String, wait: Bool) throws -> ImportLock? {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw StoreError(.database, "cannot open the import lock: \(String(cString: strerror(errno)))", context: path)
        }
        while flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0 {
            if errno == EINTR { continue }
            let busy = errno == EWOULDBLOCK
            let message = String(cString: strerror(errno))
            close(fd)
            if busy, !wait { return nil }
            throw StoreError(.database, "cannot take the import lock: \(message)", context: path)
        }
        return ImportLock(fd: fd)
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
