import Foundation

/// The GeoPackage geometry blob (GeoPackage 1.3, clause 2.1.3): a header with magic,
/// version, flags, SRS id and optional envelope, followed by ISO WKB.
public enum GeoPackageBinary {
    /// What the header of a blob says, without decoding the WKB.
    public struct Header: Sendable, Equatable {
        /// The `srs_id` of the geometry.
        public var srsID: Int32
        /// The envelope stored in the header, if any.
        public var envelope: Envelope?
        /// The empty flag.
        public var isEmpty: Bool
        /// Where the WKB starts.
        public var wkbOffset: Int
    }

    /// Reads the header of a blob.
    /// - Throws: `GeoError(.invalidGeometryEncoding)` when the bytes are not a GeoPackage blob.
    public static func header(_ b: UnsafeRawBufferPointer) throws -> Header {
        func fail(_ why: String) -> GeoError { GeoError(.invalidGeometryEncoding, "invalid GeoPackage geometry: \(why)") }
        guard b.count >= 8 else { throw fail("blob of \(b.count) bytes is shorter than the 8-byte header") }
        guard b[0] == 0x47, b[1] == 0x50 else { throw fail("missing 'GP' magic") }
        guard b[2] == 0 else { throw fail("unsupported version \(b[2])") }
        let flags = b[3]
        guard flags & 0x20 == 0 else { throw fail("extended geometry types are not supported") }
        let little = flags & 0x01 != 0
        let envelopeKind = Int((flags >> 1) & 0x07)
        let isEmpty = flags & 0x10 != 0
        let envelopeDoubles: Int
        switch envelopeKind {
        case 0: envelopeDoubles = 0
        case 1: envelopeDoubles = 4
        case 2, 3: envelopeDoubles = 6
        case 4: envelopeDoubles = 8
        default: throw fail("envelope indicator \(envelopeKind) is invalid")
        }
        let wkbOffset = 8 + envelopeDoubles * 8
        guard b.count >= wkbOffset else { throw fail("blob is shorter than its envelope") }
        func u32(_ o: Int) -> UInt32 {
            let raw = b.loadUnaligned(fromByteOffset: o, as: UInt32.self)
            return little ? UInt32(littleEndian: raw) : UInt32(bigEndian: raw)
        }
        func f64(_ o: Int) -> Double {
            let raw = b.loadUnaligned(fromByteOffset: o, as: UInt64.self)
            return Double(bitPattern: little ? UInt64(littleEndian: raw) : UInt64(bigEndian: raw))
        }
        let srs = Int32(bitPattern: u32(4))
        var envelope: Envelope?
        if envelopeDoubles >= 4 {
            // Order in the header: minx, maxx, miny, maxy[, minz, maxz][, minm, maxm].
            envelope = Envelope(minX: f64(8), minY: f64(24), maxX: f64(16), maxY: f64(32))
        }
        return Header(srsID: srs, envelope: envelope, isEmpty: isEmpty, wkbOffset: wkbOffset)
    }

    /// The position of a blob holding a non-empty 2D point (ISO WKB type 1); nil for any other
    /// geometry (decode those with ``decode(_:)-swift.type.method``). No allocation: for the tile path.
    public static func point(_ b: UnsafeRawBufferPointer) -> Position? {
        guard b.count >= 8, b[0] == 0x47, b[1] == 0x50, b[2] == 0 else { return nil }
        let flags = b[3]
        guard flags & 0x30 == 0 else { return nil }  // extended or empty
        let envelopeDoubles: Int
        switch (flags >> 1) & 0x07 {
        case 0: envelopeDoubles = 0
        case 1: envelopeDoubles = 4
        case 2, 3: envelopeDoubles = 6
        case 4: envelopeDoubles = 8
        default: return nil
        }
        let o = 8 + envelopeDoubles * 8
        guard b.count >= o + 21 else { return nil }
        let little = b[o] == 1
        guard b[o] <= 1 else { return nil }
        let rawType = b.loadUnaligned(fromByteOffset: o + 1, as: UInt32.self)
        guard (little ? UInt32(littleEndian: rawType) : UInt32(bigEndian: rawType)) == 1 else { return nil }
        func f64(_ at: Int) -> Double {
            let raw = b.loadUnaligned(fromByteOffset: at, as: UInt64.self)
            return Double(bitPattern: little ? UInt64(littleEndian: raw) : UInt64(bigEndian: raw))
        }
        let p = Position(f64(o + 5), f64(o + 13))
        // NaN coordinates are WKB's empty point.
        return p.x.isNaN || p.y.isNaN ? nil : p
    }

    /// Decodes a blob into its SRS id and geometry.
    public static func decode(_ b: UnsafeRawBufferPointer) throws -> (srsID: Int32, geometry: Geometry) {
        let h = try header(b)
        let wkb = UnsafeRawBufferPointer(rebasing: b[h.wkbOffset...])
        return (h.srsID, try WKB.decode(wkb))
    }

    /// Decodes a blob into its SRS id and geometry.
    public static func decode<C: ContiguousBytes>(_ bytes: C) throws -> (srsID: Int32, geometry: Geometry) {
        try bytes.withUnsafeBytes { try decode($0) }
    }

    /// The envelope of a blob: the header's when present, otherwise computed from the WKB.
    /// Nil for an empty geometry.
    public static func envelope(_ b: UnsafeRawBufferPointer) throws -> Envelope? {
        let h = try header(b)
        if h.isEmpty { return nil }
        if let e = h.envelope { return e }
        return try WKB.decode(UnsafeRawBufferPointer(rebasing: b[h.wkbOffset...])).envelope
    }

    /// Encodes a geometry as a little-endian GeoPackage blob with an XY envelope
    /// (points carry none, as the standard allows) and the empty flag set when empty.
    public static func encode(_ geometry: Geometry, srsID: Int32) -> [UInt8] {
        var out: [UInt8] = [0x47, 0x50, 0]
        let env = geometry.envelope
        let isPoint: Bool = if case .point = geometry { true } else { false }
        let writeEnvelope = env != nil && !isPoint
        var flags: UInt8 = 0x01
        if writeEnvelope { flags |= 0x02 }
        if env == nil { flags |= 0x10 }
        out.append(flags)
        WKB.appendUInt32(UInt32(bitPattern: srsID), to: &out)
        if writeEnvelope, let env {
            WKB.appendDouble(env.minX, to: &out)
            WKB.appendDouble(env.maxX, to: &out)
            WKB.appendDouble(env.minY, to: &out)
            WKB.appendDouble(env.maxY, to: &out)
        }
        WKB.append(geometry, to: &out)
        return out
    }
}
