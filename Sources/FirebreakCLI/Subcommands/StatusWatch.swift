import FirebreakApp
import FirebreakCore
import FirebreakStore
import Foundation

extension Status {
    /// `status INC --watch`: the status, drawn again whenever the incident has a new event or a
    /// deadline or timer falls due, until Ctrl-C (exit 0). Each frame is `status INC` itself, drawn
    /// at one instant. On a terminal the frames replace each other on the alternate screen (the
    /// terminal is given back as it was on exit); otherwise each frame follows the last after a blank line.
    ///
    /// It wakes on the store's changes (PostgreSQL's LISTEN/NOTIFY, SQLite's data version) and at
    /// the next due time the engine names; a wake that changes nothing for this incident draws nothing.
    func watchUntilInterrupted() async throws {
        let workspace = Workspace(global: global)
        let number = try Workspace.number(incident)
        let store = try await workspace.store()
        _ = try await Workspace.load(number, from: store)
        let source = try await Watching.source(for: store)
        defer { source.close() }
        let screen = Terminal.isTerminal(1)
        if screen { Terminal.write("\u{1B}[?1049h\u{1B}[?25l") }  // the alternate screen, cursor hidden
        defer { if screen { Terminal.write("\u{1B}[?25h\u{1B}[?1049l") } }
        var shown: (lastSeq: Int, due: Int)?
        while true {
            let now = source.now()
            let (record, playbook) = try await Workspace.load(number, from: store)
            let engine = Engine(playbook: playbook)
            var current = record.snapshot
            let due = engine.advance(&current, to: now, limit: Engine.timeDrivenLimit).count
            if shown.map({ $0.lastSeq != record.lastSeq || $0.due != due }) ?? true {
                if shown != nil { Terminal.write(screen ? "" : "\n") }
                if screen { Terminal.write("\u{1B}[H\u{1B}[2J") }
                try await Clock.$fixed.withValue(now) {
                    Terminal.out(try await Self.frame(global: global, incident: incident, json: json, lang: lang, mine: mine ? try global.actor() : nil))
                }
                shown = (record.lastSeq, due)
                // Nobody reads any more (`| head`, a closed terminal): stop, and say so (exit 74).
                if Console.current.failedOutput != nil { return }
            }
            switch await source.next(due: engine.nextDue(current)) {
            case .interrupted: return
            case .failed(let error): throw Workspace.translate(error)
            case .changed, .due: continue
            }
        }
    }
}
