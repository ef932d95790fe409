import Foundation
import GeoCore

/// A safety region (veiligheidsregio) in RD New, for placing synthetic assets.
struct Region {
    var code: String
    var name: String
    var polygons: [Polygon]
    var envelope: Envelope
    var area: Double

    /// Reads the 25 safety regions (properties `code`, `name`) and projects them to RD New.
    static func load(from url: URL, transformers: TransformerPool) throws -> [Region] {
        var regions: [Region] = []
        try VectorDataset.withDataset(at: url.path) { ds in
            guard let info = ds.layers.first else { throw StoreError(.invalidInput, "holds no layer", context: url.path) }
            let codeIndex = info.fields.firstIndex { $0.name == "code" }
            let nameIndex = info.fields.firstIndex { $0.name == "name" }
            let source = info.crs ?? .wgs84
            try transformers.withTransformer(from: source, to: .rdNew) { t in
                try ds.readFeatures(layer: 0) { result in
                    guard case .feature(let f) = result, let g = f.geometry else { return }
                    let rd = try t.transform(g)
                    let polys: [Polygon] = switch rd {
                    case .polygon(let p): [p]
                    case .multiPolygon(let ps): ps
                    default: []
                    }
                    guard !polys.isEmpty, let env = rd.envelope else { return }
                    func text(_ i: Int?) -> String {
                        if let i, case .string(let s) = f.attributes[i] { return s }
                        return "?"
                    }
                    let area = polys.reduce(0.0) { $0 + Region.area($1) }
                    regions.append(Region(code: text(codeIndex), name: text(nameIndex), polygons: polys, envelope: env, area: area))
                }
            }
        }
        guard !regions.isEmpty else { throw StoreError(.invalidInput, "holds no region polygons", context: url.path) }
        return regions.sorted { $0.code < $1.code }
    }

    static func area(_ p: Polygon) -> Double {
        func ringArea(_ r: [Position]) -> Double {
            var s = 0.0
            for i in 0..<max(r.count - 1, 0) { s += r[i].x * r[i + 1].y - r[i + 1].x * r[i].y }
            return abs(s) / 2
        }
        return ringArea(p.exterior) - p.interiors.reduce(0) { $0 + ringArea($1) }
    }

    /// Point in polygon (GeoCore's even-odd test per polygon), after the envelope test.
    func contains(_ p: Position) -> Bool {
        envelope.contains(p) && Geometry.multiPolygon(polygons).containsPoint(p)
    }
}
