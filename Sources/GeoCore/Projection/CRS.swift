/// A coordinate reference system identified by its EPSG code.
///
/// GeoCore keeps positions in east/north order for every CRS, so `EPSG:4326`
/// positions are longitude, latitude (as in GeoJSON and GeoPackage).
public struct CRS: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The EPSG code.
    public var epsg: Int

    /// Creates a CRS from an EPSG code.
    public init(epsg: Int) { self.epsg = epsg }

    /// WGS 84 geographic, longitude/latitude.
    public static let wgs84 = CRS(epsg: 4326)
    /// WGS 84 / Pseudo-Mercator, the Web Mercator of WebMercatorQuad.
    public static let webMercator = CRS(epsg: 3857)
    /// Amersfoort / RD New, the Dutch national grid.
    public static let rdNew = CRS(epsg: 28992)

    /// Parses `EPSG:n`, `epsg:n`, an OGC URI `http://www.opengis.net/def/crs/EPSG/0/n`,
    /// or the OGC CRS84 URI (mapped to EPSG:4326, which GeoCore keeps in lon/lat order).
    public init?(_ text: String) {
        let t = text.trimmingCharacters(in: .whitespaces)
        let lower = t.lowercased()
        if lower == "http://www.opengis.net/def/crs/ogc/1.3/crs84" || lower == "crs84" || lower == "ogc:crs84" {
            self.init(epsg: 4326)
            return
        }
        let code: Substring
        if lower.hasPrefix("epsg:") {
            code = t.dropFirst(5)
        } else if lower.hasPrefix("http://www.opengis.net/def/crs/epsg/0/") {
            code = t.dropFirst("http://www.opengis.net/def/crs/EPSG/0/".count)
        } else if lower.hasPrefix("urn:ogc:def:crs:epsg::") {
            code = t.dropFirst("urn:ogc:def:crs:EPSG::".count)
        } else {
            return nil
        }
        guard let n = Int(code), n > 0, n < 1_000_000 else { return nil }
        self.init(epsg: n)
    }

    /// `EPSG:n`.
    public var description: String { "EPSG:\(epsg)" }

    /// The OGC URI of the CRS.
    public var uri: String { "http://www.opengis.net/def/crs/EPSG/0/\(epsg)" }
}

import Foundation
