import Foundation
import Testing
@testable import TileRender

/// A glyph of a decoded glyph range (glyphs.proto `glyph`).
private struct DecodedGlyph {
    var id: UInt64 = 0
    var bitmap: [UInt8] = []
    var width: UInt64 = 0
    var height: UInt64 = 0
    var left: Int64 = 0
    var top: Int64 = 0
    var advance: UInt64 = 0
}

/// A minimal strict protobuf reader for the three glyphs.proto messages.
private struct GlyphPBF {
    var name = ""
    var range = ""
    var glyphs: [DecodedGlyph] = []

    struct Malformed: Error {}

    /// Fields of one message: (field number, varint value or payload bytes).
    private static func fields(_ bytes: ArraySlice<UInt8>) throws -> [(Int, UInt64, ArraySlice<UInt8>)] {
        var i = bytes.startIndex
        func varint() throws -> UInt64 {
            var v: UInt64 = 0, shift: UInt64 = 0
            while true {
                guard i < bytes.endIndex, shift < 64 else { throw Malformed() }
                let b = bytes[i]; i += 1
                v |= UInt64(b & 0x7F) << shift
                if b & 0x80 == 0 { return v }
                shift += 7
            }
        }
        var out: [(Int, UInt64, ArraySlice<UInt8>)] = []
        while i < bytes.endIndex {
            let key = try varint()
            switch key & 7 {
            case 0: out.append((Int(key >> 3), try varint(), []))
            case 2:
                let n = Int(try varint())
                guard n <= bytes.endIndex - i else { throw Malformed() }
                out.append((Int(key >> 3), 0, bytes[i..<(i + n)])); i += n
            default: throw Malformed()
            }
        }
        return out
    }

    private static func unzigzag(_ v: UInt64) -> Int64 { Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1) }

    init(_ bytes: [UInt8]) throws {
        let top = try Self.fields(bytes[...])
        guard top.count == 1, top[0].0 == 1 else { throw Malformed() }
        for (field, value, payload) in try Self.fields(top[0].2) {
            switch field {
            case 1: name = String(decoding: payload, as: UTF8.self)
            case 2: range = String(decoding: payload, as: UTF8.self)
            case 3:
                var g = DecodedGlyph()
                for (f, v, p) in try Self.fields(payload) {
                    switch f {
                    case 1: g.id = v
                    case 2: g.bitmap = Array(p)
                    case 3: g.width = v
                    case 4: g.height = v
                    case 5: g.left = Self.unzigzag(v)
                    case 6: g.top = Self.unzigzag(v)
                    case 7: g.advance = v
                    default: throw Malformed()
                    }
                }
                glyphs.append(g)
            default: _ = value; throw Malformed()
            }
        }
    }
}

@Suite("Raster: glyph ranges")
struct RasterGlyphTests {
    @Test("0-255 holds DejaVu Sans' Latin-1 glyphs with fontnik-style metrics")
    func latin1() throws {
        let pbf = try GlyphPBF(GlyphRanges.pbf(fontstack: "Open Sans Regular,Arial Unicode MS Regular", range: 0))
        #expect(pbf.name == "Open Sans Regular,Arial Unicode MS Regular")
        #expect(pbf.range == "0-255")
        let ids = pbf.glyphs.map(\.id)
        // DejaVu Sans covers U+0020...U+007E and U+00A0...U+00FF (fontconfig's charset); no control characters.
        #expect(Set(ids).isSuperset(of: Set((0x20...0x7E).map(UInt64.init) + (0xA0...0xFF).map(UInt64.init))))
        #expect(!ids.contains { $0 < 0x20 || (0x7F..<0xA0).contains($0) })
        #expect(ids == ids.sorted())
        #expect(pbf.glyphs.count == 191)

        let a = try #require(pbf.glyphs.first { $0.id == 0x41 })
        // "A" at 24 px: about 16-17 px wide and 17-18 px tall (cap height 0.729 em), left ≈ 0, advance 16.
        #expect((15...18).contains(a.width))
        #expect((16...19).contains(a.height))
        #expect((-1...1).contains(a.left))
        #expect(a.advance == 16)
        // top = ink top above the baseline (≈17.5) minus the ascender (23).
        #expect((-7...(-4)).contains(a.top))
        #expect(a.bitmap.count == Int((a.width + 6) * (a.height + 6)))
        // Corners of the 3 px buffer are far outside the outline; the apex column's middle is inside.
        #expect(a.bitmap[0] == 0)
        let w = Int(a.width + 6)
        let inside = a.bitmap[(Int(a.height) + 6 - 5) * w + 3 + 1]  // left leg near the baseline
        #expect(inside > 191)
        #expect(a.bitmap.contains { (150...230).contains($0) })  // values around the 191 edge exist

        let space = try #require(pbf.glyphs.first { $0.id == 0x20 })
        #expect(space.bitmap.isEmpty && space.width == 0 && space.advance > 0)
    }

