import CCairo

/// The decoded pixels of a sprite sheet: premultiplied ARGB32 rows in cairo's native layout.
///
/// `@unchecked Sendable` is sound because the buffer is allocated and filled once in `init`, never written
/// afterwards, and freed only in `deinit`; renderers on any thread only wrap it in a cairo image surface that is
/// used as a paint *source* (cairo reads source pixels and never writes them) and destroyed within the call.
final class SpritePixels: @unchecked Sendable {
    /// Width in pixels.
    let width: Int
    /// Height in pixels.
    let height: Int
    /// Bytes per row (cairo's stride for ARGB32 at this width).
    let stride: Int
    private let data: UnsafeMutablePointer<UInt8>

    /// Copies the pixels of a decoded PNG surface, converting it to ARGB32 when cairo chose another format.
    init(copying decoded: OpaquePointer) throws(TileRenderError) {
        let width = Int(cairo_image_surface_get_width(decoded))
        let height = Int(cairo_image_surface_get_height(decoded))
        let argb = try CairoSupport.imageSurface(CAIRO_FORMAT_ARGB32, width: width, height: height)
        defer { cairo_surface_destroy(argb) }
        let cr = try CairoSupport.context(argb)
        cairo_set_source_surface(cr, decoded, 0, 0)
        cairo_set_operator(cr, CAIRO_OPERATOR_SOURCE)
        cairo_paint(cr)
        let status = cairo_status(cr)
        cairo_destroy(cr)
        try CairoSupport.check(status, "sprite conversion")
        cairo_surface_flush(argb)
        let stride = Int(cairo_image_surface_get_stride(argb))
        guard let source = cairo_image_surface_get_data(argb) else {
            throw TileRenderError(.invalidSprite, "sprite pixels are not accessible")
        }
        self.width = width
        self.height = height
        self.stride = stride
        data = UnsafeMutablePointer<UInt8>.allocate(capacity: stride * height)
        data.update(from: source, count: stride * height)
    }

    deinit {
        data.deallocate()
    }

    /// A cairo surface over the pixels for use as a paint source only; the caller destroys it while `self` is alive.
    func sourceSurface() throws(TileRenderError) -> OpaquePointer {
        guard let surface = cairo_image_surface_create_for_data(
            data, CAIRO_FORMAT_ARGB32, Int32(width), Int32(height), Int32(stride)) else {
            throw TileRenderError(.render, "cannot wrap sprite pixels")
        }
        let status = cairo_surface_status(surface)
        guard status == CAIRO_STATUS_SUCCESS else {
            cairo_surface_destroy(surface)
            throw TileRenderError(.render, "sprite surface: \(CairoSupport.statusText(status))")
        }
        return surface
    }
}
