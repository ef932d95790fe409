import Foundation
import LayerServer

/// A one-line progress bar on standard error (redrawn in place on a terminal, a line per phase otherwise).
final class ProgressBar: @unchecked Sendable {
    // @unchecked: every access to `lastPhase` and `lastDraw` holds `lock`.
    private let lock = NSLock()
    private var lastPhase = ""
    private var lastDraw = Date.distantPast
    private let terminal = isatty(STDERR_FILENO) == 1
    private let label: String

    init(label: String) { self.label = label }

    /// An import's progress: features read of the total, then written.
    func update(_ p: ImportProgress) {
        let base = p.total ?? p.read
        if let written = p.written {
            update("writing", fraction: p.read > 0 ? Double(written) / Double(p.read) : 1, detail: "\(written)/\(p.read) features")
        } else {
            update("reading", fraction: p.total.map { $0 > 0 ? min(1, Double(p.read) / Double($0)) : 1 },
                   detail: "\(p.read)/\(base) features")
        }
    }

    func update(_ phase: String, fraction: Double?, detail: String) {
        lock.withLock {
            let now = Date()
            guard phase != lastPhase || now.timeIntervalSince(lastDraw) > 0.1 else { return }
            let width = 30
            let filled = Int((fraction ?? 0) * Double(width))
            let bar = fraction == nil ? String(repeating: "~", count: width)
                : String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            let percent = fraction.map { String(format: "%3d%%", Int($0 * 100)) } ?? " ...".padding(toLength: 4, withPad: " ", startingAt: 0)
            let line = "\(label) [\(bar)] \(percent) \(phase.padding(toLength: 9, withPad: " ", startingAt: 0)) \(detail)"
            if terminal {
                FileHandle.standardError.write(Data(("\r" + line + "\u{1B}[K").utf8))
            } else if phase != lastPhase {
                FileHandle.standardError.write(Data((line + "\n").utf8))
            }
            lastPhase = phase
            lastDraw = now
        }
    }

    func finish() {
        lock.withLock { if terminal && !lastPhase.isEmpty { FileHandle.standardError.write(Data("\n".utf8)) } }
    }
}

