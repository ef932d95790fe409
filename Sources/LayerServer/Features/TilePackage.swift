import Foundation
import GRDB
import GeoCore
import HTTPTypes
import Hummingbird
import TileRender

/// Offline vector-tile packages for field units: `GET /collections/{id}/tiles/WebMercatorQuad/mbtiles`
/// writes the caller's own tiles of an area (`bbox`, CRS84) and zoom range (`minzoom`,
/// `maxzoom`) into an MBTiles 1.3 file (`format=pbf`, gzipped MVT, TMS row order) and streams it.
///
/// The tiles are the ones the tile route serves this caller (the same restriction and cache
/// partition), so the package holds exactly what the caller may see; tiles with nothing visible
/// are left out. The metadata table names the layer version, the policy hash of the decision
/// and the time. The package is audited as a read of every feature the caller may see in its
/// area (the stored ids, as for a feature export). MBTiles knows only the spherical-Mercator
/// quadtree, so other tile matrix sets get a 400.
extension FeatureRoutes {
    /// Most tiles in one package: an area and zoom range beyond this gets a 400 with its count.
    static let maximumPackageTiles = 20_000
    /// Most gzipped tile bytes in one package.
    static let maximumPackageBytes = 1 << 30

    func mbtiles(_ request: Request, _ context: ServerContext) async throws -> Response {
        let (layer, grant) = try granted(request, context)
        let tms = try routes.tileMatrixSet(context)
        guard tms.id == TileMatrixSet.webMercatorQuad.id else {
            throw Problem.badRequest("MBTiles packages hold WebMercatorQuad tiles only; use /collections/\(layer.id)/tiles/WebMercatorQuad/mbtiles")
        }
        let version = layer.current
        var bbox = version.extentWGS84
        var zooms = layer.minZoom...layer.maxZoom
        var minZoom: Int?, maxZoom: Int?
        for (key, value) in try Self.query(request) {
            switch key {
            case "bbox":
                let n = value.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
                guard n.count == 4, let a = n[0], let b = n[1], let c = n[2], let d = n[3], [a, b, c, d].allSatisfy(\.isFinite),
                      a < c, b < d, a >= -180, c <= 180, b >= -85.06, d <= 85.06 else {
                    throw Problem.badRequest("bbox must be minlon,minlat,maxlon,maxlat in CRS84 (longitude -180..180, latitude -85.06..85.06, min below max)")
                }
                bbox = Envelope(minX: a, minY: b, maxX: c, maxY: d)
            case "minzoom", "maxzoom":
                guard let z = Int(value), (0...tms.zoomRange.upperBound).contains(z) else {
                    throw Problem.badRequest("\(key) must be a zoom level from 0 to \(tms.zoomRange.upperBound)")
                }
                if key == "minzoom" { minZoom = z } else { maxZoom = z }
            default:
                throw Problem.badRequest("unknown parameter \"\(key.prefix(100))\" for a tile package; use bbox, minzoom and maxzoom")
            }
        }
        let (low, high) = (minZoom ?? zooms.lowerBound, maxZoom ?? zooms.upperBound)
        guard low <= high, zooms.contains(low), zooms.contains(high) else {
            throw Problem.badRequest("minzoom and maxzoom must lie in the layer's zoom range \(zooms.lowerBound)-\(zooms.upperBound), minzoom not above maxzoom (got \(low)-\(high))")
        }
        zooms = low...high
        guard let mercator = try? service.tiles.transformers.withTransformer(from: .wgs84, to: tms.crs, { try $0.transformBounds(bbox) }) else {
            throw Problem.badRequest("bbox cannot be brought into Web Mercator")
        }
        var tiles: [TileID] = []
        for z in zooms {
            guard let range = tms.tileRange(covering: mercator, z: z) else { continue }
            let count = range.rows.count * range.cols.count
            guard tiles.count + count <= Self.maximumPackageTiles else {
                throw Problem.badRequest("the package would hold more than \(Self.maximumPackageTiles) tiles (zoom \(zooms.lowerBound)-\(zooms.upperBound) over this bbox); give a smaller bbox or maxzoom")
            }
            for row in range.rows { for col in range.cols { tiles.append(TileID(z: z, row: row, col: col)) } }
        }

        // What the tiles can hold: the lowest zoom's tiles (the largest) with their buffer, in
        // the layer's CRS. The audit names every feature the caller may see there.
        // Buffers beyond the grid's edge are cut to it: past ±180° a box would come back from
        // WGS 84 wrapped across the antimeridian.
        let buffer = service.tiles.mvt.bufferFraction
        let world = tms.bounds(of: TileID(z: 0, row: 0, col: 0))
        let covered = tiles.filter { $0.z == zooms.lowerBound }.compactMap { tms.bounds(of: $0) }.reduce(Envelope?.none) { u, e in
            let w = e.buffered(by: e.width * buffer)
            guard let u else { return w }
            return Envelope(minX: min(u.minX, w.minX), minY: min(u.minY, w.minY), maxX: max(u.maxX, w.maxX), maxY: max(u.maxY, w.maxY))
        }.map { c in world.map { c.intersection($0) } ?? c }
        // Cut to the version's extent first (in WGS 84): a low zoom's tiles reach far beyond the
        // domain of a national CRS such as RD.
        let transformers = service.tiles.transformers
        let auditBox: Envelope?
        do {
            let extent = version.extentWGS84.buffered(by: 0.01)
            auditBox = try covered.map { c in try transformers.withTransformer(from: tms.crs, to: .wgs84) { try $0.transformBounds(c) } }
                .map { $0.minX <= $0.maxX ? $0 : Envelope(minX: -180, minY: $0.minY, maxX: 180, maxY: $0.maxY) }
                .flatMap { $0.intersects(extent) ? $0.intersection(extent) : nil }
                .map { c in try transformers.withTransformer(from: .wgs84, to: version.crs) { try $0.transformBounds(c) } }
        } catch {
            throw Problem.badRequest("the package's area cannot be brought into the layer's coordinate reference system; give a smaller bbox")
        }

        let slot = try ExportSlot.take(.packages)
        let path = try exportPath("mbtiles")
        let now = service.clock()
        let body: ResponseBody
        do {
            try await write(path, layer: layer, grant: grant, tms: tms, tiles: tiles, bbox: bbox, zooms: zooms, at: now)
            // Opened and unlinked at once: no later failure leaves the file behind.
            body = try Self.streamed(path, slot: slot)
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
        let restriction = Restriction(grant, layer: layer, secret: service.access.keyBytes)
        let scope = service.tiles.scope
        let fids = try await service.store.read { db -> [Int64] in
            guard let auditBox, let query = try FeatureQuery.make(version: version, restriction: restriction, scope: scope, bbox: auditBox, filter: nil) else { return [] }
            var fids: [Int64] = []
            try query.all(db) { fids.append($0.fid) }
            return fids
        }
        service.access.audit(read: grant, item: Self.auditItem("mbtiles z\(zooms.lowerBound)-\(zooms.upperBound)", version: version.number, fids: fids), at: now)
        return Response(status: .ok, headers: [
            .contentType: "application/vnd.sqlite3",
            .contentDisposition: "attachment; filename=\"\(layer.id)-v\(version.number)-z\(zooms.lowerBound)-\(zooms.upperBound).mbtiles\"",
            .cacheControl: "private, no-store",
            HTTPField.Name("Policy-Hash")!: grant.decision.policyHash,
        ], body: body)
    }

    /// Writes the MBTiles file: its metadata, then the non-empty tiles in batches.
    private func write(_ path: String, layer: Layer, grant: LayerGrant, tms: TileMatrixSet, tiles: [TileID], bbox: Envelope,
                       zooms: ClosedRange<Int>, at now: Date) async throws {
        let version = layer.current
        let fields = Restriction(grant, layer: layer, secret: []).visibleFields(version.fields)
        let vectorLayer: JSONValue = .object([
            "id": .string(layer.id), "minzoom": .number(Double(zooms.lowerBound)), "maxzoom": .number(Double(zooms.upperBound)),
            "fields": .object(Dictionary(fields.map { f in
                (f.name, JSONValue.string(f.type == .integer || f.type == .real ? "Number" : f.type == .bool ? "Boolean" : "String"))
            }, uniquingKeysWith: { a, _ in a })),
        ])
        func number(_ v: Double) -> String { String(format: "%.6f", v) }
        let metadata: [(String, String)] = [
            ("name", layer.title), ("format", "pbf"), ("type", "overlay"), ("version", String(version.number)),
            ("description", "\(layer.title): the tiles of version \(version.number) that the exporting caller may see"),
            ("bounds", [bbox.minX, bbox.minY, bbox.maxX, bbox.maxY].map(number).joined(separator: ",")),
            ("center", "\(number((bbox.minX + bbox.maxX) / 2)),\(number((bbox.minY + bbox.maxY) / 2)),\(zooms.lowerBound)"),
            ("minzoom", String(zooms.lowerBound)), ("maxzoom", String(zooms.upperBound)),
            ("json", String(decoding: try Routes.encoder.encode(JSONValue.object(["vector_layers": .array([vectorLayer])])), as: UTF8.self)),
            ("layerserver_layer", layer.id), ("layerserver_version", String(version.number)),
            ("layerserver_policy_hash", grant.decision.policyHash), ("layerserver_exported_at", Self.timestamp(now)),
        ]
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: """
                CREATE TABLE metadata (name TEXT NOT NULL, value TEXT);
                CREATE TABLE tiles (zoom_level INTEGER NOT NULL, tile_column INTEGER NOT NULL, tile_row INTEGER NOT NULL, tile_data BLOB NOT NULL);
                CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);
                """)
            for (name, value) in metadata {
                try db.execute(sql: "INSERT INTO metadata (name, value) VALUES (?, ?)", arguments: [name, value])
            }
        }
        var batch: [(TileID, [UInt8])] = []
        func flush() async throws {
            let rows = batch
            batch.removeAll(keepingCapacity: true)
            try await queue.write { db in
                for (t, bytes) in rows {
                    // MBTiles rows count from the south (TMS); the tile matrix set's from the north.
                    try db.execute(sql: "INSERT INTO tiles (zoom_level, tile_column, tile_row, tile_data) VALUES (?, ?, ?, ?)",
                                   arguments: [t.z, t.col, (1 << t.z) - 1 - t.row, Data(bytes)])
                }
            }
        }
        var total = 0
        for t in tiles {
            // Tiles of the version the package names, never of one published meanwhile.
            let result = try await service.tile(layer: layer, grant: grant, tms: tms, tile: t, gzip: true, followPublish: false)
            guard result.body.readableBytes > 0 else { continue }
            let bytes = result.isGzipped ? Array(result.body.readableBytesView) : Array(try Compression.gzip(result.body).readableBytesView)
            total += bytes.count
            guard total <= Self.maximumPackageBytes else {
                throw Problem.badRequest("the package would be larger than \(Self.maximumPackageBytes >> 20) MiB; give a smaller bbox or maxzoom")
            }
            batch.append((t, bytes))
            if batch.count >= 500 { try await flush() }
        }
        try await flush()
        try queue.close()
    }
}
