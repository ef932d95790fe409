import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import GeoCore
@testable import LayerServer
import Testing

/// Issue 14: the map viewer served by the service, tested as a person uses it in Chromium.
@Suite("Viewer")
struct ViewerTests {
    static let viewer = ServerFixture.repository.appendingPathComponent("viewer")
    static let vendor = ServerFixture.repository.appendingPathComponent(".build/maplibre")

    static func withViewer<T: Sendable>(_ test: @escaping @Sendable (UploadClient) async throws -> T) async throws -> T {
        let world = try await MapWorld.shared.world()
        return try await world.withServer(configure: {
            $0.stylesDirectory = MapWorld.styles
            $0.viewerDirectory = Self.viewer
            $0.viewerVendorDirectory = Self.vendor
        }, test)
    }

    @Test("static files with a content security policy; an unknown file or a missing installation is a 404 that says so; answers per caller vary on Authorization")
    func files() async throws {
        try await Self.withViewer { client in
            let page = try await client.execute("/viewer", as: nil)
            #expect(page.status == .ok && page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(page.headers[.contentSecurityPolicy]?.contains("connect-src 'self'") == true)
            #expect(String(buffer: page.body).contains("/viewer/vendor/maplibre-gl.js"))
            for file in ["viewer.js", "picture.js", "upload.js", "viewas.js", "main.js", "i18n.js", "viewer.css", "vendor/maplibre-gl.js", "vendor/maplibre-gl.css"] {
                #expect(try await client.execute("/viewer/\(file)", as: nil).status == .ok, "\(file)")
            }
            #expect(try await client.execute("/viewer/secret.txt", as: nil).status == .notFound)
            #expect(try await client.execute("/viewer/vendor/viewer.js", as: nil).status == .notFound)
            // A browser shared between users must not give one user's list to the next.
            let list = try await client.execute("/collections", as: "im-utrecht")
            #expect(list.headers[.vary]?.contains("Authorization") == true)
        }
        let world = try await MapWorld.shared.world()
        try await world.withServer { client in
            let r = try await client.execute("/viewer", as: nil)
            #expect(r.status == .notFound && String(buffer: r.body).contains("not installed"))
        }
    }

