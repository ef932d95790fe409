import CompressNIO
import NIOCore

/// gzip for tile responses (zlib through compress-nio).
enum Compression {
    static func gzip(_ buffer: ByteBuffer) throws -> ByteBuffer {
        var input = buffer
        return try input.compress(with: .gzip())
    }

    /// Whether `bytes` gzipped (as ``gzip(_:)`` does it) weigh at most `budget` bytes. Measured
    /// with the fastest level first, which compresses no better than the served level: when
    /// that fits, the served form fits too.
    static func fits(_ bytes: [UInt8], budget: Int) throws -> (fits: Bool, size: Int) {
        if bytes.count <= budget { return (true, bytes.count) }
        var input = ByteBuffer(bytes: bytes)
        let fast = try input.compress(with: .gzip(configuration: .init(compressionLevel: .fastestCompression))).readableBytes
        if fast <= budget { return (true, fast) }
        let served = try gzip(ByteBuffer(bytes: bytes)).readableBytes
        return (served <= budget, served)
    }
}
