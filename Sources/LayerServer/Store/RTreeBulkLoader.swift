import Foundation
import GRDB
import GRDBSQLite

/// Builds a SQLite R-tree (the `rtree` module GeoPackage uses) in one pass from all its
/// entries, by Sort-Tile-Recursive packing, and writes its nodes straight into the shadow tables
/// (`%_node`, `%_parent`, `%_rowid`) of a freshly created, empty R-tree virtual table.
///
/// Inserting a million rows one by one costs SQLite's ChooseLeaf and node splits per row; a
/// packed tree is built in a fraction of that and has fuller, less overlapping nodes. The node
/// format follows SQLite's `rtree.c`: a node is `[depth or 0: u16][count: u16]` followed by
/// cells of `[id: i64][min, max per dimension: f32]`, big-endian, padded to the node size; the
/// root is node 1 and its first two bytes hold the tree's height. Coordinates are rounded
/// outwards to `Float`, as SQLite does. `SELECT rtreecheck(...)` verifies the result in tests.
///
/// - Important: The R-tree must be fresh and empty, and nothing else may write to it until all
///   its rows are written (an import's pending version: no one else knows it).
struct RTreeBulkLoader {
    /// Entries to load: ids and boxes (`min0, max0, min1, max1, ...` as Double).
    struct Entries {
        var dimensions: Int
        var ids: [Int64] = []
        var boxes: [Double] = []

        init(dimensions: Int) { self.dimensions = dimensions }

        var count: Int { ids.count }

        mutating func reserve(_ n: Int) {
            ids.reserveCapacity(n)
            boxes.reserveCapacity(n * dimensions * 2)
        }

        mutating func append(id: Int64, box: [Double]) {
            ids.append(id)
            boxes.append(contentsOf: box)
        }
    }

    /// One node or entry while building: its id (row id or node number) and box.
    private struct Item {
        var id: Int64
        var box: [Float]

        func center(_ d: Int) -> Float { (box[2 * d] + box[2 * d + 1]) / 2 }
    }

    let table: String
    let dimensions: Int

    /// The size of the nodes of the empty R-tree `table` (its root node's blob).
    static func nodeSize(of table: String, in db: Database) throws -> Int {
        guard let size = try Int.fetchOne(db, sql: "SELECT length(data) FROM \(GeoPackageSchema.quote(table + "_node")) WHERE nodeno = 1") else {
            throw StoreError(.database, "R-tree \(table) has no root node")
        }
        return size
    }

    /// Loads `entries` into the empty R-tree `table`, in one transaction.
    func load(_ entries: Entries, into db: Database) throws {
        let packed = try pack(entries, nodeSize: try Self.nodeSize(of: table, in: db))
        try packed.write(0..<packed.rowCount, into: db)
    }

    /// The rows of a packed R-tree, ready to be written into its shadow tables in one or more
    /// transactions (``write(_:into:)``). The first range written clears the tables.
    struct Packed {
        let table: String
        /// `%_node` rows (node number, blob); node 1 is the root.
        fileprivate(set) var nodes: [(Int64, [UInt8])] = []
        /// `%_parent` rows (node, parent) and `%_rowid` rows (row id, leaf node).
        fileprivate(set) var parents: [(Int64, Int64)] = []
        fileprivate(set) var rowids: [(Int64, Int64)] = []

        /// Rows in all three tables.
        var rowCount: Int { nodes.count + parents.count + rowids.count }

        /// Writes rows `range` of the concatenation nodes, parents, row ids.
        func write(_ range: Range<Int>, into db: Database) throws {
            let q = GeoPackageSchema.quote
            if range.lowerBound == 0 {
                try db.execute(sql: "DELETE FROM \(q(table + "_node"))")
                try db.execute(sql: "DELETE FROM \(q(table + "_parent"))")
                try db.execute(sql: "DELETE FROM \(q(table + "_rowid"))")
            }
            let parts: [(sql: String, count: Int)] = [
                ("INSERT INTO \(q(table + "_node")) (nodeno, data) VALUES (?, ?)", nodes.count),
                ("INSERT INTO \(q(table + "_parent")) (nodeno, parentnode) VALUES (?, ?)", parents.count),
                ("INSERT INTO \(q(table + "_rowid")) (rowid, nodeno) VALUES (?, ?)", rowids.count),
            ]
            var offset = 0
            for (part, (sql, count)) in parts.enumerated() {
                let lo = max(range.lowerBound - offset, 0), hi = min(range.upperBound - offset, count)
                offset += count
                guard lo < hi else { continue }
                let local = lo..<hi
                let insert = try SQLiteInsert(db, sql: sql)
                for i in local {
                    switch part {
                    case 0: insert.bind(1, nodes[i].0); insert.bind(2, nodes[i].1)
                    case 1: insert.bind(1, parents[i].0); insert.bind(2, parents[i].1)
                    default: insert.bind(1, rowids[i].0); insert.bind(2, rowids[i].1)
                    }
                    try insert.step()
                }
            }
        }
    }

