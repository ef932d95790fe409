import CPROJ
import Foundation

/// A PROJ coordinate operation from one CRS to another, with axis order normalised to east/north.
///
/// - Important: A transformer owns a PROJ context and is not thread-safe. Use it from one
///   thread at a time; share transformers between threads through a ``TransformerPool``.
///   PROJ network access (grid download) is off.
public final class Transformer {
    /// The source CRS.
    public let source: CRS
    /// The target CRS.
    public let target: CRS
    private let context: OpaquePointer
    private let operation: OpaquePointer?
    private let isIdentity: Bool

    /// Creates a transformer.
    /// - Throws: `GeoError(.crs)` when PROJ does not know either CRS or finds no operation.
    public init(from source: CRS, to target: CRS) throws {
        self.source = source
        self.target = target
        guard let ctx = proj_context_create() else {
            throw GeoError(.crs, "PROJ could not create a context")
        }
        proj_context_set_enable_network(ctx, 0)
        proj_log_level(ctx, PJ_LOG_NONE)
        self.context = ctx
        if source == target {
            self.operation = nil
            self.isIdentity = true
            return
        }
        self.isIdentity = false
        guard let raw = proj_create_crs_to_crs(ctx, "EPSG:\(source.epsg)", "EPSG:\(target.epsg)", nil) else {
            let msg = Transformer.lastError(ctx)
            proj_context_destroy(ctx)
            throw GeoError(.crs, "no transformation from \(source) to \(target): \(msg)")
        }
        guard let norm = proj_normalize_for_visualization(ctx, raw) else {
            let msg = Transformer.lastError(ctx)
            proj_destroy(raw)
            proj_context_destroy(ctx)
            throw GeoError(.crs, "cannot normalise axis order for \(source) to \(target): \(msg)")
        }
        proj_destroy(raw)
        self.operation = norm
    }

    deinit {
        if let operation { proj_destroy(operation) }
        proj_context_destroy(context)
    }

    static func lastError(_ ctx: OpaquePointer) -> String {
        let err = proj_context_errno(ctx)
        if err == 0 { return "unknown PROJ error" }
        guard let s = proj_context_errno_string(ctx, err) else { return "PROJ error \(err)" }
        return String(cString: s)
    }

    /// Transforms positions in place.
    /// - Throws: `GeoError(.transform)` when a position cannot be transformed (outside the CRS's domain).
    public func transform(_ positions: inout [Position]) throws {
        if isIdentity || positions.isEmpty { return }
        let n = positions.count
        let stride = MemoryLayout<Position>.stride
        proj_errno_reset(operation)
        positions.withUnsafeMutableBytes { raw in
            let base = raw.baseAddress!
            let xs = base.assumingMemoryBound(to: Double.self)
            let ys = (base + MemoryLayout<Double>.stride).assumingMemoryBound(to: Double.self)
            _ = proj_trans_generic(operation, PJ_FWD, xs, stride, n, ys, stride, n, nil, 0, 0, nil, 0, 0)
        }
        for p in positions where !p.isFinite {
            throw GeoError(.transform, "a position cannot be transformed from \(source) to \(target): \(Transformer.lastError(context))")
        }
    }

    /// Transforms one position.
    public func transform(_ p: Position) throws -> Position {
        var ps = [p]
        try transform(&ps)
        return ps[0]
    }

    /// Transforms every position of a geometry.
    public func transform(_ g: Geometry) throws -> Geometry {
        if isIdentity { return g }
        switch g {
        case .point(let p):
            return .point(try p.map { try transform($0) })
        case .lineString(var ps):
            try transform(&ps); return .lineString(ps)
        case .multiPoint(var ps):
            try transform(&ps); return .multiPoint(ps)
        case .polygon(let poly):
            return .polygon(try transform(poly))
        case .multiLineString(let ls):
            return .multiLineString(try ls.map { var l = $0; try transform(&l); return l })
        case .multiPolygon(let polys):
            return .multiPolygon(try polys.map(transform))
        case .geometryCollection(let gs):
            return .geometryCollection(try gs.map { try transform($0) })
        }
    }

    private func transform(_ poly: Polygon) throws -> Polygon {
        Polygon(rings: try poly.rings.map { var r = $0; try transform(&r); return r })
    }

    /// Transforms a bounding box, densifying its edges with `densify` points so that the
    /// result contains the image of the whole box (PROJ `proj_trans_bounds`).
    public func transformBounds(_ e: Envelope, densify: Int = 21) throws -> Envelope {
        if isIdentity { return e }
        var minX = 0.0, minY = 0.0, maxX = 0.0, maxY = 0.0
        let ok = proj_trans_bounds(context, operation, PJ_FWD, e.minX, e.minY, e.maxX, e.maxY,
                                   &minX, &minY, &maxX, &maxY, Int32(densify))
        guard ok != 0, minX.isFinite, minY.isFinite, maxX.isFinite, maxY.isFinite else {
            throw GeoError(.transform, "the box \(e) cannot be transformed from \(source) to \(target): \(Transformer.lastError(context))")
        }
        return Envelope(minX: minX, minY: minY, maxX: maxX, maxY: maxY)
    }
}
