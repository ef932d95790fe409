import CompressNIO
import NIOCore

/// gzip for tile responses (zlib through compress-nio).
enum Compression {
    static func gzip(_ buffer: ByteBuffer) throws -> ByteBuffer {
        var input = buffer
        return try input.compress(with: .gzip())
    }
}
