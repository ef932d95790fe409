/// How often keys were asked for lately, approximately: a count-min sketch of four rows of 4-bit
/// counters, halved every `10 × width` increments so that old popularity fades (TinyLFU).
/// - Important: Not thread-safe; the tile cache uses it under its lock.
struct FrequencySketch {
    private var counters: [UInt8]
    private let mask: Int
    private var additions = 0
    private let resetAfter: Int

    /// A sketch of `width` counters per row (rounded up to a power of two).
    init(width: Int) {
        var w = 1
        while w < max(width, 64) { w <<= 1 }
        counters = [UInt8](repeating: 0, count: 4 * w)
        mask = w - 1
        resetAfter = 10 * w
    }

    private func index(_ hash: Int, row: Int) -> Int {
        // One 64-bit hash, four rows: mix the row into it.
        var h = UInt64(bitPattern: Int64(hash)) &+ UInt64(row) &* 0x9E37_79B9_7F4A_7C15
        h = (h ^ (h >> 31)) &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 29
        return row * (mask + 1) + Int(truncatingIfNeeded: h) & mask
    }

    /// Counts one more request of the key whose hash is `hash`.
    mutating func increment(_ hash: Int) {
        for row in 0..<4 {
            let i = index(hash, row: row)
            if counters[i] < 15 { counters[i] += 1 }
        }
        additions += 1
        if additions >= resetAfter {
            for i in counters.indices { counters[i] >>= 1 }
            additions /= 2
        }
    }

    /// The estimated count of the key whose hash is `hash` (0...15).
    func frequency(_ hash: Int) -> Int {
        var f = 15
        for row in 0..<4 { f = min(f, Int(counters[index(hash, row: row)])) }
        return f
    }
}
