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
/// - Important: Run inside the write transaction that created the virtual table, before any
///   other row is inserted into it.
struct RTreeBulkLoader {
    /// Entries to load: ids, boxes (`min0, max0, min1, max1, ...` as Double), and an optional
    /// grouping key. Entries of different keys never share a leaf node (keeps thinning levels
    /// apart, so a query for low levels skips the leaves of high ones).
    struct Entries {
        var dimensions: Int
        var ids: [Int64] = []
        var boxes: [Double] = []
        var keys: [Int32] = []

        init(dimensions: Int) { self.dimensions = dimensions }

        var count: Int { ids.count }

        mutating func reserve(_ n: Int) {
            ids.reserveCapacity(n)
            boxes.reserveCapacity(n * dimensions * 2)
            keys.reserveCapacity(n)
        }

        mutating func append(id: Int64, box: [Double], key: Int32 = 0) {
            ids.append(id)
            boxes.append(contentsOf: box)
            keys.append(key)
        }
    }

    /// One node or entry while building: its id (row id or node number), box and group key.
    private struct Item {
        var id: Int64
        var box: [Float]
        var key: Int32

        func center(_ d: Int) -> Float { (box[2 * d] + box[2 * d + 1]) / 2 }
    }

    let table: String
    let dimensions: Int

    /// Loads `entries` into the empty R-tree `table`.
    func load(_ entries: Entries, into db: Database) throws {
        precondition(entries.dimensions == dimensions)
        let q = GeoPackageSchema.quote
        guard let nodeSize = try Int.fetchOne(db, sql: "SELECT length(data) FROM \(q(table + "_node")) WHERE nodeno = 1") else {
            throw StoreError(.database, "R-tree \(table) has no root node")
        }
        let cellSize = 8 + dimensions * 2 * 4
        let capacity = (nodeSize - 4) / cellSize
        guard capacity >= 4 else { throw StoreError(.database, "R-tree \(table) has nodes of \(nodeSize) bytes") }

        var items: [Item] = (0..<entries.count).map { i in
            var box = [Float](repeating: 0, count: dimensions * 2)
            for k in 0..<(dimensions * 2) {
                let v = entries.boxes[i * dimensions * 2 + k]
                box[k] = k % 2 == 0 ? Self.down(v) : Self.up(v)
            }
            return Item(id: entries.ids[i], box: box, key: entries.keys[i])
        }

        try db.execute(sql: "DELETE FROM \(q(table + "_node"))")
        try db.execute(sql: "DELETE FROM \(q(table + "_parent"))")
        try db.execute(sql: "DELETE FROM \(q(table + "_rowid"))")
        let insertNode = try SQLiteInsert(db, sql: "INSERT INTO \(q(table + "_node")) (nodeno, data) VALUES (?, ?)")
        let insertParent = try SQLiteInsert(db, sql: "INSERT INTO \(q(table + "_parent")) (nodeno, parentnode) VALUES (?, ?)")
        let insertRowid = try SQLiteInsert(db, sql: "INSERT INTO \(q(table + "_rowid")) (rowid, nodeno) VALUES (?, ?)")

        if items.isEmpty {
            try writeNode(number: 1, depth: 0, cells: [], nodeSize: nodeSize, insertNode)
            return
        }
        var nextNode: Int64 = 2
        var depth = 0
        var isLeafLevel = true
        while true {
            // Group keys only separate leaves; inner levels pack all nodes together, so the
            // tree always narrows to one root.
            let groups = isLeafLevel ? pack(items, capacity: capacity) : tile(items, dimension: 0, capacity: capacity)
            if groups.count == 1 {
                // The root: node 1.
                try writeNode(number: 1, depth: depth, cells: groups[0], nodeSize: nodeSize, insertNode)
                try link(groups[0], to: 1, isLeaf: isLeafLevel, insertParent, insertRowid)
                return
            }
            var parents: [Item] = []
            parents.reserveCapacity(groups.count)
            for cells in groups {
                let number = nextNode
                nextNode += 1
                try writeNode(number: number, depth: 0, cells: cells, nodeSize: nodeSize, insertNode)
                try link(cells, to: number, isLeaf: isLeafLevel, insertParent, insertRowid)
                parents.append(Item(id: number, box: Self.union(cells, dimensions), key: cells.map(\.key).min()!))
            }
            items = parents
            depth += 1
            isLeafLevel = false
        }
    }

    /// Records where every cell of a node lives: a leaf's row ids in `%_rowid`, an inner node's
    /// children in `%_parent`.
    private func link(_ cells: [Item], to node: Int64, isLeaf: Bool, _ parent: SQLiteInsert, _ rowid: SQLiteInsert) throws {
        let stmt = isLeaf ? rowid : parent
        for c in cells {
            stmt.bind(1, c.id)
            stmt.bind(2, node)
            try stmt.step()
        }
    }

    /// Sort-Tile-Recursive packing into nodes of at most `capacity` cells, per group key.
    private func pack(_ items: [Item], capacity: Int) -> [[Item]] {
        var byKey: [Int32: [Item]] = [:]
        for item in items { byKey[item.key, default: []].append(item) }
        var nodes: [[Item]] = []
        for key in byKey.keys.sorted() {
            nodes += tile(byKey[key]!, dimension: 0, capacity: capacity)
        }
        return nodes
    }

    /// Slices along `dimension` (x, then y), then chunks.
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

    private func writeNode(number: Int64, depth: Int, cells: [Item], nodeSize: Int, _ insert: SQLiteInsert) throws {
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
        insert.bind(1, number)
        insert.bind(2, data)
        try insert.step()
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
