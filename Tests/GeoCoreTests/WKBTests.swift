import Foundation
import Testing
@testable import GeoCore

@Suite("WKB codec")
struct WKBTests {
    static let samples: [Geometry] = [
        .point(Position(1.5, -2.25)),
        .point(nil),
        .lineString([Position(0, 0), Position(10, 5), Position(20, -3)]),
        .polygon(Polygon(rings: [
            [Position(0, 0), Position(10, 0), Position(10, 10), Position(0, 10), Position(0, 0)],
            [Position(2, 2), Position(4, 2), Position(4, 4), Position(2, 2)],
        ])),
        .multiPoint([Position(1, 1), Position(2, 2)]),
        .multiLineString([[Position(0, 0), Position(1, 1)], [Position(2, 2), Position(3, 5)]]),
        .multiPolygon([Polygon(rings: [[Position(0, 0), Position(1, 0), Position(1, 1), Position(0, 0)]])]),
        .geometryCollection([.point(Position(5, 5)), .lineString([Position(0, 0), Position(1, 2)])]),
    ]

    @Test("every geometry type round-trips", arguments: samples)
    func roundTrip(_ g: Geometry) throws {
        #expect(try WKB.decode(WKB.encode(g)) == g)
    }

    @Test("big-endian input decodes")
    func bigEndian() throws {
        // POINT(1 2), big-endian.
        var b: [UInt8] = [0, 0, 0, 0, 1]
        withUnsafeBytes(of: Double(1).bitPattern.bigEndian) { b += $0 }
        withUnsafeBytes(of: Double(2).bitPattern.bigEndian) { b += $0 }
        #expect(try WKB.decode(b) == .point(Position(1, 2)))
    }

    @Test("ISO Z, M and ZM and EWKB flags are read and dropped")
    func dropsZM() throws {
        func point(code: UInt32, ordinates: [Double], srid: UInt32? = nil) -> [UInt8] {
            var b: [UInt8] = [1]
            withUnsafeBytes(of: code.littleEndian) { b += $0 }
            if let srid { withUnsafeBytes(of: srid.littleEndian) { b += $0 } }
            for o in ordinates { withUnsafeBytes(of: o.bitPattern.littleEndian) { b += $0 } }
            return b
        }
        #expect(try WKB.decode(point(code: 1001, ordinates: [1, 2, 3])) == .point(Position(1, 2)))
        #expect(try WKB.decode(point(code: 2001, ordinates: [1, 2, 9])) == .point(Position(1, 2)))
        #expect(try WKB.decode(point(code: 3001, ordinates: [1, 2, 3, 9])) == .point(Position(1, 2)))
        #expect(try WKB.decode(point(code: 0x8000_0001, ordinates: [1, 2, 3])) == .point(Position(1, 2)))
        #expect(try WKB.decode(point(code: 0xE000_0001, ordinates: [1, 2, 3, 4], srid: 28992)) == .point(Position(1, 2)))
        // LINESTRING Z with two points.
        var l: [UInt8] = [1]
        withUnsafeBytes(of: UInt32(1002).littleEndian) { l += $0 }
        withUnsafeBytes(of: UInt32(2).littleEndian) { l += $0 }
        for o in [1.0, 2, 3, 4, 5, 6] { withUnsafeBytes(of: o.bitPattern.littleEndian) { l += $0 } }
        #expect(try WKB.decode(l) == .lineString([Position(1, 2), Position(4, 5)]))
    }

    @Test("malformed input is refused without crashing or over-allocating")
    func malformed() throws {
        let good = WKB.encode(.lineString([Position(0, 0), Position(1, 1)]))
        for n in 0..<good.count {
            #expect(throws: GeoError.self) { try WKB.decode(Array(good.prefix(n))) }
        }
        // A line string claiming 2^32-1 points in 9 bytes.
        var huge: [UInt8] = [1, 2, 0, 0, 0]
        withUnsafeBytes(of: UInt32.max.littleEndian) { huge += $0 }
        #expect(throws: GeoError.self) { try WKB.decode(huge) }
        // Byte-order marker 7, unknown type 99, curve type 8.
        #expect(throws: GeoError.self) { try WKB.decode([7, 1, 0, 0, 0]) }
        #expect(throws: GeoError.self) { try WKB.decode([1, 99, 0, 0, 0]) }
        #expect(throws: GeoError.self) { try WKB.decode([1, 8, 0, 0, 0, 0, 0, 0, 0]) }
        // A multipoint holding a line string.
        var mixed: [UInt8] = [1, 4, 0, 0, 0, 1, 0, 0, 0]
        mixed += good
        #expect(throws: GeoError.self) { try WKB.decode(mixed) }
    }

    @Test("collections nested too deep are refused")
    func nesting() throws {
        var g = Geometry.point(Position(0, 0))
        for _ in 0..<40 { g = .geometryCollection([g]) }
        #expect(throws: GeoError.self) { try WKB.decode(WKB.encode(g)) }
    }

    @Test("random bytes never crash the decoder")
    func fuzz() {
        var state: UInt64 = 42
        func next() -> UInt8 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
        for _ in 0..<20_000 {
            var b = [UInt8](repeating: 0, count: Int(next() % 64))
            for i in b.indices { b[i] = next() }
            if !b.isEmpty { b[0] = next() % 2 }
            _ = try? WKB.decode(b)
        }
    }
}
