import GeoCore
import Foundation
import GRDB
import Testing

/// The access and audit commands, run as an operator would.
@Suite("Access CLI", .serialized)
struct AccessCLITests {
    func run(_ args: [String], _ data: URL) throws -> CLITests.Result {
        try CLITests.layerserver(args + ["--data", data.path])
    }

    @Test("admin builds a policy, access explains and tabulates it, audit verify finds an edited byte")
    func adminExplainMatrixVerify() throws {
        let data = CLITests.tempDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let steps: [[String]] = [
            ["admin", "org", "--id", "vitens", "--name", "Vitens", "--task", "beheerder", "--profile", "kern", "--audit", "certified",
             "--reach", "supra-regional", "--regions", "VR04,VR05,VR09", "--adoption", "VR09"],
            ["admin", "org", "--id", "stedin", "--name", "Stedin", "--task", "beheerder", "--profile", "kern", "--audit", "conditional:2020-01-01",
             "--reach", "regional", "--regions", "VR09", "--adoption", "VR09"],
            ["admin", "user", "--id", "gas", "--name", "Gas", "--org", "stedin", "--roles", "viewer"],
            ["admin", "user", "--id", "vitens-gis", "--name", "GIS", "--org", "vitens", "--roles", "viewer,editor"],
        ]
        for s in steps {
            let r = try run(s, data)
            #expect(r.status == 0, "\(s): \(r.stderr)")
            #expect(r.stdout.hasPrefix("policy "))
        }
        let before = try #require(try run(["access", "versions"], data).stdout.split(separator: "\n").last?.split(separator: " ").dropFirst().first)
        let imported = try run(["import", CLITests.bag.path, "--layer", "addresses", "--source-layer", "verblijfsobjecten",
                                "--owner", "vitens", "--sensitivity", "confidential"], data)
        #expect(imported.status == 0, "\(imported.stderr)")
        // The import gave the new layer its owner's default conditions.
        let explain = try run(["access", "explain", "--user", "gas", "--layer", "addresses"], data)
        #expect(explain.status == 0, "\(explain.stderr)")
        #expect(explain.stdout.contains("read: DENY"))
        #expect(explain.stdout.contains("[audit-required]") && explain.stdout.contains("lapsed"))
        let before2020 = try run(["access", "explain", "--user", "gas", "--layer", "addresses", "--at", "2019-06-01T00:00:00Z"], data)
        #expect(before2020.stdout.contains("read: ALLOW") && before2020.stdout.contains("scope: VR09"))
        let matrix = try run(["access", "matrix"], data)
        #expect(matrix.stdout.contains("vitens,addresses,read+write,direct,everywhere"))
        #expect(matrix.stdout.contains("stedin,addresses,none,none,nowhere"))
        let diff = try run(["access", "diff", String(before)], data)
        #expect(diff.status == 0, "\(diff.stderr)")
        #expect(diff.stdout.contains("added") && diff.stdout.contains("vitens × addresses"))
        let bad = try run(["admin", "org", "--id", "x", "--name", "X", "--task", "beheerder", "--profile", "kern", "--audit", "certified",
                           "--reach", "regional", "--regions", "VR01,VR02,VR03", "--adoption", "VR01"], data)
        #expect(bad.status != 0 && bad.stderr.contains("1 or 2 regions"))
        let issued = try run(["admin", "token", "issue", "--user", "gas", "--days", "2"], data)
        #expect(issued.status == 0 && issued.stdout.contains("lst_"))
        let verify = try run(["audit", "verify"], data)
        #expect(verify.status == 0 && verify.stdout.contains("intact"), "\(verify.stderr)")
        let list = try run(["audit", "list", "--kind", "change"], data)
        #expect(list.stdout.contains("issue-token") && list.stdout.contains("layer:addresses"))

        // One byte of the record of the token issue, changed in the file.
        let db = data.appendingPathComponent("layers.gpkg")
        // Everything into the main file (a WAL checkpoint), then edit the file itself.
        try DatabaseQueue(path: db.path).writeWithoutTransaction { try $0.checkpoint(.truncate) }
        var bytes = try Data(contentsOf: db)
        let marker = try #require(bytes.firstRange(of: Data("for user gas".utf8)))
        bytes[marker.lowerBound + 9] = UInt8(ascii: "G")
        try bytes.write(to: db)
        let broken = try run(["audit", "verify"], data)
        #expect(broken.status == 2)
        #expect(broken.stderr.contains("BROKEN at record") && broken.stderr.contains("edited"), "\(broken.stderr)")
    }
}

