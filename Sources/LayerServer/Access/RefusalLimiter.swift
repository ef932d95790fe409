import Foundation
import Synchronization

/// Counts refused credentials per source address in one-minute windows. Past the limit an
/// address gets 429 with Retry-After instead of 401 until its window ends; callers with valid
/// credentials from the same address are not affected (they never reach the limiter).
public final class RefusalLimiter: Sendable {
    struct Window {
        var start: Date
        var count: Int
    }

    /// Refusals per address per minute before 429.
    public let perMinute: Int
    /// Addresses tracked at once; beyond it, new addresses share one window.
    static let maximumAddresses = 10_000
    static let window: TimeInterval = 60
    private let windows = Mutex<[String: Window]>([:])

    public init(perMinute: Int) {
        self.perMinute = perMinute
    }

    /// Counts one refusal from `address` at `time`. Returns the seconds to wait when the
    /// address is over its limit, nil while it is within it.
    public func refuse(_ address: String, at time: Date) -> Int? {
        windows.withLock { w -> Int? in
            var key = address
            if w[key] == nil, w.count >= Self.maximumAddresses {
                w = w.filter { time.timeIntervalSince($0.value.start) < Self.window }
                if w.count >= Self.maximumAddresses { key = "(other addresses)" }
            }
            var current = w[key] ?? Window(start: time, count: 0)
            if time.timeIntervalSince(current.start) >= Self.window || time < current.start {
                current = Window(start: time, count: 0)
            }
            current.count += 1
            w[key] = current
            guard current.count > perMinute else { return nil }
            return max(1, Int((current.start + Self.window).timeIntervalSince(time).rounded(.up)))
        }
    }
}
