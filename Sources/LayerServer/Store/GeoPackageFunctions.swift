import Foundation
import GRDB
import GeoCore

/// The SQL functions GeoPackage R-tree triggers call (GeoPackage 1.3 annex F.3):
/// `ST_IsEmpty`, `ST_MinX`, `ST_MaxX`, `ST_MinY`, `ST_MaxY`, reading the blob header.
/// GDAL creates the same triggers, so any connection that writes feature tables needs them.
enum GeoPackageFunctions {
    static func register(in db: Database) {
        db.add(function: envelopeFunction("ST_MinX") { $0.minX })
        db.add(function: envelopeFunction("ST_MaxX") { $0.maxX })
        db.add(function: envelopeFunction("ST_MinY") { $0.minY })
        db.add(function: envelopeFunction("ST_MaxY") { $0.maxY })
        db.add(function: DatabaseFunction("ST_IsEmpty", argumentCount: 1, pure: true) { values in
            guard let data = Data.fromDatabaseValue(values[0]) else { return nil }
            return try? data.withUnsafeBytes { raw in
                let h = try GeoPackageBinary.header(raw)
                if h.isEmpty { return 1 }
                return try GeoPackageBinary.envelope(raw) == nil ? 1 : 0
            }
        })
    }

    private static func envelopeFunction(_ name: String, _ pick: @escaping @Sendable (Envelope) -> Double) -> DatabaseFunction {
        DatabaseFunction(name, argumentCount: 1, pure: true) { values in
            guard let data = Data.fromDatabaseValue(values[0]) else { return nil }
            let env = try? data.withUnsafeBytes { try GeoPackageBinary.envelope($0) }
            return env.flatMap { $0 }.map(pick)
        }
    }
}
