import Foundation
import Synchronization

/// A one-line progress bar on standard error, drawn only when standard error is a terminal
/// (a script or a log file gets nothing but the final result). Redrawn in place with a carriage
/// return; ``finish()`` clears the line.
///
/// Our own line rather than a terminal library's: console-kit brings its own command framework and
/// swift-nio's event loops for one line of text.
final class ProgressBar: Sendable {
    let label: String
    let total: Int
    let shown: Bool
    private let lastDrawn = Mutex(-1)
    let console = Console.current

    init(_ label: String, total: Int) {
        self.label = label
        self.total = total
        shown = Terminal.isTerminal(2) && total > 0
    }

    static let width = 30

    /// The line for `done` of `total`: `copying  [#########·····················]  3/10`.
    static func line(_ label: String, done: Int, total: Int) -> String {
        let filled = total == 0 ? width : min(width, done * width / total)
        return "\(label)  [" + String(repeating: "#", count: filled) + String(repeating: "·", count: width - filled) + "]  \(done)/\(total)"
    }

    func update(_ done: Int) {
        guard shown, lastDrawn.withLock({ last in
            defer { last = done }
            return last != done
        }) else { return }
        console.error("\r" + Self.line(label, done: done, total: total))
    }

    func finish() {
        guard shown else { return }
        console.error("\r\u{1B}[K")
    }
}