    @Test("SDF edge sits at 191: a vertical stem's edge value lies between its neighbours")
    func edgeValue() throws {
        let pbf = try GlyphPBF(GlyphRanges.pbf(fontstack: "DejaVu Sans", range: 0))
        let l = try #require(pbf.glyphs.first { $0.id == UInt64(UInt8(ascii: "l")) })
        let w = Int(l.width + 6)
        let row = Array(l.bitmap[(Int(l.height + 6) / 2 * w)..<((Int(l.height + 6) / 2 + 1) * w)])
        // The outermost columns lie 3 px (the buffer) outside the ink box, whose edges are rounded to whole
        // pixels: 191 − (3 ± 0.5)·32, that is 79...127.
        #expect((79...127).contains(Int(row.first ?? 0)) && (79...127).contains(Int(row.last ?? 0)))
        // Rising to the stem and falling after it; the stem (≈2.2 px wide) has values above the 191 edge.
        #expect((row.max() ?? 0) > 191)
        #expect(row.filter { $0 > 191 }.count == 2)
        // Outside, each pixel step is about 32 (radius 8 px over 256 levels).
        let steps = zip(row, row.dropFirst()).prefix(2).map { Int($1) - Int($0) }
        #expect(steps.allSatisfy { (29...35).contains($0) })
        // Far outside the field is 0: the corner of "T"'s bitmap is ≥ 3 px from the bar and the stem.
        let t = try #require(pbf.glyphs.first { $0.id == UInt64(UInt8(ascii: "T")) })
        #expect(t.bitmap[(Int(t.height) + 5) * Int(t.width + 6)] < 40)
    }

    @Test("bold and oblique stacks pick other faces; bad ranges and high ranges behave")
    func facesAndRanges() throws {
        let regular = try GlyphPBF(GlyphRanges.pbf(fontstack: "Noto Sans Regular", range: 0))
        let bold = try GlyphPBF(GlyphRanges.pbf(fontstack: "Noto Sans Bold, Noto Sans Regular", range: 0))
        let italic = try GlyphPBF(GlyphRanges.pbf(fontstack: "Noto Sans Italic", range: 0))
        let m = { (p: GlyphPBF) in p.glyphs.first { $0.id == 0x6D }?.advance ?? 0 }
        #expect(m(bold) > m(regular))
        let iBitmap = { (p: GlyphPBF) in p.glyphs.first { $0.id == 0x49 }?.bitmap }
        #expect(iBitmap(italic) != iBitmap(regular))

        #expect(throws: TileRenderError.self) { try GlyphRanges.pbf(fontstack: "x", range: 100) }
        #expect(throws: TileRenderError.self) { try GlyphRanges.pbf(fontstack: "x", range: -256) }
        #expect(throws: TileRenderError.self) { try GlyphRanges.pbf(fontstack: "x", range: 65536) }
        // Surrogates have no glyphs: the range is valid and empty.
        let surrogates = try GlyphPBF(GlyphRanges.pbf(fontstack: "x", range: 0xD800))
        #expect(surrogates.glyphs.isEmpty && surrogates.range == "55296-55551")
        // Greek and Coptic: DejaVu covers most of it.
        let greek = try GlyphPBF(GlyphRanges.pbf(fontstack: "x", range: 768))
        #expect(greek.glyphs.count > 100)
    }
}
