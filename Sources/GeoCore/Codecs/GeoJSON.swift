import Foundation

/// GeoJSON (RFC 7946) geometry codec.
///
/// Decoding is strict where RFC 7946 is: positions need two or more numbers,
/// line strings two or more positions, polygon rings four or more positions and closed.
/// Extra ordinates (altitude) are dropped.
public enum GeoJSON {
    /// Decodes a GeoJSON geometry object from JSON bytes.
    public static func decodeGeometry(_ data: Data) throws -> Geometry {
        let value: JSONValue
        do {
            value = try JSONValue.parse(data)
        } catch {
            throw GeoError(.invalidGeoJSON, "not valid JSON: \(error)")
        }
        return try geometry(from: value)
    }

    /// Decodes a GeoJSON geometry from a parsed JSON value.
    public static func geometry(from value: JSONValue, depth: Int = 0) throws -> Geometry {
        guard depth <= WKB.maximumNesting else { throw fail("geometry collections nested too deeply") }
        guard case .object(let obj) = value else { throw fail("a geometry must be a JSON object") }
        guard let type = obj["type"]?.string else { throw fail("a geometry needs a string \"type\" member") }
        if type == "GeometryCollection" {
            guard let members = obj["geometries"]?.array else {
                throw fail("a GeometryCollection needs a \"geometries\" array")
            }
            return .geometryCollection(try members.map { try geometry(from: $0, depth: depth + 1) })
        }
        guard let coords = obj["coordinates"] else { throw fail("a \(type) needs a \"coordinates\" member") }
        switch type {
        case "Point":
            if let arr = coords.array, arr.isEmpty { return .point(nil) }
            return .point(try position(coords))
        case "MultiPoint":
            return .multiPoint(try array(coords, "MultiPoint").map(position))
        case "LineString":
            return .lineString(try line(coords))
        case "MultiLineString":
            return .multiLineString(try array(coords, "MultiLineString").map(line))
        case "Polygon":
            return .polygon(try polygon(coords))
        case "MultiPolygon":
            return .multiPolygon(try array(coords, "MultiPolygon").map(polygon))
        default:
            throw fail("unknown geometry type \"\(type)\"")
        }
    }

    static func fail(_ why: String) -> GeoError { GeoError(.invalidGeoJSON, why) }

    static func array(_ value: JSONValue, _ what: String) throws -> [JSONValue] {
        guard let arr = value.array else { throw fail("\(what) coordinates must be an array") }
        return arr
    }

    static func position(_ value: JSONValue) throws -> Position {
        guard let arr = value.array, arr.count >= 2, let x = arr[0].number, let y = arr[1].number else {
            throw fail("a position must be an array of two or more numbers")
        }
        guard x.isFinite, y.isFinite else { throw fail("a position must hold finite numbers") }
        return Position(x, y)
    }

    static func line(_ any: JSONValue) throws -> [Position] {
        let ps = try array(any, "LineString").map(position)
        guard ps.count >= 2 else { throw fail("a LineString needs two or more positions, got \(ps.count)") }
        return ps
    }

    static func polygon(_ any: JSONValue) throws -> Polygon {
        let rings = try array(any, "Polygon").map { r -> [Position] in
            let ps = try array(r, "Polygon ring").map(position)
            guard ps.count >= 4 else { throw fail("a polygon ring needs four or more positions, got \(ps.count)") }
            guard ps.first == ps.last else { throw fail("a polygon ring must be closed: its first and last positions differ") }
            return ps
        }
        return Polygon(rings: rings)
    }

    /// Encodes a geometry as a GeoJSON geometry object, appending to `out`.
    ///
    /// Numbers are written with the shortest representation that round-trips,
    /// or rounded to `decimals` places when given (RFC 7946 section 11.2 advises 6 for degrees).
    public static func append(_ g: Geometry, to out: inout String, decimals: Int? = nil) {
        func num(_ v: Double) {
            if let decimals {
                let scale = pow(10.0, Double(decimals))
                let r = (v * scale).rounded() / scale
                out += r == r.rounded() && abs(r) < 1e15 ? String(Int64(r)) : "\(r)"
            } else {
                out += v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : "\(v)"
            }
        }
        func pos(_ p: Position) { out += "["; num(p.x); out += ","; num(p.y); out += "]" }
        func list(_ ps: [Position]) {
            out += "["
            for (i, p) in ps.enumerated() { if i > 0 { out += "," }; pos(p) }
            out += "]"
        }
        func rings(_ poly: Polygon) {
            out += "["
            for (i, r) in poly.rings.enumerated() { if i > 0 { out += "," }; list(r) }
            out += "]"
        }
        out += "{\"type\":\"\(g.type.geoJSONName)\","
        switch g {
        case .point(let p):
            out += "\"coordinates\":"
            if let p { pos(p) } else { out += "[]" }
        case .lineString(let ps), .multiPoint(let ps):
            out += "\"coordinates\":"
            list(ps)
        case .polygon(let poly):
            out += "\"coordinates\":"
            rings(poly)
        case .multiLineString(let ls):
            out += "\"coordinates\":["
            for (i, l) in ls.enumerated() { if i > 0 { out += "," }; list(l) }
            out += "]"
        case .multiPolygon(let polys):
            out += "\"coordinates\":["
            for (i, p) in polys.enumerated() { if i > 0 { out += "," }; rings(p) }
            out += "]"
        case .geometryCollection(let gs):
            out += "\"geometries\":["
            for (i, m) in gs.enumerated() { if i > 0 { out += "," }; append(m, to: &out, decimals: decimals) }
            out += "]"
        }
        out += "}"
    }

    /// Encodes a geometry as a GeoJSON geometry object string.
    public static func encode(_ g: Geometry, decimals: Int? = nil) -> String {
        var s = ""
        append(g, to: &s, decimals: decimals)
        return s
    }
}
