/// The boxes of the labels and icons already placed on one tile. Symbols are placed in layer and feature order;
/// a symbol whose box overlaps a placed box is skipped (unless it allows overlap).
///
/// Boxes are bucketed in a coarse grid of 64 px cells so a tile with thousands of candidates stays linear.
struct CollisionIndex {
    private let cell = 64.0
    private let columns: Int
    private var cells: [[PixelBox]]

    /// An empty index for a `size` × `size` image (boxes outside it are kept in the border cells).
    init(size: Double) {
        columns = max(1, Int((size / cell).rounded(.up)))
        cells = Array(repeating: [], count: columns * columns)
    }

    private func range(_ lo: Double, _ hi: Double) -> ClosedRange<Int> {
        let a = min(columns - 1, max(0, Int((lo / cell).rounded(.down))))
        let b = min(columns - 1, max(0, Int((hi / cell).rounded(.down))))
        return a...max(a, b)
    }

    /// True when `box` overlaps a placed box.
    func collides(_ box: PixelBox) -> Bool {
        guard box.minX.isFinite, box.maxX.isFinite, box.minY.isFinite, box.maxY.isFinite else { return true }
        for cy in range(box.minY, box.maxY) {
            for cx in range(box.minX, box.maxX) {
                for placed in cells[cy * columns + cx] where placed.intersects(box) { return true }
            }
        }
        return false
    }

    /// Records a placed box.
    mutating func insert(_ box: PixelBox) {
        guard box.minX.isFinite, box.maxX.isFinite, box.minY.isFinite, box.maxY.isFinite else { return }
        for cy in range(box.minY, box.maxY) {
            for cx in range(box.minX, box.maxX) { cells[cy * columns + cx].append(box) }
        }
    }
}
