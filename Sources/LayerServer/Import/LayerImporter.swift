import AccessPolicy
import Foundation
import GRDB
import GeoCore
import Logging

/// Imports a file as a new version of a layer: read with GDAL (allowlisted drivers), check and
/// repair every feature without holding the store (other writers go on meanwhile), write the
/// version beside the current one as `pending` in short transactions, then publish it by moving
/// the layer's current pointer in one transaction.
///
/// A failure before publishing leaves the previous version current and removes what was
/// written; a crash before publishing leaves a pending version that ``LayerStore`` removes at
/// its next open.
///
/// - Important: `run` reads the file with GDAL on the calling thread and blocks it. Call it
///   from a dedicated thread or NIOThreadPool, never from the cooperative pool.
public final class LayerImporter: Sendable {
    let store: LayerStore
    let transformers: TransformerPool
    let datasetOptions: DatasetOptions
    let logger: Logger

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
        var request = request
        let existing = try store.layer(request.layerID)
        if existing == nil, request.owner == nil { request.owner = request.newLayerOwner }
        if existing == nil, (request.owner ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
            throw StoreError(.invalidRequest, "layer \(request.layerID) is new: give its owner organisation (--owner)")
        }
        if existing != nil, request.newLayerMetadataOnly {
            // An upload's title, sensitivity and zooms seed a new layer; they never change one.
            request.title = nil
            request.sensitivity = nil
            request.minZoom = nil
            request.maxZoom = nil
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
        request.onWritten?()
        written.report.seconds = Date().timeIntervalSince(started)
        if stopBeforePublish { return written.report }

        do {
            let meta = VersionMeta(title: request.title ?? existing?.title ?? request.layerID,
                                   owner: request.owner ?? existing?.owner ?? "",
                                   sensitivity: request.sensitivity ?? existing?.sensitivity ?? .confidential,
                                   minZoom: minZoom, maxZoom: maxZoom)
            var change = VersionChange(actor: request.actor, rules: request.grantedBy?.rules, policyHash: request.grantedBy?.policyHash,
                                       job: request.jobID)
            change.uploaderOrganisation = request.jobID == nil ? nil : request.actor.organisation
            change.authority = request.authority.map { a in
                var a = a
                a.withoutApproval = !request.stage
                return a
            }
            if request.stage {
                try store.stage(request.layerID, version: written.report.version, meta: meta, change: change)
                written.report.state = "staged"
            } else {
                written.report.droppedVersions = try store.publish(request.layerID, version: written.report.version, from: "pending",
                                                                   meta: meta, change: change)
                written.report.state = "published"
            }
        } catch {
            try? discardPending(request.layerID, version: written.report.version)
            throw error
        }
        written.report.seconds = Date().timeIntervalSince(started)
        logger.info(request.stage ? "staged" : "published", metadata: [
            "layer": "\(request.layerID)", "version": "\(written.report.version)",
            "features": "\(written.report.featuresWritten)", "rejected": "\(written.report.featuresRejected)",
        ])
        return written.report
    }

    /// Checks what can be checked without reading features: the layer id, the file opens with
    /// an allowed driver, the source layer exists and has geometry, the CRS is known and usable.
    /// - Throws: `StoreError(.invalidInput)` naming the file and the problem.
    public func preflight(_ request: ImportRequest) throws {
        try Layer.validate(id: request.layerID)
        do {
            try VectorDataset.withDataset(at: request.file.path, options: datasetOptions) { ds in
                let index = try chooseLayer(ds, request)
                let info = ds.layers[index]
                guard ds.hasGeometry(layer: index) else {
                    throw StoreError(.invalidInput, "layer \"\(info.name)\" has no geometry column; only spatial layers can be uploaded", context: request.fileName)
                }
                guard let crs = request.sourceCRS ?? info.crs else {
                    let declared = info.crsName.map { "declares the CRS \"\($0)\", which has no EPSG code" } ?? "declares no CRS"
                    throw StoreError(.invalidInput, "[\(ValidationCode.missingCRS.rawValue)] \(declared); give it with crs=EPSG:n", context: request.fileName)
                }
                do {
                    _ = try crs.definition()
                    try transformers.validate(from: crs, to: .wgs84)
                } catch {
                    throw StoreError(.invalidInput, "the CRS \(crs) cannot be used: \(error)", context: request.fileName)
                }
            }
        } catch let e as GeoError {
            throw StoreError(.invalidInput, e.message, context: request.fileName)
        }
    }

