import Foundation
import GeoCore

/// Deterministic synthetic sensitive layers over the Netherlands, written as GeoPackages in
/// RD New: fire hydrants, gas distribution stations, drinking-water facilities and their
/// protection zones. Placement follows the real safety regions and BAG address points in
/// `fixtures/`; attributes are invented. Same seed and count, same file.
public struct FixtureGenerator {
    /// What to generate.
    public enum Kind: String, CaseIterable, Sendable {
        case hydrants
        case gasStations = "gas-stations"
        case waterFacilities = "water-facilities"
        case protectionZones = "protection-zones"

        /// A sensible count for the demo.
        public var demoCount: Int {
            switch self {
            case .hydrants: 30_000
            case .gasStations: 1_200
            case .waterFacilities: 180
            case .protectionZones: 120
            }
        }
    }

    let regions: [Region]
    let addresses: [Position]
    let seed: UInt64

    /// Loads the regions and address points from a fixtures directory
    /// (`safety_regions.geojson`, `bag_addresses.gpkg`).
    public init(fixtures: URL, seed: UInt64 = 2026, transformers: TransformerPool) throws {
        regions = try Region.load(from: fixtures.appendingPathComponent("safety_regions.geojson"), transformers: transformers)
        var points: [Position] = []
        let bag = fixtures.appendingPathComponent("bag_addresses.gpkg")
        try VectorDataset.withDataset(at: bag.path) { ds in
            let source = ds.layers.first?.crs ?? .rdNew
            try transformers.withTransformer(from: source, to: .rdNew) { t in
                try ds.readFeatures(layer: 0) { result in
                    if case .feature(let f) = result, case .point(let p?)? = f.geometry { points.append(try t.transform(p)) }
                }
            }
        }
        addresses = points
        self.seed = seed
    }

    /// Writes `count` features of `kind` to a new GeoPackage at `output`.
    /// - Returns: The number of features written.
    @discardableResult
    public func generate(_ kind: Kind, count: Int, to output: URL, progress: ((Int) -> Void)? = nil) throws -> Int {
        var rng = SplitMix64(seed: seed ^ kind.rawValue.stableHash)
        let towns = makeTowns(&rng)
        let fields: [Field]
        let geometryType: GeometryType
        switch kind {
        case .hydrants:
            geometryType = .point
            fields = [.init(name: "hydrant_id", type: .text), .init(name: "region", type: .text),
                      .init(name: "kind", type: .text), .init(name: "diameter_mm", type: .integer),
                      .init(name: "capacity_m3h", type: .integer), .init(name: "in_service", type: .bool),
                      .init(name: "inspected", type: .date)]
        case .gasStations:
            geometryType = .point
            fields = [.init(name: "station_id", type: .text), .init(name: "name", type: .text), .init(name: "kind", type: .text),
                      .init(name: "operator", type: .text), .init(name: "inlet_bar", type: .real), .init(name: "outlet_bar", type: .real),
                      .init(name: "region", type: .text)]
        case .waterFacilities:
            geometryType = .point
            fields = [.init(name: "facility_id", type: .text), .init(name: "name", type: .text), .init(name: "kind", type: .text),
                      .init(name: "operator", type: .text), .init(name: "capacity_m3d", type: .integer), .init(name: "region", type: .text)]
        case .protectionZones:
            geometryType = .polygon
            fields = [.init(name: "zone_id", type: .text), .init(name: "facility_id", type: .text), .init(name: "kind", type: .text),
                      .init(name: "operator", type: .text), .init(name: "region", type: .text)]
        }
        var written = 0
        try VectorWriter.create(at: output.path, driver: "GPKG", layerName: kind.rawValue.replacingOccurrences(of: "-", with: "_"),
                                crs: .rdNew, geometryType: geometryType, fields: fields) { writer in
            for i in 0..<count {
                let f = feature(kind, index: i, count: count, towns: towns, rng: &rng)
                try writer.write(f)
                written += 1
                if written % 50_000 == 0 { progress?(written) }
            }
        }
        return written
    }

    // MARK: Placement

    struct Town {
        var center: Position
        var spread: Double
        var region: Int
        var name: String
    }

    private func makeTowns(_ rng: inout SplitMix64) -> [Town] {
        var towns: [Town] = []
        let syllables = ["wijk", "dam", "dorp", "veen", "horst", "broek", "zand", "hoven", "berg", "rode", "kerk", "meer"]
        let starts = ["Oost", "West", "Noord", "Zuid", "Hoog", "Laag", "Nieuw", "Oud", "Groot", "Klein", "Berg", "Ter"]
        for (ri, region) in regions.enumerated() {
            let n = max(8, Int(region.area / 60_000_000))
            for _ in 0..<n {
                guard let c = randomPoint(in: region, &rng) else { continue }
                let spread = rng.uniform(300, 1800)
                towns.append(Town(center: c, spread: spread, region: ri, name: rng.pick(starts) + rng.pick(syllables)))
            }
        }
        return towns
    }

    private func randomPoint(in region: Region, _ rng: inout SplitMix64) -> Position? {
        for _ in 0..<200 {
            let p = Position(rng.uniform(region.envelope.minX, region.envelope.maxX), rng.uniform(region.envelope.minY, region.envelope.maxY))
            if region.contains(p) { return p }
        }
        return nil
    }

