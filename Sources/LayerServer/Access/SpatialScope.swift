import AccessPolicy
import Foundation
import GeoCore
import Synchronization

/// Turns a decision's spatial filter into a geometry in a layer's CRS: the union of the safety
/// regions and activity areas it names. The 25 safety regions ship with the server
/// (CBS/PDOK boundaries, see fixtures/README.md).
public final class SpatialScope: Sendable {
    /// A filter resolved in one CRS.
    public struct Resolved: Sendable {
        public var geometry: Geometry
        public var envelope: Envelope
    }

    struct Key: Hashable {
        var filter: SpatialFilter
        var crs: CRS
    }

    /// Region geometries in WGS 84 by code.
    public let regions: [String: Geometry]
    let transformers: TransformerPool
    private let cache = Mutex<[Key: Resolved]>([:])

    /// Loads the bundled safety regions.
    public init(transformers: TransformerPool) throws {
        guard let url = Bundle.module.url(forResource: "safety_regions", withExtension: "geojson") else {
            throw StoreError(.database, "the bundled safety_regions.geojson is missing")
        }
        let json = try JSONValue.parse(try Data(contentsOf: url))
        var regions: [String: Geometry] = [:]
        for feature in json["features"]?.array ?? [] {
            guard let code = feature["properties"]?["code"]?.string, let g = feature["geometry"] else { continue }
            regions[code] = try GeoJSON.geometry(from: g)
        }
        guard regions.count == Policy.regionCodes.count else {
            throw StoreError(.database, "the bundled safety regions hold \(regions.count) regions, expected \(Policy.regionCodes.count)")
        }
        self.regions = regions
        self.transformers = transformers
    }

    /// The filter's area in `crs`; nil for `.everywhere`. `.nowhere` resolves to an empty area.
    public func resolve(_ filter: SpatialFilter, crs: CRS) throws -> Resolved? {
        let polygons: [Polygon]
        switch filter {
        case .everywhere: return nil
        case .nowhere: polygons = []
        case .within(let codes, let areas):
            var parts: [Polygon] = []
            for code in codes {
                switch regions[code] {
                case .polygon(let p)?: parts.append(p)
                case .multiPolygon(let ps)?: parts += ps
                default: break
                }
            }
            for area in areas {
                parts += area.polygons.map { rings in Polygon(rings: rings.map { ring in
                    var r = ring.map { Position($0.lon, $0.lat) }
                    if let first = r.first, r.last != first { r.append(first) }
                    return r
                }) }
            }
            polygons = parts
        }
        let key = Key(filter: filter, crs: crs)
        if let hit = cache.withLock({ $0[key] }) { return hit }
        var geometry = Geometry.multiPolygon(polygons)
        if polygons.count > 1 { geometry = try GeometryOperations.union(try GeometryOperations.makeValid(geometry)) }
        if crs != .wgs84, !polygons.isEmpty {
            geometry = try transformers.withTransformer(from: .wgs84, to: crs) { try $0.transform(geometry) }
        }
        let resolved = Resolved(geometry: geometry, envelope: geometry.envelope ?? Envelope(minX: 0, minY: 0, maxX: -1, maxY: -1))
        cache.withLock { c in
            if c.count > 1000 { c.removeAll() }
            c[key] = resolved
        }
        return resolved
    }
}
