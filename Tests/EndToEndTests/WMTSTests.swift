import Foundation
import GeoCore
import Hummingbird
import HummingbirdTesting
@testable import LayerServer
import MVTTestSupport
import NIOCore
import Testing
import TileRender

/// Issue 11: WMTS 1.0.0 for QGIS and ArcGIS, per caller.
@Suite("WMTS")
struct WMTSTests {
    @Test("capabilities per caller (KVP and RESTful), GetTile in both forms and both matrix sets, OWS exception reports")
    func capabilitiesAndTiles() async throws {
        try await MapWorld.withServer { client in
            let locc = try await client.execute("/wmts?SERVICE=WMTS&REQUEST=GetCapabilities", as: "locc-viewer")
            #expect(locc.status == .ok && locc.headers[.contentType]?.hasPrefix("application/xml") == true)
            #expect(locc.headers[.cacheControl] == "private, no-store")
            let lint = try XMLLint.run(locc.text, [])
            #expect(lint.status == 0, "\(lint.output)")
            for id in MapTests.layerIDs + ["operational-picture", "risk-picture"] {
                #expect(locc.text.contains("<ows:Identifier>\(id)</ows:Identifier>"), "locc lacks \(id)")
            }
            for tms in ["WebMercatorQuad", "NetherlandsRDNewQuad"] { #expect(locc.text.contains("<TileMatrixSet>\(tms)</TileMatrixSet>")) }
            #expect(locc.text.contains("urn:ogc:def:crs:EPSG::28992") && locc.text.contains("urn:ogc:def:crs:EPSG::3857"))
            // Other callers' capabilities list only what they may read; the RESTful form is the same document.
            for user in ["stedin-viewer", "hdsr-editor", "adhoc-viewer"] {
                let caps = try await client.execute("/wmts/1.0.0/WMTSCapabilities.xml", as: user)
                #expect(caps.status == .ok)
                let readable = try MapTests.readable(client, user)
                for id in MapTests.layerIDs {
                    #expect(caps.text.contains("<ows:Identifier>\(id)</ows:Identifier>") == readable.contains(id), "\(user) and \(id)")
                    #expect(caps.text.contains("/wmts/\(id)/") == readable.contains(id), "\(user) and \(id)")
                }
            }
            #expect(try await client.execute("/wmts?SERVICE=WMTS&REQUEST=GetCapabilities", as: nil).status == .unauthorized)

            // Tiles: the ResourceURL templates are signed, so a client without headers follows them.
            let template = try #require(Self.template(locc.text, layer: "hydrants"))
            let t = try MapTests.tile(5.12, 52.09, z: 11)
            let rest = Self.fill(template, tms: "WebMercatorQuad", t)
            let r = try await client.execute(rest, as: nil)
            #expect(r.status == .ok && r.headers[.contentType] == "image/png", "\(rest): \(r.text.prefix(300))")
            #expect(try MapTests.image(r).paintedPixels > 100)
            let rd = try MapTests.tile(5.12, 52.09, z: 6, tms: .netherlandsRDNewQuad)
            let style = try #require(Self.template(locc.text, layer: "operational-picture"))
            let rdTile = try await client.execute(Self.fill(style, tms: "NetherlandsRDNewQuad", rd), as: nil)
            #expect(rdTile.status == .ok)
            #expect(try MapTests.image(rdTile).width == 256)
            // The signed capabilities URL (the KVP GetCapabilities link) serves, without headers,
            // the capabilities and every tile they list; its signature is the same one, never renewed.
            let link = try #require(locc.text.range(of: #"/wmts\?access=[^&"]+"#, options: .regularExpression).map { String(locc.text[$0]) })
            let signedCaps = try await client.execute(link + "&SERVICE=WMTS&REQUEST=GetCapabilities", as: nil)
            #expect(signedCaps.status == .ok, "\(signedCaps.text.prefix(300))")
            let signedTemplate = try #require(Self.template(signedCaps.text, layer: "hydrants"))
            #expect(signedTemplate.hasSuffix(String(link.dropFirst("/wmts?".count))), "\(signedTemplate)")
            #expect(try await client.execute(Self.fill(signedTemplate, tms: "WebMercatorQuad", t), as: nil).status == .ok)
            // A layer's own signature does not open the capabilities.
            let layerSignature = String(template[try #require(template.range(of: "?access=")).upperBound...])
            #expect(try await client.execute("/wmts?access=\(layerSignature)&SERVICE=WMTS&REQUEST=GetCapabilities", as: nil).status == .unauthorized)
            // KVP GetTile with the bearer token.
            let kvp = "/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=hydrants&STYLE=default&TILEMATRIXSET=WebMercatorQuad&TILEMATRIX=\(t.z)&TILEROW=\(t.row)&TILECOL=\(t.col)&FORMAT=image/png"
            let k = try await client.execute(kvp, as: "locc-viewer")
            #expect(k.status == .ok)
            #expect(try MapTests.image(k) == (try MapTests.image(r)))

            // Exception reports.
            let cases: [(String, Int, String, String?)] = [
                ("/wmts?REQUEST=GetCapabilities", 400, "MissingParameterValue", "SERVICE"),
                ("/wmts?SERVICE=WMTS", 400, "MissingParameterValue", "REQUEST"),
                ("/wmts?SERVICE=WMTS&REQUEST=GetFeatureInfo", 501, "OperationNotSupported", "REQUEST"),
                (kvp.replacingOccurrences(of: "&FORMAT=image/png", with: "&FORMAT=image/gif"), 400, "InvalidParameterValue", "FORMAT"),
                (kvp.replacingOccurrences(of: "TILEROW=\(t.row)", with: "TILEROW=999999"), 400, "TileOutOfRange", "TILEROW"),
                (kvp.replacingOccurrences(of: "TILEMATRIXSET=WebMercatorQuad", with: "TILEMATRIXSET=EPSG:4326"), 400, "InvalidParameterValue", "TILEMATRIXSET"),
                (kvp.replacingOccurrences(of: "LAYER=hydrants", with: "LAYER=no_such_layer"), 400, "InvalidParameterValue", "LAYER"),
                (kvp.replacingOccurrences(of: "&STYLE=default", with: "&STYLE=fancy"), 400, "InvalidParameterValue", "STYLE"),
            ]
            for (uri, status, code, locator) in cases {
                let e = try await client.execute(uri, as: "locc-viewer")
                #expect(Int(e.status.code) == status, "\(uri): \(e.status)")
                #expect(e.text.contains("exceptionCode=\"\(code)\"") && locator.map { e.text.contains("locator=\"\($0)\"") } ?? true, "\(uri): \(e.text)")
                #expect(try XMLLint.run(e.text, []).status == 0)
            }
            // A hidden layer answers as a missing one, in both forms.
            for (hidden, missing) in [(kvp, kvp.replacingOccurrences(of: "LAYER=hydrants", with: "LAYER=no_such_layer")),
                                      ("/wmts/hydrants/default/WebMercatorQuad/\(t.z)/\(t.row)/\(t.col).png",
                                       "/wmts/no_such_layer/default/WebMercatorQuad/\(t.z)/\(t.row)/\(t.col).png")] {
                let a = try await client.execute(hidden, as: "adhoc-viewer")
                let b = try await client.execute(missing, as: "adhoc-viewer")
                #expect(a.status == b.status && a.text.replacingOccurrences(of: "hydrants", with: "no_such_layer") == b.text, "\(a.text)\n\(b.text)")
            }
        }
    }

    /// The RESTful template of a layer in a capabilities document.
    static func template(_ xml: String, layer: String) -> String? {
        guard let start = xml.range(of: "<ows:Identifier>\(layer)</ows:Identifier>"),
              let url = xml[start.upperBound...].range(of: "template=\""),
              let end = xml[url.upperBound...].firstIndex(of: "\"") else { return nil }
        let full = String(xml[url.upperBound..<end]).replacingOccurrences(of: "&amp;", with: "&")
        guard let path = full.range(of: "/wmts/") else { return nil }
        return String(full[path.lowerBound...])
    }

    static func fill(_ template: String, tms: String, _ t: TileID) -> String {
        template.replacingOccurrences(of: "{TileMatrixSet}", with: tms).replacingOccurrences(of: "{TileMatrix}", with: "\(t.z)")
            .replacingOccurrences(of: "{TileRow}", with: "\(t.row)").replacingOccurrences(of: "{TileCol}", with: "\(t.col)")
    }

    /// The tests' Python (OWSLib, lxml), from the virtual environment `make test` creates.
    static let python = ServerFixture.repository.appendingPathComponent(".build/test-venv/bin/python")

    /// Runs a script of Tests/clients with the tests' Python; its status and output.
    /// Whether the tests' virtual environment exists; records why a client test cannot run when not.
    static func clientsInstalled() -> Bool {
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            Issue.record("no \(python.path): run `make test`, which creates the tests' virtual environment")
            return false
        }
        return true
    }

    /// Whether the environment, MapLibre GL JS and Chromium's WebDriver exist, for browser tests.
    static func browserInstalled() -> Bool {
        guard FileManager.default.isExecutableFile(atPath: python.path),
              FileManager.default.fileExists(atPath: ServerFixture.repository.appendingPathComponent(".build/maplibre/maplibre-gl.js").path),
              FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver") else {
            Issue.record("no test environment, MapLibre or Chromium: run `make test`, which installs them")
            return false
        }
        return true
    }

    static func runClient(_ script: String, _ arguments: [String]) async throws -> (Int32, String) {
        try await BlockingWork.run {
            let p = Process()
            p.executableURL = python
            p.arguments = [ServerFixture.repository.appendingPathComponent("Tests/clients/\(script)").path] + arguments
            let pipe = Pipe()
            p.standardOutput = pipe
            p.standardError = pipe
            try p.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return (p.terminationStatus, String(decoding: data, as: UTF8.self))
        }
    }

    @Test("OWSLib reads the capabilities and fetches tiles in both matrix sets; GDAL's WMTS driver opens a layer")
    func clients() async throws {
        guard Self.clientsInstalled() else { return }
        try await MapWorld.withServer { client in
            let port = try #require(client.client.port)
            let (status, output) = try await Self.runClient("wmts_clients.py", ["http://127.0.0.1:\(port)", client.world.token("locc-viewer")])
            #expect(status == 0 && output.hasSuffix("ok\n"), "\(output)")
        }
    }
}
