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
        case let .entered(state, from, by, round):
            var text = "entered '\(state)'"
            if round > 1 { text += " (round \(round))" }
            if let from {
                text += by.map { " from '\(from)' by '\($0)'" } ?? " from '\(from)' by timer"
            }
            return text
        case let .done(step, choice, note, via):
            var text = "done '\(step)'"
            if let via { text += via == "inform" ? " by the inform" : " by publishing \(via)" }
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
        case let .drafted(statement, audience, version, _):
            return version == 1 ? "drafted \(statement) for '\(audience)'" : "revised \(statement) for '\(audience)': version \(version)"
        case let .approved(statement, version, approver): return "'\(approver)' approved \(statement) version \(version)"
        case let .rejected(statement, version, approver, reason): return "'\(approver)' rejected \(statement) version \(version): \(reason)"
        case let .published(statement, version, audience, channel):
            return "published \(statement) version \(version) to '\(audience)'" + (channel.map { " via \($0)" } ?? "")
        case let .updateOverdue(audience, due): return "update to '\(audience)' overdue (due \(clock(due)))"
        case let .escalatedUpdate(audience, to): return "update to '\(audience)' escalated to '\(to)'"
        case let .informed(who, via, note):
            return "informed \(who)" + (via.map { " via \($0)" } ?? "") + (note.map { ": \($0)" } ?? "")
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
