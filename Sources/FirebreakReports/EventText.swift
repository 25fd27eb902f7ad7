import FirebreakCore

/// One-line descriptions of events for people, shared by timelines, drills and reports.
public enum EventText {
    /// What happened, e.g. `done 'capture'`, `entered 'respond' (from 'triage' by 'escalate')`.
    /// `clock` formats a moment (for overdue deadlines); `t` gives the words (English unless asked).
    public static func describe(_ event: Event, clock: (Int) -> String, _ t: Messages = .english) -> String {
        switch event.body {
        case let .opened(playbook, title, severity, began, _, _):
            var text = t("event.opened", ["title": title, "playbook": playbook, "severity": t("severity.\(severity.rawValue)")])
            if let began { text += t("event.openedBegan", ["time": clock(began)]) }
            return text
        case let .assigned(role, person): return t("event.assigned", ["role": role, "person": person])
        case let .deputy(role, person): return t("event.deputy", ["role": role, "person": person])
        case let .reopened(reason): return t("event.reopened", ["reason": reason])
        case let .retracted(seq, reason, step, reopened):
            return t("event.retracted", ["seq": "\(seq)", "reason": reason]) + (reopened ? t("event.retractedReopened", ["step": step ?? ""]) : "")
        case let .entered(state, from, by, round):
            var text = t("event.entered", ["state": state])
            if round > 1 { text += t("event.enteredRound", ["round": "\(round)"]) }
            if let from {
                text += by.map { t("event.enteredBy", ["from": from, "event": $0]) } ?? t("event.enteredByTimer", ["from": from])
            }
            return text
        case let .done(step, choice, note, via):
            var text = t("event.done", ["step": step])
            if let via { text += via == "inform" ? " by the inform" : " by publishing \(via)" }
            if let choice { text += t("event.doneChoice", ["choice": choice]) }
            if let note { text += ": \(note)" }
            return text
        case let .skipped(step, reason): return t("event.skipped", ["step": step, "reason": reason])
        case let .fired(name): return t("event.fired", ["event": name])
        case let .note(text, step): return step.map { t("event.noteOn", ["step": $0, "text": text]) } ?? t("event.note", ["text": text])
        case let .overdue(step, due): return t("event.overdue", ["step": step, "time": clock(due)])
        case let .escalated(step, to): return t("event.escalated", ["step": step, "role": to])
        case let .timer(state, after, to): return t("event.timer", ["after": DurationText.format(after), "state": state, "target": to])
        case let .closed(reason, forced):
            return forced ? t("event.forceClosed", ["reason": reason ?? ""]) : t("event.closed")
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
        case let .inject(id, _, text, reach):  // `from` is shown as the actor
            return t("event.inject", ["name": id.map { " '\($0)'" } ?? "", "text": text]) + (reach.map { t("event.injectReach", ["reach": "\($0)"]) } ?? "")
        case let .refused(action, reason): return t("event.refused", ["action": action, "reason": reason])
        }
    }

    /// The event as a JSON object: `kind` and the kind's fields.
    public static func jsonFields(_ event: Event) -> [(String, JSONValue)] {
        [("kind", .string(event.kind.rawValue))] + event.body.fields.map { ($0.0, JSONValue($0.1)) }
    }
}
