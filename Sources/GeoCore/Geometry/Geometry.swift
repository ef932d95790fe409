/// A position in a two-dimensional coordinate reference system.
///
/// `x` is always the easting (or longitude) and `y` the northing (or latitude),
/// whatever axis order the CRS definition declares: GeoCore normalises every
/// input to east/north order.
public struct Position: Hashable, Sendable {
    /// Easting or longitude.
    public var x: Double
    /// Northing or latitude.
    public var y: Double

    /// Creates a position from an easting and a northing.
    public init(_ x: Double, _ y: Double) {
        self.x = x
        self.y = y
    }

    /// True when both ordinates are finite numbers.
    public var isFinite: Bool { x.isFinite && y.isFinite }
}

/// A polygon: one exterior ring followed by zero or more interior rings (holes).
///
/// Rings are closed: the last position equals the first.
public struct Polygon: Hashable, Sendable {
    /// The rings, the exterior first. Empty for an empty polygon.
    public var rings: [[Position]]

    /// Creates a polygon from its rings, the exterior ring first.
    public init(rings: [[Position]]) {
        self.rings = rings
    }

    /// The exterior ring, or an empty array for an empty polygon.
    public var exterior: [Position] { rings.first ?? [] }
    /// The interior rings (holes).
    public var interiors: ArraySlice<[Position]> { rings.dropFirst() }
}

/// A two-dimensional simple-features geometry.
///
/// Z and M ordinates are dropped when a geometry is read; the model is 2D only.
public indirect enum Geometry: Hashable, Sendable {
    /// A single position. An empty point has no position.
    case point(Position?)
    /// A line string of positions.
    case lineString([Position])
    /// A polygon with an exterior ring and optional holes.
    case polygon(Polygon)
    /// A collection of points.
    case multiPoint([Position])
    /// A collection of line strings.
    case multiLineString([[Position]])
    /// A collection of polygons.
    case multiPolygon([Polygon])
    /// A heterogeneous collection of geometries.
    case geometryCollection([Geometry])

    /// The simple-features type of this geometry.
    public var type: GeometryType {
        switch self {
        case .point: .point
        case .lineString: .lineString
        case .polygon: .polygon
        case .multiPoint: .multiPoint
        case .multiLineString: .multiLineString
        case .multiPolygon: .multiPolygon
        case .geometryCollection: .geometryCollection
        }
    }

    /// True when the geometry holds no positions.
    public var isEmpty: Bool {
        switch self {
        case .point(let p): p == nil
        case .lineString(let ps), .multiPoint(let ps): ps.isEmpty
        case .polygon(let p): p.rings.allSatisfy(\.isEmpty)
        case .multiLineString(let ls): ls.allSatisfy(\.isEmpty)
        case .multiPolygon(let ps): ps.allSatisfy { $0.rings.allSatisfy(\.isEmpty) }
        case .geometryCollection(let gs): gs.allSatisfy(\.isEmpty)
        }
    }

    /// Calls `body` for every position of the geometry, in storage order.
    public func forEachPosition(_ body: (Position) throws -> Void) rethrows {
        switch self {
        case .point(let p): if let p { try body(p) }
        case .lineString(let ps), .multiPoint(let ps): for p in ps { try body(p) }
        case .polygon(let poly): for r in poly.rings { for p in r { try body(p) } }
        case .multiLineString(let ls): for l in ls { for p in l { try body(p) } }
        case .multiPolygon(let polys): for poly in polys { for r in poly.rings { for p in r { try body(p) } } }
        case .geometryCollection(let gs): for g in gs { try g.forEachPosition(body) }
        }
    }

    /// The geometry with every position replaced by `transform`'s (e.g. axes swapped).
    public func mapPositions(_ transform: (Position) -> Position) -> Geometry {
        func ring(_ ps: [Position]) -> [Position] { ps.map(transform) }
        switch self {
        case .point(let p): return .point(p.map(transform))
        case .lineString(let ps): return .lineString(ring(ps))
        case .multiPoint(let ps): return .multiPoint(ring(ps))
        case .polygon(let poly): return .polygon(Polygon(rings: poly.rings.map(ring)))
        case .multiLineString(let ls): return .multiLineString(ls.map(ring))
        case .multiPolygon(let polys): return .multiPolygon(polys.map { Polygon(rings: $0.rings.map(ring)) })
        case .geometryCollection(let gs): return .geometryCollection(gs.map { $0.mapPositions(transform) })
        }
    }

    /// The number of positions in the geometry.
    public var positionCount: Int {
        var n = 0
        forEachPosition { _ in n += 1 }
        return n
    }

    /// The bounding box of the geometry, or nil when it is empty.
    public var envelope: Envelope? {
        var env: Envelope?
        forEachPosition { p in
            if env == nil { env = Envelope(p) } else { env!.expand(p) }
        }
        return env
    }

    /// True when every position has finite ordinates.
    public var hasOnlyFinitePositions: Bool {
        var ok = true
        forEachPosition { if !$0.isFinite { ok = false } }
        return ok
    }

    /// The geometry as its multi form: a point becomes a one-point multipoint and so on.
    /// Multi forms and collections are returned unchanged.
    public var promotedToMulti: Geometry {
        switch self {
        case .point(let p): .multiPoint(p.map { [$0] } ?? [])
        case .lineString(let ps): .multiLineString(ps.isEmpty ? [] : [ps])
        case .polygon(let poly): .multiPolygon(poly.rings.isEmpty ? [] : [poly])
        default: self
        }
    }
}
