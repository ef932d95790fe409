import Foundation
import GeoCore
import Logging
import Synchronization
import TileRender

/// The point indexes (``PointIndex``) of the versions tiles are asked of, within a memory budget.
/// An index is built in the background the first time a tile of its version is asked for; until
/// it is ready, and for versions it does not take (too big for the budget, not plain points),
/// tiles come from SQLite as before. Least recently used indexes leave first.
public final class PointIndexCache: Sendable {
    let budget: Int
    private let store: LayerStore
    private let transformers: TransformerPool
    private let logger: Logger

    private struct State {
        var ready: [String: (index: PointIndex, used: UInt64)] = [:]
        /// The table being built: one build at a time, so builds never add up past the budget.
        var building: String?
        /// Tables that will not be indexed (too big, not plain points, dropped).
        var refused: Set<String> = []
        /// When an index was evicted: it is not rebuilt for a while, so a working set larger
        /// than the budget does not rebuild indexes over and over.
        var evicted: [String: ContinuousClock.Instant] = [:]
        /// The version tables the catalog holds (nil until the first catalog load).
        var known: Set<String>?
        var bytes = 0
        var clock: UInt64 = 0

        /// Evicts least recently used indexes (never `keeping`) until `extra` more bytes fit.
        mutating func makeRoom(_ extra: Int, budget: Int, keeping: String? = nil) -> Bool {
            while bytes + extra > budget, let oldest = ready.filter({ $0.key != keeping }).min(by: { $0.value.used < $1.value.used }) {
                ready.removeValue(forKey: oldest.key)
                bytes -= oldest.value.index.bytes
                evicted[oldest.key] = .now
            }
            return bytes + extra <= budget
        }
    }
    private let state = Mutex(State())

    /// How long an evicted index waits before it is built again.
    static let rebuildPause = Duration.seconds(60)

    init(budget: Int, store: LayerStore, transformers: TransformerPool, logger: Logger = Logger(label: "layerserver.points")) {
        self.budget = budget
        self.store = store
        self.transformers = transformers
        self.logger = logger
    }

    /// A rough size of an index before it is built (strings are counted after).
    static func estimate(_ version: LayerVersion) -> Int {
        version.featureCount * (8 + 16 * (1 + TileMatrixSet.supported.count) + 8 * version.fields.count + 4)
    }

    /// Whether a build of `version` may start now; if so it is marked as building.
    private func claim(_ version: LayerVersion) -> Bool {
        guard budget > 0, version.geometryType == .point else { return false }
        let table = version.tableName
        return state.withLock { s in
            guard s.ready[table] == nil, s.building == nil, !s.refused.contains(table) else { return false }
            if let known = s.known, !known.contains(table) { return false }
            if let when = s.evicted[table], ContinuousClock.now - when < Self.rebuildPause { return false }
            guard Self.estimate(version) <= budget else {
                s.refused.insert(table)
                return false
            }
            s.building = table
            return true
        }
    }

    /// The index of `version` when it is ready; otherwise nil, and its building may start.
    func index(_ version: LayerVersion) -> PointIndex? {
        let table = version.tableName
        let hit: PointIndex? = state.withLock { s in
            guard let entry = s.ready[table] else { return nil }
            s.clock += 1
            s.ready[table]!.used = s.clock
            return entry.index
        }
        if let hit { return hit }
        if claim(version) { Task.detached { [self] in await build(version) } }
        return nil
    }

    /// Builds the index of `version` now, unless it is ready, another build runs, or it is not taken.
    func warm(_ version: LayerVersion) async {
        if claim(version) { await build(version) }
    }

    private func build(_ version: LayerVersion) async {
        let table = version.tableName
        let started = ContinuousClock.now
        let built: PointIndex?
        do {
            built = try await store.read { db in try PointIndex.load(version, db: db, transformers: self.transformers) }
        } catch {
            // The version may have been dropped meanwhile; tiles stay on SQLite.
            logger.info("point index not built", metadata: ["table": "\(table)", "reason": "\(error)"])
            built = nil
        }
        let kept: Bool = state.withLock { s in
            s.building = nil
            guard let built, s.known.map({ $0.contains(table) }) ?? true, s.makeRoom(built.bytes, budget: budget) else {
                s.refused.insert(table)
                return false
            }
            s.clock += 1
            s.ready[table] = (built, s.clock)
            s.bytes += built.bytes
            s.evicted.removeValue(forKey: table)
            return true
        }
        if kept, let built {
            logger.info("point index ready", metadata: ["table": "\(table)", "points": "\(built.count)",
                                                        "mb": "\(built.bytes >> 20)", "duration": "\(ContinuousClock.now - started)"])
        }
    }

    /// The default budget: a 16th of the machine's memory, at most 2 GB.
    public static var defaultBudget: Int {
        min(Int(ProcessInfo.processInfo.physicalMemory / 16), 2 << 30)
    }

    /// Forgets the indexes of versions no longer in `tables` (dropped versions); a build that
    /// finishes later for such a version is thrown away.
    func keep(only tables: Set<String>) {
        state.withLock { s in
            for key in s.ready.keys where !tables.contains(key) {
                s.bytes -= s.ready[key]!.index.bytes
                s.ready.removeValue(forKey: key)
            }
            s.refused.formIntersection(tables)
            s.evicted = s.evicted.filter { tables.contains($0.key) }
            s.known = tables
        }
    }

    /// Bytes held now.
    var bytes: Int { state.withLock { $0.bytes } }
}
