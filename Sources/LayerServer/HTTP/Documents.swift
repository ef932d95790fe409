import Foundation
import GeoCore
import TileRender

/// A link in OGC API documents and TileJSON.
struct Link: Encodable, Sendable {
    var href: String
    var rel: String
    var type: String?
    var title: String?
    var templated: Bool?
}

/// The JSON documents the HTTP API serves. Built from the catalog; no I/O.
struct Documents {
    let base: String
    let transformers: TransformerPool
    /// Layers the caller sees only in part (a spatial filter): their documents leave out feature
    /// counts and source file names, which describe the whole layer.
    var limited: Set<String> = []
    /// Tile settings: from which zoom a layer's tiles are complete.
    var tiles = TileConfiguration()

    static let mvtType = "application/vnd.mapbox-vector-tile"

    func landing() -> [String: AnyEncodable] {
        [
            "title": AnyEncodable("Layer and risk-picture service"),
            "description": AnyEncodable("Map layers of Dutch crisis partners as OGC API Tiles (MVT) and map images (PNG from MapLibre styles, WMTS) in NetherlandsRDNewQuad and WebMercatorQuad."),
            "links": AnyEncodable([
                Link(href: "\(base)/", rel: "self", type: "application/json", title: "This document"),
                Link(href: "\(base)/api", rel: "service-desc", type: APIDocument.openAPIType, title: "The API (OpenAPI 3.0)"),
                Link(href: "\(base)/conformance", rel: "conformance", type: "application/json", title: "Conformance classes"),
                Link(href: "\(base)/collections", rel: "data", type: "application/json", title: "Layers"),
                Link(href: "\(base)/tileMatrixSets", rel: "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes", type: "application/json", title: "Tile matrix sets"),
                Link(href: "\(base)/styles", rel: "http://www.opengis.net/def/rel/ogc/1.0/styles", type: "application/json", title: "MapLibre styles and their map tiles"),
                Link(href: "\(base)/wmts/1.0.0/WMTSCapabilities.xml", rel: "alternate", type: "application/xml", title: "WMTS 1.0.0 capabilities"),
            ]),
        ]
    }

