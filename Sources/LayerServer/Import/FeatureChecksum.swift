import Crypto
import GeoCore

/// SHA-256 over the stored features in a fixed encoding: fid, geometry blob, typed attributes.
/// Two versions with the same checksum hold the same features.
struct FeatureChecksum {
    private var hasher = SHA256()
    private var buffer: [UInt8] = []

    init() { buffer.reserveCapacity(1 << 16) }

    mutating func add(fid: Int64, blob: [UInt8], attributes: [AttributeValue]) {
        append(fid)
        append(Int64(blob.count))
        buffer += blob
        for a in attributes {
            switch a {
            case .null: buffer.append(0)
            case .bool(let b): buffer.append(1); buffer.append(b ? 1 : 0)
            case .int(let n): buffer.append(2); append(n)
            case .double(let d): buffer.append(3); append(Int64(bitPattern: d.bitPattern))
            case .string(let s): buffer.append(4); append(Int64(s.utf8.count)); buffer += s.utf8
            case .blob(let b): buffer.append(5); append(Int64(b.count)); buffer += b
            }
        }
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
