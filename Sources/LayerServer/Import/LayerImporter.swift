import AccessPolicy
import Foundation
import GRDB
import GeoCore
import Logging

/// Imports a file as a new version of a layer: read with GDAL (allowlisted drivers), check and
/// repair every feature, write the version beside the current one in one transaction, then
/// publish it by moving the layer's current pointer in a second, short transaction.
///
/// A failure before publishing leaves the previous version current; a crash mid-write leaves
/// nothing (SQLite rolls the transaction back); a crash between writing and publishing leaves a
/// pending version that ``LayerStore`` removes at its next open.
///
/// - Important: `run` reads the file with GDAL on the calling thread and blocks it. Call it
///   from a dedicated thread or NIOThreadPool, never from the cooperative pool.
public final class LayerImporter: Sendable {
    let store: LayerStore
    let transformers: TransformerPool
    let datasetOptions: DatasetOptions
    let logger: Logger

    /// Page cache of the writer connection during an import, in KiB.
    static let importCacheKiB = 512 * 1024

    /// Test hook: stop after the write phase, as if the process died before publishing.
    let stopBeforePublish: Bool

    /// Creates an importer.
    public convenience init(store: LayerStore, transformers: TransformerPool, datasetOptions: DatasetOptions = .standard,
                            logger: Logger = Logger(label: "layerserver.import")) {
        self.init(store: store, transformers: transformers, datasetOptions: datasetOptions, logger: logger, stopBeforePublish: false)
    }

    init(store: LayerStore, transformers: TransformerPool, datasetOptions: DatasetOptions, logger: Logger, stopBeforePublish: Bool) {
        self.store = store
        self.transformers = transformers
        self.datasetOptions = datasetOptions
        self.logger = logger
        self.stopBeforePublish = stopBeforePublish
    }

    /// Imports and publishes. `progress` is called every few thousand features.
    public func run(_ request: ImportRequest, progress: ((ImportProgress) -> Void)? = nil) throws -> ImportReport {
        let started = Date()
        try Layer.validate(id: request.layerID)
        let existing = try store.layer(request.layerID)
        if existing == nil, (request.owner ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
            throw StoreError(.invalidRequest, "layer \(request.layerID) is new: give its owner organisation (--owner)")
        }
        let minZoom = request.minZoom ?? existing?.minZoom ?? 0
        let maxZoom = request.maxZoom ?? existing?.maxZoom ?? 24
        guard (0...24).contains(minZoom), (0...24).contains(maxZoom), minZoom <= maxZoom else {
            throw StoreError(.invalidRequest, "zoom range \(minZoom)-\(maxZoom) is not valid: use 0 <= min <= max <= 24")
        }

        // Held until the version is published, so that no other process's recovery removes it.
        let lock = try ImportLock.acquire(in: store.configuration.dataDirectory, wait: true)
        defer { withExtendedLifetime(lock) {} }
        var written = try writeVersion(request, progress: progress)
        written.report.seconds = Date().timeIntervalSince(started)
        if stopBeforePublish { return written.report }

        do {
            written.report.droppedVersions = try publish(request, version: written.report.version,
                                                         existing: existing, minZoom: minZoom, maxZoom: maxZoom)
        } catch {
            try? discardPending(request.layerID, version: written.report.version)
            throw error
        }
        written.report.seconds = Date().timeIntervalSince(started)
        logger.info("published", metadata: [
            "layer": "\(request.layerID)", "version": "\(written.report.version)",
            "features": "\(written.report.featuresWritten)", "rejected": "\(written.report.featuresRejected)",
        ])
        return written.report
    }

    // MARK: Write phase

    struct Written {
        var report: ImportReport
    }

    private func writeVersion(_ request: ImportRequest, progress: ((ImportProgress) -> Void)?) throws -> Written {
        let path = request.file.path
        do {
            return try store.pool.write { db in
                try VectorDataset.withDataset(at: path, options: datasetOptions) { ds in
                    try self.write(ds, request: request, db: db, progress: progress)
                }
            }
        } catch let e as StoreError {
            throw e
        } catch let e as GeoError {
            switch e.code {
            case .datasetOpen, .datasetNotAllowed:
                throw StoreError(.invalidInput, e.message, context: e.context ?? path)
            case .datasetRead:
                throw StoreError(.sourceRead, e.message, context: e.context ?? path)
            default:
                throw StoreError(.invalidInput, e.message, context: path)
            }
        } catch {
            throw StoreError(.database, "writing the new version failed: \(error)", context: path)
        }
    }

