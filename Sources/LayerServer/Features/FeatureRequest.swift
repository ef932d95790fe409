import Foundation
import GeoCore

/// A coordinate reference system of OGC API Features Part 2 as the API names it: its URI, the
/// EPSG CRS GeoCore computes in (always east/north), and whether the URI's axis order is
/// latitude first (EPSG:4326 and EPSG:4258, as the standard requires; CRS84 is longitude first).
struct FeatureCRS: Hashable, Sendable {
    var uri: String
    var crs: CRS
    var latitudeFirst: Bool

    static let crs84 = FeatureCRS(uri: "http://www.opengis.net/def/crs/OGC/1.3/CRS84", crs: .wgs84, latitudeFirst: false)

    static func epsg(_ code: Int) -> FeatureCRS {
        FeatureCRS(uri: CRS(epsg: code).uri, crs: CRS(epsg: code), latitudeFirst: code == 4326 || code == 4258)
    }

    /// The CRSs every collection offers; its storage CRS joins them.
    static let offered: [FeatureCRS] = [.crs84, .epsg(4326), .epsg(4258), .epsg(28992), .epsg(3857)]

    /// The CRSs of a collection stored in `storage`.
    static func offered(storage: CRS) -> [FeatureCRS] {
        offered.contains { $0.crs == storage } ? offered : offered + [.epsg(storage.epsg)]
    }

    /// The storage CRS as the API names it: CRS84 for WGS 84 (stored longitude first).
    static func storage(_ crs: CRS) -> FeatureCRS { crs == .wgs84 ? .crs84 : .epsg(crs.epsg) }

    /// Parses a CRS URI (or `EPSG:n`) against the offered list.
    static func parse(_ text: String, offered: [FeatureCRS], parameter: String) throws -> FeatureCRS {
        let t = text.trimmingCharacters(in: .whitespaces)
        let lower = t.lowercased()
        let found: FeatureCRS?
        if lower == crs84.uri.lowercased() || lower == "crs84" || lower == "[ogc:crs84]" {
            found = .crs84
        } else if let c = CRS(t), !lower.contains("crs84") {
            found = offered.first { $0.crs == c && $0 != .crs84 }
        } else {
            found = nil
        }
        guard let found, offered.contains(found) else {
            throw Problem.badRequest("\(parameter) \"\(text.prefix(200))\" is not offered; use one of " + offered.map(\.uri).joined(separator: ", "))
        }
        return found
    }

    /// A position in this CRS's URI axis order from GeoCore's east/north order, and back.
    func ordered(_ p: Position) -> Position { latitudeFirst ? Position(p.y, p.x) : p }

    /// Decimal places written for coordinates: about a millimetre.
    var decimals: Int { crs.isGeographic ? 8 : 3 }
}

extension CRS {
    /// Whether positions are in degrees (the geographic CRSs this API offers).
    var isGeographic: Bool { epsg == 4326 || epsg == 4258 || epsg == 4289 }
}

/// The query of an items request, checked: every parameter either understood or refused (400).
struct FeatureRequest {
    enum Format: String { case json, gpkg, fgb, csv }

    var format: Format = .json
    var limit: Int
    /// The bbox in `bboxCRS` axis order, as given.
    var bbox: [Double]?
    var bboxCRS: FeatureCRS = .crs84
    var crs: FeatureCRS = .crs84
    var filter: CQL2?
    var filterCRS: FeatureCRS = .crs84
    var cursor: String?
    /// The parameters as given (for links), without the cursor.
    var parameters: [(String, String)] = []

    /// Parameters of the standard (the rest must name visible properties).
    static let standard: Set<String> = ["f", "limit", "bbox", "bbox-crs", "crs", "filter", "filter-lang", "filter-crs", "cursor"]

