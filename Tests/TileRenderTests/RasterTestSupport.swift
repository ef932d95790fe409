import CCairo
import Foundation
import GeoCore
import Testing
@testable import TileRender

/// A PNG decoded by cairo for pixel checks in the raster tests (straight, not premultiplied, 0...255 channels).
struct RasterTestImage: CustomStringConvertible {
    let width: Int
    let height: Int
    private let argb: [UInt32]

    /// Decodes `png` with cairo; records an issue and returns nil when cairo cannot read it.
    init?(png: [UInt8]) {
        var source = (bytes: png, offset: 0)
        let surface = withUnsafeMutablePointer(to: &source) { pointer in
            cairo_image_surface_create_from_png_stream({ closure, data, length in
                guard let closure, let data else { return CAIRO_STATUS_READ_ERROR }
                let s = closure.assumingMemoryBound(to: (bytes: [UInt8], offset: Int).self)
                let n = Int(length)
                guard s.pointee.bytes.count - s.pointee.offset >= n else { return CAIRO_STATUS_READ_ERROR }
                for i in 0..<n { data[i] = s.pointee.bytes[s.pointee.offset + i] }
                s.pointee.offset += n
                return CAIRO_STATUS_SUCCESS
            }, pointer)
        }
        guard let surface, cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS else {
            Issue.record("cairo cannot decode the PNG")
            if let surface { cairo_surface_destroy(surface) }
            return nil
        }
        defer { cairo_surface_destroy(surface) }
        let format = cairo_image_surface_get_format(surface)
        let width = Int(cairo_image_surface_get_width(surface))
        let height = Int(cairo_image_surface_get_height(surface))
        let stride = Int(cairo_image_surface_get_stride(surface))
        guard let data = cairo_image_surface_get_data(surface) else { return nil }
        var pixels = [UInt32](repeating: 0, count: width * height)
        data.withMemoryRebound(to: UInt32.self, capacity: stride / 4 * height) { words in
            for y in 0..<height {
                for x in 0..<width {
                    let p = words[y * stride / 4 + x]
                    pixels[y * width + x] = format == CAIRO_FORMAT_RGB24 ? p | 0xFF00_0000 : p
                }
            }
        }
        self.width = width
        self.height = height
        argb = pixels
    }

    /// The pixel at (x, y) as straight (r, g, b, a); transparent black outside the image.
    func rgba(_ x: Int, _ y: Int) -> (r: Int, g: Int, b: Int, a: Int) {
        guard x >= 0, y >= 0, x < width, y < height else { return (0, 0, 0, 0) }
        let p = argb[y * width + x]
        let a = Int(p >> 24)
        guard a > 0 else { return (0, 0, 0, 0) }
        func channel(_ shift: UInt32) -> Int { min(255, (Int(p >> shift & 0xFF) * 255 + a / 2) / a) }
        return (channel(16), channel(8), channel(0), a)
    }

    /// True when the pixel is within `tolerance` of the colour on every channel.
    func isColor(_ x: Int, _ y: Int, _ r: Int, _ g: Int, _ b: Int, _ a: Int = 255, tolerance: Int = 8) -> Bool {
        let p = rgba(x, y)
        return abs(p.r - r) <= tolerance && abs(p.g - g) <= tolerance && abs(p.b - b) <= tolerance && abs(p.a - a) <= tolerance
    }

    /// Alpha at (x, y).
    func alpha(_ x: Int, _ y: Int) -> Int { rgba(x, y).a }

    /// Number of pixels in the rectangle whose alpha is above `threshold`.
    func paintedCount(x: Range<Int>, y: Range<Int>, threshold: Int = 0) -> Int {
        var n = 0
        for yy in y { for xx in x where alpha(xx, yy) > threshold { n += 1 } }
        return n
    }

    /// Size only, so failed expectations do not print every pixel.
    var description: String { "\(width)×\(height) image" }
}

/// Shared fixtures of the raster tests.
enum RasterFixture {
    /// Renders `layers` (a JSON array text) over one vector source "s" on a tile whose CRS units are pixels at 1x:
    /// bounds 0...256 in both axes, so X = pixel x and Y = 256 − pixel y.
    static func render(_ layers: String, _ features: [String: [RenderFeature]], pixelRatio: Double = 1,
                      zoom: Double = 14, sprites: [Double: SpriteSheet] = [:]) throws -> [UInt8] {
        let json = #"{"version":8,"sources":{"s":{"type":"vector","tiles":["x/{z}/{x}/{y}"]}},"layers":"# + layers + "}"
        let style = try Style.load(Data(json.utf8))
        let renderer = RasterRenderer(style: style, sprites: sprites)
        let request = RasterRequest(bounds: Envelope(minX: 0, minY: 0, maxX: 256, maxY: 256), zoom: zoom, pixelRatio: pixelRatio)
        return try renderer.render(request) { source, layer in source == "s" ? features[layer] ?? [] : [] }
    }

    /// A point feature at pixel (x, y) of a 1x tile.
    static func point(_ x: Double, _ y: Double, _ properties: [String: AttributeValue] = [:]) -> RenderFeature {
        RenderFeature(id: nil, geometry: .point(Position(x, 256 - y)), properties: properties)
    }

    /// Both SpriteArt sheets, by pixel ratio.
    static func sprites(_ ratios: [Int] = [1, 2]) throws -> [Double: SpriteSheet] {
        var sheets: [Double: SpriteSheet] = [:]
        for r in ratios {
            let (png, index) = try SpriteArt.sheet(pixelRatio: r)
            sheets[Double(r)] = try SpriteSheet(png: png, index: Data(index))
        }
        return sheets
    }
}
