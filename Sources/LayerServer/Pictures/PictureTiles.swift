import AccessPolicy
import Crypto
import Foundation
import GeoCore
import NIOCore
import RiskPicture
import TileRender

extension PictureService {
    /// The attributes of a picture tile's features, in order.
    static let tileFields = ["id", "kind", "region", "hazard", "severity", "urgency", "certainty", "state", "headline", "consequence"]

    /// The MVT layer name of picture tiles.
    static let tileLayer = "risk_picture"

    /// The regions whose picture `caller` may read.
    func readableRegions(_ caller: Principal) async throws -> [String] {
        let now = layers.clock()
        return try await BlockingWork.run { [store] in try store.regions() }
            .filter { access.decide(caller, .read, .picture(region: $0), at: now).allowed }
    }

    /// What `caller` sees of the current versions of `regions`' pictures as map features
    /// (WGS 84, attributes in the order of ``tileFields``), and a digest of the versions and
    /// visible items: the picture's access class for caches and ETags.
    func visibleFeatures(_ caller: Principal, regions: [String]) async throws -> (digest: String, features: [(Geometry, [AttributeValue])]) {
        var pictures: [RegionPicture] = []
        for region in regions { pictures.append(try await picture(region)) }
        // What the caller sees: the items of each current version it may see, by id.
        var visible: [(RegionPicture, Item)] = []
        for p in pictures {
            guard let v = p.current else { continue }
            for item in p.items(of: v) where maySee(caller, item, in: p) { visible.append((p, item)) }
        }
        let versions = pictures.map { "\($0.region):\($0.current?.number ?? 0)" }.joined(separator: ",")
        let seen = visible.map(\.1.id).sorted().joined(separator: ",")
        let digest = LayerService.hex(SHA256.hash(data: Data("\(versions)|\(seen)".utf8)).prefix(10))
        return (digest, visible.flatMap { picture, item in Self.features(item, in: picture) })
    }

    /// One region's current version (or several regions', for the national picture) as a vector
    /// tile, with what `caller` may see of it: threat areas, effect areas and effects' assets as
    /// points. Cached per version and per set of visible items (the picture's access class).
    func tile(_ caller: Principal, regions: [String], tms: TileMatrixSet, tile: TileID) async throws -> (body: ByteBuffer, etag: String) {
        let (digest, features) = try await visibleFeatures(caller, regions: regions)
        let encoder = layers.tiles.mvt
        let etag = LayerService.etag("p" + digest, tms: tms, tile: tile)
        let key = TileCacheKey(accessClass: digest, layerID: "picture:" + regions.joined(separator: ","), version: 0, format: encoder.cacheKey,
                               tileMatrixSet: tms.id, tile: tile)
        let transformers = layers.tiles.transformers
        let body = try await layers.cached(key, gzip: false) {
            guard let bounds = tms.bounds(of: tile) else { return [] }
            return try transformers.withTransformer(from: .wgs84, to: tms.crs) { t -> [UInt8] in
                var sink = encoder.sink(layer: Self.tileLayer, fieldNames: Self.tileFields, tileBounds: bounds)
                Self.project(features, with: t, into: &sink)
                return try encoder.encode([sink], tileBounds: bounds)
            }
        }.body
        return (body, etag)
    }

    /// Hands the features, brought into the tile's CRS, to a sink; those outside the CRS's domain are left out.
    static func project<S: FeatureSink>(_ features: [(Geometry, [AttributeValue])], with t: Transformer, into sink: inout S) {
        for (geometry, attributes) in features {
            guard let projected = try? t.transform(geometry) else { continue }
            sink.add(id: nil, geometry: projected, attributes: attributes)
        }
    }

    /// An item's map features (WGS 84) with their attributes: a threat's area; an effect's area
    /// and its asset's position.
    static func features(_ item: Item, in picture: RegionPicture) -> [(Geometry, [AttributeValue])] {
        func attributes(kind: String, threat: Threat?, consequence: String?) -> [AttributeValue] {
            [.string(item.id), .string(kind), .string(picture.region), threat.map { .string($0.hazard.rawValue) } ?? .null,
             threat.map { .string($0.severity.rawValue) } ?? .null, threat.map { .string($0.urgency.rawValue) } ?? .null,
             threat.map { .string($0.certainty.rawValue) } ?? .null, .string(item.state.rawValue),
             threat.map { .string($0.headline) } ?? .null, consequence.map { .string($0) } ?? .null]
        }
        switch item.contribution.content {
        case .threat(let t)?:
            return [(t.area.geometry(), attributes(kind: "threat", threat: t, consequence: nil))]
        case .effect(let e)?:
            let threat: Threat? = picture.head(of: e.threat, in: picture.current).flatMap {
                if case .threat(let t)? = picture.items[$0]?.contribution.content { return t } else { return nil }
            }
            var out: [(Geometry, [AttributeValue])] = []
            if let area = e.area { out.append((area.geometry(), attributes(kind: "effect", threat: threat, consequence: e.consequence))) }
            if let p = e.asset?.position { out.append((.point(Position(p.x, p.y)), attributes(kind: "effect", threat: threat, consequence: e.consequence))) }
            return out
        case nil:
            return []
        }
    }

