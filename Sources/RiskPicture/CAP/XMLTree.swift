import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// An element of a parsed XML document: its local name, namespace, text and child elements.
/// Comments and processing instructions are not kept.
public struct XNode: Sendable, Hashable {
    public var name: String
    public var namespace: String?
    public var attributes: [String: String]
    /// The element's own text (whitespace between child elements included).
    public var text: String
    public var children: [XNode]

    /// The text with surrounding whitespace removed.
    public var value: String { text.trimmingCharacters(in: .whitespacesAndNewlines) }
}

/// A small, strict XML reader for CAP messages on top of libxml2 (through Foundation's
/// XMLParser). Documents with a DTD or entity declarations are refused before parsing (no
/// external entities, no entity expansion: XXE and "billion laughs" never reach the parser);
/// size, depth and element counts are bounded.
public enum XMLTree {
    /// The largest document accepted.
    public static let maximumBytes = 4 << 20
    static let maximumDepth = 32
    static let maximumElements = 100_000

    /// Parses `data` into its root element.
    /// - Throws: ``RiskPictureError`` (`invalidContribution`) saying what is wrong.
    public static func parse(_ data: Data) throws -> XNode {
        guard data.count <= maximumBytes else {
            throw RiskPictureError(.invalidContribution, "the document is \(data.count) bytes; at most \(maximumBytes) are accepted")
        }
        // The scan below reads bytes as ASCII: UTF-16 and other encodings with NUL bytes could
        // hide a declaration from it.
        guard !data.contains(0) else {
            throw RiskPictureError(.invalidContribution, "the document is not in UTF-8 (or another ASCII-compatible encoding)")
        }
        // `<!` starts a DTD, an entity or a notation declaration (and comments and CDATA, which are fine).
        var i = data.startIndex
        while let lt = data[i...].firstIndex(of: UInt8(ascii: "<")) {
            let rest = data[lt...].prefix(10)
            let upper = String(decoding: rest, as: UTF8.self).uppercased()
            if upper.hasPrefix("<!DOCTYPE") || upper.hasPrefix("<!ENTITY") || upper.hasPrefix("<!ELEMENT") || upper.hasPrefix("<!ATTLIST") || upper.hasPrefix("<!NOTATION") {
                throw RiskPictureError(.invalidContribution, "the document has a DTD or entity declaration (\(upper.prefix(9))...); CAP messages without DTDs and entities are accepted only")
            }
            i = data.index(after: lt)
        }
        let builder = Builder()
        let parser = XMLParser(data: data)
        parser.shouldProcessNamespaces = true
        parser.shouldResolveExternalEntities = false
        parser.delegate = builder
        let ok = parser.parse()
        if let refusal = builder.refusal { throw refusal }
        guard ok, let root = builder.root else {
            let line = parser.lineNumber
            throw RiskPictureError(.invalidContribution, "the document is not well-formed XML (line \(line)): \(parser.parserError.map { "\($0.localizedDescription)" } ?? "no root element")")
        }
        return root
    }

    /// Builds the tree while the parser reads. Used by one parse on one thread.
    final class Builder: NSObject, XMLParserDelegate {
        var stack: [XNode] = []
        var root: XNode?
        var elements = 0
        var refusal: RiskPictureError?

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            elements += 1
            if stack.count >= XMLTree.maximumDepth || elements > XMLTree.maximumElements {
                refusal = RiskPictureError(.invalidContribution, "the document is nested deeper than \(XMLTree.maximumDepth) or has more than \(XMLTree.maximumElements) elements")
                parser.abortParsing()
                return
            }
            stack.append(XNode(name: elementName, namespace: namespaceURI, attributes: attributes, text: "", children: []))
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
            guard let done = stack.popLast() else { return }
            if stack.isEmpty { root = done } else { stack[stack.count - 1].children.append(done) }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            guard !stack.isEmpty else { return }
            stack[stack.count - 1].text += string
        }

        func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
            guard !stack.isEmpty else { return }
            stack[stack.count - 1].text += String(decoding: CDATABlock, as: UTF8.self)
        }

        func parser(_ parser: XMLParser, resolveExternalEntityName name: String, systemID: String?) -> Data? {
            refusal = RiskPictureError(.invalidContribution, "the document refers to an external entity; it is not read")
            parser.abortParsing()
            return nil
        }
    }
}
