import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
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
            for file in ["viewer.js", "i18n.js", "viewer.css", "vendor/maplibre-gl.js", "vendor/maplibre-gl.css"] {
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

    @Test("in Chromium: sign in as several cast members, the layer list equals /collections, a hidden layer appears nowhere, a click shows only visible attributes, a wrong token gets the message, no console errors")
    func browser() async throws {
        guard WMTSTests.browserInstalled() else { return }
        try await Self.withViewer { client in
            let port = try #require(client.client.port)
            let members = ["im-utrecht", "hdsr-editor", "standby-viewer", "adhoc-viewer"].map { "\($0)=\(client.world.token($0))" }
            let (status, output) = try await WMTSTests.runClient("viewer_browser.py", ["http://127.0.0.1:\(port)"] + members + ["--hidden", "water_facilities"])
            #expect(status == 0 && output.hasSuffix("ok\n"), "\(output)")
        }
    }
}
