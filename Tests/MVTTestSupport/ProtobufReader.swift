/// The protobuf wire types a reader accepts. Groups (3, 4) and the unassigned codes 6 and 7
/// are refused: nothing in the vector tile schema uses them.
public enum WireType: UInt8, Sendable {
    case varint = 0
    case fixed64 = 1
    case lengthDelimited = 2
    case fixed32 = 5
}

/// A strict reader of the protobuf wire format over a byte buffer (test support).
///
/// Every read checks the remaining length first; varints longer than ten bytes or wider than
/// 64 bits, field number 0 and unknown wire types are errors.
public struct ProtobufReader {
    private let bytes: [UInt8]
    private var index: Int
    private let end: Int

    /// A reader over all of `bytes`.
    public init(_ bytes: [UInt8]) {
        self.init(bytes, from: 0, to: bytes.count)
    }

    private init(_ bytes: [UInt8], from start: Int, to end: Int) {
        self.bytes = bytes
        self.index = start
        self.end = end
    }

    /// True when every byte has been consumed.
    public var isAtEnd: Bool { index >= end }

    /// Reads a base-128 varint of at most ten bytes that fits in 64 bits.
    public mutating func varint() throws(MVTDecodingError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard index < end else { throw MVTDecodingError(.truncated, "varint runs past the end") }
            let byte = bytes[index]
            index += 1
            if shift == 63, byte > 1 { throw MVTDecodingError(.malformedVarint, "varint wider than 64 bits") }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// Reads a field key: the field number (1...2^29-1) and its wire type.
    public mutating func fieldKey() throws(MVTDecodingError) -> (field: UInt64, wireType: WireType) {
        let key = try varint()
        let field = key >> 3
        guard field > 0, field < 1 << 29 else { throw MVTDecodingError(.malformedField, "field number \(field)") }
        guard let wire = WireType(rawValue: UInt8(key & 7)) else {
            throw MVTDecodingError(.malformedField, "wire type \(key & 7) of field \(field)")
        }
        return (field, wire)
    }

    /// Reads four little-endian bytes.
    public mutating func fixed32() throws(MVTDecodingError) -> UInt32 {
        UInt32(truncatingIfNeeded: try littleEndian(count: 4))
    }

    /// Reads eight little-endian bytes.
    public mutating func fixed64() throws(MVTDecodingError) -> UInt64 {
        try littleEndian(count: 8)
    }

    private mutating func littleEndian(count: Int) throws(MVTDecodingError) -> UInt64 {
        guard end - index >= count else { throw MVTDecodingError(.truncated, "fixed\(count * 8) runs past the end") }
        var v: UInt64 = 0
        for i in 0..<count { v |= UInt64(bytes[index + i]) << (8 * UInt64(i)) }
        index += count
        return v
    }

    /// Reads a length-delimited field and returns a reader over its payload.
    public mutating func lengthDelimited() throws(MVTDecodingError) -> ProtobufReader {
        let length = try varint()
        guard length <= UInt64(end - index) else { throw MVTDecodingError(.truncated, "length \(length) runs past the end") }
        let sub = ProtobufReader(bytes, from: index, to: index + Int(length))
        index += Int(length)
        return sub
    }

    /// Reads a length-delimited field that must be valid UTF-8 text.
    public mutating func string() throws(MVTDecodingError) -> String {
        let sub = try lengthDelimited()
        guard let s = String(validating: sub.bytes[sub.index..<sub.end], as: UTF8.self) else {
            throw MVTDecodingError(.invalidUTF8, "string is not valid UTF-8")
        }
        return s
    }

    /// Reads a packed `repeated uint32` field; every element must fit in 32 bits.
    public mutating func packedUInt32() throws(MVTDecodingError) -> [UInt32] {
        var sub = try lengthDelimited()
        var out: [UInt32] = []
        while !sub.isAtEnd {
            let v = try sub.varint()
            guard v <= UInt64(UInt32.max) else { throw MVTDecodingError(.malformedVarint, "packed uint32 element \(v)") }
            out.append(UInt32(v))
        }
        return out
    }

    /// Skips the payload of a field of wire type `wire` (used for extension ranges only).
    public mutating func skip(_ wire: WireType) throws(MVTDecodingError) {
        switch wire {
        case .varint: _ = try varint()
        case .fixed64: _ = try fixed64()
        case .fixed32: _ = try fixed32()
        case .lengthDelimited: _ = try lengthDelimited()
        }
    }
}
