import AccessPolicy
import Foundation
import GRDB
import GeoCore
import Hummingbird
import HummingbirdTesting
@testable import LayerServer
import NIOCore
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 9, items 3 and 5: strangers cannot grow the audit log without bound, and connections
/// and uploads cannot exhaust the server.
@Suite("Exhaustion", .serialized)
struct ExhaustionTests {
    /// The store's size after a checkpoint: what a stranger made us keep.
    static func storeBytes(_ client: UploadClient) async throws -> Int {
        try await client.service.access.recorder.flush()
        try await BlockingWork.run { try client.service.store.pool.writeWithoutTransaction { try $0.checkpoint(.truncate) } }
        let path = client.world.directory.appendingPathComponent("layers.gpkg").path
        return (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }

    @Test("10,000 refused requests with 60 kB paths and distinct token ids grow the store by less than 1 MB; valid callers are served throughout")
    func auditGrowth() async throws {
        let world = try await UploadWorld.make(points: 50)
        defer { world.remove() }
        try await world.withServer { client in
            let port = try #require(client.client.port)
            let before = try await Self.storeBytes(client)
            let recordsBefore = try await client.service.store.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ls_audit") ?? 0 }
            let valid = world.token("locc-viewer")
            let flooding = Atomic<Bool>(true)
            // A valid caller, every 20 ms, on its own connection, for as long as the flood lasts.
            let watcher = Task {
                try await BlockingWork.run { () -> [TimeInterval] in
                    let c = try RawConnection(port: port)
                    var latencies: [TimeInterval] = []
                    while flooding.load(ordering: .relaxed) {
                        let start = Date()
                        guard c.send(RawConnection.get("/collections/water_facilities", token: valid)) else { throw RawConnection.Failure(description: "valid caller's connection closed") }
                        let r = try c.readResponse(timeout: 30)
                        guard r.status == 200 else { throw RawConnection.Failure(description: "valid caller got \(r.status): \(r.text)") }
                        latencies.append(Date().timeIntervalSince(start))
                        Thread.sleep(forTimeInterval: 0.02)
                    }
                    return latencies
                }
            }
            let path = "/collections/" + String(repeating: "a", count: 60_000)
            let started = Date()
            let workers = 4, each = 2500
            let statuses = try await withThrowingTaskGroup(of: [Int: Int].self) { group in
                for w in 0..<workers {
                    group.addTask {
                        try await BlockingWork.run {
                            var seen: [Int: Int] = [:]
                            var c = try RawConnection(port: port)
                            for i in 0..<each {
                                let id = String(format: "%06x%06x", w, i)
                                let request = RawConnection.get(path, token: "lst_\(id).abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")
                                if !c.send(request) { c = try RawConnection(port: port); _ = c.send(request) }
                                let r = try c.readResponse(timeout: 30)
                                seen[r.status, default: 0] += 1
                            }
                            return seen
                        }
                    }
                }
                var all: [Int: Int] = [:]
                for try await part in group { all.merge(part, uniquingKeysWith: +) }
                return all
            }
            flooding.store(false, ordering: .relaxed)
            let minutes = Int(Date().timeIntervalSince(started) / 60) + 1
            let latencies = try await watcher.value
            let after = try await Self.storeBytes(client)
            let records = try await client.service.store.read { db in try AuditLog.query(db, kind: .authentication, limit: 100_000) }
            let recordsAfter = try await client.service.store.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ls_audit") ?? 0 }
            let growth = after - before
            let sorted = latencies.sorted()
            print("audit growth: \(growth) bytes for 10000 refused 60 kB requests (\(recordsAfter - recordsBefore) records); statuses \(statuses); valid caller: \(latencies.count) requests, median \(Int((sorted[sorted.count / 2]) * 1000)) ms, max \(Int((sorted.last ?? 0) * 1000)) ms")
            #expect(growth < 1 << 20, "the store grew by \(growth) bytes")
            #expect(statuses.values.reduce(0, +) == workers * each)
            // The first 60 of each minute are 401, the rest 429 with Retry-After.
            let refused = statuses[401] ?? 0
            #expect(refused >= 60 && refused <= 60 * minutes && refused + (statuses[429] ?? 0) == workers * each, "\(statuses) in \(minutes) minute(s)")
            // Every attempt is counted, none is lost, each record is small.
            #expect(records.map(\.event.count).reduce(0, +) == workers * each)
            #expect(records.allSatisfy { $0.event.items.count <= AuditRecorder.maximumRefusalItems && $0.event.items.allSatisfy { $0.utf8.count < 400 } })
            #expect(records.allSatisfy { $0.event.resource == "address:127.0.0.1" })
            #expect(latencies.count >= 10 && latencies.allSatisfy { $0 < 10 }, "valid callers were not served throughout")
        }
    }

    @Test("429 with Retry-After after the configured number of refusals per minute; a valid token from the same address still works")
    func refusalRateLimit() async throws {
        let world = try await UploadWorld.make(points: 10)
        defer { world.remove() }
        try await world.withServer(configure: { $0.access.refusalsPerMinute = 5 }) { client in
            for i in 0..<8 {
                let r = try await client.client.execute(uri: "/collections", method: .get, headers: [.authorization: "Bearer lst_00000000000\(i).xxxxxxxxxxxxxxxxxxxxxxxxxx"], body: nil)
                if i < 5 {
                    #expect(r.status == .unauthorized)
                } else {
                    #expect(r.status == .tooManyRequests)
                    let wait = try #require(r.headers[.retryAfter].flatMap { Int($0) })
                    #expect((1...60).contains(wait))
                    #expect(r.headers[.contentType] == "application/problem+json")
                }
            }
            #expect(try await client.execute("/collections", as: "locc-viewer").status == .ok)
            try await client.service.access.recorder.flush()
            let records = try await client.service.store.read { db in try AuditLog.query(db, kind: .authentication, limit: 1000) }
            #expect(records.count == 2, "one record per address and reason: \(records.map(\.event.detail))")
            #expect(records.map(\.event.count).sorted() == [3, 5])
        }
    }

    @Test("GET /audit and layerserver audit list page their answers with limit and cursor")
    func pagedAudit() async throws {
        let world = try await UploadWorld.make(points: 10)
        defer { world.remove() }
        try await world.withServer { client in
            let store = AccessStore(store: client.service.store)
            for i in 0..<25 {
                _ = try await BlockingWork.run { try store.issueToken(for: "locc-viewer", label: "t\(i)", expiresAt: Date() + 3600, by: .localOperator()) }
            }
            let total = try await client.service.store.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ls_audit") ?? 0 }
            var seen: [Int] = []
            var uri = "/audit?limit=10"
            var pages = 0
            while true {
                let r = try await client.execute(uri, as: "reviewer")
                #expect(r.status == .ok)
                let page = try r.json()
                let records = try #require(page["records"]?.array)
                #expect(records.count <= 10)
                seen += records.compactMap { $0["seq"]?.number.map { Int($0) } }
                pages += 1
                guard let next = page["next"]?.number else {
                    #expect(page["links"]?.array?.isEmpty == true)
                    break
                }
                let link = try #require(page["links"]?.array?.first { $0["rel"]?.string == "next" }?["href"]?.string)
                #expect(link.contains("after=\(Int(next))") && link.contains("limit=10"))
                uri = "/audit?limit=10&after=\(Int(next))"
            }
            #expect(seen == Array(1...total) || seen.count >= total, "\(seen.count) of \(total)")
            #expect(seen == seen.sorted() && Set(seen).count == seen.count)
            #expect(pages == (seen.count + 9) / 10)
            #expect(try await client.execute("/audit?limit=5000", as: "reviewer").status == .badRequest)
            let unbounded = try await client.execute("/audit", as: "reviewer").json()
            #expect((unbounded["records"]?.array?.count ?? 0) <= 100)
        }
        // The CLI pages the same way.
        let first = try CLITests.layerserver(["audit", "list", "--data", world.directory.path, "--limit", "3"])
        #expect(first.status == 0)
        #expect(first.stdout.split(separator: "\n").count == 3)
        let cursor = try #require(first.stderr.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
        let second = try CLITests.layerserver(["audit", "list", "--data", world.directory.path, "--limit", "3", "--after", cursor])
        #expect(second.stdout.hasPrefix("\(Int(cursor)! + 1) "), "\(second.stdout)")
    }

    @Test("a half-sent request header is dropped within the header timeout, an idle connection within the idle timeout")
    func headerAndIdleTimeouts() async throws {
        let world = try await UploadWorld.make(points: 10)
        defer { world.remove() }
        try await world.withServer(configure: {
            $0.connections = ConnectionLimits(headerTimeout: .seconds(1), idleTimeout: .seconds(2), checkInterval: .milliseconds(100))
        }) { client in
            let port = try #require(client.client.port)
            try await BlockingWork.run {
                // Half a header, then nothing.
                let half = try RawConnection(port: port)
                #expect(half.send("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n"))
                let dropped = half.waitForClose(timeout: 10)
                #expect(dropped != nil && dropped! >= 0.9 && dropped! < 3, "half header: \(String(describing: dropped))")
                // A slowloris: one byte of the header every 200 ms still meets the header timeout.
                let slow = try RawConnection(port: port)
                let start = Date()
                var closed = false
                for byte in Array("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n".utf8) {
                    if !slow.send([byte]) { closed = true; break }
                    if slow.waitForClose(timeout: 0.2) != nil { closed = true; break }
                }
                #expect(closed && Date().timeIntervalSince(start) < 3, "slowloris kept its connection \(Date().timeIntervalSince(start)) s")
                // Answered before its body (401), the body drained: the connection idles, and a
                // half header after it is dropped in time too.
                let early = try RawConnection(port: port)
                #expect(early.send("POST /collections/x/versions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1\r\n\r\n"))
                #expect(try early.readResponse(timeout: 5).status == 401)
                #expect(early.send("a"))
                #expect(early.send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"))
                let drained = early.waitForClose(timeout: 10)
                #expect(drained != nil && drained! < 3, "early answer: \(String(describing: drained))")
                // A complete request is answered; the connection then idles and is closed.
                let idle = try RawConnection(port: port)
                #expect(idle.send(RawConnection.get("/health/live")))
                #expect(try idle.readResponse(timeout: 5).status == 200)
                let idled = idle.waitForClose(timeout: 10)
                #expect(idled != nil && idled! >= 1.8 && idled! < 4, "idle: \(String(describing: idled))")
            }
            // The server still answers (on a new connection: the test client's own idled out too).
            let fresh = try await BlockingWork.run { () -> Int in
                let c = try RawConnection(port: port)
                _ = c.send(RawConnection.get("/health/live"))
                return try c.readResponse(timeout: 5).status
            }
            #expect(fresh == 200)
        }
    }

    @Test("a body slower than the minimum rate is cut off and its job fails; the layer is unchanged")
    func slowBody() async throws {
        let world = try await UploadWorld.make(points: 10)
        defer { world.remove() }
        try await world.withServer(configure: {
            $0.connections = ConnectionLimits(bodyMinBytesPerSecond: 2000, bodySlowSeconds: 2, checkInterval: .milliseconds(100))
        }) { client in
            let port = try #require(client.client.port)
            let token = world.token("vitens-editor")
            let body = Array(GeoJSONFile.grid(200, gen: 2).utf8)
            let cut = try await BlockingWork.run { () -> TimeInterval? in
                let c = try RawConnection(port: port)
                _ = c.send("POST /collections/water_facilities/versions?filename=slow.geojson HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\nContent-Length: \(body.count)\r\n\r\n")
                _ = c.send(Array(body.prefix(500)))
                // 100 bytes a second: below 2000 B/s.
                var sent = 500
                let start = Date()
                while sent < body.count {
                    if c.waitForClose(timeout: 1) != nil { return Date().timeIntervalSince(start) }
                    if !c.send(Array(body[sent..<min(body.count, sent + 100)])) { return Date().timeIntervalSince(start) }
                    sent += 100
                    if Date().timeIntervalSince(start) > 15 { return nil }
                }
                return nil
            }
            #expect(cut != nil && cut! < 6, "the slow body was not cut off: \(String(describing: cut))")
            var job: JSONValue?
            for _ in 0..<100 {
                job = try await client.execute("/jobs", as: "vitens-editor").json()["jobs"]?.array?.first
                if job?["state"]?.string == "failed" { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(job?["state"]?.string == "failed", "\(String(describing: job))")
            #expect(job?["error"]?.string?.contains("slower than 2000 bytes per second") == true, "\(String(describing: job))")
            #expect(client.service.catalogLayer("water_facilities")?.currentVersion == 1)
            #expect(try world.leftoverUploads().isEmpty)
            // A normal upload still goes through.
            let ok = try await client.uploadAndWait("water_facilities", text: GeoJSONFile.grid(50, gen: 3), name: "ok.geojson", as: "vitens-editor")
            #expect(ok.body["state"]?.string == "published")
        }
    }

    @Test("uploads beyond the per-organisation and the total cap get 429 with Retry-After; a finished upload frees its slot")
    func uploadCaps() async throws {
        let world = try await UploadWorld.make(points: 10)
        defer { world.remove() }
        var limits = UploadWorld.testLimits
        limits.maxConcurrentPerOrganisation = 1
        limits.maxConcurrentTotal = 2
        try await world.withServer(limits: limits) { client in
            let port = try #require(client.client.port)
            let file = GeoJSONFile.grid(20, gen: 2)
            // Two uploads held open mid-body: Vitens' and Stedin's.
            @Sendable func hold(_ user: String, _ layer: String) throws -> RawConnection {
                let c = try RawConnection(port: port)
                _ = c.send("POST /collections/\(layer)/versions?filename=h.geojson HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(world.token(user))\r\nContent-Length: 100000\r\n\r\n{\"type\":")
                return c
            }
            func receiving(_ user: String) async throws {
                for _ in 0..<200 {
                    if try await client.execute("/jobs", as: user).json()["jobs"]?.array?.first?["state"]?.string == "receiving" { return }
                    try await Task.sleep(for: .milliseconds(20))
                }
                Issue.record("\(user)'s held upload never started")
            }
            let vitens = try await BlockingWork.run { try hold("vitens-editor", "water_facilities") }
            try await receiving("vitens-editor")
            let second = try await client.upload("water_facilities", text: file, name: "w.geojson", as: "vitens-editor")
            #expect(second.status == .tooManyRequests, "\(second.text)")
            #expect(second.headers[.retryAfter] != nil)
            #expect(second.text.contains("upload-concurrent-per-organisation"))
            let stedin = try await BlockingWork.run { try hold("stedin-viewer", "stedin_valves") }
            try await receiving("stedin-viewer")
            let third = try await client.upload("hdsr_dikes", text: file, name: "d.geojson", as: "hdsr-editor")
            #expect(third.status == .tooManyRequests && third.text.contains("upload-concurrent-total"), "\(third.text)")
            // Closing a held upload fails its job and frees its slot.
            _ = shutdown(vitens.fd, Int32(SHUT_RDWR))
            var accepted = false
            for _ in 0..<100 {
                let again = try await client.upload("water_facilities", text: file, name: "w.geojson", as: "vitens-editor")
                if again.status == .accepted { accepted = true; break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(accepted)
            let failed = try await client.execute("/jobs", as: "vitens-editor").json()["jobs"]?.array?.last
            #expect(failed?["state"]?.string == "failed", "\(String(describing: failed))")
            withExtendedLifetime(stedin) {}
        }
    }

    @Test("an upload that would eat into the disk reserve is refused with 507 and leaves nothing")
    func diskReserve() async throws {
        let world = try await UploadWorld.make(points: 10)
        defer { world.remove() }
        var limits = UploadWorld.testLimits
        limits.diskReserveBytes = Int.max / 4
        try await world.withServer(limits: limits) { client in
            let r = try await client.upload("water_facilities", text: GeoJSONFile.grid(20, gen: 2), name: "w.geojson", as: "vitens-editor")
            #expect(r.status.code == 507, "\(r.text)")
            #expect(r.text.contains("MB free"))
            #expect(try await client.execute("/jobs", as: "vitens-editor").json()["jobs"]?.array?.isEmpty == true)
            #expect(client.service.catalogLayer("water_facilities")?.currentVersion == 1)
            #expect(try world.leftoverUploads().isEmpty)
        }
    }
}