    /// Packs `entries` into nodes of `nodeSize` bytes (no database work).
    func pack(_ entries: Entries, nodeSize: Int) throws -> Packed {
        precondition(entries.dimensions == dimensions)
        let cellSize = 8 + dimensions * 2 * 4
        let capacity = (nodeSize - 4) / cellSize
        guard capacity >= 4 else { throw StoreError(.database, "R-tree \(table) has nodes of \(nodeSize) bytes") }

        var items: [Item] = (0..<entries.count).map { i in
            var box = [Float](repeating: 0, count: dimensions * 2)
            for k in 0..<(dimensions * 2) {
                let v = entries.boxes[i * dimensions * 2 + k]
                box[k] = k % 2 == 0 ? Self.down(v) : Self.up(v)
            }
            return Item(id: entries.ids[i], box: box)
        }
        var packed = Packed(table: table)
        if items.isEmpty {
            packed.nodes.append((1, node(depth: 0, cells: [], nodeSize: nodeSize)))
            return packed
        }
        var nextNode: Int64 = 2
        var depth = 0
        var isLeafLevel = true
        while true {
            let groups = tile(items, dimension: 0, capacity: capacity)
            if groups.count == 1 {
                // The root: node 1.
                packed.nodes.append((1, node(depth: depth, cells: groups[0], nodeSize: nodeSize)))
                link(groups[0], to: 1, isLeaf: isLeafLevel, &packed)
                return packed
            }
            var parents: [Item] = []
            parents.reserveCapacity(groups.count)
            for cells in groups {
                let number = nextNode
                nextNode += 1
                packed.nodes.append((number, node(depth: 0, cells: cells, nodeSize: nodeSize)))
                link(cells, to: number, isLeaf: isLeafLevel, &packed)
                parents.append(Item(id: number, box: Self.union(cells, dimensions)))
            }
            items = parents
            depth += 1
            isLeafLevel = false
        }
    }

    /// Records where every cell of a node lives: a leaf's row ids in `%_rowid`, an inner node's
    /// children in `%_parent`.
    private func link(_ cells: [Item], to node: Int64, isLeaf: Bool, _ packed: inout Packed) {
        for c in cells {
            if isLeaf { packed.rowids.append((c.id, node)) } else { packed.parents.append((c.id, node)) }
        }
    }

    /// Sort-Tile-Recursive packing into nodes of at most `capacity` cells: slices along `dimension` (x, then y), then chunks.
    private func tile(_ items: [Item], dimension: Int, capacity: Int) -> [[Item]] {
        let sorted = items.sorted { $0.center(dimension) < $1.center(dimension) }
        if dimension == 1 || sorted.count <= capacity {
            return stride(from: 0, to: sorted.count, by: capacity).map { Array(sorted[$0..<min($0 + capacity, sorted.count)]) }
        }
        let nodeCount = (sorted.count + capacity - 1) / capacity
        let slices = Int(Double(nodeCount).squareRoot().rounded(.up))
        let sliceSize = slices * capacity
        return stride(from: 0, to: sorted.count, by: sliceSize).flatMap {
            tile(Array(sorted[$0..<min($0 + sliceSize, sorted.count)]), dimension: 1, capacity: capacity)
        }
    }

    private func node(depth: Int, cells: [Item], nodeSize: Int) -> [UInt8] {
        var data = [UInt8](repeating: 0, count: nodeSize)
        Self.putU16(&data, 0, UInt16(depth))
        Self.putU16(&data, 2, UInt16(cells.count))
        var o = 4
        for c in cells {
            let id = UInt64(bitPattern: c.id)
            for b in 0..<8 { data[o + b] = UInt8(truncatingIfNeeded: id >> (56 - 8 * UInt64(b))) }
            o += 8
            for v in c.box {
                let bits = v.bitPattern
                for b in 0..<4 { data[o + b] = UInt8(truncatingIfNeeded: bits >> (24 - 8 * UInt32(b))) }
                o += 4
            }
        }
        return data
    }

    private static func putU16(_ data: inout [UInt8], _ at: Int, _ v: UInt16) {
        data[at] = UInt8(v >> 8)
        data[at + 1] = UInt8(v & 0xFF)
    }

    private static func union(_ cells: [Item], _ dimensions: Int) -> [Float] {
        var box = cells[0].box
        for c in cells.dropFirst() {
            for d in 0..<dimensions {
                box[2 * d] = min(box[2 * d], c.box[2 * d])
                box[2 * d + 1] = max(box[2 * d + 1], c.box[2 * d + 1])
            }
        }
        return box
    }

    /// The largest float not above `v` (SQLite's rtreeValueDown).
    static func down(_ v: Double) -> Float {
        let f = Float(v)
        return Double(f) > v ? f.nextDown : f
    }

    /// The smallest float not below `v` (SQLite's rtreeValueUp).
    static func up(_ v: Double) -> Float {
        let f = Float(v)
        return Double(f) < v ? f.nextUp : f
    }
}
