import AccessPolicy
import Foundation
import GeoCore
import HTTPTypes
import Hummingbird
import Synchronization

/// Offline exports of the items route for field units (`f=gpkg`, `f=fgb`, `f=csv`): every
/// feature the request selects that the caller may see, restricted exactly as a page of items,
/// written with GDAL to a temporary file and streamed. The file's metadata names the layer
/// version, the policy hash the decision was made under and the time; the export is audited
/// as a read of every feature in it.
extension FeatureRoutes {
    /// Exports running at once, per kind (feature files; tile packages), so that long tile
    /// packages cannot keep feature exports waiting; beyond them a request gets 503 with Retry-After.
    enum ExportKind: Int, Sendable { case features = 0, packages = 1 }
    static let exportSlots = Mutex([0, 0])
    static let maximumConcurrentExports = 2

    func export(_ request: Request, layer: Layer, grant: LayerGrant, parsed: FeatureRequest) async throws -> Response {
        let (driver, ext, type): (String, String, String) = switch parsed.format {
        case .gpkg: ("GPKG", "gpkg", "application/geopackage+sqlite3")
        case .fgb: ("FlatGeobuf", "fgb", "application/flatgeobuf")
        case .csv: ("CSV", "csv", "text/csv; charset=utf-8")
        case .json: ("GeoJSON", "json", Self.geoJSONType)
        }
        let version = layer.current
        let part = try exportPart(layer, grant, parsed)
        let body = try await writeExport([part], driver: driver, ext: ext, crs: parsed.crs)
        return Response(status: .ok, headers: [
            .contentType: type,
            .contentDisposition: "attachment; filename=\"\(layer.id)-v\(version.number).\(ext)\"",
            .cacheControl: "private, no-store",
            HTTPField.Name("Content-Crs")!: "<\(parsed.crs.uri)>",
            HTTPField.Name("Policy-Hash")!: grant.decision.policyHash,
        ], body: body)
    }

    /// One layer of an export: what the caller may see of it, and the request's box and filter
    /// in the layer's CRS.
    struct ExportPart: Sendable {
        var layer: Layer
        var grant: LayerGrant
        var restriction: Restriction
        var fields: [Field]
        var box: Envelope?
        var filter: FeatureFilterSQL?
    }

    func exportPart(_ layer: Layer, _ grant: LayerGrant, _ parsed: FeatureRequest) throws -> ExportPart {
        let version = layer.current
        let restriction = Restriction(grant, layer: layer, secret: service.access.keyBytes)
        let visible = restriction.visibleFields(version.fields)
        let idField = visible.contains { $0.name.lowercased() == "id" } ? "ls_id" : "id"
        return ExportPart(layer: layer, grant: grant, restriction: restriction, fields: [Field(name: idField, type: .integer)] + visible,
                          box: try bbox(parsed, version: version), filter: try compiledFilter(parsed, version: version, fields: visible))
    }

