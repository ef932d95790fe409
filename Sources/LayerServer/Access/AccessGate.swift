/// The answer of the access decision for one layer.
public struct AccessDecision: Sendable, Hashable {
    /// Whether the layer may be seen.
    public var allowed: Bool
    /// The layer's sensitivity and the ceiling it was compared with.
    public var sensitivity: Sensitivity
    public var ceiling: Sensitivity

    /// Why, in words a security reviewer can check.
    public var reason: String {
        "layer sensitivity \(sensitivity.rawValue) is \(allowed ? "within" : "above") the server ceiling \(ceiling.rawValue)"
    }
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
        AccessDecision(allowed: layer.sensitivity <= maximumSensitivity, sensitivity: layer.sensitivity, ceiling: maximumSensitivity)
    }

    /// The access class: callers with the same class see the same layers, so they may share
    /// cached tiles. Part of every cache key.
    public var accessClass: String { "ceiling:\(maximumSensitivity.rawValue)" }
}
