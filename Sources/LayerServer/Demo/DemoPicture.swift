import AccessPolicy
import Foundation
import GRDB
import GeoCore
import RiskPicture

/// The demo's risk-picture story in the region Utrecht (VR09): the water board HDSR's high-water
/// threat on the Lekdijk arrives as a CAP alert, the information manager of VR Utrecht accepts
/// and publishes it, Vitens adds the effect on its pumping station nearest to the threat, and
/// the manager accepts and publishes that too. Each step is written as the cast member who takes
/// it, with its audit record, through the same store and domain as the HTTP routes.
public enum DemoPicture {
    /// Writes the story when VR09's picture is empty; returns a line per step (none when it was there).
    @discardableResult
    public static func apply(store: LayerStore, fixtures: URL, transformers: TransformerPool, now: Date = Date()) throws -> [String] {
        let pictures = SQLitePictureStore(store: store)
        guard try pictures.picture(region: "VR09").items.isEmpty else { return [] }
        let policy = PolicyVersion(try AccessStore(store: store).current().policy)
        func audit(_ user: String, _ org: String, _ action: String, _ detail: String) -> AuditEvent {
            AuditEvent(time: now, kind: .change, subject: user, organisation: org, action: action, resource: "picture:VR09", decision: "allow",
                       rules: ["demo"], policyHash: policy.hash, detail: detail)
        }
        var log: [String] = []
        // 1. HDSR's CAP alert becomes a threat; 2. the manager accepts and publishes it.
        let alert = try CAPAlert.parse(Data(contentsOf: fixtures.appendingPathComponent("cap/hdsr-hoogwater-lekdijk.xml")))
        let threatID = "rp-demo-hdsr-hoogwater"
        try pictures.change(region: "VR09", audit: { _ in audit("hdsr-editor", "hdsr", "contribute", "submitted CAP alert \(alert.identifier) as \(threatID)") }) { p in
            try p.submit(try alert.contribution(id: threatID, in: p, organisation: "hdsr", author: "hdsr-editor", at: now))
        }
        try pictures.change(region: "VR09", audit: { (v: Int) in audit("im-utrecht", "vr-utrecht", "publish", "accepted \(threatID), published version \(v)") }) { p in
            try p.accept(threatID, by: "im-utrecht", at: now, note: "waterschapsbeeld HDSR overgenomen")
            return try p.publish(by: "im-utrecht", at: now).number
        }
        log.append("risk picture VR09: HDSR's CAP alert \(alert.identifier) published as threat \(threatID)")
        // 3. Vitens' effect on its pumping station nearest to the threat, within VR09.
        guard case .add(.threat(let threat), _)? = try pictures.picture(region: "VR09").items[threatID]?.contribution.action,
              let layer = try store.layer("water_facilities"), let centre = threat.area.geometry().envelope?.center else { return log }
        let scope = try SpatialScope(transformers: transformers)
        let vr09 = try scope.resolve(.within(regions: ["VR09"], areas: []), crs: .wgs84)
        let toWGS = try Transformer(from: layer.current.crs, to: .wgs84)
        let table = GeoPackageSchema.quote(layer.current.tableName)
        let candidates = try store.readSync { db in
            try Row.fetchAll(db, sql: "SELECT fid, geom FROM \(table)").compactMap { row -> (Int64, Position)? in
                let blob: Data = row["geom"]
                guard case .point(let p?) = try GeoPackageBinary.decode([UInt8](blob)).geometry else { return nil }
                return (row["fid"], try toWGS.transform(p))
            }
        }
        let inRegion = candidates.filter { vr09?.geometry.containsPoint($0.1) ?? true }
        guard let nearest = inRegion.min(by: { hypot($0.1.x - centre.x, $0.1.y - centre.y) < hypot($1.1.x - centre.x, $1.1.y - centre.y) }) else { return log }
        let effectID = "rp-demo-vitens-pompstation"
        let effect = Effect(threat: threatID, asset: AssetRef(layer: "water_facilities", feature: nearest.0, version: layer.currentVersion,
                                                                position: XY(nearest.1.x, nearest.1.y)),
                            consequence: "Pompstation valt uit bij kwel en overstroming; drinkwaterlevering Vianen via noodvoorziening",
                            expectedDurationSeconds: 72 * 3600)
        try pictures.change(region: "VR09", audit: { _ in audit("vitens-editor", "vitens", "contribute", "submitted effect \(effectID)") }) { p in
            try p.submit(Contribution(id: effectID, region: "VR09", action: .add(.effect(effect), supersedes: nil), organisation: "vitens",
                                      author: "vitens-editor", submittedAt: now))
        }
        try pictures.change(region: "VR09", audit: { (v: Int) in audit("im-utrecht", "vr-utrecht", "publish", "accepted \(effectID), published version \(v)") }) { p in
            try p.accept(effectID, by: "im-utrecht", at: now)
            return try p.publish(by: "im-utrecht", at: now).number
        }
        log.append("risk picture VR09: Vitens' effect on pumping station \(nearest.0) of water_facilities published")
        return log
    }
}
