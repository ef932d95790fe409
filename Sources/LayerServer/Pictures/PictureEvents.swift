import Foundation
import Logging
import RiskPicture
import ServiceLifecycle
import Synchronization

/// Every publication of any region's picture (by an information manager, or an expiry), told to
/// the event streams: one reader of the store for all subscribers. It polls the store's
/// sequence of publications, so publications by other processes arrive too.
public final class PictureEvents: Sendable {
    /// What a subscriber receives: a new version (with the picture as it was then), or a tick to
    /// look at its access again.
    enum Signal: Sendable {
        case version(seq: Int64, picture: RegionPicture, version: PictureVersion)
        case tick
    }

    let store: any PictureStore
    private let subscribers = Mutex<[UUID: AsyncStream<Signal>.Continuation]>([:])
    private let last: Mutex<Int64>

    init(store: any PictureStore) throws {
        self.store = store
        // Live events start with the next publication; earlier ones are replayed on request.
        last = Mutex(try store.lastPublished())
    }

    /// A stream of signals until `unsubscribe`.
    func subscribe() -> (UUID, AsyncStream<Signal>) {
        let id = UUID()
        let (stream, continuation) = AsyncStream.makeStream(of: Signal.self, bufferingPolicy: .bufferingNewest(256))
        subscribers.withLock { $0[id] = continuation }
        return (id, stream)
    }

    func unsubscribe(_ id: UUID) {
        subscribers.withLock { $0.removeValue(forKey: id) }?.finish()
    }

    var subscriberCount: Int { subscribers.withLock { $0.count } }

    /// Reads publications after the last one told and tells every subscriber; then a tick.
    func poll() throws {
        let after = last.withLock { $0 }
        let fresh = try store.published(after: after, limit: 1000)
        var signals: [Signal] = []
        var pictures: [String: RegionPicture] = [:]
        for p in fresh {
            let picture = try pictures[p.region] ?? store.picture(region: p.region)
            pictures[p.region] = picture
            guard let version = picture.version(p.number) else { continue }
            signals.append(.version(seq: p.seq, picture: picture, version: version))
        }
        if let end = fresh.last { last.withLock { $0 = max($0, end.seq) } }
        signals.append(.tick)
        let all = subscribers.withLock { Array($0.values) }
        for c in all { for s in signals { c.yield(s) } }
    }

    /// The publications after `seq` (for a resuming subscriber), with their pictures.
    func replay(after seq: Int64, regions: Set<String>?) throws -> [(Int64, RegionPicture, PictureVersion)] {
        var out: [(Int64, RegionPicture, PictureVersion)] = []
        var pictures: [String: RegionPicture] = [:]
        var cursor = seq
        let end = last.withLock { $0 }
        while cursor < end {
            let page = try store.published(after: cursor, limit: 1000)
            guard let tail = page.last else { break }
            for p in page where p.seq <= end && (regions?.contains(p.region) ?? true) {
                let picture = try pictures[p.region] ?? store.picture(region: p.region)
                pictures[p.region] = picture
                if let v = picture.version(p.number) { out.append((p.seq, picture, v)) }
            }
            cursor = tail.seq
        }
        return out
    }
}

/// Polls for publications every `interval` (here and in other processes) and wakes the streams.
struct PictureEventPoller: Service {
    let events: PictureEvents
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await BlockingWork.run { [events] in try events.poll() }
            } catch {
                logger.error("risk-picture events: reading publications failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: interval)
        }
    }
}
