import ArgumentParser
import Foundation
import LayerServer

struct Layers: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List layers and their kept versions.")

    @OptionGroup var store: StoreOptions

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func run() throws {
        do {
            let config = try blocking { try await store.serverConfiguration() }
            let layers = try LayerStore(configuration: config.store).layers()
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                encoder.dateEncodingStrategy = .iso8601
                print(String(decoding: try encoder.encode(layers), as: UTF8.self))
                return
            }
            if layers.isEmpty { print("no layers in \(config.store.dataDirectory.path)"); return }
            let f = ISO8601DateFormatter()
            for l in layers {
                let c = l.current
                print("\(l.id)  \"\(l.title)\"  owner \(l.owner)  \(l.sensitivity.rawValue)  \(c.geometryType.rawValue)  \(c.crs)  zoom \(l.minZoom)-\(l.maxZoom)")
                for v in l.versions {
                    let mark = v.number == l.currentVersion ? "*" : " "
                    print("  \(mark) v\(v.number)  \(f.string(from: v.createdAt))  \(v.featureCount) features  \(v.rejectedCount) rejected  sha256:\(v.checksum.prefix(16))  from \(v.sourceFile)")
                }
            }
        } catch {
            throw fail(error)
        }
    }
}

struct Rollback: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Make an earlier kept version of a layer current again.")

    @Option(name: .long, help: "Layer id.")
    var layer: String

    @Option(name: .long, help: "Version to make current (default: the one before the current).")
    var to: Int?

    @OptionGroup var store: StoreOptions

    func run() throws {
        do {
            let config = try blocking { try await store.serverConfiguration() }
            let l = try LayerStore(configuration: config.store).rollback(layerID: layer, to: to)
            print("\(l.id) now serves v\(l.currentVersion) (\(l.current.featureCount) features, sha256:\(l.current.checksum.prefix(16)))")
        } catch {
            throw fail(error)
        }
    }
}
