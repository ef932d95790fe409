import AccessPolicy
import Foundation
import GRDB
import GeoCore
import RiskPicture
import Synchronization

/// The regions' risk pictures as the service keeps and shows them: domain steps through the
/// store (one transaction with its audit record each), decisions in the one order (read first:
/// a picture the caller may not read does not exist for it), and what a caller may see of a
/// picture: an effect on an asset carries the conditions of the asset's layer.
public final class PictureService: Sendable {
    public let store: any PictureStore
    let layers: LayerService
    var access: AccessControl { layers.access }

    /// The earliest end of a threat in each region's current version, for the store generation
    /// it was read at: the expiry check reads pictures only when something changed or ends.
    private let ends = Mutex<(generation: Int, next: [String: Date])>((-1, [:]))

    /// The live events of every picture.
    let events: PictureEvents

    public init(store: any PictureStore, layers: LayerService) throws {
        self.store = store
        self.layers = layers
        self.events = try PictureEvents(store: store)
    }

    /// The one answer for a picture that does not exist for the caller: an unknown region code,
    /// or a region whose picture it may not read.
    static func unknownPicture(_ region: String) -> Problem { Problem.notFound("no risk picture of \"\(region)\"") }

    // MARK: Decisions

    /// The read decision on a region's picture, or the unknown-picture answer (denials of real
    /// regions are audited; made-up codes are answered without a decision).
    func readable(_ caller: Principal, _ region: String) throws -> Decision {
        guard Policy.regionCodes.contains(region) else { throw Self.unknownPicture(region) }
        let now = layers.clock()
        let d = access.decide(caller, .read, .picture(region: region), at: now)
        guard d.allowed else {
            access.audit(denied: d, principal: caller, action: .read, resource: .picture(region: region), at: now)
            throw Self.unknownPicture(region)
        }
        return d
    }

    /// After the read decision: `write` (contribute) or `approve` (verify and publish), or 403
    /// with the reason (audited).
    func require(_ caller: Principal, _ action: Action, _ region: String) throws -> Decision {
        _ = try readable(caller, region)
        let now = layers.clock()
        let d = access.decide(caller, action, .picture(region: region), at: now)
        guard d.allowed else {
            access.audit(denied: d, principal: caller, action: action, resource: .picture(region: region), at: now)
            throw Problem.forbidden(d.reasons.last ?? "no rule allows it")
        }
        return d
    }

    /// True when `caller` manages (verifies, publishes) the region's picture.
    func manages(_ caller: Principal, _ region: String) -> Bool {
        access.decide(caller, .approve, .picture(region: region), at: layers.clock()).allowed
    }

    // MARK: What a caller sees

    /// An effect on an asset is seen only by callers that may read the asset's layer where the
    /// asset lies (strictest input wins). Threats, and effects described by an area only, are
    /// the picture's own.
    func maySee(_ caller: Principal, _ item: Item, in picture: RegionPicture? = nil) -> Bool {
        // A cancellation names its target: it is seen by those who see the target.
        if case .cancel(let target, _) = item.contribution.action {
            guard let picture, let t = picture.items[target] else { return true }
            return maySee(caller, t, in: nil)
        }
        guard case .effect(let e)? = item.contribution.content, let asset = e.asset else { return true }
        let grant = access.readGrant(caller, layer: asset.layer, at: layers.clock())
        guard grant.decision.allowed else { return false }
        guard grant.decision.filter != .everywhere else { return true }
        guard let p = asset.position, let area = try? layers.tiles.scope.resolve(grant.decision.filter, crs: .wgs84) else { return false }
        return area.geometry.containsPoint(Position(p.x, p.y))
    }