    /// Parses `query` for a collection with `fields` (visible) stored in `storage`.
    static func parse(_ query: [(String, String)], fields: [Field], storage: CRS, limits: FeatureLimits) throws -> FeatureRequest {
        var r = FeatureRequest(limit: limits.defaultLimit)
        let offered = FeatureCRS.offered(storage: storage)
        var seen: Set<String> = []
        var equalities: [CQL2] = []
        var filterText: String?
        var filterLanguage = "cql2-text"
        for (key, value) in query {
            guard seen.insert(key).inserted else { throw Problem.badRequest("parameter \"\(key.prefix(100))\" is given more than once") }
            if key != "cursor" { r.parameters.append((key, value)) }
            switch key {
            case "f":
                guard let f = Format(rawValue: value == "geojson" ? "json" : value.lowercased()) else {
                    throw Problem.badRequest("f=\(value.prefix(50)) is not offered; use f=json (GeoJSON), f=gpkg, f=fgb or f=csv")
                }
                r.format = f
            case "limit":
                guard let n = Int(value), n >= 1 else { throw Problem.badRequest("limit must be a whole number from 1, got \"\(value.prefix(50))\"") }
                r.limit = min(n, limits.maximumLimit)
            case "bbox":
                let parts = value.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
                guard parts.count == 4 || parts.count == 6, parts.allSatisfy({ $0?.isFinite == true }) else {
                    throw Problem.badRequest("bbox takes four numbers separated by commas (minx,miny,maxx,maxy in bbox-crs axis order), got \"\(value.prefix(100))\"")
                }
                let n = parts.map { $0! }
                let box = n.count == 4 ? n : [n[0], n[1], n[3], n[4]]
                guard box[0] <= box[2], box[1] <= box[3] else {
                    throw Problem.badRequest("bbox: the lower corner comes first (minx,miny,maxx,maxy), and boxes across the antimeridian are not supported")
                }
                r.bbox = box
            case "bbox-crs": r.bboxCRS = try FeatureCRS.parse(value, offered: offered, parameter: "bbox-crs")
            case "crs": r.crs = try FeatureCRS.parse(value, offered: offered, parameter: "crs")
            case "filter-crs": r.filterCRS = try FeatureCRS.parse(value, offered: offered, parameter: "filter-crs")
            case "filter": filterText = value
            case "filter-lang":
                guard value == "cql2-text" || value == "cql2-json" else {
                    throw Problem.badRequest("filter-lang \"\(value.prefix(50))\" is not supported; use cql2-text or cql2-json")
                }
                filterLanguage = value
            case "cursor": r.cursor = value
            default:
                // A property equality filter; a hidden property is as unknown as a missing one.
                guard let field = fields.first(where: { $0.name == key }) else {
                    throw Problem.badRequest("unknown parameter \"\(key.prefix(100))\"; use f, limit, bbox, bbox-crs, crs, filter, filter-lang, filter-crs or a queryable of this collection (see its queryables)")
                }
                equalities.append(.compare(.eq, .property(field.name), try literal(value, field)))
            }
        }
        if let filterText {
            let result: Result<CQL2, CQL2.ParseError> = filterLanguage == "cql2-json"
                ? Result { () throws(CQL2.ParseError) in try CQL2.parseJSON(Data(filterText.utf8)) }
                : Result { () throws(CQL2.ParseError) in try CQL2.parseText(filterText) }
            switch result {
            case .success(let parsed): equalities.append(parsed)
            case .failure(let e): throw Problem.badRequest("filter: \(e.message)")
            }
        }
        if !equalities.isEmpty { r.filter = equalities.count == 1 ? equalities[0] : .and(equalities) }
        return r
    }

    /// A property equality value as the field's type.
    static func literal(_ value: String, _ field: Field) throws -> CQL2.Scalar {
        switch field.type {
        case .integer:
            guard let n = Int64(value) else { throw Problem.badRequest("\(field.name) takes a whole number, got \"\(value.prefix(50))\"") }
            return .integer(n)
        case .real:
            guard let d = Double(value), d.isFinite else { throw Problem.badRequest("\(field.name) takes a number, got \"\(value.prefix(50))\"") }
            return .number(d)
        case .bool:
            guard value == "true" || value == "false" else { throw Problem.badRequest("\(field.name) takes true or false, got \"\(value.prefix(50))\"") }
            return .boolean(value == "true")
        default:
            return .string(value)
        }
    }
}

/// The page sizes of the items route.
public struct FeatureLimits: Sendable, Hashable {
    /// Features per page when the request names no limit.
    public var defaultLimit: Int
    /// The most features per page; larger limits are cut to it.
    public var maximumLimit: Int

    public init(defaultLimit: Int = 100, maximumLimit: Int = 10_000) {
        self.defaultLimit = defaultLimit
        self.maximumLimit = maximumLimit
    }
}

/// Writes GeoJSON features and feature collections.
enum FeatureJSON {
    static func string(_ s: String, into out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    out += String(format: "\\u%04x", u.value)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }

    static func value(_ v: AttributeValue, into out: inout String) {
        switch v {
        case .null, .blob: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let n): out += String(n)
        case .double(let d): out += d.isFinite ? (d == d.rounded() && abs(d) < 1e15 ? String(format: "%.1f", d) : "\(d)") : "null"
        case .string(let s): string(s, into: &out)
        }
    }

    /// One feature: id, geometry (in the output CRS's axis order), properties, and `links` (raw JSON).
    static func feature(_ f: VisibleFeature, geometry: Geometry?, fields: [Field], crs: FeatureCRS, links: String?, into out: inout String) {
        out += "{\"type\":\"Feature\",\"id\":\(f.id),\"geometry\":"
        if let geometry {
            GeoJSON.append(geometry, to: &out, decimals: crs.decimals)
        } else {
            out += "null"
        }
        out += ",\"properties\":{"
        for (i, field) in fields.enumerated() {
            if i > 0 { out += "," }
            string(field.name, into: &out)
            out += ":"
            value(f.attributes[i], into: &out)
        }
        out += "}"
        if let links { out += ",\"links\":" + links }
        out += "}"
    }
}
