import MVTTestSupport
import Testing

/// The strict decoder's own rules, on hand-assembled protobuf, for cases the fixtures leave out.
struct MVTDecoderTests {
    /// Hand-assembled protobuf pieces.
    enum PB {
        static func varint(_ v: UInt64) -> [UInt8] {
            var v = v, out: [UInt8] = []
            while v >= 0x80 { out.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
            return out + [UInt8(v)]
        }
        static func uint(_ field: UInt64, _ v: UInt64) -> [UInt8] { varint(field << 3) + varint(v) }
        static func bytes(_ field: UInt64, _ b: [UInt8]) -> [UInt8] { varint(field << 3 | 2) + varint(UInt64(b.count)) + b }
        static func string(_ field: UInt64, _ s: String) -> [UInt8] { bytes(field, Array(s.utf8)) }
        static func packed(_ field: UInt64, _ vs: [UInt32]) -> [UInt8] { bytes(field, vs.flatMap { varint(UInt64($0)) }) }

        /// A feature message (id 1, the given type and geometry, plus `extra` fields).
        static func feature(type: UInt64 = 1, geometry: [UInt32] = [9, 50, 34], extra: [UInt8] = []) -> [UInt8] {
            uint(1, 1) + uint(3, type) + packed(4, geometry) + extra
        }
        /// A tile with one layer "l" (version 2) holding `features`, plus `extra` layer fields.
        static func tile(_ features: [[UInt8]] = [feature()], extra: [UInt8] = []) -> [UInt8] {
            bytes(3, uint(15, 2) + string(1, "l") + features.flatMap { bytes(2, $0) } + extra)
        }
    }

    /// Decodes and interprets `bytes`, returning the refusal's kind (nil when accepted).
    func refusal(_ bytes: [UInt8]) -> MVTDecodingError.Kind? {
        do { try MVTDecoder.decodeAndInterpret(bytes); return nil } catch { return error.kind }
    }

    /// Interprets a command stream, returning the refusal's kind (nil when accepted).
    func refusal(_ type: MVTDecoder.GeomType, _ commands: [UInt32]) -> MVTDecodingError.Kind? {
        do { _ = try MVTGeometryDecoder.interpret(type, commands); return nil } catch { return error.kind }
    }

    @Test("the well-formed baseline is accepted, with an explicit UNKNOWN type too")
    func baseline() throws {
        #expect(refusal(PB.tile()) == nil)
        #expect(refusal(PB.tile([PB.feature(type: 0)])) == nil)
        #expect(try MVTDecoder.decode(PB.tile()).layers[0].extent == 4096)
    }

    @Test("Value messages need exactly one known field")
    func values() {
        let tagged = PB.feature(extra: PB.packed(2, [0, 0]))
        func tile(value: [UInt8]) -> [UInt8] { PB.tile([tagged], extra: PB.string(3, "k") + PB.bytes(4, value)) }
        #expect(refusal(tile(value: PB.string(1, "v"))) == nil)
        #expect(refusal(tile(value: [])) == .invalidValue)
        #expect(refusal(tile(value: PB.string(1, "v") + PB.uint(5, 1))) == .invalidValue)
        #expect(refusal(tile(value: PB.uint(7, 2))) == .invalidValue)
        #expect(refusal(tile(value: PB.uint(8, 1))) == .unexpectedField)
        #expect(refusal(tile(value: PB.bytes(1, [0xFF, 0xFE]))) == .invalidUTF8)
    }

    @Test("extension ranges are skipped only where the schema declares them")
    func extensions() {
        #expect(refusal(PB.tile() + PB.uint(20, 1)) == nil)           // Tile: extensions 16 to 8191
        #expect(refusal(PB.tile() + PB.uint(9000, 1)) == .unexpectedField)
        #expect(refusal(PB.tile() + PB.uint(2, 1)) == .unexpectedField)
        #expect(refusal(PB.tile(extra: PB.uint(16, 1))) == nil)         // Layer: extensions 16 to max
        #expect(refusal(PB.tile(extra: PB.uint(6, 1))) == .unexpectedField)
        #expect(refusal(PB.tile([PB.feature(extra: PB.uint(5, 1))])) == .unexpectedField)  // Feature: none
    }

