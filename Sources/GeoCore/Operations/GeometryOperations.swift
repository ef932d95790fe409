import CGEOS
import Foundation

/// GEOS operations on GeoCore geometries: validity, make-valid, clip by rectangle, intersects.
///
/// Every call creates its own GEOS context (cheap) inside one synchronous function, so the
/// functions are safe to call from any number of threads at once.
public enum GeometryOperations {
    /// True when GEOS finds the geometry valid (OGC simple-features validity).
    public static func isValid(_ g: Geometry) throws -> Bool {
        try withGEOS { ctx in
            let geom = try ctx.make(g)
            defer { GEOSGeom_destroy_r(ctx.handle, geom) }
            let r = GEOSisValid_r(ctx.handle, geom)
            guard r != 2 else { throw ctx.error("validity check") }
            return r == 1
        }
    }

    /// The reason GEOS gives for invalidity, or nil for a valid geometry.
    public static func invalidityReason(_ g: Geometry) throws -> String? {
        try withGEOS { ctx in
            let geom = try ctx.make(g)
            defer { GEOSGeom_destroy_r(ctx.handle, geom) }
            let r = GEOSisValid_r(ctx.handle, geom)
            if r == 1 { return nil }
            guard r == 0, let reason = GEOSisValidReason_r(ctx.handle, geom) else { throw ctx.error("validity check") }
            defer { GEOSFree_r(ctx.handle, reason) }
            return String(cString: reason)
        }
    }

    /// Repairs an invalid geometry (GEOS MakeValid). The result may change type,
    /// e.g. a self-intersecting polygon becomes a multipolygon.
    public static func makeValid(_ g: Geometry) throws -> Geometry {
        try withGEOS { ctx in
            let geom = try ctx.make(g)
            defer { GEOSGeom_destroy_r(ctx.handle, geom) }
            guard let fixed = GEOSMakeValid_r(ctx.handle, geom) else { throw ctx.error("make-valid") }
            defer { GEOSGeom_destroy_r(ctx.handle, fixed) }
            return try ctx.geometry(fixed)
        }
    }

    /// Clips a geometry to a rectangle (GEOS ClipByRect). The result may be empty.
    public static func clip(_ g: Geometry, to rect: Envelope) throws -> Geometry {
        try withGEOS { ctx in
            let geom = try ctx.make(g)
            defer { GEOSGeom_destroy_r(ctx.handle, geom) }
            guard let clipped = GEOSClipByRect_r(ctx.handle, geom, rect.minX, rect.minY, rect.maxX, rect.maxY) else {
                throw ctx.error("clip by rectangle")
            }
            defer { GEOSGeom_destroy_r(ctx.handle, clipped) }
            return try ctx.geometry(clipped)
        }
    }

    /// True when the two geometries share at least one point.
    public static func intersects(_ a: Geometry, _ b: Geometry) throws -> Bool {
        try withGEOS { ctx in
            let ga = try ctx.make(a)
            defer { GEOSGeom_destroy_r(ctx.handle, ga) }
            let gb = try ctx.make(b)
            defer { GEOSGeom_destroy_r(ctx.handle, gb) }
            let r = GEOSIntersects_r(ctx.handle, ga, gb)
            guard r != 2 else { throw ctx.error("intersects") }
            return r == 1
        }
    }

    /// The intersection of two geometries (GEOS Intersection). The result may be empty.
    public static func intersection(_ a: Geometry, _ b: Geometry) throws -> Geometry {
        try binary(a, b, "intersection") { ctx, ga, gb in GEOSIntersection_r(ctx.handle, ga, gb) }
    }

    /// The union of a geometry's parts (GEOS UnaryUnion): overlapping polygons become one.
    public static func union(_ g: Geometry) throws -> Geometry {
        try withGEOS { ctx in
            let geom = try ctx.make(g)
            defer { GEOSGeom_destroy_r(ctx.handle, geom) }
            guard let u = GEOSUnaryUnion_r(ctx.handle, geom) else { throw ctx.error("union") }
            defer { GEOSGeom_destroy_r(ctx.handle, u) }
            return try ctx.geometry(u)
        }
    }

