import GeoCore

/// A position as given: east, north (x, y) in the area's CRS; encoded as `[x, y]`.
public struct XY: Codable, Sendable, Hashable {
    public var x: Double
    public var y: Double

    public init(_ x: Double, _ y: Double) {
        self.x = x
        self.y = y
    }

    public init(from decoder: any Decoder) throws {
        var c = try decoder.unkeyedContainer()
        x = try c.decode(Double.self)
        y = try c.decode(Double.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.unkeyedContainer()
        try c.encode(x)
        try c.encode(y)
    }

    var position: Position { Position(x, y) }
}

/// A circle: a centre and a radius in metres on the ground.
public struct Circle: Codable, Sendable, Hashable {
    public var center: XY
    public var radiusMetres: Double

    public init(center: XY, radiusMetres: Double) {
        self.center = center
        self.radiusMetres = radiusMetres
    }
}

/// Polygons (rings of positions, the exterior first, each closed) and circles in one CRS.
public struct Shape: Codable, Sendable, Hashable {
    public var polygons: [[[XY]]]
    public var circles: [Circle]

    public init(polygons: [[[XY]]] = [], circles: [Circle] = []) {
        self.polygons = polygons
        self.circles = circles
    }

    /// The same shape with every position mapped.
    func mapPositions(_ f: (XY) throws -> XY) rethrows -> Shape {
        Shape(polygons: try polygons.map { try $0.map { try $0.map(f) } },
              circles: try circles.map { Circle(center: try f($0.center), radiusMetres: $0.radiusMetres) })
    }
}

/// The CRSs an area may be given in.
public enum AreaCRS: String, Codable, Sendable, CaseIterable {
    case rdNew = "EPSG:28992"
    case wgs84 = "EPSG:4326"

    var crs: CRS { self == .rdNew ? .rdNew : .wgs84 }
}

/// Where a threat (or an effect without an asset) applies: kept as given, and in WGS 84.
public struct RiskArea: Codable, Sendable, Hashable {
    /// The CRS the area was given in.
    public var crs: AreaCRS
    /// The area as given.
    public var given: Shape
    /// The area in WGS 84 (longitude, latitude); equal to `given` when that was WGS 84.
    public var wgs84: Shape

    /// Checks `given` and makes its WGS 84 form with `toWGS84` (a PROJ transformation in the
    /// service; any function in tests).
    /// - Throws: ``RiskPictureError`` (`invalidArea`) naming what is wrong.
    public init(crs: AreaCRS, given: Shape, toWGS84: (XY) throws -> XY) throws {
        guard !given.polygons.isEmpty || !given.circles.isEmpty else {
            throw RiskPictureError(.invalidArea, "an area needs at least one polygon or circle")
        }
        for (i, polygon) in given.polygons.enumerated() {
            guard !polygon.isEmpty else { throw RiskPictureError(.invalidArea, "polygon \(i + 1) has no rings") }
            for (j, ring) in polygon.enumerated() {
                guard ring.count >= 4 else {
                    throw RiskPictureError(.invalidArea, "polygon \(i + 1), ring \(j + 1) has \(ring.count) positions; a ring needs at least 4")
                }
                guard ring.first == ring.last else {
                    throw RiskPictureError(.invalidArea, "polygon \(i + 1), ring \(j + 1) is not closed: its last position must equal its first")
                }
                guard ring.allSatisfy({ $0.x.isFinite && $0.y.isFinite }) else {
                    throw RiskPictureError(.invalidArea, "polygon \(i + 1), ring \(j + 1) has a coordinate that is not a finite number")
                }
            }
        }
        for (i, c) in given.circles.enumerated() {
            guard c.center.x.isFinite, c.center.y.isFinite, c.radiusMetres.isFinite, c.radiusMetres > 0, c.radiusMetres <= Self.maximumRadius else {
                throw RiskPictureError(.invalidArea, "circle \(i + 1) needs a finite centre and a radius above 0 and at most \(Int(Self.maximumRadius / 1000)) km")
            }
        }
        if crs == .rdNew {
            // RD New is defined for the Netherlands: PROJ would wrap coordinates far outside it.
            for p in given.polygons.flatMap({ $0.flatMap { $0 } }) + given.circles.map(\.center)
                where !(-7_000...300_000).contains(p.x) || !(289_000...629_000).contains(p.y) {
                throw RiskPictureError(.invalidArea, "position \(p.x), \(p.y) lies outside RD New's area (x -7,000-300,000, y 289,000-629,000): check the CRS and axis order")
            }
        }
        self.crs = crs
        self.given = given
        let converted = crs == .wgs84 ? given : try given.mapPositions(toWGS84)
        for p in converted.polygons.flatMap({ $0.flatMap { $0 } }) + converted.circles.map(\.center)
            where !(-180...180).contains(p.x) || !(-90...90).contains(p.y) {
            throw RiskPictureError(.invalidArea, "the area lies outside longitude -180...180, latitude -90...90 in WGS 84: check its CRS and axis order")
        }
        wgs84 = converted
    }

    /// The largest circle radius accepted, in metres.
    public static let maximumRadius = 1_000_000.0

    /// The area as given, using GeoCore's PROJ transformations for RD New.
    public init(crs: AreaCRS, given: Shape) throws {
        if crs == .wgs84 {
            try self.init(crs: crs, given: given) { $0 }
        } else {
            let t = try Transformer(from: crs.crs, to: .wgs84)
            try self.init(crs: crs, given: given) { xy in
                let p = try t.transform(xy.position)
                return XY(p.x, p.y)
            }
        }
    }

    /// The WGS 84 area as a geometry: polygons as given, circles as polygons of `segments` sides.
    public func geometry(segments: Int = 64) -> Geometry {
        var polygons = wgs84.polygons.map { Polygon(rings: $0.map { $0.map(\.position) }) }
        for c in wgs84.circles { polygons.append(Self.circlePolygon(c, segments: segments)) }
        return .multiPolygon(polygons)
    }

    /// A circle around a WGS 84 centre as a polygon, on a local spherical approximation (good
    /// to a few metres for the tens of kilometres a threat circle spans).
    static func circlePolygon(_ c: Circle, segments: Int) -> Polygon {
        let earth = 6_371_008.8
        let lat = c.center.y * .pi / 180
        let dLat = c.radiusMetres / earth * 180 / .pi
        let dLon = dLat / max(cos(lat), 1e-6)
        var ring = (0..<segments).map { i -> Position in
            let a = Double(i) / Double(segments) * 2 * .pi
            return Position(c.center.x + dLon * cos(a), c.center.y + dLat * sin(a))
        }
        ring.append(ring[0])
        return Polygon(rings: [ring])
    }
}

import Foundation
