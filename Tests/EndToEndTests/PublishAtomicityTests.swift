import Foundation
import GeoCore
import Hummingbird
import HummingbirdTesting
@testable import LayerServer
import MVTTestSupport
import NIOCore
import Synchronization
import Testing
import TileRender

/// Publishing moves one pointer in one transaction: every tile is all old or all new.
@Suite("Publish atomicity")
struct PublishAtomicityTests {
    /// The `gen` values of the features of a tile.
    static func generations(_ r: TestResponse) throws -> [Double] {
        guard r.status == .ok else { return [] }
        let tile = try MVTDecoder.decode(Array(r.body.readableBytesView))
        return tile.layers.flatMap { layer -> [Double] in
            guard let key = layer.keys.firstIndex(of: "gen") else { return [] }
            return layer.features.compactMap { f -> Double? in
                for i in stride(from: 0, to: f.tags.count - 1, by: 2) where Int(f.tags[i]) == key {
                    switch layer.values[Int(f.tags[i + 1])] {
                    case .int(let v), .sint(let v): return Double(v)
                    case .uint(let v): return Double(v)
                    case .double(let v): return v
                    case .float(let v): return Double(v)
                    default: return nil
                    }
                }
                return nil
            }
        }
    }

    @Test("parallel tile requests during a publish each see the old or the new version, never a mix")
    func parallelTilesDuringPublish() async throws {
        let world = try await UploadWorld.make(points: 400)
        defer { world.remove() }
        // No tile cache: every request renders from the store while the pointer moves.
        try await world.withServer(cacheBytes: 0) { client in
            let staged = try await client.uploadAndWait("water_facilities", text: GeoJSONFile.grid(900, gen: 2), name: "v2.geojson",
                                                        as: "vitens-editor", query: "stage=true")
            #expect(staged.body["state"]?.string == "staged")
            let center = try Transformer(from: .wgs84, to: .webMercator).transform(Position(5.12, 52.07))
            let rd = try Transformer(from: .wgs84, to: .rdNew).transform(Position(5.12, 52.07))
            let uris = [9, 10, 11].map { z in
                let t = TileMatrixSet.webMercatorQuad.tile(containing: center, z: z)!
                return "/collections/water_facilities/tiles/WebMercatorQuad/\(z)/\(t.row)/\(t.col)"
            } + [4, 5].map { z in
                let t = TileMatrixSet.netherlandsRDNewQuad.tile(containing: rd, z: z)!
                return "/collections/water_facilities/tiles/NetherlandsRDNewQuad/\(z)/\(t.row)/\(t.col)"
            }
            let published = PublishedFlag()
            let results = try await withThrowingTaskGroup(of: (mixed: Int, old: Int, new: Int, oldAfter: Int).self) { group in
                for reader in 0..<6 {
                    group.addTask {
                        var mixed = 0, old = 0, new = 0, oldAfter = 0, round = 0
                        while round < 400 {
                            let after = published.value.load(ordering: .acquiring)
                            let r = try await client.execute(uris[(reader + round) % uris.count], as: "locc-viewer")
                            let gens = Set(try Self.generations(r))
                            if gens.count > 1 { mixed += 1 }
                            if gens == [1] { old += 1; if after { oldAfter += 1 } }
                            if gens == [2] { new += 1 }
                            round += 1
                            if after && new > 20 { break }
                        }
                        return (mixed, old, new, oldAfter)
                    }
                }
                group.addTask {
                    try await Task.sleep(for: .milliseconds(300))
                    let r = try await client.execute("/collections/water_facilities/versions/2/publish", .post, as: "vitens-editor")
                    published.value.store(true, ordering: .releasing)
                    return r.status == .ok ? (0, 0, 0, 0) : (1_000_000, 0, 0, 0)
                }
                var all: [(mixed: Int, old: Int, new: Int, oldAfter: Int)] = []
                for try await r in group { all.append(r) }
                return all
            }
            #expect(results.reduce(0) { $0 + $1.mixed } == 0, "a tile mixed versions")
            #expect(results.reduce(0) { $0 + $1.old } > 0, "no tile of the old version was seen")
            #expect(results.reduce(0) { $0 + $1.new } > 0, "no tile of the new version was seen")
            // A request made after the publish answered never sees the old version.
            #expect(results.reduce(0) { $0 + $1.oldAfter } == 0)
        }
    }
}

/// Set once the publish request has been answered.
final class PublishedFlag: Sendable {
    let value = Atomic<Bool>(false)
}
