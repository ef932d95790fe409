import Foundation
import GRDB
import LayerServer
import Testing

/// The `layerserver` executable, run as a user would.
@Suite("CLI", .serialized)
struct CLITests {
    /// The built executable, next to the test bundle.
    static let executable: URL = {
        let candidates = [
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("layerserver"),
            Bundle.main.bundleURL.appendingPathComponent("layerserver"),
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("layerserver"),
            ServerFixture.repository.appendingPathComponent(".build/debug/layerserver"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates.last!
    }()

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func layerserver(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        p.currentDirectoryURL = ServerFixture.repository
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    static func tempDirectory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("layerserver-cli-\(UUID().uuidString)")
    }

    static let bag = ServerFixture.sharedData.appendingPathComponent("pdok-gokoala/internal/ogc/features/datasources/geopackage/testdata/bag.gpkg")

    @Test("import prints a summary; layers lists versions; rollback moves the pointer")
    func importLayersRollback() throws {
        let data = Self.tempDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let first = try Self.layerserver(["import", Self.bag.path, "--layer", "addresses", "--source-layer", "verblijfsobjecten",
                                          "--owner", "Kadaster", "--sensitivity", "open", "--data", data.path])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("as addresses v1"))
        #expect(first.stdout.contains("features read     1836"))
        #expect(first.stdout.contains("features written  1836"))
        // Data directory from the environment this time.
        let second = try Self.layerserver(["import", Self.bag.path, "--layer", "addresses", "--source-layer", "ligplaatsen", "--json"],
                                          environment: ["LAYERSERVER_DATA": data.path])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("\"featuresWritten\" : 67"))
        let layers = try Self.layerserver(["layers", "--data", data.path])
        #expect(layers.stdout.contains("addresses"))
        #expect(layers.stdout.contains("* v2"))
        #expect(layers.stdout.contains("  v1"))
        let rollback = try Self.layerserver(["rollback", "--layer", "addresses", "--data", data.path])
        #expect(rollback.status == 0)
        #expect(rollback.stdout.contains("now serves v1"))
        let after = try Self.layerserver(["layers", "--data", data.path])
        #expect(after.stdout.contains("* v1"))
    }

    @Test("errors name the file and the cause, and exit non-zero")
    func errors() throws {
        let data = Self.tempDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let broken = ServerFixture.sharedData.appendingPathComponent("geopackage/pdok-geopackage-validator/tests/data/test_broken_geopackage.gpkg")
        let cases: [([String], String)] = [
            (["import", "/nonexistent/hydrants.gpkg", "--layer", "h", "--owner", "o"], "/nonexistent/hydrants.gpkg: file does not exist"),
            (["import", broken.path, "--layer", "h", "--owner", "o"], "test_broken_geopackage.gpkg"),
            (["import", Self.bag.path, "--layer", "h", "--owner", "o"], "choose one with --source-layer"),
            (["import", Self.bag.path, "--layer", "Bad-Id", "--owner", "o"], "layer id \"Bad-Id\" is not valid"),
            (["import", Self.bag.path, "--layer", "h", "--source-layer", "ligplaatsen"], "give its owner organisation (--owner)"),
            (["rollback", "--layer", "nothing"], "no layer \"nothing\""),
        ]
        for (args, phrase) in cases {
            let r = try Self.layerserver(args + ["--data", data.path])
            #expect(r.status != 0, "\(args)")
            #expect(r.stderr.contains("error:"), "\(args): \(r.stderr)")
            #expect(r.stderr.contains(phrase), "\(args): \(r.stderr)")
        }
        let badSensitivity = try Self.layerserver(["import", Self.bag.path, "--layer", "h", "--owner", "o", "--sensitivity", "secret", "--data", data.path])
        #expect(badSensitivity.status != 0)
        #expect(badSensitivity.stderr.contains("--sensitivity"))
    }

    @Test("an import killed mid-write leaves the previous version current and no orphan tables")
    func killedImport() async throws {
        let data = Self.tempDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let big = data.appendingPathComponent("big-hydrants.gpkg")
        let gen = try Self.layerserver(["generate", "hydrants", "--count", "150000", "--out", big.path])
        #expect(gen.status == 0, "\(gen.stderr)")
        let first = try Self.layerserver(["import", Self.bag.path, "--layer", "hydrants", "--source-layer", "verblijfsobjecten",
                                          "--owner", "VR", "--data", data.path])
        #expect(first.status == 0, "\(first.stderr)")
        var killed = 0
        for delay in [0.3, 1.0, 2.0] {
            let p = Process()
            p.executableURL = Self.executable
            p.arguments = ["import", big.path, "--layer", "hydrants", "--data", data.path]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            try await Task.sleep(for: .milliseconds(Int(delay * 1000)))
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
            p.waitUntilExit()
            let store = try LayerStore(configuration: StoreConfiguration(dataDirectory: data))
            let layer = try #require(try store.layer("hydrants"))
            if p.terminationReason == .uncaughtSignal {
                killed += 1
                #expect(layer.currentVersion == 1, "killed after \(delay) s")
            }
            let tables = try store.readSync { db in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'") }
            let known = try store.readSync { db in Set(try String.fetchAll(db, sql: "SELECT table_name FROM ls_layer_version")) }
            let pending = try store.readSync { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ls_layer_version WHERE state = 'pending'") }
            #expect(pending == 0)
            for t in tables where t.hasPrefix("hydrants_v") { #expect(known.contains(t), "orphan \(t) after kill at \(delay) s") }
            // The store still serves tiles of the current version.
            let v = layer.current
            #expect(try store.readSync { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \"\(v.tableName)\"") } == v.featureCount)
        }
        #expect(killed >= 2, "the imports finished before they could be killed; use a bigger file")
    }
}
