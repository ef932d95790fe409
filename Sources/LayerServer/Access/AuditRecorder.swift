import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Collects read and denial events and writes them to the audit log in batches. Events with the
/// same subject, organisation, action, resource, decision, rules, reasons and policy within one flush
/// interval become one record with their count and the tile or feature ids (up to
/// ``AuditEvent/maximumItems``). Changes are not recorded here: they are written in the same
/// transaction as the change itself.
///
/// A hard kill loses at most the events of the last interval (one second by default).
public final class AuditRecorder: Sendable {
    /// What makes two events one record. The hash is computed once, when the key is made: the
    /// read path reuses one key per caller and layer.
    struct Key: Hashable, Sendable {
        var kind: AuditEvent.Kind
        var subject: String
        var organisation: String
        var action: String
        var resource: String
        var decision: String
        var rules: [String]
        var policyHash: String
        /// Reasons are part of the key: two different reasons never merge into one record.
        var detail: String
        private var precomputed: Int = 0

        init(kind: AuditEvent.Kind, subject: String, organisation: String, action: String, resource: String,
             decision: String, rules: [String], policyHash: String, detail: String) {
            self.kind = kind
            self.subject = subject
            self.organisation = organisation
            self.action = action
            self.resource = resource
            self.decision = decision
            self.rules = rules
            self.policyHash = policyHash
            self.detail = detail
            var h = Hasher()
            for part in [kind.rawValue, subject, organisation, action, resource, decision, policyHash, detail] + rules { h.combine(part) }
            precomputed = h.finalize()
        }

        func hash(into hasher: inout Hasher) { hasher.combine(precomputed) }

        static func == (a: Key, b: Key) -> Bool {
            a.precomputed == b.precomputed && a.kind == b.kind && a.subject == b.subject && a.organisation == b.organisation
                && a.action == b.action && a.resource == b.resource && a.decision == b.decision && a.rules == b.rules
                && a.policyHash == b.policyHash && a.detail == b.detail
        }
    }

    struct Pending {
        var first: Date
        var order: Int
        var count: Int
        var items: [String]
    }

    struct State {
        var pending: [Key: Pending] = [:]
        var next = 0
        /// Pending refused-credential records (by address and reason), at most ``maximumRefusalKeys``.
        var refusalKeys = 0
        /// Items listed in pending refused-credential records, at most ``maximumRefusalItemsPending``.
        var refusalItems = 0
    }

    /// Refused credentials of one address and reason are merged into one record per this interval.
    public let refusalInterval: Duration
    /// Distinct items (claimed token id and path) kept per refused-credential record.
    public static let maximumRefusalItems = 20
    /// Bytes of the request path kept per item.
    public static let maximumPathBytes = 256
    /// Address-and-reason records pending at once; beyond them, refusals merge under
    /// `(other addresses)`, whose items name the address. With ``maximumRefusalItemsPending``
    /// this bounds what strangers make us write to about 35 kB per ``refusalInterval``
    /// however many addresses they use.
    static let maximumRefusalKeys = 32
    /// Items (claimed token id and path) listed in all pending refused-credential records together.
    static let maximumRefusalItemsPending = 64

    private let state = Mutex(State())
    let store: AccessStore
    let logger: Logger
    let metrics: ServiceMetrics?

    public init(store: AccessStore, refusalInterval: Duration = .seconds(60), metrics: ServiceMetrics? = nil,
                logger: Logger = Logger(label: "layerserver.audit")) {
        self.store = store
        self.metrics = metrics
        self.refusalInterval = refusalInterval
        self.logger = logger
    }

    /// Records a refused credential: one record per source address and reason per
    /// ``refusalInterval``, counting every attempt and listing at most
    /// ``maximumRefusalItems`` distinct claimed token ids with the path (cut to
    /// ``maximumPathBytes``). What a caller without credentials can make us store is bounded
    /// by the number of addresses and reasons, not by its requests or their size.
    public func recordRefusal(address: String, reason: String, claimed: String, path: String, policyHash: String, at time: Date) {
        func key(_ address: String) -> Key {
            Key(kind: .authentication, subject: "unauthenticated", organisation: "", action: "authenticate",
                resource: "address:" + address, decision: "deny", rules: ["deny-default"], policyHash: policyHash, detail: reason)
        }
        let address = String(address.prefix(64))
        var item = String(claimed.prefix(64)) + " " + Self.cut(path, to: Self.maximumPathBytes)
        state.withLock { s in
            var k = key(address)
            if s.pending[k] == nil, s.refusalKeys >= Self.maximumRefusalKeys {
                k = key("(other addresses)")
                item = address + " " + item
            }
            let room = s.refusalItems < Self.maximumRefusalItemsPending
            if let i = s.pending.index(forKey: k) {
                s.pending.values[i].count += 1
                if room, s.pending.values[i].items.count < Self.maximumRefusalItems, !s.pending.values[i].items.contains(item) {
                    s.pending.values[i].items.append(item)
                    s.refusalItems += 1
                }
            } else {
                s.pending[k] = Pending(first: time, order: s.next, count: 1, items: room ? [item] : [])
                s.next += 1
                s.refusalKeys += 1
                if room { s.refusalItems += 1 }
            }
        }
    }

