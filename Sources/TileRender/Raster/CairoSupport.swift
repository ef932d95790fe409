import CCairo

/// Small helpers around the cairo C API shared by the raster renderer, the sprites and the glyph ranges:
/// status checks that throw ``TileRenderError`` and PNG encoding and decoding through memory streams.
///
/// Every cairo object these helpers touch is created and destroyed by the caller within one synchronous call,
/// so no cairo state is shared between threads.
enum CairoSupport {
    /// Throws `TileRenderError(.render)` with cairo's own text when `status` is not success.
    static func check(_ status: cairo_status_t, _ what: String) throws(TileRenderError) {
        guard status != CAIRO_STATUS_SUCCESS else { return }
        throw TileRenderError(.render, "\(what): \(statusText(status))")
    }

    /// Cairo's description of a status code.
    static func statusText(_ status: cairo_status_t) -> String {
        guard let text = cairo_status_to_string(status) else { return "cairo status \(status.rawValue)" }
        return String(cString: text)
    }

    /// Creates an image surface and checks it; the caller destroys it.
    static func imageSurface(_ format: cairo_format_t, width: Int, height: Int) throws(TileRenderError) -> OpaquePointer {
        guard width > 0, height > 0, width <= 32767, height <= 32767,
              let surface = cairo_image_surface_create(format, Int32(width), Int32(height)) else {
            throw TileRenderError(.render, "cannot create a \(width)×\(height) image surface")
        }
        let status = cairo_surface_status(surface)
        guard status == CAIRO_STATUS_SUCCESS else {
            cairo_surface_destroy(surface)
            throw TileRenderError(.render, "image surface \(width)×\(height): \(statusText(status))")
        }
        return surface
    }

    /// Creates a drawing context on `surface` and checks it; the caller destroys it.
    static func context(_ surface: OpaquePointer) throws(TileRenderError) -> OpaquePointer {
        guard let cr = cairo_create(surface) else { throw TileRenderError(.render, "cannot create a cairo context") }
        let status = cairo_status(cr)
        guard status == CAIRO_STATUS_SUCCESS else {
            cairo_destroy(cr)
            throw TileRenderError(.render, "cairo context: \(statusText(status))")
        }
        return cr
    }

    /// Encodes `surface` as PNG into memory.
    static func png(_ surface: OpaquePointer) throws(TileRenderError) -> [UInt8] {
        cairo_surface_flush(surface)
        var sink: [UInt8] = []
        sink.reserveCapacity(16_384)
        let status = withUnsafeMutablePointer(to: &sink) { pointer in
            cairo_surface_write_to_png_stream(surface, { closure, data, length in
                guard let closure else { return CAIRO_STATUS_WRITE_ERROR }
                guard length > 0 else { return CAIRO_STATUS_SUCCESS }
                guard let data else { return CAIRO_STATUS_WRITE_ERROR }
                closure.assumingMemoryBound(to: [UInt8].self).pointee
                    .append(contentsOf: UnsafeBufferPointer(start: data, count: Int(length)))
                return CAIRO_STATUS_SUCCESS
            }, pointer)
        }
        try check(status, "PNG encoding")
        return sink
    }

    /// Decodes PNG bytes into a new image surface (ARGB32 or RGB24 as cairo chooses); the caller destroys it.
    /// Throws `code` when the bytes are not a PNG cairo can read.
    static func surface(png bytes: [UInt8], code: TileRenderError.Code) throws(TileRenderError) -> OpaquePointer {
        var source = PNGSource(bytes: bytes, offset: 0)
        let surface = withUnsafeMutablePointer(to: &source) { pointer in
            cairo_image_surface_create_from_png_stream({ closure, data, length in
                guard let closure else { return CAIRO_STATUS_READ_ERROR }
                guard length > 0 else { return CAIRO_STATUS_SUCCESS }
                guard let data else { return CAIRO_STATUS_READ_ERROR }
                let source = closure.assumingMemoryBound(to: PNGSource.self)
                return source.pointee.read(into: data, count: Int(length))
                    ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_READ_ERROR
            }, pointer)
        }
        guard let surface else { throw TileRenderError(code, "PNG could not be decoded") }
        let status = cairo_surface_status(surface)
        guard status == CAIRO_STATUS_SUCCESS else {
            cairo_surface_destroy(surface)
            throw TileRenderError(code, "PNG could not be decoded: \(statusText(status))")
        }
        return surface
    }

    /// The read position in a PNG byte buffer handed to cairo's stream reader.
    private struct PNGSource {
        let bytes: [UInt8]
        var offset: Int

        /// Copies exactly `count` bytes; false when fewer remain.
        mutating func read(into data: UnsafeMutablePointer<UInt8>, count: Int) -> Bool {
            guard count <= bytes.count - offset else { return false }
            bytes.withUnsafeBufferPointer { buffer in
                guard let base = buffer.baseAddress else { return }
                data.update(from: base + offset, count: count)
            }
            offset += count
            return true
        }
    }
}
