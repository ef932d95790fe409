import Foundation
import GRDB
@testable import LayerServer
import RiskPicture
import Testing

/// The risk-picture store on SQLite: what a step adds is appended with its audit record in one
/// transaction; a failing step writes nothing; stored rows cannot be changed or removed.
@Suite struct PictureStoreTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func audit(_ action: String) -> (String) -> AuditEvent {
        { detail in
            AuditEvent(time: t0, kind: .change, subject: "im", organisation: "vr-utrecht", action: action, resource: "picture:VR09",
                       decision: "allow", rules: ["picture-manager"], policyHash: "h", detail: detail)
        }
    }

    static let area = try! RiskArea(crs: .rdNew, given: Shape(circles: [Circle(center: XY(136_000, 443_000), radiusMetres: 3_000)]))

    @Test func stepsAreAppendedWithTheirAuditRecordAndReadBack() throws {
        let t = try TempStore()
        let pictures = SQLitePictureStore(store: t.store)
        #expect(try pictures.picture(region: "VR09").items.isEmpty)
        let g0 = try pictures.generation()
        let threat = Content.threat(Threat(hazard: .highWater, area: Self.area, severity: .severe, urgency: .expected, certainty: .likely,
                                           headline: "Hoogwater Lek", expectedEffects: "Uiterwaarden onder water", validFrom: Self.t0))
        _ = try pictures.change(region: "VR09", audit: Self.audit("submit")) { p -> String in
            try p.submit(Contribution(id: "t1", region: "VR09", action: .add(threat, supersedes: nil), organisation: "hdsr", author: "hdsr-editor", submittedAt: Self.t0))
            return "submitted t1"
        }
        _ = try pictures.change(region: "VR09", audit: Self.audit("publish")) { p -> String in
            try p.accept("t1", by: "im", at: Self.t0 + 5)
            return "version \(try p.publish(by: "im", at: Self.t0 + 10).number)"
        }
        let read = try pictures.picture(region: "VR09")
        #expect(read.current?.items == ["t1"] && read.items["t1"]?.history.map(\.state) == [.submitted, .accepted, .published])
        #expect(read.items["t1"]?.contribution.content == threat)
        #expect(try pictures.regions() == ["VR09"])
        #expect(try pictures.generation() == g0 + 2)
        let records = try t.store.readSync { db in try AuditLog.query(db) }
        #expect(records.map(\.event.detail) == ["submitted t1", "version 1"])
        #expect(try AccessStore(store: t.store).verifyAudit().intact)

        // A step that fails writes nothing, not even its audit record.
        #expect(throws: RiskPictureError.self) {
            try pictures.change(region: "VR09", audit: Self.audit("publish")) { p -> String in
                try p.reject("t1", by: "im", at: Self.t0 + 20, reason: "te laat")
                return "never"
            }
        }
        #expect(try pictures.picture(region: "VR09") == read)
        #expect(try t.store.readSync { db in try AuditLog.query(db) }.count == 2)

        // Stored rows are kept: no update, no delete.
        for sql in ["UPDATE ls_picture_item SET author = 'x'", "DELETE FROM ls_picture_state", "UPDATE ls_picture_version SET items = '[]'",
                    "DELETE FROM ls_picture_version",
            // REPLACE deletes the row it replaces: the delete triggers see it (recursive triggers).
            "INSERT OR REPLACE INTO ls_picture_version SELECT region, number, published_at, 'x', '[]' FROM ls_picture_version",
            "INSERT OR REPLACE INTO ls_audit SELECT * FROM ls_audit WHERE seq = 1"] {
            #expect(throws: (any Error).self, "\(sql)") { try t.store.pool.write { db in try db.execute(sql: sql) } }
        }
        // GDAL and QGIS see the tables.
        let registered = try t.store.readSync { db in try String.fetchAll(db, sql: "SELECT table_name FROM gpkg_contents WHERE table_name LIKE 'ls_picture%' ORDER BY 1") }
        #expect(registered == ["ls_picture_item", "ls_picture_state", "ls_picture_version"])
    }
}
