import FirebreakCore

/// One-line descriptions of events for people, shared by timelines, drills and reports.
public enum EventText {
    /// What happened, e.g. `done 'capture'`, `entered 'respond' (from 'triage' by 'escalate')`.
    /// `clock` formats a moment (for overdue deadlines).
    public static func describe(_ event: Event, clock: (Int) -> String) -> String {
        switch event.body {
        case let .opened(playbook, title, severity, began, _, _):
            var text = "opened '\(title)' from playbook '\(playbook)', severity \(severity.rawValue)"
            if let began { text += ", began \(clock(began))" }
            return text
        case let .assigned(role, person): return "assigned role '\(role)' to \(person)"
        case let .deputy(role, person): return "made \(person) a deputy of role '\(role)'"
        case let .reopened(reason): return "reopened: \(reason)"
        case let .retracted(seq, reason, step, reopened):
            return "retracted #\(seq): \(reason)" + (reopened ? " (step '\(step ?? "")' is open again)" : "")
        case let .entered(state, from, by, round):
            var text = "entered '\(state)'"
            if round > 1 { text += " (round \(round))" }
            if let from {
                text += by.map { " from '\(from)' by '\($0)'" } ?? " from '\(from)' by timer"
            }
            return text
        case let .done(step, choice, note):
            var text = "done '\(step)'"
            if let choice { text += " with choice '\(choice)'" }
            if let note { text += ": \(note)" }
            return text
        case let .skipped(step, reason): return "skipped '\(step)': \(reason)"
        case let .fired(name): return "fired '\(name)'"
        case let .note(text): return "note: \(text)"
        case let .overdue(step, due): return "'\(step)' overdue (due \(clock(due)))"
        case let .escalated(step, to): return "'\(step)' escalated to '\(to)'"
        case let .timer(state, after, to): return "timer: \(DurationText.format(after)) in '\(state)' → '\(to)'"
        case let .closed(reason, forced):
            return forced ? "force-closed: \(reason ?? "")" : "closed"
        case let .inject(id, _, text):  // `from` is shown as the actor
            let name = id.map { " '\($0)'" } ?? ""
            return "inject\(name): \(text)"
        case let .refused(action, reason): return "refused \(action): \(reason)"
        }
    }

    /// The event as a JSON object: `kind` and the kind's fields.
    public static func jsonFields(_ event: Event) -> [(String, JSONValue)] {
        [("kind", .string(event.kind.rawValue))] + event.body.fields.map { ($0.0, JSONValue($0.1)) }
    }
}
