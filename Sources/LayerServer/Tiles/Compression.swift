import CompressNIO
import NIOCore

/// gzip for tile responses (zlib through compress-nio).
enum Compression {
    static func gzip(_ buffer: ByteBuffer) throws -> ByteBuffer {
        var input = buffer
        return try input.compress(with: .gzip())
    }

    /// Whether `bytes` gzipped weigh at most `budget` bytes, and their measured size. Measured at
    /// zlib's fastest level, which compresses no better than the served (default) level: a tile
    /// that fits here fits as served, and the measurement costs a fraction of the served one.
    static func fits(_ bytes: [UInt8], budget: Int) throws -> (fits: Bool, size: Int) {
        if bytes.count <= budget { return (true, bytes.count) }
        var input = ByteBuffer(bytes: bytes)
        let fast = try input.compress(with: .gzip(configuration: .init(compressionLevel: .fastestCompression))).readableBytes
        return (fast <= budget, fast)
    }
}