    /// The item as `caller` is shown it: an asset's feature id is the one the caller's tiles
    /// show (an opaque id when it reads the layer only in part; see ``OpaqueFeatureIDs``), and
    /// items the caller may not see are not named (in `supersedes` and in state reasons).
    /// The items of `picture` that `caller` may not see: computed once per answer, then used for
    /// every item and diff in it.
    func hidden(for caller: Principal, in picture: RegionPicture) -> Set<ItemID> {
        Set(picture.items.values.filter { !maySee(caller, $0, in: picture) }.map(\.id))
    }

    func presented(_ item: Item, hiding hidden: Set<ItemID> = [], for caller: Principal) -> Item {
        var shown = item
        if case .add(let content, let old?) = shown.contribution.action, hidden.contains(old) {
            shown.contribution.action = .add(content, supersedes: nil)
        }
        if !hidden.isEmpty {
            shown.history = shown.history.map { change in
                var c = change
                if let reason = c.reason, hidden.contains(where: { reason.contains($0) }) { c.reason = Self.unnamed(c.state) }
                return c
            }
        }
        guard case .add(.effect(var e), let supersedes) = shown.contribution.action, var asset = e.asset, let version = asset.version else { return shown }
        let grant = access.readGrant(caller, layer: asset.layer, at: layers.clock())
        guard grant.decision.allowed, grant.decision.filter != .everywhere else { return shown }
        asset.feature = OpaqueFeatureIDs(secret: access.keyBytes, layer: asset.layer, version: version, accessClass: grant.accessClass).hasher().id(asset.feature)
        e.asset = asset
        shown.contribution.action = .add(.effect(e), supersedes: supersedes)
        return shown
    }

    /// A state reason that named an item the caller may not see.
    static func unnamed(_ state: ItemState) -> String {
        switch state {
        case .superseded: "superseded"
        case .cancelled: "cancelled"
        case .expired: "expired"
        default: "changed"
        }
    }

    /// A diff as `caller` may see it: hidden items are not named; a change with one hidden side
    /// reads as the visible side's addition or withdrawal.
    func presented(_ diff: PictureDiff, hiding hidden: Set<ItemID>) -> PictureDiff {
        var added = diff.added.filter { !hidden.contains($0) }
        var withdrawn = diff.withdrawn.filter { !hidden.contains($0.item) }.map { w -> PictureDiff.Withdrawal in
            var w = w
            if let reason = w.reason, hidden.contains(where: { reason.contains($0) }) { w.reason = Self.unnamed(w.state) }
            return w
        }
        var changed: [PictureDiff.Change] = []
        for c in diff.changed {
            switch (hidden.contains(c.old), hidden.contains(c.new)) {
            case (false, false): changed.append(c)
            case (false, true): withdrawn.append(.init(item: c.old, state: .superseded, reason: Self.unnamed(.superseded)))
            case (true, false): added.append(c.new)
            case (true, true): break
            }
        }
        return PictureDiff(from: diff.from, to: diff.to, added: added, changed: changed, withdrawn: withdrawn)
    }

    /// A pending or rejected contribution is seen by its author's organisation and the region's
    /// information managers only; a published one by every reader that may see it.
    func maySeeContribution(_ caller: Principal, _ item: Item, in picture: RegionPicture) -> Bool {
        let region = picture.region
        guard maySee(caller, item, in: picture) else { return false }
        if item.history.contains(where: { $0.state == .published }) { return true }
        return item.contribution.organisation == caller.organisation || manages(caller, region)
    }

    // MARK: Steps

    /// Records the step's audit event: who did what to which region's picture, under which rules.
    func auditEvent(_ caller: Principal, _ d: Decision, _ action: String, _ region: String, detail: String) -> AuditEvent {
        AuditEvent(time: layers.clock(), kind: .change, subject: caller.subject.text, organisation: caller.organisation, action: action,
                   resource: "picture:\(region)", decision: "allow", rules: d.rules, policyHash: d.policyHash, detail: detail)
    }