    // MARK: Write phase

    struct Written {
        var report: ImportReport
    }

    private func writeVersion(_ request: ImportRequest, progress: ((ImportProgress) -> Void)?) throws -> Written {
        let path = request.file.path
        do {
            // Read and check the whole file before touching the store: no write transaction
            // waits on GDAL.
            let previous = try store.pool.read { db in try LayerStore.loadLayers(db).first { $0.id == request.layerID }?.current }
            let prepared = try VectorDataset.withDataset(at: path, options: datasetOptions) { ds in
                try self.prepare(ds, request: request, previous: previous, progress: progress)
            }
            return try store(prepared, request: request, progress: progress)
        } catch let e as StoreError {
            throw e
        } catch let e as ValidationFailure {
            throw e
        } catch let e as GeoError {
            switch e.code {
            case .datasetOpen, .datasetNotAllowed:
                throw StoreError(.invalidInput, e.message, context: request.displayName ?? e.context ?? path)
            case .datasetRead:
                throw StoreError(.sourceRead, e.message, context: request.displayName ?? e.context ?? path)
            default:
                throw StoreError(.invalidInput, e.message, context: request.displayName ?? path)
            }
        } catch {
            throw StoreError(.database, "writing the new version failed: \(error)", context: path)
        }
    }

    private func chooseLayer(_ ds: VectorDataset, _ request: ImportRequest) throws -> Int {
        let names = ds.layers.map(\.name)
        let fileName = request.fileName
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

    /// Everything an import knows before it writes: the accepted features in storage order and
    /// what describes them.
    struct PreparedVersion {
        var arena: FeatureArena
        /// Arena indices in storage (Hilbert) order; a feature's fid is its rank here.
        var order: [Int]
        var envelopes: [Envelope]
        var columns: [Field]
        var crs: CRS
        var storageType: GeometryType
        var declaredType: GeometryType
        var extent: Envelope
        var extentWGS84: Envelope
        var checksum: String
        var report: ImportReport
    }

    /// The read phase: reads, checks and repairs every feature of the file, and orders them.
    private func prepare(_ ds: VectorDataset, request: ImportRequest, previous: LayerVersion?,
                         progress: ((ImportProgress) -> Void)?) throws -> PreparedVersion {
        let fileName = request.fileName
        let layerIndex = try chooseLayer(ds, request)
        let info = ds.layers[layerIndex]
        guard ds.hasGeometry(layer: layerIndex) else {
            throw StoreError(.invalidInput, "layer \"\(info.name)\" has no geometry column; only spatial layers can be imported", context: fileName)
        }
        guard let crs = request.sourceCRS ?? info.crs else {
            let declared = info.crsName.map { "declares the CRS \"\($0)\", which has no EPSG code" } ?? "declares no CRS"
            throw StoreError(.invalidInput, "[\(ValidationCode.missingCRS.rawValue)] \(declared); give it with --source-crs EPSG:n (upload: crs=EPSG:n)", context: fileName)
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
        let netherlands = try? transformers.withTransformer(from: .wgs84, to: crs) { try $0.transformBounds(Netherlands.extentWGS84) }
        // The layer's geometry family is kept: a point layer stays a point layer.
        let storageType: GeometryType
        if let previous, previous.geometryType.family != nil {
            let declared = FeaturePreparation.storageType(for: info.geometryType)
            storageType = declared.family == previous.geometryType.family ? declared : previous.geometryType
        } else {
            storageType = FeaturePreparation.storageType(for: info.geometryType)
        }
        let preparation = FeaturePreparation(storageType: storageType, area: area, netherlands: netherlands, crs: crs)
        let schema = SchemaMatch(file: Self.columns(for: info.fields), previous: previous?.fields)
        let columns = schema.columns

        // The file's feature count is a claim, not a fact: reserve no more than the limit allows.
        let hint = info.featureCount.map { max(0, min($0, request.limits?.maxFeatures ?? 10_000_000)) }

        var read = 0, repaired = 0, vertices = 0
        var storedTypes = Set<GeometryType>()
        var rejections: [String: ImportReport.Rejection] = [:]
        var rejectionOrder: [String] = []
        var repairs: [String: ImportReport.Rejection] = [:]
        var repairOrder: [String] = []
        var extent: Envelope?
        let total = info.featureCount
        let srsID = Int32(crs.epsg)

        // Accepted features wait in an arena and are written in Hilbert order, so that
        // features near each other share pages: a tile reads a few pages instead of one per
        // feature. Their fids are their rank in that order.
        var arena = FeatureArena()
        var keys: [UInt64] = []
        var envelopes: [Envelope] = []
        if let hint {
            arena.reserve(features: hint, bytesPerFeature: 64 + 24 * min(columns.count, 64))
            keys.reserveCapacity(hint)
            envelopes.reserveCapacity(hint)
        }
        let hilbert = HilbertKey(frame: area ?? Envelope(minX: -2e7, minY: -2e7, maxX: 2e7, maxY: 2e7))

        func note(_ table: inout [String: ImportReport.Rejection], _ order: inout [String],
                  _ sourceID: Int64, _ code: ValidationCode, _ reason: String) {
            // Group by category and reason; many distinct reasons (one per value) fold into their category.
            let key = table.count < 200 || table[reason] != nil ? reason : code.rawValue
            if table[key] == nil {
                order.append(key)
                table[key] = .init(code: code, reason: key == reason ? reason : "more \(code.rawValue) findings", count: 0, examples: [])
            }
            table[key]!.count += 1
            if table[key]!.examples.count < 5 { table[key]!.examples.append(sourceID) }
        }
        func reject(_ sourceID: Int64, _ code: ValidationCode, _ reason: String) {
            note(&rejections, &rejectionOrder, sourceID, code, reason)
        }
        let limits = request.limits

        try ds.readFeatures(layer: layerIndex) { result in
            read += 1
            if read % 5000 == 0 { progress?(ImportProgress(read: read, total: total)) }
            if let limits, read > limits.maxFeatures {
                throw StoreError(.invalidInput, "holds more than \(limits.maxFeatures) features, the most one upload may hold (upload-max-features)", context: fileName)
            }
            switch result {
            case .rejected(let sourceID, let reason):
                reject(sourceID, .unreadable, reason)
            case .feature(let feature):
                if let limits {
                    vertices += feature.geometry?.positionCount ?? 0
                    if vertices > limits.maxVertices {
                        throw StoreError(.invalidInput, "holds more than \(limits.maxVertices) vertices, the most one upload may hold (upload-max-vertices)", context: fileName)
                    }
                }
                var attributes = Array(feature.attributes.prefix(columns.count))
                if !schema.isIdentity, let why = schema.convert(&attributes) {
                    reject(feature.id, .attributeType, why)
                    return
                }
                switch preparation.prepare(feature.geometry) {
                case .reject(let code, let reason):
                    reject(feature.id, code, reason)
                case .accept(let g, let repair):
                    if let repair {
                        repaired += 1
                        note(&repairs, &repairOrder, feature.id, .repairedGeometry, repair)
                    }
                    storedTypes.insert(g.type)
                    let env = g.envelope!
                    let anchor = env.center
                    arena.append(blob: GeoPackageBinary.encode(g, srsID: srsID), attributes: attributes)
                    keys.append(hilbert.key(anchor))
                    envelopes.append(env)
                    if extent == nil { extent = env } else { extent!.expand(env) }
                }
            }
        }
        progress?(ImportProgress(read: read, total: total ?? read))

        // Storage in Hilbert order; fid = rank.
        let order = keys.indices.sorted { keys[$0] < keys[$1] }
        var checksum = FeatureChecksum()
        for (rank, i) in order.enumerated() {
            arena.withRecord(i) { record in checksum.add(fid: Int64(rank + 1), record: record) }
        }

        let rejectionList = rejectionOrder.map { rejections[$0]! }
        let rejectedCount = rejectionList.reduce(0) { $0 + $1.count }
        var report = ImportReport(
            layerID: request.layerID, version: 0, file: fileName, driver: ds.driverName, sourceLayer: info.name,
            crs: crs, geometryType: storageType, featuresRead: read, featuresWritten: 0,
            featuresRejected: rejectedCount, featuresRepaired: repaired, rejections: rejectionList,
            checksum: "", seconds: 0, droppedVersions: [])
        report.repairs = repairOrder.map { repairs[$0]! }
        report.schemaChanges = schema.changes
        report.errorMode = request.errorMode
        if request.errorMode == .reject, rejectedCount > 0 || repaired > 0 {
            throw ValidationFailure(report: report, fileName: fileName)
        }
        guard !order.isEmpty, let extent else {
            let why = read == 0
                ? "contains no features; an empty version would hide the current one"
                : "none of its \(read) features can be imported; first reason: \(rejectionList.first?.reason ?? "unknown")"
            throw StoreError(.invalidInput, why, context: fileName)
        }
        let extentWGS84 = try transformers.withTransformer(from: crs, to: .wgs84) { try $0.transformBounds(extent) }
        // A generic source layer whose features all turned out one type is declared as that type.
        let declaredType = storageType == .geometry && storedTypes.count == 1 ? storedTypes.first! : storageType
        report.geometryType = declaredType
        report.featuresWritten = order.count
        report.checksum = checksum.finish()
        return PreparedVersion(arena: arena, order: order, envelopes: envelopes, columns: columns, crs: crs, storageType: storageType,
                               declaredType: declaredType, extent: extent, extentWGS84: extentWGS84, checksum: report.checksum, report: report)
    }

    /// The most rows, and about the longest time, one write transaction of an import takes:
    /// other writers (token revocations, publishes, the audit flush) get the store between two.
    static let rowsPerTransaction = 20_000
    static let transactionTime = Duration.milliseconds(100)

    /// The write phase: claims a version number and writes the version as `pending` in short
    /// transactions (features, then the packed R-tree, then its registration). Readers never see
    /// a pending version; it becomes visible only when published, in one transaction, so the
    /// version is still all or nothing. A failure removes what was written; a crash leaves a
    /// pending version that the next open removes.
    private func store(_ prepared: PreparedVersion, request: ImportRequest, progress: ((ImportProgress) -> Void)?) throws -> Written {
        let q = GeoPackageSchema.quote
        let columns = prepared.columns
        var report = prepared.report
        let (version, names, nodeSize) = try store.pool.write { db -> (Int, VersionTables, Int) in
            let version = (try Int.fetchOne(db, sql: "SELECT MAX(version) FROM ls_layer_version WHERE layer_id = ?",
                                            arguments: [request.layerID]) ?? 0) + 1
            let names = VersionTables(layerID: request.layerID, version: version)
            try GeoPackageSchema.ensureSpatialReferenceSystem(prepared.crs, in: db)
            try GeoPackageSchema.createFeatureTable(names, geometryType: prepared.storageType, columns: columns, in: db)
            let nodeSize = try RTreeBulkLoader.nodeSize(of: names.rtree, in: db)
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            let e = prepared.extent, w = prepared.extentWGS84
            try db.execute(sql: """
                INSERT INTO ls_layer_version (layer_id, version, state, table_name, created_at, checksum, feature_count,
                  rejected_count, source_file, source_driver, srs_id, geometry_type, min_x, min_y, max_x, max_y,
                  lon_min, lat_min, lon_max, lat_max, fields)
                VALUES (?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [
                    request.layerID, version, names.table, LayerStore.timestamp(Date()), prepared.checksum, prepared.order.count,
                    report.featuresRejected, report.file, report.driver, prepared.crs.epsg, prepared.declaredType.rawValue,
                    e.minX, e.minY, e.maxX, e.maxY, w.minX, w.minY, w.maxX, w.maxY,
                    String(decoding: try encoder.encode(columns), as: UTF8.self),
                ])
            return (version, names, nodeSize)
        }
        do {
            // Features, in storage order.
            let columnList = (["fid", "geom"] + columns.map(\.name)).map(q).joined(separator: ", ")
            let placeholders = Array(repeating: "?", count: columns.count + 2).joined(separator: ", ")
            let sql = "INSERT INTO \(q(names.table)) (\(columnList)) VALUES (\(placeholders))"
            let total = prepared.order.count
            var rtreeEntries = RTreeBulkLoader.Entries(dimensions: 2)
            rtreeEntries.reserve(total)
            var written = 0
            while written < total {
                let start = written
                written = try store.pool.write { db in
                    let insert = try SQLiteInsert(db, sql: sql)
                    let deadline = ContinuousClock.now + Self.transactionTime
                    var rank = start
                    while rank < total, rank - start < Self.rowsPerTransaction {
                        try prepared.arena.withRecord(prepared.order[rank]) { record in
                            insert.bind(1, Int64(rank + 1))
                            FeatureArena.bind(record, to: insert, columns: columns.count)
                            try insert.step()
                        }
                        rank += 1
                        if rank % 256 == 0, ContinuousClock.now > deadline { break }
                    }
                    return rank
                }
                for rank in start..<written {
                    let env = prepared.envelopes[prepared.order[rank]]
                    rtreeEntries.append(id: Int64(rank + 1), box: [env.minX, env.maxX, env.minY, env.maxY])
                }
                progress?(ImportProgress(read: report.featuresRead, total: total, written: written))
            }
            // The R-tree, packed in memory and written in the same short steps.
            let packed = try RTreeBulkLoader(table: names.rtree, dimensions: 2).pack(rtreeEntries, nodeSize: nodeSize)
            var done = 0
            while done < packed.rowCount {
                let start = done
                done = try store.pool.write { db in
                    let deadline = ContinuousClock.now + Self.transactionTime
                    var next = start
                    repeat {
                        let end = min(next + 1024, packed.rowCount)
                        try packed.write(next..<end, into: db)
                        next = end
                    } while next < packed.rowCount && next - start < Self.rowsPerTransaction * 2 && ContinuousClock.now < deadline
                    return next
                }
            }
            report.version = version
            report.state = request.stage ? "staged" : "published"
            let title = request.title ?? request.layerID
            let finished = report
            try store.pool.write { db in
                try GeoPackageSchema.finishFeatureTable(
                    names, identifier: "\(request.layerID) v\(version)",
                    description: "\(title), version \(version), imported from \(finished.file)",
                    geometryType: prepared.declaredType, crs: prepared.crs, extent: prepared.extent, in: db)
                let encoder = JSONEncoder()
                encoder.outputFormatting = .sortedKeys
                try db.execute(sql: "UPDATE ls_layer_version SET uploaded_by = ?, organisation = ?, job_id = ?, report = ? WHERE layer_id = ? AND version = ?",
                               arguments: [request.actor.subject, request.actor.organisation, request.jobID,
                                           String(decoding: try encoder.encode(finished), as: UTF8.self), request.layerID, version])
            }
        } catch {
            try? discardPending(request.layerID, version: version)
            throw error
        }
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