    /// True when `a` contains `b` (no point of `b` outside `a`, and interiors meet).
    public static func contains(_ a: Geometry, _ b: Geometry) throws -> Bool {
        try withGEOS { ctx in
            let ga = try ctx.make(a)
            defer { GEOSGeom_destroy_r(ctx.handle, ga) }
            let gb = try ctx.make(b)
            defer { GEOSGeom_destroy_r(ctx.handle, gb) }
            let r = GEOSContains_r(ctx.handle, ga, gb)
            guard r != 2 else { throw ctx.error("contains") }
            return r == 1
        }
    }

    static func binary(_ a: Geometry, _ b: Geometry, _ op: String,
                       _ f: (GEOSContext, OpaquePointer, OpaquePointer) -> OpaquePointer?) throws -> Geometry {
        try withGEOS { ctx in
            let ga = try ctx.make(a)
            defer { GEOSGeom_destroy_r(ctx.handle, ga) }
            let gb = try ctx.make(b)
            defer { GEOSGeom_destroy_r(ctx.handle, gb) }
            guard let r = f(ctx, ga, gb) else { throw ctx.error(op) }
            defer { GEOSGeom_destroy_r(ctx.handle, r) }
            return try ctx.geometry(r)
        }
    }

    static func withGEOS<R>(_ body: (GEOSContext) throws -> R) throws -> R {
        let ctx = try GEOSContext()
        return try body(ctx)
    }
}

/// One GEOS context handle with its error message sink. Lives inside one synchronous call.
final class GEOSContext {
    let handle: GEOSContextHandle_t
    private let messages = MessageBox()

    final class MessageBox { var last = "" }

    init() throws {
        guard let h = GEOS_init_r() else { throw GeoError(.geometryOperation, "GEOS could not create a context") }
        handle = h
        let box = Unmanaged.passUnretained(messages).toOpaque()
        GEOSContext_setErrorMessageHandler_r(h, { msg, userdata in
            guard let msg, let userdata else { return }
            Unmanaged<MessageBox>.fromOpaque(userdata).takeUnretainedValue().last = String(cString: msg)
        }, box)
        GEOSContext_setNoticeMessageHandler_r(h, { _, _ in }, nil)
    }

    deinit { GEOS_finish_r(handle) }

    func error(_ op: String) -> GeoError {
        GeoError(.geometryOperation, "GEOS \(op) failed: \(messages.last.isEmpty ? "no message" : messages.last)")
    }

    func make(_ g: Geometry) throws -> OpaquePointer {
        guard let reader = GEOSWKBReader_create_r(handle) else { throw error("WKB reader") }
        defer { GEOSWKBReader_destroy_r(handle, reader) }
        let wkb = WKB.encode(g)
        let geom = wkb.withUnsafeBufferPointer { GEOSWKBReader_read_r(handle, reader, $0.baseAddress, $0.count) }
        guard let geom else { throw error("reading a geometry") }
        return geom
    }

    func geometry(_ geom: OpaquePointer) throws -> Geometry {
        guard let writer = GEOSWKBWriter_create_r(handle) else { throw error("WKB writer") }
        defer { GEOSWKBWriter_destroy_r(handle, writer) }
        GEOSWKBWriter_setOutputDimension_r(handle, writer, 2)
        GEOSWKBWriter_setByteOrder_r(handle, writer, Int32(GEOS_WKB_NDR.rawValue))
        var size = 0
        guard let bytes = GEOSWKBWriter_write_r(handle, writer, geom, &size) else { throw error("writing a geometry") }
        defer { GEOSFree_r(handle, bytes) }
        return try WKB.decode(UnsafeRawBufferPointer(start: bytes, count: size))
    }
}