    /// Takes a contribution. The asset of an effect must be a feature of a layer the caller
    /// reads, where it reads it; its layer version and position are recorded with the effect.
    func submit(_ caller: Principal, region: String, _ body: ContributionBody) async throws -> Item {
        let d = try require(caller, .write, region)
        var action = try body.action()
        try Self.checkSize(action)
        if case .add(.effect(var effect), let supersedes) = action, let asset = effect.asset {
            let located = try await locate(asset, for: caller)
            // The asset is in the region whose picture it is for (where its managers verify it).
            if let p = located.position, let area = try layers.tiles.scope.resolve(.within(regions: [region], areas: []), crs: .wgs84),
               !area.geometry.containsPoint(Position(p.x, p.y)) {
                throw RiskPictureError(.invalidContribution, "the asset lies outside \(region); contribute its effect to the picture of its own region")
            }
            effect.asset = located
            action = .add(.effect(effect), supersedes: supersedes)
        }

        let contribution = Contribution(id: UploadService.newID(prefix: "rp-"), region: region, action: action,
                                        organisation: caller.organisation, author: caller.subject.text, submittedAt: layers.clock())
        return try await BlockingWork.run { [store] in
            try store.change(region: region, audit: { (item: Item) in
                self.auditEvent(caller, d, "contribute", region, detail: "submitted \(item.contribution.content?.kind ?? "cancellation") \(item.id)")
            }) { picture in
                try self.checkContribution(contribution.action, caller, picture)
                try picture.submit(contribution)
                return picture.items[contribution.id]!
            }
        }
    }

    /// Longest text of a headline, effect, consequence, reason or note.
    static let maximumText = 4000
    /// Most positions of a contribution's area (over its polygons), and most polygons and circles.
    static let maximumVertices = 10_000
    static let maximumShapes = 100
    /// Contributions one organisation may have waiting in one region's picture.
    static let maximumPending = 200

    /// Refuses contributions whose size would make every reader of the picture pay: long texts,
    /// areas with more than ``maximumVertices`` positions or ``maximumShapes`` parts.
    static func checkSize(_ action: Contribution.Action) throws {
        func text(_ s: String, _ name: String) throws {
            guard s.count <= maximumText else { throw RiskPictureError(.invalidContribution, "\(name) has \(s.count) characters; at most \(maximumText)") }
        }
        func area(_ a: RiskArea) throws {
            let vertices = a.given.polygons.reduce(0) { $0 + $1.reduce(0) { $0 + $1.count } }
            guard vertices <= maximumVertices, a.given.polygons.count + a.given.circles.count <= maximumShapes else {
                throw RiskPictureError(.invalidArea, "the area has \(vertices) positions in \(a.given.polygons.count) polygons and \(a.given.circles.count) circles; at most \(maximumVertices) positions and \(maximumShapes) parts: simplify it")
            }
        }
        switch action {
        case .add(.threat(let t), _):
            try text(t.headline, "headline")
            try text(t.expectedEffects, "expectedEffects")
            try area(t.area)
        case .add(.effect(let e), _):
            try text(e.consequence, "consequence")
            if let a = e.area { try area(a) }
        case .cancel(_, let reason):
            try text(reason, "reason")
        }
    }

    /// A contribution may name (update, cancel) only items the caller sees: an item it may not
    /// see answers as an unknown one, in the domain's own words. An organisation has at most
    /// ``maximumPending`` contributions waiting. Checked in the step's transaction.
    func checkContribution(_ action: Contribution.Action, _ caller: Principal, _ picture: RegionPicture) throws {
        let waiting = picture.items.values.filter { ($0.state == .submitted || $0.state == .accepted) && $0.contribution.organisation == caller.organisation }.count
        guard waiting < Self.maximumPending else {
            throw RiskPictureError(.conflict, "\(caller.organisation) has \(waiting) contributions waiting for the region in \(picture.region); wait until they are verified")
        }
        func hidden(_ id: ItemID) -> Bool { picture.items[id].map { !maySee(caller, $0, in: picture) } ?? false }
        switch action {
        case .add(_, let old?) where hidden(old):
            throw RiskPictureError(.notFound, "the item to update, \(old) is not in the current picture of \(picture.region)")
        case .cancel(let target, _) where hidden(target):
            throw RiskPictureError(.notFound, "the item to cancel, \(target) is not in the current picture of \(picture.region)")
        default:
            return
        }
    }

