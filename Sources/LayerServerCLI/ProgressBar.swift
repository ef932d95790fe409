import Foundation
import LayerServer

/// A progress bar on stderr, drawn only when stderr is a terminal.
final class ProgressBar {
    private let label: String
    private let enabled = isatty(2) == 1
    private var drawn = false

    init(label: String) { self.label = label }

    func update(_ p: ImportProgress) {
        guard enabled else { return }
        let line: String
        if let total = p.total, total > 0 {
            let fraction = min(Double(p.read) / Double(total), 1)
            let width = 30
            let filled = Int(fraction * Double(width))
            line = "\r\(label) [\(String(repeating: "#", count: filled))\(String(repeating: " ", count: width - filled))] \(String(format: "%3d", Int(fraction * 100)))%  \(p.read)/\(total) features"
        } else {
            line = "\r\(label) \(p.read) features read"
        }
        FileHandle.standardError.write(Data(line.utf8))
        drawn = true
    }

    func finish() {
        if drawn { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