    @Test("singular fields given twice, extent 0 and malformed wire data are refused")
    func wireLevel() {
        #expect(refusal(PB.tile(extra: PB.uint(5, 4096) + PB.uint(5, 4096))) == .duplicateField)
        #expect(refusal(PB.tile([PB.feature(extra: PB.uint(3, 1))])) == .duplicateField)
        #expect(refusal(PB.tile(extra: PB.uint(5, 0))) == .invalidExtent)
        #expect(refusal(PB.tile([PB.feature(extra: PB.packed(2, [0]))])) == .invalidTags)
        #expect(refusal([0x1A, 0x05, 0x78]) == .truncated)
        #expect(refusal([UInt8](repeating: 0xFF, count: 10) + [0x01]) == .malformedVarint)
        #expect(refusal([0x00, 0x00]) == .malformedField)
        #expect(refusal(PB.tile([PB.feature(extra: PB.bytes(2, PB.varint(1 << 33)))])) == .malformedVarint)
        #expect(refusal(PB.tile([PB.feature(extra: PB.packed(4, [9, 2, 2]))])) == .duplicateField)
    }

    @Test("command streams: counts, ids and sequence rules", arguments: [
        (MVTDecoder.GeomType.point, [UInt32](), "empty POINT"),
        (.point, [9, 2, 2, 9, 2, 2], "two MoveTo in a POINT"),
        (.point, [1], "MoveTo count 0"),
        (.point, [0xFFFF_FFF9, 2, 2], "count 2^29-1 with one pair (not allocated)"),
        (.point, [9, 2, 2, 3], "unknown command id 3"),
        (.lineString, [10, 2, 2], "starts with LineTo"),
        (.lineString, [17, 2, 2, 4, 4, 10, 2, 2], "MoveTo count 2 in a LINESTRING"),
        (.lineString, [9, 2, 2], "MoveTo without LineTo"),
        (.polygon, [9, 2, 2, 10, 4, 0, 15], "ring of two points"),
        (.polygon, [9, 0, 0, 26, 20, 0, 0, 20, 19, 19, 15], "ring repeating its first point"),
        (.polygon, [9, 0, 0, 26, 0, 20, 20, 0, 0, 19, 15], "interior ring before any exterior"),
        (.polygon, [9, 0, 0, 18, 4, 4, 4, 4, 15], "zero-area ring"),
        (.polygon, [9, 0, 0, 26, 20, 0, 0, 20, 19, 0], "ring without ClosePath"),
    ])
    func badCommands(type: MVTDecoder.GeomType, commands: [UInt32], why: String) {
        #expect(refusal(type, commands) == .invalidGeometry, "\(why)")
    }

    @Test("the specification's examples interpret as documented")
    func specExamples() throws {
        #expect(try MVTGeometryDecoder.interpret(.point, [17, 10, 14, 3, 9]) == .points([MVTPoint(5, 7), MVTPoint(3, 2)]))
        #expect(try MVTGeometryDecoder.interpret(.lineString, [9, 4, 4, 18, 0, 16, 16, 0, 9, 17, 17, 10, 4, 8])
            == .lineStrings([[MVTPoint(2, 2), MVTPoint(2, 10), MVTPoint(10, 10)], [MVTPoint(1, 1), MVTPoint(3, 5)]]))
        let multi: [UInt32] = [9, 0, 0, 26, 20, 0, 0, 20, 19, 0, 15, 9, 22, 2, 26, 18, 0, 0, 18, 17, 0, 15,
                               9, 4, 13, 26, 0, 8, 8, 0, 0, 7, 15]
        let polys = try #require(try MVTGeometryDecoder.interpret(.polygon, multi).polygonList)
        #expect(polys.map(\.count) == [1, 2])
        #expect(polys[1][1] == [MVTPoint(13, 13), MVTPoint(13, 17), MVTPoint(17, 17), MVTPoint(17, 13)])
    }
}