    /// Takes a CAP 1.2 alert as a threat contribution (an Update supersedes, a Cancel withdraws
    /// the threat its references name).
    func submitCAP(_ caller: Principal, region: String, _ data: Data) async throws -> Item {
        let d = try require(caller, .write, region)
        let alert = try CAPAlert.parse(data)
        let id = UploadService.newID(prefix: "rp-")
        let now = layers.clock()
        return try await BlockingWork.run { [store] in
            try store.change(region: region, audit: { (item: Item) in
                self.auditEvent(caller, d, "contribute", region, detail: "submitted CAP \(alert.msgType) \(alert.identifier) of \(alert.sender) as \(item.id)")
            }) { picture in
                let contribution = try alert.contribution(id: id, in: picture, organisation: caller.organisation, author: caller.subject.text, at: now)
                try Self.checkSize(contribution.action)
                try self.checkContribution(contribution.action, caller, picture)
                try picture.submit(contribution)
                return picture.items[id]!
            }
        }
    }

    /// The feature `asset` names, as the caller may see it, with its layer version and position.
    func locate(_ asset: AssetRef, for caller: Principal) async throws -> AssetRef {
        let missing = StoreError(.invalidRequest, "no feature \(asset.feature) in layer \"\(asset.layer)\": name an asset of a layer you may read, by the feature id its tiles show")
        guard let (layer, grant) = layers.visibleLayer(asset.layer, caller) else { throw missing }
        let version = layer.current
        let table = GeoPackageSchema.quote(version.tableName)
        // A caller limited to an area knows features by the opaque ids of its tiles: find the
        // stored feature among those in its area.
        var fid = asset.feature
        if grant.decision.filter != .everywhere {
            guard let area = try layers.tiles.scope.resolve(grant.decision.filter, crs: version.crs) else { throw missing }
            let box = area.envelope
            let ids = OpaqueFeatureIDs(secret: access.keyBytes, layer: layer.id, version: layer.currentVersion, accessClass: grant.accessClass)
            let rtree = GeoPackageSchema.quote(VersionTables(table: version.tableName).rtree)
            let wanted = asset.feature
            guard let found = try await layers.store.read({ db -> Int64? in
                let hasher = ids.hasher()
                let candidates = try Int64.fetchCursor(db, sql: "SELECT id FROM \(rtree) WHERE minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?",
                                                       arguments: [box.maxX, box.minX, box.maxY, box.minY])
                while let id = try candidates.next() {
                    if hasher.id(id) == wanted { return id }
                }
                return nil
            }) else { throw missing }
            fid = found
        }
        let geometry = try await layers.store.read { [fid] db -> Geometry? in
            guard let blob = try Data.fetchOne(db, sql: "SELECT geom FROM \(table) WHERE fid = ?", arguments: [fid]) else { return nil }
            return try GeoPackageBinary.decode([UInt8](blob)).geometry
        }
        guard let geometry, let envelope = geometry.envelope else { throw missing }
        let centre: Position
        if case .point(let p?) = geometry { centre = p } else { centre = envelope.center }
        let wgs84 = try layers.tiles.transformers.withTransformer(from: version.crs, to: .wgs84) { try $0.transform(centre) }
        if grant.decision.filter != .everywhere {
            guard let area = try layers.tiles.scope.resolve(grant.decision.filter, crs: .wgs84), area.geometry.containsPoint(wgs84) else { throw missing }
        }
        return AssetRef(layer: asset.layer, feature: fid, version: layer.currentVersion, position: XY(wgs84.x, wgs84.y))
    }

