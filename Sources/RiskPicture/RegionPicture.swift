import Foundation

/// One published version of a region's picture: immutable once made.
public struct PictureVersion: Codable, Sendable, Hashable {
    public var number: Int
    public var publishedAt: Date
    /// The information manager, or `system:expiry`.
    public var publishedBy: String
    /// The threats and effects in the picture, by id, sorted.
    public var items: [ItemID]

    public init(number: Int, publishedAt: Date, publishedBy: String, items: [ItemID]) {
        self.number = number
        self.publishedAt = publishedAt
        self.publishedBy = publishedBy
        self.items = items
    }
}

/// What changed between two versions, and why.
public struct PictureDiff: Codable, Sendable, Hashable {
    /// An item of the newer version that replaces one of the older (an update).
    public struct Change: Codable, Sendable, Hashable {
        public var old: ItemID
        public var new: ItemID

        public init(old: ItemID, new: ItemID) {
            self.old = old
            self.new = new
        }
    }

    /// An item of the older version that is not in the newer one, nor replaced there.
    public struct Withdrawal: Codable, Sendable, Hashable {
        public var item: ItemID
        /// `cancelled`, `expired` (or `superseded` when its replacement left again).
        public var state: ItemState
        public var reason: String?

        public init(item: ItemID, state: ItemState, reason: String?) {
            self.item = item
            self.state = state
            self.reason = reason
        }
    }

    public var from: Int?
    public var to: Int
    public var added: [ItemID]
    public var changed: [Change]
    public var withdrawn: [Withdrawal]

    public init(from: Int?, to: Int, added: [ItemID], changed: [Change], withdrawn: [Withdrawal]) {
        self.from = from
        self.to = to
        self.added = added
        self.changed = changed
        self.withdrawn = withdrawn
    }
}

/// A region's current risk picture: every contribution with its kept history, and the sequence
/// of published versions. Pure: time is an argument of every step, and steps are refused, not
/// half-done. The region's information manager accepts, rejects and publishes; who may do
/// which step is `AccessPolicy`'s decision, not this type's.
///
/// Times are kept to the second (the as-of queries are exact to the second).
public struct RegionPicture: Codable, Sendable, Hashable {
    /// The safety region (`VR01`...`VR25`).
    public let region: String
    public private(set) var items: [ItemID: Item] = [:]
    /// Oldest first; version `n` is `versions[n - 1]`.
    public private(set) var versions: [PictureVersion] = []

    /// The author of expiry versions.
    public static let expiryActor = "system:expiry"

    public init(region: String) {
        self.region = region
    }

    /// A picture as a store kept it: its items with their histories and its versions.
    /// - Throws: ``RiskPictureError`` when the parts do not fit together (an item of another
    ///   region or without history, versions out of order or naming unknown items).
    public init(restoring region: String, items: [Item], versions: [PictureVersion]) throws {
        self.region = region
        for item in items {
            guard item.contribution.region == region, !item.history.isEmpty else {
                throw RiskPictureError(.conflict, "stored item \(item.id) does not belong to the picture of \(region) or has no history")
            }
            self.items[item.id] = item
        }
        for (i, v) in versions.enumerated() {
            guard v.number == i + 1, v.items.allSatisfy({ self.items[$0] != nil }) else {
                throw RiskPictureError(.conflict, "stored version \(v.number) of \(region) is out of order or names unknown items")
            }
        }
        self.versions = versions
    }

