import Foundation

/// A pool of ``Transformer``s, one handle per concurrent user, keyed by source and target CRS.
///
/// PROJ objects are costly to create and not thread-safe; the pool hands each caller a
/// transformer of its own for the duration of a closure and takes it back afterwards.
public final class TransformerPool: @unchecked Sendable {
    // @unchecked Sendable: `idle` is only read and written while `lock` is held, and a
    // Transformer taken out of `idle` is used by exactly one caller until it is put back.
    private let lock = NSLock()
    private var idle: [Key: [Transformer]] = [:]
    private let maximumIdlePerKey: Int

    struct Key: Hashable {
        var source: CRS
        var target: CRS
    }

    /// Creates a pool that keeps at most `maximumIdlePerKey` idle transformers per CRS pair.
    public init(maximumIdlePerKey: Int = 16) {
        self.maximumIdlePerKey = maximumIdlePerKey
    }

    /// Runs `body` with a transformer from `source` to `target` that no other thread uses meanwhile.
    /// - Important: Do not let the transformer escape the closure.
    public func withTransformer<R>(from source: CRS, to target: CRS, _ body: (Transformer) throws -> R) throws -> R {
        let key = Key(source: source, target: target)
        let t: Transformer = try lock.withLock { idle[key]?.popLast() } ?? Transformer(from: source, to: target)
        defer {
            lock.withLock {
                if idle[key, default: []].count < maximumIdlePerKey { idle[key, default: []].append(t) }
            }
        }
        return try body(t)
    }

    /// Checks that PROJ can transform between the two CRSs, without keeping a handle busy.
    public func validate(from source: CRS, to target: CRS) throws {
        try withTransformer(from: source, to: target) { _ in }
    }
}
