/// Signed distance fields from anti-aliased coverage bitmaps, by an exact Euclidean distance transform
/// (Felzenszwalb & Huttenlocher's lower envelope of parabolas, applied per column and then per row).
///
/// Partially covered pixels seed the transform with their sub-pixel distance to the edge (coverage 0.5 lies on
/// the edge), so the result is accurate to a fraction of a pixel even before downsampling.
struct SignedDistanceField {
    private let width: Int
    private let height: Int
    private var f: [Double]
    private var d: [Double]
    private var v: [Int]
    private var z: [Double]

    /// A transform for bitmaps of `width` × `height` pixels (its scratch buffers are reused between calls).
    init(width: Int, height: Int) {
        self.width = width
        self.height = height
        let n = max(width, height)
        f = Array(repeating: 0, count: n)
        d = Array(repeating: 0, count: n)
        v = Array(repeating: 0, count: n)
        z = Array(repeating: 0, count: n + 1)
    }

    /// Signed distance in pixels (positive outside the shape, negative inside) for every pixel of a coverage
    /// bitmap (`coverage[y * width + x]` in 0...1, row-major).
    mutating func distances(coverage: [Double]) -> [Double] {
        let infinity = 1e20
        var outer = [Double](repeating: 0, count: width * height)
        var inner = [Double](repeating: 0, count: width * height)
        for i in 0..<coverage.count {
            let a = coverage[i]
            if a >= 1 {
                outer[i] = 0
                inner[i] = infinity
            } else if a <= 0 {
                outer[i] = infinity
                inner[i] = 0
            } else {
                let o = max(0, 0.5 - a), n = max(0, a - 0.5)
                outer[i] = o * o
                inner[i] = n * n
            }
        }
        transform(&outer)
        transform(&inner)
        var result = [Double](repeating: 0, count: width * height)
        for i in 0..<result.count {
            result[i] = outer[i].squareRoot() - inner[i].squareRoot()
        }
        return result
    }

    /// In-place 2D squared Euclidean distance transform of `grid` (squared distances as input seeds).
    private mutating func transform(_ grid: inout [Double]) {
        for x in 0..<width {
            for y in 0..<height { f[y] = grid[y * width + x] }
            pass(height)
            for y in 0..<height { grid[y * width + x] = d[y] }
        }
        for y in 0..<height {
            for x in 0..<width { f[x] = grid[y * width + x] }
            pass(width)
            for x in 0..<width { grid[y * width + x] = d[x] }
        }
    }

    /// One-dimensional transform of `f[0..<n]` into `d[0..<n]`.
    private mutating func pass(_ n: Int) {
        guard n > 0 else { return }
        var k = 0
        v[0] = 0
        z[0] = -Double.infinity
        z[1] = Double.infinity
        if n > 1 {
            for q in 1..<n {
                let fq = f[q] + Double(q * q)
                var s: Double
                repeat {
                    let r = v[k]
                    s = (fq - f[r] - Double(r * r)) / Double(2 * (q - r))
                    if s <= z[k] { k -= 1 } else { break }
                } while k >= 0
                k += 1
                v[k] = q
                z[k] = s
                z[k + 1] = Double.infinity
            }
        }
        k = 0
        for q in 0..<n {
            while z[k + 1] < Double(q) { k += 1 }
            let r = v[k]
            d[q] = Double((q - r) * (q - r)) + f[r]
        }
    }
}