    /// Accepts or rejects a pending contribution (information managers of the region).
    func verify(_ caller: Principal, region: String, item id: ItemID, accept: Bool, text: String?) async throws -> Item {
        let d = try require(caller, .approve, region)
        let now = layers.clock()
        return try await BlockingWork.run { [store] in
            try store.change(region: region, audit: { (item: Item) in
                self.auditEvent(caller, d, accept ? "accept" : "reject", region,
                                detail: "\(accept ? "accepted" : "rejected") \(item.id)" + (text.map { ": \($0)" } ?? ""))
            }) { picture in
                if accept {
                    try picture.accept(id, by: caller.subject.text, at: now, note: text)
                } else {
                    try picture.reject(id, by: caller.subject.text, at: now, reason: text ?? "")
                }
                return picture.items[id]!
            }
        }
    }

    /// Publishes a new version of the region's picture (information managers of the region).
    func publish(_ caller: Principal, region: String) async throws -> (RegionPicture, PictureVersion) {
        let d = try require(caller, .approve, region)
        let now = layers.clock()
        return try await BlockingWork.run { [store] in
            try store.change(region: region, audit: { (result: (RegionPicture, PictureVersion)) in
                self.auditEvent(caller, d, "publish", region, detail: "published version \(result.1.number) of the picture of \(region): \(result.1.items.count) items")
            }) { picture in
                let v = try picture.publish(by: caller.subject.text, at: now)
                return (picture, v)
            }
        }
    }

    /// Takes out what has expired in every region's picture, as versions by the system.
    @discardableResult
    public func expire(at time: Date) throws -> [String: PictureVersion] {
        let generation = try store.generation()
        if ends.withLock({ $0.generation }) != generation {
            // Something changed (here or in another process): read when each region's next threat ends.
            var next: [String: Date] = [:]
            for region in try store.regions() {
                let picture = try store.picture(region: region)
                let ends = picture.current.map { picture.items(of: $0) }?.compactMap { item -> Date? in
                    if case .threat(let t)? = item.contribution.content { return t.validUntil }
                    return nil
                }
                if let first = ends?.min() { next[region] = first }
            }
            ends.withLock { $0 = (generation, next) }
        }
        let due = ends.withLock { $0.next.filter { $0.value <= time }.map(\.key) }
        var out: [String: PictureVersion] = [:]
        for region in due.sorted() {
            var probe = try store.picture(region: region)
            guard probe.expire(at: time) != nil else { continue }
            let v = try store.change(region: region, audit: { (v: PictureVersion?) in
                AuditEvent(time: time, kind: .change, subject: RegionPicture.expiryActor, organisation: "", action: "expire",
                           resource: "picture:\(region)", decision: "allow", rules: [], policyHash: self.access.policy.hash,
                           detail: "version \(v?.number ?? 0) of the picture of \(region): expired items withdrawn")
            }) { $0.expire(at: time) }
            out[region] = v
        }
        return out
    }

    /// The picture for reading, from the store.
    /// Reads go through a small cache of the regions' pictures, valid while the store's
    /// generation (bumped by every step, in any process) is unchanged: a national tile or an
    /// event fan-out then costs one generation query, not 25 picture loads.
    func picture(_ region: String) async throws -> RegionPicture {
        try await BlockingWork.run { [self] in
            let generation = try store.generation()
            if let hit = cache.withLock({ $0.generation == generation ? $0.pictures[region] : nil }) { return hit }
            let picture = try store.picture(region: region)
            cache.withLock { c in
                if c.generation != generation { c = (generation, [:]) }
                c.pictures[region] = picture
            }
            return picture
        }
    }

    /// At most 25 regions' pictures, for one store generation.
    private let cache = Mutex<(generation: Int, pictures: [String: RegionPicture])>((-1, [:]))
}
