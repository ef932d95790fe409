import Foundation
import GeoCore
import TileRender

/// The WMTS 1.0.0 capabilities document of one caller: the layers it may read and the styles,
/// each in both tile matrix sets, with KVP and RESTful access. Built from values; no I/O.
struct WMTSCapabilities {
    /// A layer of the document: a catalog layer (in its default style) or a whole style.
    struct Layer {
        var identifier: String
        var title: String
        var abstract: String?
        /// Longitude/latitude bounds.
        var wgs84: Envelope
        /// The RESTful tile template, query (signed access) included.
        var template: String
    }

    var base: String
    /// The signed-access query for the capabilities' own links ("" without one).
    var query: String
    var layers: [Layer]

    static let matrixSets: [TileMatrixSet] = [.webMercatorQuad, .netherlandsRDNewQuad]

    /// `urn:ogc:def:crs:EPSG::n`.
    static func urn(_ crs: CRS) -> String { "urn:ogc:def:crs:EPSG::\(crs.epsg)" }

    var xml: String {
        let e = XMLText.escape
        let kvp = "\(base)/wmts?" + (query.isEmpty ? "" : query + "&")
        var out = """
            <?xml version="1.0" encoding="UTF-8"?>
            <Capabilities xmlns="http://www.opengis.net/wmts/1.0" xmlns:ows="http://www.opengis.net/ows/1.1" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.opengis.net/wmts/1.0 http://schemas.opengis.net/wmts/1.0/wmtsGetCapabilities_response.xsd" version="1.0.0">
              <ows:ServiceIdentification>
                <ows:Title>Layerserver: common operational picture</ows:Title>
                <ows:Abstract>Map layers and risk pictures of Dutch crisis management, as far as the caller may see them.</ows:Abstract>
                <ows:ServiceType>OGC WMTS</ows:ServiceType>
                <ows:ServiceTypeVersion>1.0.0</ows:ServiceTypeVersion>
                <ows:AccessConstraints>Need to know: every layer is restricted to what the caller's organisation may see</ows:AccessConstraints>
              </ows:ServiceIdentification>
              <ows:OperationsMetadata>
                <ows:Operation name="GetCapabilities">
                  <ows:DCP><ows:HTTP>
                    <ows:Get xlink:href="\(e(kvp))"><ows:Constraint name="GetEncoding"><ows:AllowedValues><ows:Value>KVP</ows:Value></ows:AllowedValues></ows:Constraint></ows:Get>
                    <ows:Get xlink:href="\(e(base))/wmts/1.0.0/WMTSCapabilities.xml"><ows:Constraint name="GetEncoding"><ows:AllowedValues><ows:Value>RESTful</ows:Value></ows:AllowedValues></ows:Constraint></ows:Get>
                  </ows:HTTP></ows:DCP>
                </ows:Operation>
                <ows:Operation name="GetTile">
                  <ows:DCP><ows:HTTP>
                    <ows:Get xlink:href="\(e(kvp))"><ows:Constraint name="GetEncoding"><ows:AllowedValues><ows:Value>KVP</ows:Value></ows:AllowedValues></ows:Constraint></ows:Get>
                  </ows:HTTP></ows:DCP>
                </ows:Operation>
              </ows:OperationsMetadata>
              <Contents>

            """
        for l in layers {
            out += """
                    <Layer>
                      <ows:Title>\(e(l.title))</ows:Title>\(l.abstract.map { "\n          <ows:Abstract>\(e($0))</ows:Abstract>" } ?? "")
                      <ows:WGS84BoundingBox>
                        <ows:LowerCorner>\(l.wgs84.minX) \(l.wgs84.minY)</ows:LowerCorner>
                        <ows:UpperCorner>\(l.wgs84.maxX) \(l.wgs84.maxY)</ows:UpperCorner>
                      </ows:WGS84BoundingBox>
                      <ows:Identifier>\(e(l.identifier))</ows:Identifier>
                      <Style isDefault="true"><ows:Identifier>default</ows:Identifier></Style>
                      <Format>image/png</Format>

                """
            for tms in Self.matrixSets {
                out += "      <TileMatrixSetLink><TileMatrixSet>\(tms.id)</TileMatrixSet></TileMatrixSetLink>\n"
            }
            out += "      <ResourceURL format=\"image/png\" resourceType=\"tile\" template=\"\(e(l.template))\"/>\n    </Layer>\n"
        }
        for tms in Self.matrixSets { out += Self.matrixSet(tms) }
        out += """
              </Contents>
              <ServiceMetadataURL xlink:href="\(e(base))/wmts/1.0.0/WMTSCapabilities.xml"/>
            </Capabilities>

            """
        return out
    }

    /// A tile matrix set: scale denominators and top-left corners in the CRS's own axis order
    /// (easting, northing for EPSG:3857 and EPSG:28992).
    static func matrixSet(_ tms: TileMatrixSet) -> String {
        var out = """
                <TileMatrixSet>
                  <ows:Identifier>\(tms.id)</ows:Identifier>
                  <ows:SupportedCRS>\(urn(tms.crs))</ows:SupportedCRS>\(wellKnownScaleSet(tms).map { "\n      <WellKnownScaleSet>\($0)</WellKnownScaleSet>" } ?? "")

            """
        for z in tms.zoomRange {
            guard let m = tms.matrix(z) else { continue }
            out += """
                      <TileMatrix>
                        <ows:Identifier>\(z)</ows:Identifier>
                        <ScaleDenominator>\(m.scaleDenominator)</ScaleDenominator>
                        <TopLeftCorner>\(m.pointOfOrigin.x) \(m.pointOfOrigin.y)</TopLeftCorner>
                        <TileWidth>\(m.tileWidth)</TileWidth>
                        <TileHeight>\(m.tileHeight)</TileHeight>
                        <MatrixWidth>\(m.matrixWidth)</MatrixWidth>
                        <MatrixHeight>\(m.matrixHeight)</MatrixHeight>
                      </TileMatrix>

                """
        }
        return out + "    </TileMatrixSet>\n"
    }

    /// The WMTS 1.0 (URN) name of the tile matrix set's well-known scale set.
    static func wellKnownScaleSet(_ tms: TileMatrixSet) -> String? {
        tms.id == TileMatrixSet.webMercatorQuad.id ? "urn:ogc:def:wkss:OGC:1.0:GoogleMapsCompatible" : tms.wellKnownScaleSet
    }

    /// A WMTS exception report (OWS 1.1).
    static func exception(code: String, locator: String?, text: String) -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <ows:ExceptionReport xmlns:ows="http://www.opengis.net/ows/1.1" version="1.1.0" xml:lang="en">
          <ows:Exception exceptionCode="\(code)"\(locator.map { " locator=\"\(XMLText.escape($0))\"" } ?? "")>
            <ows:ExceptionText>\(XMLText.escape(text))</ows:ExceptionText>
          </ows:Exception>
        </ows:ExceptionReport>

        """
    }
}