    /// The features of `layerIDs` inside a threat's area, as far as `caller` may read them:
    /// per layer the count, the ids (opaque for a caller limited to an area) and the positions.
    /// Layers the caller may not read are left out as if unknown; every read is audited like a
    /// tile read.
    func impact(_ caller: Principal, threat: Threat, threatID: ItemID, layerIDs: [String]) async throws -> [ImpactLayer] {
        var out: [ImpactLayer] = []
        let area = threat.area.geometry()
        let now = layers.clock()
        for id in layerIDs {
            // The read decision, audited once per layer: a denial here, an allowed read below with its count.
            guard let layer = layers.catalogLayer(id) else { continue }
            let grant = access.readGrant(caller, layer: id, at: now)
            guard grant.decision.allowed else {
                access.audit(read: grant, item: nil, at: now)
                continue
            }
            let version = layer.current
            let restrictTo = try layers.tiles.scope.resolve(grant.decision.filter, crs: version.crs)
            let inLayerCRS = try layers.tiles.transformers.withTransformer(from: .wgs84, to: version.crs) { try $0.transform(area) }
            guard let box = inLayerCRS.envelope else { continue }
            let table = GeoPackageSchema.quote(version.tableName)
            let rtree = GeoPackageSchema.quote(VersionTables(table: version.tableName).rtree)
            let hits = try await layers.store.read { db -> [(Int64, Position)] in
                var found: [(Int64, Position)] = []
                let rows = try SQLiteQuery(db, sql: "SELECT f.fid, f.geom FROM \(rtree) r JOIN \(table) f ON f.fid = r.id WHERE r.minx <= ? AND r.maxx >= ? AND r.miny <= ? AND r.maxy >= ?")
                try rows.run([box.maxX, box.minX, box.maxY, box.minY]) { row in
                    guard let blob = row.blob(1) else { return }
                    let g = try GeoPackageBinary.decode(blob).geometry
                    guard let e = g.envelope else { return }
                    let p: Position
                    if case .point(let q?) = g { p = q } else { p = e.center }
                    guard inLayerCRS.containsPoint(p) || (try? GeometryOperations.intersects(g, inLayerCRS)) == true else { return }
                    if let restrictTo, !restrictTo.geometry.containsPoint(p) { return }
                    found.append((row.int64(0), p))
                }
                return found
            }
            let ids = grant.decision.filter == .everywhere ? nil
                : OpaqueFeatureIDs(secret: access.keyBytes, layer: layer.id, version: layer.currentVersion, accessClass: grant.accessClass).hasher()
            let positions = try layers.tiles.transformers.withTransformer(from: version.crs, to: .wgs84) { t in
                try hits.map { try t.transform($0.1) }
            }
            // The read: like a tile read, with the count.
            access.audit(read: grant, item: "impact:\(threatID) \(hits.count) features", at: now)
            out.append(ImpactLayer(layer: layer.id, version: layer.currentVersion, count: hits.count,
                                   features: zip(hits, positions).map { hit, p in ImpactLayer.Feature(id: ids.map { $0.id(hit.0) } ?? hit.0, lon: p.x, lat: p.y) }))
        }
        return out
    }
}

/// What a threat reaches of one layer.
struct ImpactLayer: Encodable {
    struct Feature: Encodable {
        var id: Int64
        var lon: Double
        var lat: Double
    }

    var layer: String
    var version: Int
    var count: Int
    var features: [Feature]

    enum Key: String, CodingKey { case layer, version, count, ids, features }

    /// `features` as a GeoJSON FeatureCollection of points.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(layer, forKey: .layer)
        try c.encode(version, forKey: .version)
        try c.encode(count, forKey: .count)
        try c.encode(features.map(\.id), forKey: .ids)
        struct Point: Encodable { var type = "Point"; var coordinates: [Double] }
        struct GeoFeature: Encodable { var type = "Feature"; var id: Int64; var geometry: Point; var properties: [String: String] = [:] }
        struct Collection: Encodable { var type = "FeatureCollection"; var features: [GeoFeature] }
        try c.encode(Collection(features: features.map { GeoFeature(id: $0.id, geometry: Point(coordinates: [$0.lon, $0.lat])) }), forKey: .features)
    }
}
