import CCairo
import CZlib

/// Writes a cairo ARGB32 image as an 8-bit RGBA PNG, with zlib at a fast level and the "Sub"
/// row filter. cairo's own writer goes through libpng at zlib's default level, which costs a
/// tile more than drawing it; sparse map symbols on a transparent background compress nearly
/// as well at level 2.
enum PNGEncoder {
    /// zlib's level: 1 (fastest) to 9 (smallest).
    static let level: Int32 = 2

    /// The PNG of `surface` (ARGB32, premultiplied as cairo keeps it; written straight).
    static func encode(_ surface: OpaquePointer) throws(TileRenderError) -> [UInt8] {
        cairo_surface_flush(surface)
        let width = Int(cairo_image_surface_get_width(surface)), height = Int(cairo_image_surface_get_height(surface))
        let stride = Int(cairo_image_surface_get_stride(surface))
        guard width > 0, height > 0, let data = cairo_image_surface_get_data(surface) else {
            throw TileRenderError(.render, "PNG encoding: the image has no pixels")
        }
        // Filtered scanlines: a filter byte, then RGBA.
        let rowBytes = 1 + width * 4
        var raw = [UInt8](repeating: 0, count: rowBytes * height)
        raw.withUnsafeMutableBufferPointer { out in
            for y in 0..<height {
                let row = UnsafeRawPointer(data + y * stride).assumingMemoryBound(to: UInt32.self)
                let base = y * rowBytes
                out[base] = 1  // Sub: each byte minus the byte of the pixel to its left
                var left: (UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0)
                for x in 0..<width {
                    let p = row[x]
                    let a = UInt32(p >> 24)
                    var r: UInt8 = 0, g: UInt8 = 0, b: UInt8 = 0
                    if a == 255 {
                        r = UInt8(truncatingIfNeeded: p >> 16); g = UInt8(truncatingIfNeeded: p >> 8); b = UInt8(truncatingIfNeeded: p)
                    } else if a > 0 {
                        r = UInt8(min(255, (((p >> 16) & 0xFF) * 255 + a / 2) / a))
                        g = UInt8(min(255, (((p >> 8) & 0xFF) * 255 + a / 2) / a))
                        b = UInt8(min(255, ((p & 0xFF) * 255 + a / 2) / a))
                    }
                    let i = base + 1 + x * 4
                    let px = (r, g, b, UInt8(a))
                    out[i] = px.0 &- left.0
                    out[i + 1] = px.1 &- left.1
                    out[i + 2] = px.2 &- left.2
                    out[i + 3] = px.3 &- left.3
                    left = px
                }
            }
        }
        let compressed = try deflate(raw)
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        png.reserveCapacity(compressed.count + 64)
        var header: [UInt8] = []
        header.append(contentsOf: bigEndian(UInt32(width)))
        header.append(contentsOf: bigEndian(UInt32(height)))
        header.append(contentsOf: [8, 6, 0, 0, 0])  // 8 bits, RGBA, deflate, adaptive filters, no interlace
        chunk("IHDR", header, into: &png)
        chunk("IDAT", compressed, into: &png)
        chunk("IEND", [], into: &png)
        return png
    }

    private static func deflate(_ input: [UInt8]) throws(TileRenderError) -> [UInt8] {
        var stream = z_stream()
        guard deflateInit_(&stream, level, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw TileRenderError(.render, "PNG encoding: zlib could not start")
        }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))))
        let status: Int32 = input.withUnsafeBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                stream.next_in = UnsafeMutablePointer(mutating: inBuffer.baseAddress)
                stream.avail_in = uInt(inBuffer.count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = uInt(outBuffer.count)
                return CZlib.deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { throw TileRenderError(.render, "PNG encoding: zlib failed (\(status))") }
        output.removeSubrange(Int(stream.total_out)...)
        return output
    }

    private static func chunk(_ type: String, _ data: [UInt8], into png: inout [UInt8]) {
        png.append(contentsOf: bigEndian(UInt32(data.count)))
        let typeBytes = Array(type.utf8)
        png.append(contentsOf: typeBytes)
        png.append(contentsOf: data)
        var crc = crc32(0, typeBytes, uInt(typeBytes.count))
        crc = data.withUnsafeBufferPointer { crc32(crc, $0.baseAddress, uInt(data.count)) }
        png.append(contentsOf: bigEndian(UInt32(truncatingIfNeeded: crc)))
    }

    private static func bigEndian(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }
}