    private func nearTown(_ town: Town, _ rng: inout SplitMix64) -> Position {
        let region = regions[town.region]
        for _ in 0..<20 {
            let p = Position(town.center.x + rng.gaussian() * town.spread, town.center.y + rng.gaussian() * town.spread)
            if region.contains(p) { return p }
        }
        return town.center
    }

    private func regionCode(at p: Position, hint: Int) -> String {
        if regions[hint].contains(p) { return regions[hint].code }
        return regions.first { $0.contains(p) }?.code ?? regions[hint].code
    }

    private static let gasOperators = ["Enexis", "Liander", "Stedin", "Coteq", "Rendo", "Westland Infra"]
    private static let waterOperators = ["Vitens", "Evides", "Dunea", "PWN", "Waternet", "Brabant Water", "WML", "Oasen", "WMD", "WBG"]

    private func feature(_ kind: Kind, index i: Int, count: Int, towns: [Town], rng: inout SplitMix64) -> Feature {
        switch kind {
        case .hydrants:
            // One in ten hydrants along the real BAG address points, the rest around towns
            // (80%) or anywhere in a region (20%).
            var p: Position
            var hint: Int
            if !addresses.isEmpty, i % 10 == 0 {
                let a = addresses[(i / 10) % addresses.count]
                let angle = rng.uniform(0, 2 * .pi), d = rng.uniform(8, 40)
                p = Position(a.x + cos(angle) * d, a.y + sin(angle) * d)
                hint = regions.firstIndex { $0.contains(a) } ?? 0
            } else if rng.unit() < 0.8 {
                let t = rng.pick(towns)
                p = nearTown(t, &rng)
                hint = t.region
            } else {
                hint = Int(rng.next() % UInt64(regions.count))
                p = randomPoint(in: regions[hint], &rng) ?? regions[hint].envelope.center
            }
            let region = regionCode(at: p, hint: hint)
            let kindName = rng.unit() < 0.85 ? "ondergronds" : "bovengronds"
            let diameter = [80, 100, 100, 150, 150, 200][Int(rng.next() % 6)]
            let inspected = String(format: "20%02d-%02d-%02d", 19 + Int(rng.next() % 7), 1 + Int(rng.next() % 12), 1 + Int(rng.next() % 28))
            return Feature(id: Int64(i + 1), geometry: .point(p), attributes: [
                .string(String(format: "BK-%@-%07d", region, i + 1)), .string(region), .string(kindName),
                .int(Int64(diameter)), .int(Int64(diameter / 2 + Int(rng.next() % 40))),
                .bool(rng.unit() > 0.03), .string(inspected),
            ])
        case .gasStations:
            let t = rng.pick(towns)
            let p = nearTown(t, &rng)
            let isReceiving = i % 8 == 0
            let inlet = isReceiving ? rng.uniform(40, 66.2) : rng.uniform(4, 8)
            let outlet = isReceiving ? rng.uniform(4, 8) : rng.uniform(0.03, 0.1)
            return Feature(id: Int64(i + 1), geometry: .point(p), attributes: [
                .string(String(format: "GAS-%06d", i + 1)), .string((isReceiving ? "GOS " : "DS ") + t.name),
                .string(isReceiving ? "gasontvangststation" : "districtsstation"),
                .string(isReceiving ? "Gasunie" : rng.pick(Self.gasOperators)),
                .double((inlet * 100).rounded() / 100), .double((outlet * 1000).rounded() / 1000),
                .string(regions[t.region].code),
            ])
        case .waterFacilities, .protectionZones:
            // Facilities and zones share placement: facility n and zone n sit at the same spot.
            var prng = SplitMix64(seed: seed ^ UInt64(i) &* 7919)
            let t = towns[Int(prng.next() % UInt64(towns.count))]
            let c = nearTown(t, &prng)
            let op = Self.waterOperators[Int(prng.next() % UInt64(Self.waterOperators.count))]
            let id = String(format: "DW-%05d", i + 1)
            if kind == .waterFacilities {
                let kinds = ["pompstation", "zuiveringsstation", "waterwinning", "reinwaterkelder"]
                return Feature(id: Int64(i + 1), geometry: .point(c), attributes: [
                    .string(id), .string("Productielocatie " + t.name), .string(kinds[i % kinds.count]), .string(op),
                    .int(Int64(5_000 + Int(prng.next() % 95_000))), .string(regions[t.region].code),
                ])
            }
            let radius = prng.uniform(400, 2000)
            var ring: [Position] = []
            for k in 0..<48 {
                let a = Double(k) / 48 * 2 * .pi
                let r = radius * (0.85 + 0.3 * prng.unit())
                ring.append(Position(c.x + cos(a) * r, c.y + sin(a) * r))
            }
            ring.append(ring[0])
            return Feature(id: Int64(i + 1), geometry: .polygon(Polygon(rings: [ring])), attributes: [
                .string(String(format: "GWB-%05d", i + 1)), .string(id),
                .string(i % 3 == 0 ? "waterwingebied" : "grondwaterbeschermingsgebied"), .string(op),
                .string(regions[t.region].code),
            ])
        }
    }
}

extension String {
    /// A hash that is the same in every process (Swift's `hashValue` is seeded per process).
    var stableHash: UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
}