    /// `date` cut to the whole second.
    public static func second(_ date: Date) -> Date {
        Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))
    }

    // MARK: Queries

    /// The current published version, nil before the first publication.
    public var current: PictureVersion? { versions.last }

    /// Version `number`, or nil.
    public func version(_ number: Int) -> PictureVersion? {
        guard number >= 1, number <= versions.count else { return nil }
        return versions[number - 1]
    }

    /// The version that was current at `time` (exact to the second), nil before the first.
    public func version(at time: Date) -> PictureVersion? {
        let t = Self.second(time)
        return versions.last { $0.publishedAt <= t }
    }

    /// The items of a version, in its order.
    public func items(of version: PictureVersion) -> [Item] {
        version.items.compactMap { items[$0] }
    }

    /// Contributions that wait for the information manager: submitted or accepted, oldest first.
    public var pending: [Item] {
        items.values.filter { $0.state == .submitted || $0.state == .accepted }.sorted { ($0.contribution.submittedAt, $0.id) < ($1.contribution.submittedAt, $1.id) }
    }

    /// The first item of the supersession chain `id` belongs to.
    public func root(_ id: ItemID) -> ItemID {
        var current = id
        var seen: Set<ItemID> = []
        while seen.insert(current).inserted, let item = items[current], case .add(_, let previous?) = item.contribution.action {
            current = previous
        }
        return current
    }

    /// The item of `id`'s chain that is in `version`, if any.
    public func head(of id: ItemID, in version: PictureVersion?) -> ItemID? {
        guard let version else { return nil }
        let r = root(id)
        return version.items.first { root($0) == r }
    }

    /// What changed from version `a` (nil: nothing) to version `b`.
    public func diff(from a: PictureVersion?, to b: PictureVersion) -> PictureDiff {
        let before = Set(a?.items ?? []), after = Set(b.items)
        let rootsBefore = Dictionary(before.map { (root($0), $0) }, uniquingKeysWith: { x, _ in x })
        var added: [ItemID] = [], changed: [PictureDiff.Change] = []
        var replaced: Set<ItemID> = []
        for id in b.items where !before.contains(id) {
            if let old = rootsBefore[root(id)] {
                changed.append(.init(old: old, new: id))
                replaced.insert(old)
            } else {
                added.append(id)
            }
        }
        let withdrawn = (a?.items ?? []).filter { !after.contains($0) && !replaced.contains($0) }.map { id -> PictureDiff.Withdrawal in
            // The change that took it out: the last one at or before b's publication.
            let change = items[id]?.history.last { $0.at <= b.publishedAt && $0.state.isFinal }
            return .init(item: id, state: change?.state ?? .cancelled, reason: change?.reason)
        }
        return PictureDiff(from: a?.number, to: b.number, added: added, changed: changed, withdrawn: withdrawn)
    }

    // MARK: Workflow

    /// Takes a contribution: it waits, `submitted`, for the information manager.
    /// - Throws: ``RiskPictureError`` when it names another region, an unknown or withdrawn
    ///   item, or is incomplete.
    public mutating func submit(_ contribution: Contribution) throws {
        var c = contribution
        c.submittedAt = Self.second(c.submittedAt)
        guard c.region == region else { throw RiskPictureError(.invalidContribution, "the contribution is for \(c.region), not \(region)") }
        guard !c.id.isEmpty, items[c.id] == nil else { throw RiskPictureError(.conflict, "an item \(c.id) exists already") }
        let published = Set(current?.items ?? [])
        func requirePublished(_ id: ItemID, _ what: String) throws -> Item {
            guard let item = items[id], published.contains(id) else {
                throw RiskPictureError(.notFound, "\(what) \(id) is not in the current picture of \(region)")
            }
            return item
        }
        switch c.action {
        case .add(let content, let supersedes):
            try Self.check(content)
            if case .effect(let e) = content {
                guard head(of: e.threat, in: current).flatMap({ items[$0]?.contribution.content?.kind }) == "threat" else {
                    throw RiskPictureError(.notFound, "threat \(e.threat) is not in the current picture of \(region)")
                }
            }
            if let old = supersedes {
                let target = try requirePublished(old, "the item to update,")
                guard target.contribution.content?.kind == content.kind else {
                    throw RiskPictureError(.invalidContribution, "an update replaces an item of its own kind: \(old) is a \(target.contribution.content?.kind ?? "cancellation")")
                }
            }
        case .cancel(let target, let reason):
            _ = try requirePublished(target, "the item to cancel,")
            guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw RiskPictureError(.invalidContribution, "a cancellation needs a reason")
            }
        }
        items[c.id] = Item(contribution: c, history: [StateChange(state: .submitted, at: c.submittedAt, by: c.author)])
    }

    /// Times a threat may name.
    static let plausible = Date(timeIntervalSince1970: 946_684_800)...Date(timeIntervalSince1970: 7_258_118_400)

    static func check(_ content: Content) throws {
        switch content {
        case .threat(let t):
            guard !t.headline.trimmingCharacters(in: .whitespaces).isEmpty else { throw RiskPictureError(.invalidContribution, "a threat needs a headline") }
            if let l = t.likelihood, !(0...1).contains(l) { throw RiskPictureError(.invalidContribution, "likelihood must lie in 0...1, got \(l)") }
            if let until = t.validUntil, until <= t.validFrom {
                throw RiskPictureError(.invalidContribution, "validUntil must come after validFrom")
            }
            for date in [t.validFrom] + (t.validUntil.map { [$0] } ?? []) where !plausible.contains(date) {
                throw RiskPictureError(.invalidContribution, "\(date.formatted(.iso8601)) lies outside 2000-2199: check the date")
            }
        case .effect(let e):
            guard e.asset != nil || e.area != nil else { throw RiskPictureError(.invalidContribution, "an effect names an asset (layer and feature) or an area") }
            guard !e.consequence.trimmingCharacters(in: .whitespaces).isEmpty else { throw RiskPictureError(.invalidContribution, "an effect needs its consequence in words") }
            if let d = e.expectedDurationSeconds, d < 0 { throw RiskPictureError(.invalidContribution, "expectedDurationSeconds cannot be negative") }
        }
    }

    /// The information manager verifies a submitted contribution: it goes into the next version.
    public mutating func accept(_ id: ItemID, by user: String, at time: Date, note: String? = nil) throws {
        try move(id, from: [.submitted], to: StateChange(state: .accepted, at: Self.second(time), by: user, reason: note))
    }

    /// The information manager refuses a submitted (or accepted, not yet published)
    /// contribution with a reason; it never appears in a published version.
    public mutating func reject(_ id: ItemID, by user: String, at time: Date, reason: String) throws {
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else { throw RiskPictureError(.invalidContribution, "a rejection needs a reason") }
        try move(id, from: [.submitted, .accepted], to: StateChange(state: .rejected, at: Self.second(time), by: user, reason: reason))
    }

    private mutating func move(_ id: ItemID, from: Set<ItemState>, to change: StateChange) throws {
        guard let item = items[id] else { throw RiskPictureError(.notFound, "no item \(id) in the picture of \(region)") }
        guard from.contains(item.state) else {
            throw RiskPictureError(.conflict, "item \(id) is \(item.state.rawValue); only a \(from.map(\.rawValue).sorted().joined(separator: " or ")) item can become \(change.state.rawValue)")
        }
        guard change.at >= item.history.last!.at else { throw RiskPictureError(.conflict, "item \(id) changed after \(change.at); time runs forward") }
        items[id]!.history.append(change)
    }

    /// Publishes a new version: the current one with the accepted contributions applied
    /// (additions, updates that supersede, cancellations) and what has expired by `time` taken out.
    /// - Throws: ``RiskPictureError`` (`conflict`) when nothing would change.
    @discardableResult
    public mutating func publish(by user: String, at time: Date) throws -> PictureVersion {
        let t = Self.second(time)
        if let last = current, t < last.publishedAt { throw RiskPictureError(.conflict, "version \(last.number) was published after \(t); time runs forward") }
        guard let version = makeVersion(by: user, at: t, accepted: pending.filter { $0.state == .accepted }) else {
            throw RiskPictureError(.conflict, "nothing to publish: no accepted contributions and nothing expired in \(region)")
        }
        return version
    }

    /// Takes out what has expired by `time` as a new version by ``expiryActor``; nil when
    /// nothing has.
    @discardableResult
    public mutating func expire(at time: Date) -> PictureVersion? {
        let t = Self.second(time)
        if let last = current, t < last.publishedAt { return nil }
        return makeVersion(by: Self.expiryActor, at: t, accepted: [])
    }

    private mutating func makeVersion(by user: String, at t: Date, accepted: [Item]) -> PictureVersion? {
        let number = versions.count + 1
        var inPicture = current?.items ?? []
        var changes: [(ItemID, StateChange)] = []
        func remove(_ id: ItemID, _ state: ItemState, _ reason: String) {
            guard let i = inPicture.firstIndex(of: id) else { return }
            inPicture.remove(at: i)
            changes.append((id, StateChange(state: state, at: t, by: user, reason: reason, version: number)))
        }
        // Accepted contributions in the order they came. One whose target left the picture since
        // it was submitted (cancelled, expired, replaced by another update) cannot apply: it is
        // rejected, with that reason, rather than published out of context.
        for item in accepted {
            func refuse(_ reason: String) {
                changes.append((item.id, StateChange(state: .rejected, at: t, by: user, reason: reason, version: number)))
            }
            switch item.contribution.action {
            case .add(let content, let old):
                if let old, !inPicture.contains(old) { refuse("\(old), which it updates, is no longer in the picture"); continue }
                if case .effect(let e) = content, !inPicture.contains(where: { root($0) == root(e.threat) && items[$0]?.contribution.content?.kind == "threat" }) {
                    refuse("its threat \(e.threat) is no longer in the picture"); continue
                }
                if let old { remove(old, .superseded, "superseded by \(item.id)") }
                inPicture.append(item.id)
                changes.append((item.id, StateChange(state: .published, at: t, by: user, version: number)))
            case .cancel(let target, let reason):
                guard inPicture.contains(target) else { refuse("\(target), which it cancels, is no longer in the picture"); continue }
                remove(target, .cancelled, reason)
                changes.append((item.id, StateChange(state: .published, at: t, by: user, reason: "cancels \(target)", version: number)))
            }
        }
        // Expired threats (and any item whose validity ended).
        for id in inPicture {
            if case .threat(let threat)? = items[id]?.contribution.content, let until = threat.validUntil, until <= t {
                remove(id, .expired, "valid until \(until.formatted(.iso8601))")
            }
        }
        // Effects go with their threat.
        let threatRoots = Set(inPicture.filter { items[$0]?.contribution.content?.kind == "threat" }.map(root))
        for id in inPicture {
            guard case .effect(let e)? = items[id]?.contribution.content, !threatRoots.contains(root(e.threat)) else { continue }
            let threatEnd = changes.first { root($0.0) == root(e.threat) && ($0.1.state == .cancelled || $0.1.state == .expired) }
            let state = threatEnd?.1.state ?? .cancelled
            remove(id, state, "its threat \(e.threat) was \(state.rawValue)")
        }
        guard !changes.isEmpty else { return nil }
        for (id, change) in changes { items[id]?.history.append(change) }
        let version = PictureVersion(number: number, publishedAt: t, publishedBy: user, items: inPicture.sorted())
        versions.append(version)
        return version
    }
}
