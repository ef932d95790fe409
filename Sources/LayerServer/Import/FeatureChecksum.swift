import Crypto
import GeoCore

/// SHA-256 over the stored features in fid order, each as its fid and its ``FeatureArena``
/// record (geometry blob and typed attributes). Two versions with the same checksum hold the
/// same features.
struct FeatureChecksum {
    private var hasher = SHA256()
    private var buffer: [UInt8] = []

    init() { buffer.reserveCapacity(1 << 16) }

    /// Adds one stored feature: its fid and its arena record (blob and typed attributes).
    mutating func add(fid: Int64, record: UnsafeRawBufferPointer) {
        append(fid)
        buffer += record
        if buffer.count >= 1 << 16 { flush() }
    }

    private mutating func append(_ n: Int64) {
        withUnsafeBytes(of: n.littleEndian) { buffer += $0 }
    }

    private mutating func flush() {
        hasher.update(data: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    /// The hex digest.
    mutating func finish() -> String {
        flush()
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}

import Foundation
