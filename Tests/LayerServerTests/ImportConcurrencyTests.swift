import AccessPolicy
import Foundation
import GeoCore
import Synchronization
import Testing
@testable import LayerServer

@Suite("Imports beside other writers")
struct ImportConcurrencyTests {
    /// `count` points spread over the Netherlands in RD, with two attributes.
    static func points(in directory: URL, count: Int) throws -> URL {
        let file = directory.appendingPathComponent("points-\(count).gpkg")
        var rng = SystemRandomNumberGenerator()
        try VectorWriter.create(at: file.path, driver: "GPKG", layerName: "points", crs: .rdNew, geometryType: .point,
                                fields: [Field(name: "n", type: .integer), Field(name: "kind", type: .text)]) { w in
            let kinds: [AttributeValue] = [.string("ondergronds"), .string("bovengronds"), .string("geboord")]
            for i in 0..<count {
                let p = Position(Double.random(in: 80_000..<250_000, using: &rng), Double.random(in: 380_000..<580_000, using: &rng))
                try w.write(Feature(id: Int64(i + 1), geometry: .point(p), attributes: [.int(Int64(i)), kinds[i % 3]]))
            }
        }
        return file
    }

    @Test("while a 1M-point import runs, reading and writing, a token revocation takes effect within a second")
    func revocationDuringImport() async throws {
        let t = try TempStore()
        let directory = t.directory
        let file = try await BlockingWork.run { try Self.points(in: directory, count: 1_000_000) }
        let org = Organisation(id: "vr", name: "VR", coreTask: .hulpdienst, profile: .kern, audit: .certified, reach: .national,
                               regions: [], adoptionRegion: "VR09")
        let store = AccessStore(store: t.store)
        try store.change(by: .localOperator(), resource: "system", summary: "users", at: Date()) {
            $0 = Policy(organisations: [org], users: [User(id: "u", name: "U", organisation: "vr", roles: [.viewer])], layers: [])
        }
        let access = try AccessControl(store: store, configuration: .init())

        /// 0 before the import writes, 1 while it writes, 2 when done.
        let phase = Atomic<Int>(0)
        let request = ImportRequest(file: file, layerID: "points", owner: "vr", sensitivity: .restricted)
        let importer = t.importer
        let running = Task.detached {
            defer { phase.store(2, ordering: .sequentiallyConsistent) }
            return try importer.run(request) { progress in
                if progress.written != nil { phase.store(1, ordering: .sequentiallyConsistent) }
            }
        }
        var reading: [Double] = [], writing: [Double] = []
        while phase.load(ordering: .sequentiallyConsistent) < 2 {
            let issued = try await BlockingWork.run { try store.issueToken(for: "u", label: "probe", expiresAt: Date() + 3600, by: .localOperator()) }
            try access.refresh()
            let header = "Bearer \(issued.token)"
            guard case .success = access.authenticate(authorization: header, at: Date()) else {
                Issue.record("a fresh token does not authenticate")
                break
            }
            let during = phase.load(ordering: .sequentiallyConsistent)
            let started = ContinuousClock.now
            try await BlockingWork.run { try store.revokeToken(issued.record.id, by: .localOperator()) }
            try access.refresh()
            let refused: Bool
            if case .failure = access.authenticate(authorization: header, at: Date()) { refused = true } else { refused = false }
            let seconds = Double((ContinuousClock.now - started).components.attoseconds) / 1e18 + Double((ContinuousClock.now - started).components.seconds)
            #expect(refused, "a revoked token still authenticates")
            if phase.load(ordering: .sequentiallyConsistent) == during {
                if during == 0 { reading.append(seconds) } else if during == 1 { writing.append(seconds) }
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        let report = try await running.value
        #expect(report.featuresWritten == 1_000_000)
        #expect(report.state == "published")
        let all = reading + writing
        #expect(all.allSatisfy { $0 < 1 }, "revocations took \(all.map { String(format: "%.3f", $0) }.joined(separator: ", ")) s")
        #expect(reading.count >= 3 && writing.count >= 3, "revocations while reading: \(reading.count), while writing: \(writing.count)")
        print("revocation during a 1M import: \(reading.count) while reading (max \(reading.max() ?? 0) s), \(writing.count) while writing (max \(writing.max() ?? 0) s)")
        // The version is whole: every feature is in the table and its R-tree.
        let counts = try t.store.readSync { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM points_v1") ?? 0, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM rtree_points_v1_geom") ?? 0,
             try String.fetchOne(db, sql: "SELECT rtreecheck('rtree_points_v1_geom')") ?? "")
        }
        #expect(counts.0 == 1_000_000 && counts.1 == 1_000_000)
        #expect(counts.2 == "ok")
    }
}