    /// Writes `parts` (one layer each) with GDAL into a new file in `DATA/exports`, audits the
    /// read of every feature written, and gives the file as a streamed body (holding an export
    /// slot until it is sent). The metadata names the layers and versions, the policy hash and the time.
    func writeExport(_ parts: [ExportPart], driver: String, ext: String, crs: FeatureCRS) async throws -> ResponseBody {
        let slot = try ExportSlot.take(.features)
        let path = try exportPath(ext)
        let now = service.clock()
        let metadata = [
            "LAYERSERVER_LAYER": parts.map(\.layer.id).joined(separator: ","),
            "LAYERSERVER_VERSION": parts.map { String($0.layer.currentVersion) }.joined(separator: ","),
            "LAYERSERVER_POLICY_HASH": Set(parts.map(\.grant.decision.policyHash)).sorted().joined(separator: ","),
            "LAYERSERVER_EXPORTED_AT": Self.timestamp(now),
            "LAYERSERVER_CRS": crs.uri,
        ]
        let transformers = service.tiles.transformers
        let scope = service.tiles.scope
        let definitions = parts.map { VectorWriter.LayerDefinition(name: $0.layer.id, crs: crs.crs, geometryType: $0.layer.current.geometryType, fields: $0.fields) }
        let fids: [[Int64]]
        let body: ResponseBody
        do {
            fids = try await service.store.read { db -> [[Int64]] in
                var fids = Array(repeating: [Int64](), count: parts.count)
                var total = 0
                try VectorWriter.create(at: path, driver: driver, layers: definitions, metadata: metadata) { i, writer in
                    let part = parts[i], version = part.layer.current
                    guard let query = try FeatureQuery.make(version: version, restriction: part.restriction, scope: scope, bbox: part.box, filter: part.filter) else { return }
                    try transformers.withTransformer(from: version.crs, to: crs.crs) { t in
                        try query.all(db) { f in
                            guard total < Self.maximumExportFeatures else {
                                throw Problem.badRequest("the export would hold more than \(Self.maximumExportFeatures) features; give a bbox, a filter or fewer layers")
                            }
                            let g = f.geometry.flatMap { try? t.transform($0) }
                            try writer.write(Feature(id: f.id, geometry: g, attributes: [.int(f.id)] + f.attributes))
                            fids[i].append(f.fid)
                            total += 1
                        }
                    }
                }
                return fids
            }
            // Opened and unlinked at once: no later failure leaves the file behind.
            body = try Self.streamed(path, slot: slot)
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
        for (part, ids) in zip(parts, fids) {
            service.access.audit(read: part.grant, item: Self.auditItem("export \(ext)", version: part.layer.currentVersion, fids: ids), at: now)
        }
        return body
    }

    /// Most features in one export (over all its layers): the upload limit's default, so an
    /// export cannot fill the disk with a copy of everything at once.
    static let maximumExportFeatures = 5_000_000

    /// Most layers in one GeoPackage export of a set.
    static let maximumExportLayers = 32

    /// `GET /exports/gpkg?collections=a,b[&bbox=&bbox-crs=&crs=]`: a set of layers in one
    /// GeoPackage, each restricted as its items are. A layer the caller may not read is answered
    /// as a missing one, before anything else about the request is said.
    func layerSetExport(_ request: Request, _ context: ServerContext) async throws -> Response {
        let caller = try routes.principal(request, context)
        let query = try Self.query(request)
        // Every collections parameter counts (collections=a&collections=b is a and b).
        let lists = query.filter { $0.0 == "collections" }.map(\.1)
        guard !lists.isEmpty else {
            throw Problem.badRequest("give collections=<id>,<id>,... (the layers to export)")
        }
        let ids = lists.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) } }
        // Names beyond the limit get the limit's 400 without a decision of their own: a hidden and
        // a missing layer answer alike there too, and no request makes more than 33 decisions.
        var granted: [(Layer, LayerGrant)] = []
        for id in ids.prefix(Self.maximumExportLayers + 1) {
            guard let found = service.grantedLayer(id, caller) else { throw Routes.unknownLayer(id) }
            granted.append(found)
        }
        guard ids.count <= Self.maximumExportLayers, Set(ids).count == ids.count else {
            throw Problem.badRequest("collections names each layer once, at most \(Self.maximumExportLayers)")
        }
        // The rest of the query as an items request of each layer (bbox, bbox-crs, crs).
        var rest: [(String, String)] = []
        for (key, value) in query where key != "collections" {
            guard ["bbox", "bbox-crs", "crs"].contains(key) else {
                throw Problem.badRequest("unknown parameter \"\(key.prefix(100))\" for an export of layers; use collections, bbox, bbox-crs and crs")
            }
            rest.append((key, value))
        }
        var parts: [ExportPart] = []
        var crs = FeatureCRS.crs84
        for (layer, grant) in granted {
            let fields = Restriction(grant, layer: layer, secret: []).visibleFields(layer.current.fields)
            let parsed = try FeatureRequest.parse(rest + [("f", "gpkg")], fields: fields, storage: layer.current.crs, limits: limits)
            crs = parsed.crs
            parts.append(try exportPart(layer, grant, parsed))
        }
        let body = try await writeExport(parts, driver: "GPKG", ext: "gpkg", crs: crs)
        return Response(status: .ok, headers: [
            .contentType: "application/geopackage+sqlite3",
            .contentDisposition: "attachment; filename=\"layers-\(Self.timestamp(service.clock()).prefix(10)).gpkg\"",
            .cacheControl: "private, no-store",
            HTTPField.Name("Content-Crs")!: "<\(crs.uri)>",
            HTTPField.Name("Policy-Hash")!: Set(parts.map(\.grant.decision.policyHash)).sorted().joined(separator: ","),
        ], body: body)
    }

    /// A taken export slot, given back when the last holder lets go of it: the route when it
    /// fails, otherwise the response body once it is sent or discarded. The slot (and with it
    /// the file's disk space) is held until the body is sent or the request fails: a client that
    /// never reads its exports cannot pile up copies.
    final class ExportSlot: Sendable {
        let kind: ExportKind
        private init(_ kind: ExportKind) { self.kind = kind }
        deinit { FeatureRoutes.exportSlots.withLock { [kind] in $0[kind.rawValue] -= 1 } }

        /// A slot of `kind`, or 503 with Retry-After when every such slot is taken.
        static func take(_ kind: ExportKind) throws -> ExportSlot {
            let taken = FeatureRoutes.exportSlots.withLock { n -> Bool in
                guard n[kind.rawValue] < FeatureRoutes.maximumConcurrentExports else { return false }
                n[kind.rawValue] += 1
                return true
            }
            guard taken else {
                var p = Problem(.serviceUnavailable, "Busy", detail: "\(FeatureRoutes.maximumConcurrentExports) exports are being written or sent; try again shortly")
                p.headers[.retryAfter] = "10"
                throw p
            }
            return ExportSlot(kind)
        }
    }

    /// A new file name in `DATA/exports` with the extension `ext`.
    func exportPath(_ ext: String) throws -> String {
        let directory = service.store.configuration.dataDirectory.appendingPathComponent("exports")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent("\(UUID().uuidString).\(ext)").path
    }

    /// The written file at `path` as a response body: opened, unlinked at once (the open handle
    /// keeps the bytes until the stream ends), streamed in 1 MiB chunks off the cooperative pool,
    /// holding `slot` until then.
    static func streamed(_ path: String, slot: ExportSlot) throws -> ResponseBody {
        let handle: FileHandle
        do {
            handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw Problem(.internalServerError, "Export failed", detail: "the export file cannot be read back")
        }
        try? FileManager.default.removeItem(atPath: path)
        let size = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: 0)
        let file = SendableHandle(handle: handle)
        return ResponseBody(contentLength: Int(size)) { writer in
            defer {
                try? file.handle.close()
                withExtendedLifetime(slot) {}
            }
            while true {
                let chunk = try await BlockingWork.run { try file.handle.read(upToCount: 1 << 20) ?? Data() }
                if chunk.isEmpty { break }
                try await writer.write(ByteBuffer(bytes: chunk))
            }
            try await writer.finish(nil)
        }
    }

    /// Removes export files a stopped process left behind: those untouched for an hour. Newer
    /// ones may be another server's on the same data directory, still being written (a file is
    /// unlinked as soon as it is written, so only a crash leaves one).
    static func clearExports(in dataDirectory: URL, olderThan age: TimeInterval = 3600) {
        let directory = dataDirectory.appendingPathComponent("exports")
        let fm = FileManager.default
        for name in (try? fm.contentsOfDirectory(atPath: directory.path)) ?? [] {
            let url = directory.appendingPathComponent(name)
            let modified = (try? fm.attributesOfItem(atPath: url.path)[.modificationDate] as? Date) ?? .distantPast
            if Date().timeIntervalSince(modified) > age { try? fm.removeItem(at: url) }
        }
    }

    /// A file handle handed to the streaming body (used by one task at a time).
    struct SendableHandle: @unchecked Sendable {
        let handle: FileHandle
    }
}
