import Foundation
import Testing
@testable import GeoCore

@Suite("GeoPackage geometry blobs")
struct GeoPackageBinaryTests {
    @Test("round trip with envelope and srs id", arguments: WKBTests.samples)
    func roundTrip(_ g: Geometry) throws {
        let blob = GeoPackageBinary.encode(g, srsID: 28992)
        let (srs, decoded) = try GeoPackageBinary.decode(blob)
        #expect(srs == 28992)
        #expect(decoded == g)
        let header = try blob.withUnsafeBytes { try GeoPackageBinary.header($0) }
        #expect(header.isEmpty == g.isEmpty)
        let env = try blob.withUnsafeBytes { try GeoPackageBinary.envelope($0) }
        #expect(env == g.envelope)
    }

    @Test("the header layout follows GeoPackage 1.3 (magic, version, flags, srs id, minx maxx miny maxy)")
    func layout() throws {
        let blob = GeoPackageBinary.encode(.lineString([Position(1, 2), Position(3, 4)]), srsID: 4326)
        #expect(Array(blob.prefix(3)) == [0x47, 0x50, 0])
        #expect(blob[3] == 0x03)  // little-endian, XY envelope
        let doubles = (0..<4).map { i in blob.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 8 + i * 8, as: Double.self) } }
        #expect(doubles == [1, 3, 2, 4])
        let empty = GeoPackageBinary.encode(.point(nil), srsID: 4326)
        #expect(empty[3] & 0x10 != 0)
    }

    @Test("bad headers are refused")
    func badHeaders() throws {
        #expect(throws: GeoError.self) { try GeoPackageBinary.decode([0x47, 0x50]) }
        #expect(throws: GeoError.self) { try GeoPackageBinary.decode([0x00, 0x50, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0]) }
        #expect(throws: GeoError.self) { try GeoPackageBinary.decode([0x47, 0x50, 0, 0x0F, 0, 0, 0, 0]) }  // envelope kind 7
        #expect(throws: GeoError.self) { try GeoPackageBinary.decode([0x47, 0x50, 0, 0x03, 0, 0, 0, 0, 1]) }  // truncated envelope
    }

    @Test("the point fast path reads plain points, with or without an envelope, in either byte order, and declines everything else")
    func pointFastPath() throws {
        let p = Position(121_234.5, 487_654.25)
        let blob = GeoPackageBinary.encode(.point(p), srsID: 28992)
        #expect(blob.withUnsafeBytes { GeoPackageBinary.point($0) } == p)
        // Big-endian WKB behind a header with an XY envelope.
        var big: [UInt8] = [0x47, 0x50, 0, 0b0000_0010] + [0, 0, 0x70, 0xFC]
        for v in [p.x, p.x, p.y, p.y] { withUnsafeBytes(of: v.bitPattern.littleEndian) { big += $0 } }
        big += [0, 0, 0, 0, 1]
        for v in [p.x, p.y] { withUnsafeBytes(of: v.bitPattern.bigEndian) { big += $0 } }
        big[3] = 0b0000_0011  // little-endian header, envelope kind 1
        #expect(big.withUnsafeBytes { GeoPackageBinary.point($0) } == p)
        #expect(try GeoPackageBinary.decode(big).geometry == .point(p))
        for other: Geometry in [.point(nil), .lineString([p, Position(1, 2)]), .multiPoint([p])] {
            let b = GeoPackageBinary.encode(other, srsID: 28992)
            #expect(b.withUnsafeBytes { GeoPackageBinary.point($0) } == nil)
        }
        #expect([UInt8](repeating: 0, count: 40).withUnsafeBytes { GeoPackageBinary.point($0) } == nil)
        #expect(Array(blob.prefix(20)).withUnsafeBytes { GeoPackageBinary.point($0) } == nil)
    }
}