    private func chooseLayer(_ ds: VectorDataset, _ request: ImportRequest) throws -> Int {
        let names = ds.layers.map(\.name)
        let fileName = request.file.lastPathComponent
        if let wanted = request.sourceLayer {
            guard let i = names.firstIndex(of: wanted) else {
                throw StoreError(.invalidInput, "has no layer \"\(wanted)\"; its layers are: \(names.joined(separator: ", "))", context: fileName)
            }
            return i
        }
        switch names.count {
        case 0: throw StoreError(.invalidInput, "holds no vector layers", context: fileName)
        case 1: return 0
        default:
            throw StoreError(.invalidInput, "holds \(names.count) layers (\(names.joined(separator: ", "))); choose one with --source-layer", context: fileName)
        }
    }

    private func write(_ ds: VectorDataset, request: ImportRequest, db: Database,
                       progress: ((ImportProgress) -> Void)?) throws -> Written {
        let fileName = request.file.lastPathComponent
        let layerIndex = try chooseLayer(ds, request)
        let info = ds.layers[layerIndex]
        guard ds.hasGeometry(layer: layerIndex) else {
            throw StoreError(.invalidInput, "layer \"\(info.name)\" has no geometry column; only spatial layers can be imported", context: fileName)
        }
        guard let crs = request.sourceCRS ?? info.crs else {
            let declared = info.crsName.map { "declares the CRS \"\($0)\", which has no EPSG code" } ?? "declares no CRS"
            throw StoreError(.invalidInput, "\(declared); give it with --source-crs EPSG:n", context: fileName)
        }
        let definition: CRSDefinition
        do {
            definition = try crs.definition()
            try transformers.validate(from: crs, to: .wgs84)
        } catch {
            throw StoreError(.invalidInput, "the CRS \(crs) cannot be used: \(error)", context: fileName)
        }
        let area: Envelope? = definition.areaOfUse.flatMap { aou in
            try? transformers.withTransformer(from: .wgs84, to: crs) { t in
                let e = try t.transformBounds(aou)
                var grown = e.buffered(by: max(e.width, e.height) * 0.1)
                if definition.isGeographic {
                    // Longitude and latitude have hard limits; growing past them would let
                    // impossible coordinates in.
                    grown = Envelope(minX: max(grown.minX, -180), minY: max(grown.minY, -90),
                                     maxX: min(grown.maxX, 180), maxY: min(grown.maxY, 90))
                }
                return grown
            }
        }
        let storageType = FeaturePreparation.storageType(for: info.geometryType)
        let preparation = FeaturePreparation(storageType: storageType, area: area, crs: crs)
        let columns = Self.columns(for: info.fields)

        // A big page cache keeps the R-trees in memory until commit instead of spilling them
        // to the WAL again and again (the writer connection only; readers keep the default).
        try db.execute(sql: "PRAGMA cache_size = -\(Self.importCacheKiB)")

        // Claim the next version number and create the tables.
        let version = (try Int.fetchOne(db, sql: "SELECT MAX(version) FROM ls_layer_version WHERE layer_id = ?",
                                        arguments: [request.layerID]) ?? 0) + 1
        let names = VersionTables(layerID: request.layerID, version: version)
        try GeoPackageSchema.ensureSpatialReferenceSystem(crs, in: db)
        try GeoPackageSchema.createFeatureTable(names, geometryType: storageType, columns: columns, in: db)
        var thinner: PointThinner?
        if storageType.family == .point {
            try GeoPackageSchema.createThinningIndex(names, in: db)
            // The grid covers the CRS's area of use, so it does not depend on the data.
            let fallback = definition.isGeographic
                ? Envelope(minX: -180, minY: -90, maxX: 180, maxY: 90)
                : Envelope(minX: -2e7, minY: -2e7, maxX: 2e7, maxY: 2e7)
            thinner = PointThinner(grid: PointThinner.grid(covering: area ?? fallback))
        }

        let columnList = (["fid", "geom"] + columns.map(\.name)).map(GeoPackageSchema.quote).joined(separator: ", ")
        let placeholders = Array(repeating: "?", count: columns.count + 2).joined(separator: ", ")
        let insertFeature = try SQLiteInsert(db, sql: "INSERT INTO \(GeoPackageSchema.quote(names.table)) (\(columnList)) VALUES (\(placeholders))")
        // Both R-trees are packed in one go after the features are in (RTreeBulkLoader).
        var rtreeEntries = RTreeBulkLoader.Entries(dimensions: 2)
        var thinEntries = RTreeBulkLoader.Entries(dimensions: 3)
        if let n = info.featureCount {
            rtreeEntries.reserve(n)
            if thinner != nil { thinEntries.reserve(n) }
        }

        var read = 0, repaired = 0
        var storedTypes = Set<GeometryType>()
        var rejections: [String: ImportReport.Rejection] = [:]
        var rejectionOrder: [String] = []
        var extent: Envelope?
        let total = info.featureCount
        let srsID = Int32(crs.epsg)

        // Accepted features wait in an arena and are written in Hilbert order, so that
        // features near each other share pages: a tile reads a few pages instead of one per
        // feature. Their fids are their rank in that order.
        var arena = FeatureArena()
        var keys: [UInt64] = []
        var envelopes: [Envelope] = []
        var levels: [Int32] = []
        if let total {
            arena.reserve(features: total, bytesPerFeature: 64 + 24 * columns.count)
            keys.reserveCapacity(total)
            envelopes.reserveCapacity(total)
        }
        let hilbert = HilbertKey(frame: thinner?.grid.frame ?? area ?? Envelope(minX: -2e7, minY: -2e7, maxX: 2e7, maxY: 2e7))

        func reject(_ sourceID: Int64, _ reason: String) {
            if rejections[reason] == nil { rejectionOrder.append(reason) }
            rejections[reason, default: .init(reason: reason, count: 0, examples: [])].count += 1
            if rejections[reason]!.examples.count < 5 { rejections[reason]!.examples.append(sourceID) }
        }

        try ds.readFeatures(layer: layerIndex) { result in
            read += 1
            if read % 5000 == 0 { progress?(ImportProgress(read: read, total: total)) }
            switch result {
            case .rejected(let sourceID, let reason):
                reject(sourceID, reason)
            case .feature(let feature):
                switch preparation.prepare(feature.geometry) {
                case .reject(let reason):
                    reject(feature.id, reason)
                case .accept(let g, let wasRepaired):
                    if wasRepaired { repaired += 1 }
                    storedTypes.insert(g.type)
                    let env = g.envelope!
                    let anchor = env.center
                    arena.append(blob: GeoPackageBinary.encode(g, srsID: srsID), attributes: Array(feature.attributes.prefix(columns.count)))
                    keys.append(hilbert.key(anchor))
                    envelopes.append(env)
                    // Thinning priority is read order, whatever the storage order.
                    if thinner != nil { levels.append(Int32(thinner!.level(of: anchor))) }
                    if extent == nil { extent = env } else { extent!.expand(env) }
                }
            }
        }
        progress?(ImportProgress(read: read, total: total ?? read))

        // Write in Hilbert order; fid = rank.
        let order = keys.indices.sorted { keys[$0] < keys[$1] }
        var checksum = FeatureChecksum()
        var fid: Int64 = 0
        for i in order {
            fid += 1
            try arena.withRecord(i) { record in
                insertFeature.bind(1, fid)
                FeatureArena.bind(record, to: insertFeature, columns: columns.count)
                try insertFeature.step()
                checksum.add(fid: fid, record: record)
            }
            let env = envelopes[i]
            rtreeEntries.append(id: fid, box: [env.minX, env.maxX, env.minY, env.maxY])
            if thinner != nil {
                let anchor = env.center
                let level = Double(levels[i])
                thinEntries.append(id: fid, box: [anchor.x, anchor.x, anchor.y, anchor.y, level, level],
                                   key: PointThinner.leafGroup(Int(levels[i])))
            }
        }

        let rejectionList = rejectionOrder.map { rejections[$0]! }
        let rejectedCount = rejectionList.reduce(0) { $0 + $1.count }
        guard fid > 0, let extent else {
            let why = read == 0
                ? "contains no features; an empty version would hide the current one"
                : "none of its \(read) features can be imported; first reason: \(rejectionList.first?.reason ?? "unknown")"
            throw StoreError(.invalidInput, why, context: fileName)
        }
        try RTreeBulkLoader(table: names.rtree, dimensions: 2).load(rtreeEntries, into: db)
        if thinner != nil {
            try RTreeBulkLoader(table: names.thin, dimensions: 3).load(thinEntries, into: db)
        }
        let extentWGS84 = try transformers.withTransformer(from: crs, to: .wgs84) { try $0.transformBounds(extent) }
        // A generic source layer whose features all turned out one type is declared as that type.
        let declaredType = storageType == .geometry && storedTypes.count == 1 ? storedTypes.first! : storageType
        let title = request.title ?? request.layerID
        try GeoPackageSchema.finishFeatureTable(
            names, identifier: "\(request.layerID) v\(version)",
            description: "\(title), version \(version), imported from \(fileName)",
            geometryType: declaredType, crs: crs, extent: extent, in: db)
        let digest = checksum.finish()
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let fieldsJSON = String(decoding: try encoder.encode(columns), as: UTF8.self)
        let thinningJSON = try thinner.map { String(decoding: try encoder.encode($0.grid), as: UTF8.self) }
        try db.execute(sql: """
            INSERT INTO ls_layer_version (layer_id, version, state, table_name, created_at, checksum, feature_count,
              rejected_count, source_file, source_driver, srs_id, geometry_type, min_x, min_y, max_x, max_y,
              lon_min, lat_min, lon_max, lat_max, fields, thinning)
            VALUES (?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [
                request.layerID, version, names.table, LayerStore.timestamp(Date()), digest, fid, rejectedCount,
                fileName, ds.driverName, crs.epsg, declaredType.rawValue, extent.minX, extent.minY, extent.maxX, extent.maxY,
                extentWGS84.minX, extentWGS84.minY, extentWGS84.maxX, extentWGS84.maxY, fieldsJSON, thinningJSON,
            ])
        let report = ImportReport(
            layerID: request.layerID, version: version, file: fileName, driver: ds.driverName, sourceLayer: info.name,
            crs: crs, geometryType: declaredType, featuresRead: read, featuresWritten: Int(fid),
            featuresRejected: rejectedCount, featuresRepaired: repaired, rejections: rejectionList,
            checksum: digest, seconds: 0, droppedVersions: [])
        return Written(report: report)
    }

    /// Column names as stored: `fid` and `geom` are taken, names are unique case-insensitively.
    static func columns(for fields: [Field]) -> [Field] {
        var used: Set<String> = ["fid", "geom"]
        return fields.enumerated().map { i, f in
            var base = f.name.trimmingCharacters(in: .whitespacesAndNewlines)
            if base.isEmpty { base = "field_\(i + 1)" }
            var name = base
            var n = 1
            while used.contains(name.lowercased()) {
                n += 1
                name = "\(base)_\(n)"
            }
            used.insert(name.lowercased())
            return Field(name: name, type: f.type)
        }
    }

    // MARK: Publish

    private func publish(_ request: ImportRequest, version: Int, existing: Layer?, minZoom: Int, maxZoom: Int) throws -> [Int] {
        try store.withDatabaseError("publishing \(request.layerID) v\(version)") {
            try store.pool.write { db in
                let now = LayerStore.timestamp(Date())
                try db.execute(sql: "UPDATE ls_layer_version SET state = 'published' WHERE layer_id = ? AND version = ? AND state = 'pending'",
                               arguments: [request.layerID, version])
                guard db.changesCount == 1 else {
                    throw StoreError(.database, "version \(version) of \(request.layerID) is no longer pending; it was not published")
                }
                try db.execute(sql: """
                    INSERT INTO ls_layer (id, title, owner, sensitivity, min_zoom, max_zoom, current_version, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET title = excluded.title, owner = excluded.owner,
                      sensitivity = excluded.sensitivity, min_zoom = excluded.min_zoom, max_zoom = excluded.max_zoom,
                      current_version = excluded.current_version, updated_at = excluded.updated_at
                    """, arguments: [
                        request.layerID,
                        request.title ?? existing?.title ?? request.layerID,
                        request.owner ?? existing?.owner ?? "",
                        (request.sensitivity ?? existing?.sensitivity ?? .confidential).rawValue,
                        minZoom, maxZoom, version, now, now,
                    ])
                let dropped = try LayerStore.prune(layerID: request.layerID, keep: store.configuration.keepVersions, in: db)
                try LayerStore.bumpGeneration(db)
                // A new layer of a known organisation gets the default conditions for its
                // sensitivity. Without an owner organisation in the policy it gets none, and
                // nobody reads it until an administrator sets them (deny by default).
                let policy = try AccessStore.loadPolicy(db)
                if policy.layers[request.layerID] == nil, let owner = request.owner ?? existing?.owner,
                   policy.organisations[owner] != nil {
                    let conditions = LayerConditions(layer: request.layerID, owner: owner,
                                                     sensitivity: request.sensitivity ?? existing?.sensitivity ?? .confidential)
                    try AccessStore.change(db, by: request.actor, resource: "layer:\(request.layerID)",
                                           summary: "default conditions of new layer \(request.layerID): \(AccessStore.apiJSON(conditions))",
                                           at: Date()) { $0.layers[request.layerID] = conditions }
                }
                return dropped
            }
        }
    }

    private func discardPending(_ layerID: String, version: Int) throws {
        try store.pool.write { db in
            try GeoPackageSchema.dropVersionTables(VersionTables(layerID: layerID, version: version), in: db)
            try db.execute(sql: "DELETE FROM ls_layer_version WHERE layer_id = ? AND version = ? AND state = 'pending'",
                           arguments: [layerID, version])
        }
    }
}

extension LayerImporter {
    /// Runs ``run(_:progress:)`` on the blocking thread pool.
    public func runDetached(_ request: ImportRequest) async throws -> ImportReport {
        try await BlockingWork.run { try self.run(request) }
    }
}
