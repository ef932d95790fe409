import Foundation
import GeoCore

/// Builds the demo data directory: the real safety regions and BAG address points from
/// `fixtures/`, and generated hydrants, gas stations, drinking-water facilities and
/// protection zones, each imported as a layer with its owner and sensitivity.
public enum DemoData {
    /// One demo layer: where it comes from and its metadata.
    struct Entry {
        var id: String
        var title: String
        var owner: String
        var sensitivity: Sensitivity
        var source: Source
        var minZoom = 0
        var maxZoom = 24

        enum Source {
            case fixture(String)
            case generated(FixtureGenerator.Kind, Int)
        }
    }

    static func entries(hydrants: Int) -> [Entry] {
        [
            Entry(id: "safety_regions", title: "Veiligheidsregio's", owner: "ifv", sensitivity: .open, source: .fixture("safety_regions.geojson")),
            Entry(id: "municipalities", title: "Gemeenten", owner: "ifv", sensitivity: .open, source: .fixture("municipalities.geojson")),
            Entry(id: "bag_addresses", title: "BAG verblijfsobjecten (Amsterdam sample)", owner: "ifv", sensitivity: .open,
                  source: .fixture("bag_addresses.gpkg")),
            Entry(id: "hydrants", title: "Brandkranen", owner: "vr-utrecht", sensitivity: .restricted,
                  source: .generated(.hydrants, hydrants)),
            Entry(id: "gas_stations", title: "Gasverdeelstations", owner: "stedin", sensitivity: .restricted,
                  source: .generated(.gasStations, FixtureGenerator.Kind.gasStations.demoCount)),
            Entry(id: "water_facilities", title: "Drinkwatervoorzieningen", owner: "vitens", sensitivity: .confidential,
                  source: .generated(.waterFacilities, FixtureGenerator.Kind.waterFacilities.demoCount)),
            Entry(id: "protection_zones", title: "Grondwaterbeschermingsgebieden", owner: "vitens", sensitivity: .confidential,
                  source: .generated(.protectionZones, FixtureGenerator.Kind.protectionZones.demoCount)),
        ]
    }

    /// Fills an empty store with the demo layers (the cast's policy first, so each layer gets its
    /// owner's conditions). Does nothing when the store already has layers.
    /// - Returns: The import reports, empty when the store was not empty.
    @discardableResult
    public static func prepare(store: LayerStore, fixtures: URL, transformers: TransformerPool, hydrants: Int = 30_000,
                               log: (String) -> Void) throws -> [ImportReport] {
        guard try store.layers().isEmpty else { return [] }
        _ = try DemoCast.apply(AccessStore(store: store), issueTokens: false)
        let sources = store.configuration.dataDirectory.appendingPathComponent("sources")
        try FileManager.default.createDirectory(at: sources, withIntermediateDirectories: true)
        let generator = try FixtureGenerator(fixtures: fixtures, transformers: transformers)
        let importer = LayerImporter(store: store, transformers: transformers)
        var reports: [ImportReport] = []
        for entry in entries(hydrants: hydrants) {
            let file: URL
            switch entry.source {
            case .fixture(let name):
                file = fixtures.appendingPathComponent(name)
            case .generated(let kind, let count):
                file = sources.appendingPathComponent("\(kind.rawValue).gpkg")
                try? FileManager.default.removeItem(at: file)
                log("generating \(count) \(kind.rawValue) into \(file.path)")
                try generator.generate(kind, count: count, to: file)
            }
            let report = try importer.run(ImportRequest(file: file, layerID: entry.id, title: entry.title, owner: entry.owner,
                                                        sensitivity: entry.sensitivity, minZoom: entry.minZoom, maxZoom: entry.maxZoom))
            log("imported \(entry.id) v\(report.version): \(report.featuresWritten) features (\(entry.sensitivity.rawValue))")
            reports.append(report)
        }
        return reports
    }
}
