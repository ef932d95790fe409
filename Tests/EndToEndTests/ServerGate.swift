import Foundation

/// At most a few live servers at once in this test process.
///
/// Swift Testing starts every test at once, and the servers share Swift's cooperative pool (one
/// thread per core) with each other and with the CPU-heavy unit tests. With dozens of servers
/// started together on a 2-core machine, a request can wait longer than the test client's fixed
/// 20-second read timeout, and tests fail for no fault of the code under test (CI of stop 18:
/// 28 timeouts in the first 75 seconds). A test waits here, without a running clock, until one
/// of `width` slots is free; a server started inside another (a restart, a nested world) reuses
/// its slot.
actor ServerGate {
    static let shared = ServerGate(width: max(4, 3 * ProcessInfo.processInfo.activeProcessorCount))

    @TaskLocal static var holding = false

    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(width: Int) { free = width }

    private func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func release() {
        if waiting.isEmpty {
            free += 1
        } else {
            waiting.removeFirst().resume()
        }
    }

    /// Runs `body` holding a slot.
    static func run<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        if holding { return try await body() }
        await shared.acquire()
        do {
            let result = try await $holding.withValue(true) { try await body() }
            await shared.release()
            return result
        } catch {
            await shared.release()
            throw error
        }
    }
}