    static let conformance = [
        "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/oas30",
        "http://www.opengis.net/spec/ogcapi-common-2/1.0/conf/collections",
        "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
        "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
        "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
        "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
        "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/oas30",
        "http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
        "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
        "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
        "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    ]

    // MARK: Collections

    struct Collection: Encodable {
        struct Extent: Encodable {
            struct Spatial: Encodable {
                var bbox: [[Double]]
                var crs = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
            }
            var spatial: Spatial
        }
        struct Version: Encodable {
            var number: Int
            var createdAt: Date
            var checksum: String
            var featureCount: Int?
            var rejectedCount: Int?
            var sourceFile: String?
            var sourceDriver: String
            var crs: String
            var geometryType: String
        }
        var id: String
        var title: String
        var itemType = "feature"
        var owner: String
        var sensitivity: String
        var geometryType: String
        var featureCount: Int?
        var minZoom: Int
        var maxZoom: Int
        var storageCrs: String
        /// The CRSs features are served in (OGC API Features Part 2).
        var crs: [String]
        var extent: Extent
        var currentVersion: Int
        var versions: [Version]
        var links: [Link]
    }

    func collection(_ layer: Layer) -> Collection {
        let v = layer.current
        let whole = !limited.contains(layer.id)
        let e = v.extentWGS84
        var links = [
            Link(href: "\(base)/collections/\(layer.id)", rel: "self", type: "application/json", title: layer.title),
            Link(href: "\(base)/collections/\(layer.id)/tiles", rel: "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector", type: "application/json", title: "Vector tilesets"),
            Link(href: "\(base)/collections/\(layer.id)/items", rel: "items", type: FeatureRoutes.geoJSONType, title: "Features (GeoJSON)"),
            Link(href: "\(base)/collections/\(layer.id)/items?f=gpkg", rel: "enclosure", type: "application/geopackage+sqlite3", title: "Every feature you may see as a GeoPackage"),
            Link(href: "\(base)/collections/\(layer.id)/queryables", rel: "http://www.opengis.net/def/rel/ogc/1.0/queryables", type: "application/schema+json", title: "Queryables"),
        ]
        for tms in TileMatrixSet.supported {
            links.append(Link(href: "\(base)/collections/\(layer.id)/tiles/\(tms.id)/tilejson", rel: "describedby", type: "application/json", title: "TileJSON (\(tms.id))"))
            links.append(Link(href: "\(base)/collections/\(layer.id)/tiles/\(tms.id)/{tileMatrix}/{tileRow}/{tileCol}", rel: "item", type: Self.mvtType, title: "Tiles (\(tms.id))", templated: true))
        }
        return Collection(
            id: layer.id, title: layer.title, owner: layer.owner, sensitivity: layer.sensitivity.rawValue,
            geometryType: v.geometryType.rawValue, featureCount: whole ? v.featureCount : nil,
            minZoom: layer.minZoom, maxZoom: layer.maxZoom, storageCrs: FeatureCRS.storage(v.crs).uri,
            crs: FeatureCRS.offered(storage: v.crs).map(\.uri),
            extent: .init(spatial: .init(bbox: [[e.minX, e.minY, e.maxX, e.maxY]])),
            currentVersion: layer.currentVersion,
            versions: layer.versions.map {
                .init(number: $0.number, createdAt: $0.createdAt, checksum: $0.checksum, featureCount: whole ? $0.featureCount : nil,
                      rejectedCount: whole ? $0.rejectedCount : nil, sourceFile: whole ? $0.sourceFile : nil, sourceDriver: $0.sourceDriver,
                      crs: $0.crs.description, geometryType: $0.geometryType.rawValue)
            },
            links: links)
    }

    struct Collections: Encodable {
        var collections: [Collection]
        var links: [Link]
    }

    func collections(_ layers: [Layer]) -> Collections {
        Collections(collections: layers.map(collection),
                    links: [Link(href: "\(base)/collections", rel: "self", type: "application/json", title: "Layers")])
    }

    // MARK: Tilesets

    struct TileSet: Encodable {
        struct Limits: Encodable {
            var tileMatrix: String
            var minTileRow: Int
            var maxTileRow: Int
            var minTileCol: Int
            var maxTileCol: Int
        }
        struct GeoLayer: Encodable {
            var id: String
            var dataType = "vector"
            var geometryDimension: Int?
            var minTileMatrix: String
            var maxTileMatrix: String
            /// Extension: the first tile matrix whose tiles hold every feature.
            var completeFromTileMatrix: String?
            var propertiesSchema: PropertiesSchema
        }
        struct PropertiesSchema: Encodable {
            var type = "object"
            var properties: [String: [String: String]]
        }
        var title: String
        var dataType = "vector"
        var crs: String
        var tileMatrixSetURI: String?
        var tileMatrixSetLimits: [Limits]
        var layers: [GeoLayer]
        var links: [Link]
    }

    func tilesetSummary(_ layer: Layer, _ tms: TileMatrixSet) -> [String: AnyEncodable] {
        [
            "title": AnyEncodable("\(layer.title) (\(tms.id))"),
            "dataType": AnyEncodable("vector"),
            "crs": AnyEncodable(tms.crs.uri),
            "tileMatrixSetURI": AnyEncodable(tms.uri),
            "links": AnyEncodable([
                Link(href: "\(base)/collections/\(layer.id)/tiles/\(tms.id)", rel: "self", type: "application/json", title: "Tileset"),
                Link(href: "\(base)/tileMatrixSets/\(tms.id)", rel: "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme", type: "application/json", title: tms.title),
            ]),
        ]
    }

    func tileset(_ layer: Layer, _ tms: TileMatrixSet) -> TileSet {
        let v = layer.current
        let zooms = ZoomEquivalence.zoomRange(of: tms, minZoom: layer.minZoom, maxZoom: layer.maxZoom, latitude: v.extentWGS84.center.y)
        var limits: [TileSet.Limits] = []
        let box = try? transformers.withTransformer(from: .wgs84, to: tms.crs) { try $0.transformBounds(v.extentWGS84) }
        if let zooms, let box {
            for z in zooms {
                guard let r = tms.tileRange(covering: box, z: z) else { continue }
                limits.append(.init(tileMatrix: String(z), minTileRow: r.rows.lowerBound, maxTileRow: r.rows.upperBound,
                                    minTileCol: r.cols.lowerBound, maxTileCol: r.cols.upperBound))
            }
        }
        let dimension: Int? = switch v.geometryType.family {
        case .point: 0
        case .line: 1
        case .polygon: 2
        case nil: nil
        }
        return TileSet(
            title: "\(layer.title) (\(tms.id))", crs: tms.crs.uri, tileMatrixSetURI: tms.uri,
            tileMatrixSetLimits: limits,
            layers: [.init(id: layer.id, geometryDimension: dimension,
                           minTileMatrix: String(zooms?.lowerBound ?? tms.zoomRange.lowerBound),
                           maxTileMatrix: String(zooms?.upperBound ?? tms.zoomRange.upperBound),
                           completeFromTileMatrix: tiles.completeFromZoom(layer, tms).map(String.init),
                           propertiesSchema: .init(properties: Dictionary(v.fields.filter { $0.type != .blob && $0.name.lowercased() != TileService.pointCountField }.map {
                               ($0.name, ["type": Self.jsonType($0.type)])
                           } + (tiles.mayCluster(layer, tms) ? [(TileService.pointCountField, ["type": "integer"])] : []),
                           uniquingKeysWith: { _, b in b })))],
            links: [
                Link(href: "\(base)/collections/\(layer.id)/tiles/\(tms.id)", rel: "self", type: "application/json", title: "Tileset"),
                Link(href: "\(base)/tileMatrixSets/\(tms.id)", rel: "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme", type: "application/json", title: tms.title),
                Link(href: "\(base)/collections/\(layer.id)/tiles/\(tms.id)/{tileMatrix}/{tileRow}/{tileCol}", rel: "item", type: Self.mvtType, title: "Tiles", templated: true),
            ])
    }

    static func jsonType(_ t: FieldType) -> String {
        switch t {
        case .bool: "boolean"
        case .integer: "integer"
        case .real: "number"
        default: "string"
        }
    }

    // MARK: TileJSON

    struct TileJSON: Encodable {
        struct VectorLayer: Encodable {
            var id: String
            var description: String
            var minzoom: Int
            var maxzoom: Int
            /// The first zoom whose tiles hold every feature (points below it may be clustered).
            var complete_from_zoom: Int?
            var fields: [String: String]
        }
        struct Matrix: Encodable {
            var id: String
            var tile_size: [Int]
            var scale_denominator: Double
            var origin: [Double]
        }
        var tilejson = "3.0.0"
        var name: String
        var description: String
        var version: String
        var scheme = "xyz"
        var tiles: [String]
        var minzoom: Int
        var maxzoom: Int
        var bounds: [Double]
        var center: [Double]
        var vector_layers: [VectorLayer]
        /// Custom-projection extension (as PDOK uses for NetherlandsRDNewQuad); absent for WebMercatorQuad.
        var crs: String?
        var tile_matrix: [Matrix]?
    }

    /// `tileQuery` (e.g. a signed-URL parameter) is appended to the tile URL template.
    func tileJSON(_ layer: Layer, _ tms: TileMatrixSet, tileQuery: String? = nil) -> TileJSON {
        let v = layer.current
        let e = v.extentWGS84
        let zooms = ZoomEquivalence.zoomRange(of: tms, minZoom: layer.minZoom, maxZoom: layer.maxZoom, latitude: e.center.y)
            ?? tms.zoomRange
        let fields = Dictionary(v.fields.filter { $0.type != .blob && $0.name.lowercased() != TileService.pointCountField }.map { ($0.name, Self.tileJSONType($0.type)) }
                                + (tiles.mayCluster(layer, tms) ? [(TileService.pointCountField, "Number")] : []),
                                uniquingKeysWith: { _, b in b })
        let isWebMercator = tms.id == TileMatrixSet.webMercatorQuad.id
        let centerZoom = min(zooms.lowerBound + 2, zooms.upperBound)
        return TileJSON(
            name: layer.title,
            description: "\(layer.title), owner \(layer.owner), version \(v.number)" + (limited.contains(layer.id) ? "" : " (\(v.featureCount) features)"),
            version: "\(v.number).0.0",
            tiles: ["\(base)/collections/\(layer.id)/tiles/\(tms.id)/{z}/{y}/{x}" + (tileQuery.map { "?" + $0 } ?? "")],
            minzoom: zooms.lowerBound, maxzoom: zooms.upperBound,
            bounds: [e.minX, e.minY, e.maxX, e.maxY],
            center: [e.center.x, e.center.y, Double(centerZoom)],
            vector_layers: [.init(id: layer.id, description: layer.title, minzoom: zooms.lowerBound, maxzoom: zooms.upperBound,
                                  complete_from_zoom: tiles.completeFromZoom(layer, tms), fields: fields)],
            crs: isWebMercator ? nil : tms.crs.description,
            tile_matrix: isWebMercator ? nil : tms.zoomRange.compactMap { z in
                tms.matrix(z).map { .init(id: String(z), tile_size: [$0.tileWidth, $0.tileHeight], scale_denominator: $0.scaleDenominator,
                                          origin: [$0.pointOfOrigin.x, $0.pointOfOrigin.y]) }
            })
    }

    static func tileJSONType(_ t: FieldType) -> String {
        switch t {
        case .bool: "Boolean"
        case .integer, .real: "Number"
        default: "String"
        }
    }

    // MARK: Tile matrix sets

    func tileMatrixSets() -> [String: AnyEncodable] {
        [
            "tileMatrixSets": AnyEncodable(TileMatrixSet.supported.map { tms in
                [
                    "id": AnyEncodable(tms.id),
                    "title": AnyEncodable(tms.title),
                    "uri": AnyEncodable(tms.uri),
                    "crs": AnyEncodable(tms.crs.uri),
                    "links": AnyEncodable([Link(href: "\(base)/tileMatrixSets/\(tms.id)", rel: "self", type: "application/json", title: tms.title)]),
                ]
            }),
        ]
    }
}

/// Type erasure for heterogeneous JSON objects.
struct AnyEncodable: Encodable, Sendable {
    private let encodeBody: @Sendable (any Encoder) throws -> Void

    init<T: Encodable & Sendable>(_ value: T) {
        encodeBody = { try value.encode(to: $0) }
    }

    func encode(to encoder: any Encoder) throws { try encodeBody(encoder) }
}
