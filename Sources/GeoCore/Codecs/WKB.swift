import Foundation

/// Well-known binary (ISO 13249 / OGC simple features) codec.
///
/// Reads little- and big-endian WKB with ISO (1000/2000/3000) and EWKB (high-bit flag)
/// Z and M markers, dropping Z and M. Writes little-endian 2D ISO WKB.
/// Counts are checked against the bytes left before anything is allocated, so a
/// hostile count cannot make the reader allocate more than the input holds.
public enum WKB {
    /// Deepest nesting of geometry collections the reader accepts.
    public static let maximumNesting = 32

    /// Decodes WKB bytes.
    /// - Throws: `GeoError` with code `.invalidGeometryEncoding` for anything malformed.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws -> Geometry {
        var reader = Reader(buffer: bytes)
        let g = try reader.geometry(depth: 0)
        return g
    }

    /// Decodes WKB bytes.
    public static func decode<C: ContiguousBytes>(_ bytes: C) throws -> Geometry {
        try bytes.withUnsafeBytes { try decode($0) }
    }

    /// Encodes a geometry as little-endian 2D ISO WKB.
    public static func encode(_ geometry: Geometry) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(21 + geometry.positionCount * 16)
        append(geometry, to: &out)
        return out
    }

    /// Appends the little-endian 2D ISO WKB of `geometry` to `out`.
    public static func append(_ geometry: Geometry, to out: inout [UInt8]) {
        func header(_ t: GeometryType) {
            out.append(1)
            appendUInt32(t.wkbCode, to: &out)
        }
        func positions(_ ps: [Position]) {
            appendUInt32(UInt32(ps.count), to: &out)
            for p in ps { appendDouble(p.x, to: &out); appendDouble(p.y, to: &out) }
        }
        func polygon(_ poly: Polygon) {
            header(.polygon)
            appendUInt32(UInt32(poly.rings.count), to: &out)
            for r in poly.rings { positions(r) }
        }
        switch geometry {
        case .point(let p):
            header(.point)
            appendDouble(p?.x ?? .nan, to: &out)
            appendDouble(p?.y ?? .nan, to: &out)
        case .lineString(let ps):
            header(.lineString)
            positions(ps)
        case .polygon(let poly):
            polygon(poly)
        case .multiPoint(let ps):
            header(.multiPoint)
            appendUInt32(UInt32(ps.count), to: &out)
            for p in ps {
                header(.point)
                appendDouble(p.x, to: &out)
                appendDouble(p.y, to: &out)
            }
        case .multiLineString(let ls):
            header(.multiLineString)
            appendUInt32(UInt32(ls.count), to: &out)
            for l in ls { header(.lineString); positions(l) }
        case .multiPolygon(let polys):
            header(.multiPolygon)
            appendUInt32(UInt32(polys.count), to: &out)
            for p in polys { polygon(p) }
        case .geometryCollection(let gs):
            header(.geometryCollection)
            appendUInt32(UInt32(gs.count), to: &out)
            for g in gs { append(g, to: &out) }
        }
    }

    @inline(__always)
    static func appendUInt32(_ v: UInt32, to out: inout [UInt8]) {
        withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
    }

    @inline(__always)
    static func appendDouble(_ v: Double, to out: inout [UInt8]) {
        withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) }
    }

    /// A bounds-checked cursor over WKB bytes.
    struct Reader {
        let buffer: UnsafeRawBufferPointer
        var offset = 0
        var littleEndian = true

        init(buffer: UnsafeRawBufferPointer) { self.buffer = buffer }

        var remaining: Int { buffer.count - offset }

        func fail(_ why: String) -> GeoError {
            GeoError(.invalidGeometryEncoding, "invalid WKB at byte \(offset): \(why)")
        }

        mutating func byte() throws -> UInt8 {
            guard remaining >= 1 else { throw fail("unexpected end of data") }
            defer { offset += 1 }
            return buffer[offset]
        }

        mutating func uint32() throws -> UInt32 {
            guard remaining >= 4 else { throw fail("unexpected end of data") }
            let raw = buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
            offset += 4
            return littleEndian ? UInt32(littleEndian: raw) : UInt32(bigEndian: raw)
        }

        mutating func double() throws -> Double {
            guard remaining >= 8 else { throw fail("unexpected end of data") }
            let raw = buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            offset += 8
            return Double(bitPattern: littleEndian ? UInt64(littleEndian: raw) : UInt64(bigEndian: raw))
        }

        /// Reads a count and checks that `count * minimumItemSize` bytes remain.
        mutating func count(minimumItemSize: Int) throws -> Int {
            let n = Int(try uint32())
            guard n <= remaining / max(minimumItemSize, 1) else {
                throw fail("count \(n) is larger than the \(remaining) bytes left can hold")
            }
            return n
        }

        struct Header {
            var type: GeometryType
            var dimensions: Int
        }

        mutating func header() throws -> Header {
            let order = try byte()
            switch order {
            case 0: littleEndian = false
            case 1: littleEndian = true
            default: throw fail("byte order marker \(order) is neither 0 nor 1")
            }
            var code = try uint32()
            var hasZ = false, hasM = false
            // EWKB flags (PostGIS): Z 0x80000000, M 0x40000000, SRID 0x20000000.
            if code & 0x8000_0000 != 0 { hasZ = true }
            if code & 0x4000_0000 != 0 { hasM = true }
            let hasSRID = code & 0x2000_0000 != 0
            code &= 0x0FFF_FFFF
            if hasSRID { _ = try uint32() }
            switch code / 1000 {
            case 0: break
            case 1: hasZ = true
            case 2: hasM = true
            case 3: hasZ = true; hasM = true
            default: throw fail("geometry type code \(code) is not a simple-features type")
            }
            guard let type = GeometryType(wkbCode: code % 1000), type != .geometry else {
                throw fail("geometry type code \(code) is not supported (curves, surfaces and TINs must be linearised first)")
            }
            return Header(type: type, dimensions: 2 + (hasZ ? 1 : 0) + (hasM ? 1 : 0))
        }

        mutating func position(dimensions: Int) throws -> Position {
            let x = try double()
            let y = try double()
            if dimensions > 2 {
                let skip = 8 * (dimensions - 2)
                guard remaining >= skip else { throw fail("unexpected end of data") }
                offset += skip
            }
            return Position(x, y)
        }

        mutating func positions(dimensions: Int) throws -> [Position] {
            let n = try count(minimumItemSize: 8 * dimensions)
            var ps = [Position]()
            ps.reserveCapacity(n)
            for _ in 0..<n { ps.append(try position(dimensions: dimensions)) }
            return ps
        }

        mutating func polygonBody(dimensions: Int) throws -> Polygon {
            let n = try count(minimumItemSize: 4)
            var rings = [[Position]]()
            rings.reserveCapacity(n)
            for _ in 0..<n { rings.append(try positions(dimensions: dimensions)) }
            return Polygon(rings: rings)
        }

        mutating func member(expected: GeometryType) throws -> Header {
            let h = try header()
            guard h.type == expected else {
                throw fail("a \(h.type.rawValue) inside a collection that only holds \(expected.rawValue)")
            }
            return h
        }

        mutating func geometry(depth: Int) throws -> Geometry {
            guard depth <= WKB.maximumNesting else { throw fail("geometry collections nested deeper than \(WKB.maximumNesting)") }
            let h = try header()
            let d = h.dimensions
            switch h.type {
            case .point:
                let p = try position(dimensions: d)
                return .point(p.x.isNaN && p.y.isNaN ? nil : p)
            case .lineString:
                return .lineString(try positions(dimensions: d))
            case .polygon:
                return .polygon(try polygonBody(dimensions: d))
            case .multiPoint:
                let n = try count(minimumItemSize: 5 + 16)
                var ps = [Position]()
                ps.reserveCapacity(n)
                for _ in 0..<n {
                    let m = try member(expected: .point)
                    let p = try position(dimensions: m.dimensions)
                    if !(p.x.isNaN && p.y.isNaN) { ps.append(p) }
                }
                return .multiPoint(ps)
            case .multiLineString:
                let n = try count(minimumItemSize: 9)
                var ls = [[Position]]()
                ls.reserveCapacity(n)
                for _ in 0..<n {
                    let m = try member(expected: .lineString)
                    ls.append(try positions(dimensions: m.dimensions))
                }
                return .multiLineString(ls)
            case .multiPolygon:
                let n = try count(minimumItemSize: 9)
                var polys = [Polygon]()
                polys.reserveCapacity(n)
                for _ in 0..<n {
                    let m = try member(expected: .polygon)
                    polys.append(try polygonBody(dimensions: m.dimensions))
                }
                return .multiPolygon(polys)
            case .geometryCollection:
                let n = try count(minimumItemSize: 5)
                var gs = [Geometry]()
                gs.reserveCapacity(n)
                for _ in 0..<n { gs.append(try geometry(depth: depth + 1)) }
                return .geometryCollection(gs)
            case .geometry:
                throw fail("generic geometry type code 0")
            }
        }
    }
}
