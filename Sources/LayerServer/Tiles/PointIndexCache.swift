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
        /// Tables being built, and tables that will not be indexed.
        var building: Set<String> = []
        var refused: Set<String> = []
        var bytes = 0
        var clock: UInt64 = 0
    }
    private let state = Mutex(State())

    init(budget: Int, store: LayerStore, transformers: TransformerPool, logger: Logger = Logger(label: "layerserver.points")) {
        self.budget = budget
        self.store = store
        self.transformers = transformers
        self.logger = logger
    }

    /// A rough upper bound of an index's size before it is built.
    static func estimate(_ version: LayerVersion) -> Int {
        version.featureCount * (8 + 16 * (1 + TileMatrixSet.supported.count) + 8 * version.fields.count + 4)
    }

    /// The index of `version` when it is ready; otherwise nil, and its building starts.
    func index(_ version: LayerVersion) -> PointIndex? {
        guard budget > 0, version.geometryType.family == .point else { return nil }
        let table = version.tableName
        let start: Bool = state.withLock { s in
            if let hit = s.ready[table] {
                s.clock += 1
                s.ready[table]!.used = s.clock
                _ = hit
                return false
            }
            guard !s.building.contains(table), !s.refused.contains(table) else { return false }
            guard Self.estimate(version) <= budget else {
                s.refused.insert(table)
                return false
            }
            s.building.insert(table)
            return true
        }
        if start { Task.detached { [self] in await build(version) } }
        return state.withLock { $0.ready[table]?.index }
    }

    /// Builds the index of `version` now, unless it is ready, being built, or not taken.
    func warm(_ version: LayerVersion) async {
        guard budget > 0, version.geometryType.family == .point else { return }
        let start: Bool = state.withLock { s in
            guard s.ready[version.tableName] == nil, !s.building.contains(version.tableName), !s.refused.contains(version.tableName),
                  Self.estimate(version) <= budget else { return false }
            s.building.insert(version.tableName)
            return true
        }
        if start { await build(version) }
    }

    private func build(_ version: LayerVersion) async {
        do {
            let started = ContinuousClock.now
            let built: PointIndex?
            do {
                built = try await store.read { db in try PointIndex.load(version, db: db, transformers: self.transformers) }
            } catch {
                // The version may have been dropped meanwhile; tiles stay on SQLite.
                logger.info("point index not built", metadata: ["table": "\(version.tableName)", "reason": "\(error)"])
                built = nil
            }
            state.withLock { s in
                s.building.remove(version.tableName)
                guard let built, built.bytes <= budget else {
                    s.refused.insert(version.tableName)
                    return
                }
                s.clock += 1
                s.ready[version.tableName] = (built, s.clock)
                s.bytes += built.bytes
                while s.bytes > budget, let oldest = s.ready.min(by: { $0.value.used < $1.value.used }), oldest.key != version.tableName {
                    s.ready.removeValue(forKey: oldest.key)
                    s.bytes -= oldest.value.index.bytes
                }
            }
            if let built {
                logger.info("point index ready", metadata: ["table": "\(version.tableName)", "points": "\(built.count)",
                                                            "mb": "\(built.bytes >> 20)", "duration": "\(ContinuousClock.now - started)"])
            }
        }
    }

    /// The default budget: a 16th of the machine's memory, at most 2 GB.
    public static var defaultBudget: Int {
        min(Int(ProcessInfo.processInfo.physicalMemory / 16), 2 << 30)
    }

    /// Forgets the indexes of versions no longer in `tables` (dropped versions).
    func keep(only tables: Set<String>) {
        state.withLock { s in
            for key in s.ready.keys where !tables.contains(key) {
                s.bytes -= s.ready[key]!.index.bytes
                s.ready.removeValue(forKey: key)
            }
            s.refused.formIntersection(tables)
        }
    }

    /// Bytes held now.
    var bytes: Int { state.withLock { $0.bytes } }
}
