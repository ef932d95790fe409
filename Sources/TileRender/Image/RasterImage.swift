import CCairo

/// A decoded PNG: its size and straight (not premultiplied) RGBA pixels, row by row. For
/// comparing rendered tiles by content (tests, reference images), not for the tile path.
public struct RasterImage: Sendable, Equatable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// RGBA, 4 bytes per pixel, rows top to bottom.
    public let rgba: [UInt8]

    /// Decodes PNG bytes (with cairo). Throws `TileRenderError` when they are not a PNG.
    public init(png: [UInt8]) throws {
        let surface = try CairoSupport.surface(png: png, code: .render)
        defer { cairo_surface_destroy(surface) }
        cairo_surface_flush(surface)
        let w = Int(cairo_image_surface_get_width(surface)), h = Int(cairo_image_surface_get_height(surface))
        let stride = Int(cairo_image_surface_get_stride(surface))
        let opaque = cairo_image_surface_get_format(surface) == CAIRO_FORMAT_RGB24
        var out = [UInt8](repeating: 0, count: w * h * 4)
        if let data = cairo_image_surface_get_data(surface) {
            for y in 0..<h {
                let row = UnsafeRawPointer(data + y * stride).assumingMemoryBound(to: UInt32.self)
                for x in 0..<w {
                    let p = row[x]
                    let a = opaque ? 255 : Int(p >> 24)
                    func straight(_ c: UInt32) -> UInt8 {
                        a == 0 ? 0 : UInt8(min(255, (Int(c & 0xFF) * 255 + a / 2) / a))
                    }
                    let i = (y * w + x) * 4
                    out[i] = straight(p >> 16)
                    out[i + 1] = straight(p >> 8)
                    out[i + 2] = straight(p)
                    out[i + 3] = UInt8(a)
                }
            }
        }
        width = w
        height = h
        rgba = out
    }

    /// The pixel at (x, y) from the top left.
    public func pixel(_ x: Int, _ y: Int) -> (r: UInt8, g: UInt8, b: UInt8, a: UInt8) {
        let i = (y * width + x) * 4
        return (rgba[i], rgba[i + 1], rgba[i + 2], rgba[i + 3])
    }

    /// How many pixels differ from `other`'s by more than `tolerance` in any channel (transparent
    /// pixels compare by alpha only); every pixel when the sizes differ.
    public func differingPixels(from other: RasterImage, tolerance: Int) -> Int {
        guard width == other.width, height == other.height else { return max(width * height, other.width * other.height) }
        var n = 0
        for i in stride(from: 0, to: rgba.count, by: 4) {
            let a1 = Int(rgba[i + 3]), a2 = Int(other.rgba[i + 3])
            if abs(a1 - a2) > tolerance { n += 1; continue }
            if a1 == 0 && a2 == 0 { continue }
            for c in 0..<3 where abs(Int(rgba[i + c]) - Int(other.rgba[i + c])) > tolerance { n += 1; break }
        }
        return n
    }

    /// Pixels that are not fully transparent.
    public var paintedPixels: Int {
        stride(from: 3, to: rgba.count, by: 4).reduce(0) { $0 + (rgba[$1] == 0 ? 0 : 1) }
    }
}
