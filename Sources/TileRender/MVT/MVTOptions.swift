/// Settings of the Mapbox Vector Tile encoder.
public struct MVTOptions: Sendable, Hashable {
    /// Tile extent in grid units (MVT 2.1 default 4096).
    public var extent: Int
    /// Extra margin around the tile, in grid units, that geometry is kept in before clipping.
    /// Renderers need it so that lines and point symbols at tile edges join up.
    public var buffer: Int
    /// Douglas-Peucker tolerance for lines and polygons, in grid units. Because it is fixed
    /// in tile space, the ground tolerance halves with every zoom level. Zero turns it off.
    public var simplificationTolerance: Double

    /// The defaults: extent 4096, buffer 64 (1/64 of the tile), tolerance 4 units (1/4 pixel at 256 px).
    public init(extent: Int = 4096, buffer: Int = 64, simplificationTolerance: Double = 4) {
        self.extent = extent
        self.buffer = buffer
        self.simplificationTolerance = simplificationTolerance
    }
}
