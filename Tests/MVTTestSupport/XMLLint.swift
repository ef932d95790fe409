import Foundation

/// xmllint (Debian's libxml2-utils), an XML validator independent of the service's own reader:
/// the tests check what the service writes with it (CAP alerts against cap12.xsd, Atom feeds).
public enum XMLLint {
    /// Runs `xmllint --noout --nonet ARGUMENTS` on `xml`: its exit status and what it printed.
    public static func run(_ xml: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("xmllint-\(UUID().uuidString).xml")
        try Data(xml.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/xmllint")
        p.arguments = ["--noout", "--nonet"] + arguments + [file.path]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }
}