    /// `text` cut to at most `bytes` UTF-8 bytes on a character boundary, marked when cut.
    static func cut(_ text: String, to bytes: Int) -> String {
        guard text.utf8.count > bytes else { return text }
        var out = ""
        var used = 0
        for c in text {
            let n = c.utf8.count
            guard used + n <= bytes else { break }
            out.append(c)
            used += n
        }
        return out + "...(\(text.utf8.count) bytes)"
    }

    /// Records an event (merged with its like until the next flush).
    public func record(_ kind: AuditEvent.Kind, subject: String, organisation: String, action: String, resource: String,
                       decision: String, rules: [String], policyHash: String, item: String?, detail: String, at time: Date) {
        record(Key(kind: kind, subject: subject, organisation: organisation, action: action, resource: resource,
                   decision: decision, rules: rules, policyHash: policyHash, detail: detail), item: item, at: time)
    }

    /// Records an event under a key made earlier.
    func record(_ key: Key, item: @autoclosure () -> String?, at time: Date) {
        // Count under the lock; make the item text only while the record still lists items.
        let (counted, full) = state.withLock { s -> (Bool, Bool) in
            guard let i = s.pending.index(forKey: key) else { return (false, false) }
            s.pending.values[i].count += 1
            return (true, s.pending.values[i].items.count >= AuditEvent.maximumItems)
        }
        if full { return }
        let text = item()
        state.withLock { s in
            if let i = s.pending.index(forKey: key) {
                if !counted { s.pending.values[i].count += 1 }
                if let text, s.pending.values[i].items.count < AuditEvent.maximumItems { s.pending.values[i].items.append(text) }
            } else if !counted {
                s.pending[key] = Pending(first: time, order: s.next, count: 1, items: text.map { [$0] } ?? [])
                s.next += 1
            }
            // Counted, then flushed in between: the count went out with that record; its item is dropped.
        }
    }

    /// Writes every pending record. Safe to call at any time; a failed write keeps the events.
    /// - Parameter now: when given (the periodic flush), refused-credential records younger than
    ///   ``refusalInterval`` stay pending to merge further attempts; nil writes everything
    ///   (a reviewer's read, shutdown).
    public func flush(now: Date? = nil) async throws {
        let interval = Double(refusalInterval.components.seconds) + Double(refusalInterval.components.attoseconds) / 1e18
        let batch = state.withLock { s -> [(Key, Pending)] in
            var b: [(Key, Pending)] = []
            for (key, p) in s.pending {
                if let now, key.kind == .authentication, now.timeIntervalSince(p.first) < interval { continue }
                b.append((key, p))
            }
            for (key, p) in b {
                s.pending.removeValue(forKey: key)
                if key.kind == .authentication {
                    s.refusalKeys -= 1
                    s.refusalItems -= p.items.count
                }
            }
            b.sort { $0.1.order < $1.1.order }
            return b
        }
        guard !batch.isEmpty else { return }
        let events = batch.map { key, p in
            AuditEvent(time: p.first, kind: key.kind, subject: key.subject, organisation: key.organisation, action: key.action,
                       resource: key.resource, decision: key.decision, rules: key.rules, policyHash: key.policyHash,
                       count: p.count, items: p.items, detail: key.detail)
        }
        do {
            try await store.append(events)
            metrics?.auditRecordsWritten(events.count)
        } catch {
            // Put them back: nothing recorded is dropped because the store was busy.
            state.withLock { s in
                for (key, p) in batch {
                    if var existing = s.pending[key] {
                        existing.count += p.count
                        existing.first = min(existing.first, p.first)
                        s.pending[key] = existing
                    } else {
                        s.pending[key] = p
                        if key.kind == .authentication {
                            s.refusalKeys += 1
                            s.refusalItems += p.items.count
                        }
                    }
                }
            }
            throw error
        }
    }
}

/// Flushes the audit recorder every `interval`, and once more at shutdown.
struct AuditFlusher: Service {
    let recorder: AuditRecorder
    let interval: Duration
    /// The service clock, which stamps the records.
    let clock: @Sendable () -> Date

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: interval)
            do {
                try await recorder.flush(now: clock())
            } catch {
                recorder.logger.error("audit flush failed; will retry", metadata: ["error": "\(error)"])
            }
        }
        try await recorder.flush()
    }
}

/// Logs the audit log's head (sequence number and hash) every `interval`, so that an operator
/// can keep it elsewhere and later detect a log cut off at the end (`audit verify --expect-head`).
struct AuditHeadLogger: Service {
    let access: AccessControl
    let interval: Duration

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let head = try await BlockingWork.run { [access] in try access.store.auditHead() }
                access.logger.notice("audit log head", metadata: ["seq": "\(head.seq)", "hash": "\(head.hash)"])
            } catch {
                access.logger.error("cannot read the audit log head", metadata: ["error": "\(error)"])
            }
            // A long interval: shutdown must not wait for it.
            _ = try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
