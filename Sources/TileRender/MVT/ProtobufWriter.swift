/// A minimal protocol-buffers writer for the Mapbox Vector Tile messages.
struct ProtobufWriter {
    var bytes: [UInt8] = []

    enum WireType: UInt8 {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case fixed32 = 5
    }

    @inline(__always)
    mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// The bytes `varint(v)` writes.
    @inline(__always)
    static func varintSize(_ v: UInt64) -> Int {
        v == 0 ? 1 : (64 - v.leadingZeroBitCount + 6) / 7
    }

    @inline(__always)
    mutating func key(_ field: Int, _ type: WireType) {
        varint(UInt64(field << 3) | UInt64(type.rawValue))
    }

    mutating func uint(_ field: Int, _ v: UInt64) {
        key(field, .varint)
        varint(v)
    }

    mutating func sint(_ field: Int, _ v: Int64) {
        key(field, .varint)
        varint(zigzag64(v))
    }

    mutating func bool(_ field: Int, _ v: Bool) {
        key(field, .varint)
        bytes.append(v ? 1 : 0)
    }

    mutating func double(_ field: Int, _ v: Double) {
        key(field, .fixed64)
        withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func string(_ field: Int, _ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            key(field, .lengthDelimited)
            varint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    mutating func message(_ field: Int, _ m: ProtobufWriter) {
        key(field, .lengthDelimited)
        varint(UInt64(m.bytes.count))
        bytes.append(contentsOf: m.bytes)
    }

    mutating func packed(_ field: Int, _ values: [UInt32]) {
        guard !values.isEmpty else { return }
        var inner = ProtobufWriter()
        inner.bytes.reserveCapacity(values.count * 2)
        for v in values { inner.varint(UInt64(v)) }
        message(field, inner)
    }
}

/// Zigzag encoding of a signed 32-bit integer (MVT geometry parameters).
@inline(__always)
func zigzag32(_ n: Int32) -> UInt32 {
    UInt32(bitPattern: (n << 1) ^ (n >> 31))
}

/// Zigzag encoding of a signed 64-bit integer (protobuf sint64).
@inline(__always)
func zigzag64(_ n: Int64) -> UInt64 {
    UInt64(bitPattern: (n << 1) ^ (n >> 63))
}