    @Test("/me: the caller's layers as /collections, its read area per layer as the scope resolves it, what it approves; no caller, no answer")
    func me() async throws {
        try await Self.withViewer { client in
            #expect(try await client.execute("/me", as: nil).status == .unauthorized)
            for user in ["im-utrecht", "standby-viewer", "adhoc-viewer", "reviewer"] {
                let me = try await client.execute("/me", as: user).json()
                let listed = try await client.execute("/collections", as: user).json()["collections"]?.array?.compactMap { $0["id"]?.string } ?? []
                #expect(me["layers"]?.array?.compactMap { $0["layer"]?.string } == listed, "\(user)")
                #expect(me["user"]?.string == user)
            }
            let im = try await client.execute("/me", as: "im-utrecht").json()
            #expect(im["approvesPictures"]?.array?.compactMap(\.string) == ["VR09"])
            let hydrants = try #require(im["layers"]?.array?.first { $0["layer"]?.string == "gas_stations" })
            #expect(hydrants["scope"]?.string == "VR09")
            // The area is the region as SpatialScope resolves it for enforcement.
            let scope = try SpatialScope(transformers: TransformerPool())
            let vr09 = try #require(try scope.resolve(.within(regions: ["VR09"], areas: []), crs: .wgs84))
            let given = try GeoJSON.geometry(from: try #require(hydrants["area"]))
            #expect(given.envelope.map { abs($0.minX - vr09.envelope.minX) < 1e-5 && abs($0.maxY - vr09.envelope.maxY) < 1e-5 } == true)
            // The standby contractor reads in the exercise's area only.
            let standby = try await client.execute("/me", as: "standby-viewer").json()
            let area = try #require(standby["layers"]?.array?.first)["area"]
            #expect(try GeoJSON.geometry(from: try #require(area)).envelope == Envelope(minX: 4.95, minY: 51.93, maxX: 5.30, maxY: 52.06))
            #expect(standby["approvesPictures"]?.array?.isEmpty == true)
            // Who reads what, where: kept by no cache, not even the browser's.
            #expect(try await client.execute("/me", as: "standby-viewer").headers[.cacheControl] == "private, no-store")
        }
    }

    @Test("/pictures/{region}/versions (the time slider's positions): the latest publications, oldest first, at most limit")
    func publications() async throws {
        try await Self.withViewer { client in
            let all = try await client.execute("/pictures/VR09/versions", as: "im-utrecht").json()["versions"]?.array ?? []
            #expect(all.compactMap { $0["version"]?.number } == [1, 2])
            let last = try await client.execute("/pictures/VR09/versions?limit=1", as: "standby-viewer").json()["versions"]?.array ?? []
            #expect(last.compactMap { $0["version"]?.number } == [2] && last.first?["publishedAt"]?.string != nil)
            #expect(try await client.execute("/pictures/VR09/versions?limit=0", as: "im-utrecht").status == .badRequest)
            #expect(try await client.execute("/pictures/VR09/versions", as: "adhoc-viewer").status == .notFound)
        }
    }

    @Test("/access/areas (view as): for reviewers and administrators only; the matrix's row of the organisation with each area; an unknown organisation is a 404")
    func viewAs() async throws {
        try await Self.withViewer { client in
            #expect(try await client.execute("/access/areas?organisation=dewaard", as: "im-utrecht").status == .forbidden)
            #expect(try await client.execute("/access/areas?organisation=dewaard", as: nil).status == .unauthorized)
            #expect(try await client.execute("/access/areas?organisation=nobody", as: "reviewer").status == .notFound)
            #expect(try await client.execute("/access/areas", as: "reviewer").status == .badRequest)
            #expect(try await client.execute("/access/areas?organisation=hdsr", as: "reviewer").headers[.cacheControl] == "private, no-store")
            let matrix = try await client.execute("/access/matrix", as: "reviewer").json()["entries"]?.array ?? []
            for organisation in ["dewaard", "hdsr", "locc", "dorpsraad"] {
                let answer = try await client.execute("/access/areas?organisation=\(organisation)", as: "reviewer").json()
                let row = matrix.filter { $0["organisation"]?.string == organisation }
                let layers = answer["layers"]?.array ?? []
                #expect(layers.map { [$0["layer"], $0["access"], $0["scope"]] } == row.map { [$0["layer"], $0["access"], $0["scope"]] }, "\(organisation)")
                for l in layers {
                    let reads = l["access"]?.string != "none"
                    let everywhere = l["scope"]?.string == "everywhere"
                    #expect((l["area"] != .null) == (reads && !everywhere), "\(organisation) \(l["layer"]?.string ?? "")")
                }
            }
            let dewaard = try await client.execute("/access/areas?organisation=dewaard", as: "admin").json()
            let hydrants = try #require(dewaard["layers"]?.array?.first { $0["layer"]?.string == "hydrants" })
            #expect(hydrants["hiddenAttributes"]?.array?.compactMap(\.string) == ["capacity_m3h", "inspected"])
            #expect(try GeoJSON.geometry(from: try #require(hydrants["area"])).envelope == Envelope(minX: 4.95, minY: 51.93, maxX: 5.30, maxY: 52.06))
        }
    }

    /// The committed screenshot of a known view (im-utrecht over the Lek at zoom 10.5);
    /// `LAYERSERVER_UPDATE_REFERENCE=1` writes it anew.
    static let reference = ServerFixture.repository.appendingPathComponent("Tests/clients/reference/viewer-im-utrecht.png")

    @Test("in Chromium: sign-in (pasted, by link), layer lists as /collections, a hidden layer nowhere, feature attributes, area outline, a screenshot against the reference, sizes and keyboard, the risk picture live with accept and reject, an upload with its report, view as for two organisations; no console errors")
    func browser() async throws {
        guard WMTSTests.browserInstalled() else { return }
        // A world of its own: the test publishes a picture version and a layer version.
        let world = try await MapWorld.fresh(hydrants: 4_000)
        defer { world.remove() }
        try await world.withServer(configure: {
            $0.stylesDirectory = MapWorld.styles
            $0.viewerDirectory = Self.viewer
            $0.viewerVendorDirectory = Self.vendor
        }) { client in
            let port = try #require(client.client.port)
            let members = ["im-utrecht", "hdsr-editor", "standby-viewer", "adhoc-viewer", "vitens-editor", "reviewer", "stedin-viewer", "admin"].map { "\($0)=\(client.world.token($0))" }
            var arguments = ["http://127.0.0.1:\(port)"] + members + ["--hidden", "water_facilities", "--reference", Self.reference.path]
            if ProcessInfo.processInfo.environment["LAYERSERVER_UPDATE_REFERENCE"] == "1" { arguments.append("--update-reference") }
            let (status, output) = try await WMTSTests.runClient("viewer_browser.py", arguments)
            #expect(status == 0 && output.hasSuffix("ok\n"), "\(output)")
        }
    }
}
