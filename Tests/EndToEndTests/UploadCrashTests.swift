import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import GRDB
import GeoCore
@testable import LayerServer
import Synchronization
import Testing

/// kill -9 of a real server process during an upload: after a restart the previous version is
/// current and intact, no orphan tables or files remain, and the job reads failed.
@Suite("Upload crash", .serialized)
struct UploadCrashTests {
    /// A `layerserver serve` process on a free port.
    final class ServerProcess: Sendable {
        let process: Process
        let base: String

        init(data: URL) async throws {
            let p = Process()
            p.executableURL = CLITests.executable
            p.arguments = ["serve", "--data", data.path, "--port", "0"]
            // Test machines may be short of disk: no reserve.
            p.environment = ProcessInfo.processInfo.environment.merging(["LAYERSERVER_UPLOAD_DISK_RESERVE_MB": "0"]) { $1 }
            let out = Pipe()
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            let seen = Mutex("")
            out.fileHandleForReading.readabilityHandler = { h in
                let d = h.availableData
                seen.withLock { $0 += String(decoding: d, as: UTF8.self) }
            }
            try p.run()
            for _ in 0..<600 {
                let text = seen.withLock { $0 }
                if let r = text.range(of: "listening on "), let end = text[r.upperBound...].firstIndex(where: { $0 == " " || $0 == "\n" }) {
                    process = p
                    base = String(text[r.upperBound..<end])
                    return
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            p.terminate()
            throw StoreError(.database, "the server did not start: \(seen.withLock { $0 })")
        }

        func kill9() {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }

        func stop() {
            process.terminate()
            process.waitUntilExit()
        }

        func get(_ path: String, token: String) async throws -> (Int, JSONValue) {
            var request = URLRequest(url: URL(string: base + path)!)
            request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
            let (data, response) = try await URLSession.shared.data(for: request)
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, (try? JSONValue.parse(data)) ?? .null)
        }

        /// Waits until one of `token`'s jobs satisfies `condition`, and returns it.
        func waitForJob(token: String, _ condition: (JSONValue) -> Bool) async throws -> JSONValue {
            for _ in 0..<1200 {
                let (_, body) = try await get("/jobs", token: token)
                if let job = body["jobs"]?.array?.first(where: condition) { return job }
                try await Task.sleep(for: .milliseconds(25))
            }
            throw StoreError(.database, "no job reached the expected state")
        }
    }

    /// Tables of version 2 or later of the layer, pending rows, and files in the upload area.
    static func leftovers(_ world: UploadWorld) throws -> (tables: [String], pending: Int, files: [String]) {
        let db = try DatabaseQueue(path: world.directory.appendingPathComponent("layers.gpkg").path, configuration: {
            var c = Configuration()
            c.readonly = true
            return c
        }())
        return try db.read { db in
            let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%water_facilities_v%' AND name NOT LIKE '%water_facilities_v1%'")
            let pending = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ls_layer_version WHERE state = 'pending'") ?? -1
            return (tables, pending, try world.leftoverUploads())
        }
    }

    @Test("kill -9 while receiving and while importing: the previous version stays current and intact, nothing is left, the job failed")
    func killDuringUpload() async throws {
        let world = try await UploadWorld.make(points: 300)
        defer { world.remove() }
        let before = try #require(try LayerStore(configuration: StoreConfiguration(dataDirectory: world.directory)).layer("water_facilities"))
        let big = world.directory.appendingPathComponent("big.gpkg")
        try await BlockingWork.run {
            let generator = try FixtureGenerator(fixtures: ServerFixture.repository.appendingPathComponent("fixtures"), transformers: TransformerPool())
            _ = try generator.generate(.hydrants, count: 300_000, to: big)
        }
        let token = world.token("vitens-editor")

        // 1. Killed while the body streams in (curl sends it slowly).
        var server = try await ServerProcess(data: world.directory)
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-s", "-o", "/dev/null", "--limit-rate", "500k", "-X", "POST", "-H", "Authorization: Bearer \(token)",
                          "--data-binary", "@\(big.path)", "\(server.base)/collections/water_facilities/versions?filename=big.gpkg"]
        try curl.run()
        let receiving = try await server.waitForJob(token: token) { $0["state"]?.string == "receiving" && ($0["progress"]?["bytesReceived"]?.number ?? 0) > 0 }
        server.kill9()
        curl.waitUntilExit()

        server = try await ServerProcess(data: world.directory)
        let first = try #require(receiving["id"]?.string)
        let (status, job) = try await server.get("/jobs/\(first)", token: token)
        #expect(status == 200)
        #expect(job["state"]?.string == "failed")
        #expect(job["error"]?.string?.contains("server stopped") == true)
        var left = try Self.leftovers(world)
        #expect(left.files.isEmpty && left.tables.isEmpty && left.pending == 0, "\(left)")

        // 2. Killed while the job writes the new version, by the CLI's upload.
        let upload = Process()
        upload.executableURL = CLITests.executable
        upload.arguments = ["upload", big.path, "--layer", "water_facilities", "--server", server.base, "--token", token, "--errors", "repair"]
        upload.standardOutput = FileHandle.nullDevice
        upload.standardError = FileHandle.nullDevice
        try upload.run()
        let running = try await server.waitForJob(token: token) { $0["state"]?.string == "running" && ($0["progress"]?["featuresRead"]?.number ?? 0) > 0 }
        server.kill9()
        upload.waitUntilExit()
        #expect(upload.terminationStatus != 0)
        print("crash test: tables of the interrupted import before the restart: \(try Self.leftovers(world).tables)")

        server = try await ServerProcess(data: world.directory)
        defer { server.stop() }
        let second = try #require(running["id"]?.string)
        let (_, failed) = try await server.get("/jobs/\(second)", token: token)
        #expect(failed["state"]?.string == "failed")
        let (_, history) = try await server.get("/collections/water_facilities/versions", token: token)
        let current = try #require(history["versions"]?.array?.first { $0["current"] == .bool(true) })
        #expect(current["version"]?.number == 1)
        #expect(current["checksum"]?.string == before.current.checksum)
        #expect(history["versions"]?.array?.count == 1, "\(history)")
        let (tileStatus, collection) = try await server.get("/collections/water_facilities", token: world.token("locc-viewer"))
        #expect(tileStatus == 200)
        #expect(collection["id"]?.string == "water_facilities")
        left = try Self.leftovers(world)
        #expect(left.files.isEmpty && left.tables.isEmpty && left.pending == 0, "\(left)")
        // The file still checks out with SQLite and GDAL.
        let check = try DatabaseQueue(path: world.directory.appendingPathComponent("layers.gpkg").path)
        let integrity = try await check.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") }
        #expect(integrity == "ok")
    }
}
