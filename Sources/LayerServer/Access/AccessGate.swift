/// The answer of the access decision for one layer.
public struct AccessDecision: Sendable, Hashable {
    /// Whether the layer may be seen.
    public var allowed: Bool
    /// Why, in words a security reviewer can check.
    public var reason: String
}

/// The one access decision every read path of this build goes through: catalog listings,
/// collection metadata, TileJSON, tileset metadata and tiles.
///
/// This build has no accounts yet (organisations, profiles, audits and activities arrive with
/// the access-policy module). Until then the server is configured with a sensitivity ceiling:
/// layers up to the ceiling are served, layers above it do not exist for any caller (404).
/// The default ceiling is `open`, so a server started without configuration exposes no
/// restricted or confidential data.
public struct AccessGate: Sendable, Hashable {
    /// The highest sensitivity this server exposes.
    public var maximumSensitivity: Sensitivity

    /// Creates a gate.
    public init(maximumSensitivity: Sensitivity = .open) {
        self.maximumSensitivity = maximumSensitivity
    }

    /// Decides whether `layer` may be seen.
    public func decide(_ layer: Layer) -> AccessDecision {
        if layer.sensitivity <= maximumSensitivity {
            return AccessDecision(allowed: true, reason: "layer sensitivity \(layer.sensitivity.rawValue) is within the server ceiling \(maximumSensitivity.rawValue)")
        }
        return AccessDecision(allowed: false, reason: "layer sensitivity \(layer.sensitivity.rawValue) is above the server ceiling \(maximumSensitivity.rawValue)")
    }

    /// The access class: callers with the same class see the same layers, so they may share
    /// cached tiles. Part of every cache key.
    public var accessClass: String { "ceiling:\(maximumSensitivity.rawValue)" }
}
