import FirebreakCore

/// One-line descriptions of events for people, shared by timelines, drills and reports.
public enum EventText {
    /// How steps and states are named in a description: by their quoted id (`'capture-post'`), or
    /// by their title beside the id (`Capture the post (capture-post)`), as `timeline` and `status` do.
    public struct Names: Sendable {
        public var step: @Sendable (String) -> String
        public var state: @Sendable (String) -> String

        public init(step: @escaping @Sendable (String) -> String, state: @escaping @Sendable (String) -> String) {
            self.step = step
            self.state = state
        }

        /// `'capture-post'`.
        public static let ids = Names(step: { "'\($0)'" }, state: { "'\($0)'" })

        /// `Capture the post (capture-post)`; the quoted id where the playbook has no such step or
        /// state, or its title is the id.
        public static func titles(_ playbook: Playbook) -> Names {
            let steps = Dictionary((playbook.states.flatMap(\.steps) + playbook.duties).map { ($0.id, $0.title) }, uniquingKeysWith: { a, _ in a })
            let states = Dictionary(playbook.states.map { ($0.id, $0.title) }, uniquingKeysWith: { a, _ in a })
            return Names(step: { titled(steps[$0], $0) }, state: { titled(states[$0], $0) })
        }

        /// `Title (id)`, or `'id'` when there is no title of its own.
        public static func titled(_ title: String?, _ id: String) -> String {
            guard let title, !title.isEmpty, title != id else { return "'\(id)'" }
            return "\(title) (\(id))"
        }
    }

    /// What happened, e.g. `done 'capture'`, `entered 'respond' (from 'triage' by 'escalate')`.
    /// `clock` formats a moment (for overdue deadlines); `t` gives the words (English unless asked);
    /// `names` how steps and states are named (quoted ids unless asked).
    public static func describe(_ event: Event, clock: (Int) -> String, _ t: Messages = .english, names: Names = .ids) -> String {
        let step = names.step, state = names.state
        switch event.body {
        case let .opened(playbook, title, severity, began, _, _):
            var text = t("event.opened", ["title": title, "playbook": playbook, "severity": t("severity.\(severity.rawValue)")])
            if let began { text += t("event.openedBegan", ["time": clock(began)]) }
            return text
        case let .assigned(role, person): return t("event.assigned", ["role": role, "person": person])
        case let .deputy(role, person): return t("event.deputy", ["role": role, "person": person])
        case let .reopened(reason): return t("event.reopened", ["reason": reason])
        case let .retracted(seq, reason, retracted, reopened):
            return t("event.retracted", ["seq": "\(seq)", "reason": reason]) + (reopened ? t("event.retractedReopened", ["step": step(retracted ?? "")]) : "")
        case let .entered(entered, from, by, round):
            var text = t("event.entered", ["state": state(entered)])
            if round > 1 { text += t("event.enteredRound", ["round": "\(round)"]) }
            if let from {
                text += by.map { t("event.enteredBy", ["from": state(from), "event": $0]) } ?? t("event.enteredByTimer", ["from": state(from)])
            }
            return text
        case let .done(done, choice, note, via):
            var text = t("event.done", ["step": step(done)])
            if let via { text += via == "inform" ? t("event.doneByInform") : t("event.doneByPublishing", ["statement": via]) }
            if let choice { text += t("event.doneChoice", ["choice": choice]) }
            if let note { text += ": \(note)" }
            return text
        case let .skipped(skipped, reason): return t("event.skipped", ["step": step(skipped), "reason": reason])
        case let .fired(name): return t("event.fired", ["event": name])
        case let .note(text, on): return on.map { t("event.noteOn", ["step": step($0), "text": text]) } ?? t("event.note", ["text": text])
        case let .overdue(overdue, due): return t("event.overdue", ["step": step(overdue), "time": clock(due)])
        case let .escalated(escalated, to): return t("event.escalated", ["step": step(escalated), "role": to])
        case let .timer(from, after, to): return t("event.timer", ["after": t.duration(after), "state": state(from), "target": state(to)])
        case let .closed(reason, forced):
            return forced ? t("event.forceClosed", ["reason": reason ?? ""]) : t("event.closed")
        case let .drafted(statement, audience, version, _):
            return version == 1
                ? t("event.drafted", ["statement": statement, "audience": audience])
                : t("event.revised", ["statement": statement, "audience": audience, "version": "\(version)"])
        case let .approved(statement, version, approver):
            return t("event.approved", ["statement": statement, "version": "\(version)", "role": approver])
        case let .rejected(statement, version, approver, reason):
            return t("event.rejected", ["statement": statement, "version": "\(version)", "role": approver, "reason": reason])
        case let .published(statement, version, audience, channel):
            return t("event.published", ["statement": statement, "version": "\(version)", "audience": audience])
                + (channel.map { t("event.via", ["channel": $0]) } ?? "")
        case let .updateOverdue(audience, due): return t("event.updateOverdue", ["audience": audience, "time": clock(due)])
        case let .escalatedUpdate(audience, to): return t("event.updateEscalated", ["audience": audience, "role": to])
        case let .informed(who, via, note):
            return t("event.informed", ["who": who]) + (via.map { t("event.via", ["channel": $0]) } ?? "") + (note.map { ": \($0)" } ?? "")
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

extension TextFinding {
    /// The finding in words, for statement `statement` to audience `audience`, in the words of `t`:
    /// `S1 says 'probably' (line 2): a guess presented as fact`.
    public func message(statement: String, audience: String, _ t: Messages = .english) -> String {
        t("finding.\(kind.rawValue)", ["statement": statement, "text": text, "line": "\(line)", "audience": audience])
    }
}