@Suite("Demo cast", .serialized)
struct DemoCastTests {
    @Test("demo prints a working token for every cast member; the cast sees what its profile allows")
    func demoTokens() async throws {
        let data = CLITests.tempDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let p = Process()
        p.executableURL = CLITests.executable
        p.arguments = ["demo", "--data", data.path, "--port", "0", "--hydrants", "500"]
        p.currentDirectoryURL = ServerFixture.repository
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { p.terminate(); p.waitUntilExit() }
        // Read until the banner's last line.
        var text = ""
        let deadline = Date() + 120
        while !text.contains("/health/ready"), Date() < deadline {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { try await Task.sleep(for: .milliseconds(100)); continue }
            text += String(decoding: chunk, as: UTF8.self)
        }
        let base = try #require(text.firstMatch(of: /layerserver demo on (http:\/\/127\.0\.0\.1:\d+)/)?.1).description
        var tokens: [String: String] = [:]
        for m in text.matches(of: /\n  ([a-z-]+) +(lst_[0-9a-f]{12}\.[A-Za-z0-9_-]+)/) { tokens[String(m.1)] = String(m.2) }
        #expect(Set(tokens.keys) == ["admin", "reviewer", "im-utrecht", "hdsr-editor", "vitens-editor", "stedin-viewer",
                                     "standby-viewer", "adhoc-viewer", "locc-viewer"])
        func layers(_ user: String) throws -> [String] {
            let curl = Process()
            curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            curl.arguments = ["-s", "-H", "Authorization: Bearer \(tokens[user]!)", base + "/collections"]
            let pipe = Pipe()
            curl.standardOutput = pipe
            try curl.run()
            let body = pipe.fileHandleForReading.readDataToEndOfFile()
            curl.waitUntilExit()
            return try JSONValue.parse(body)["collections"]?.array?.compactMap { $0["id"]?.string } ?? []
        }
        // A sign-in link per member, the token in the fragment (never sent to a server).
        for (user, token) in tokens { #expect(text.contains("\(base)/viewer#token=\(token)"), "\(user)") }
        #expect(try layers("locc-viewer").count == 7)
        #expect(try layers("adhoc-viewer").isEmpty)
        #expect(try !layers("standby-viewer").contains("protection_zones"))
        #expect(try layers("reviewer").isEmpty)
        // The risk-picture story: HDSR's CAP threat and Vitens' effect, published by VR Utrecht.
        func picture(_ user: String) throws -> (Int, [String]) {
            let curl = Process()
            curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            curl.arguments = ["-s", "-w", "\n%{http_code}", "-H", "Authorization: Bearer \(tokens[user]!)", base + "/pictures/VR09"]
            let pipe = Pipe()
            curl.standardOutput = pipe
            try curl.run()
            let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            curl.waitUntilExit()
            let status = Int(text.split(separator: "\n").last ?? "") ?? 0
            let body = text.split(separator: "\n").dropLast().joined(separator: "\n")
            let kinds = status == 200 ? (try JSONValue.parse(Data(body.utf8))["items"]?.array?.compactMap { $0["kind"]?.string } ?? []) : []
            return (status, kinds.sorted())
        }
        #expect(try picture("locc-viewer") == (200, ["effect", "threat"]))
        #expect(try picture("im-utrecht") == (200, ["effect", "threat"]))
        #expect(try picture("adhoc-viewer").0 == 404)
        #expect(text.contains("HDSR's CAP alert HDSR-2026-HW-0042 published") && text.contains("Vitens' effect on pumping station"))
    }
}
