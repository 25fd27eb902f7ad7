import FirebreakCore

/// The outcome of a scripted exercise as text and JSON (`drill run`).
public struct ExerciseReport: Sendable {
    public let scenario: Scenario
    public let playbook: Playbook
    public let outcome: Simulator.Outcome
    /// The words of `text()`: `--lang`, else the playbook's language. `--json` does not change.
    public let t: Messages

    public init(scenario: Scenario, playbook: Playbook, outcome: Simulator.Outcome, language: Language? = nil) {
        self.scenario = scenario
        self.playbook = playbook
        self.outcome = outcome
        self.t = Messages.for(language ?? playbook.language)
    }

    public var expectationsMet: Int { outcome.expectations.filter(\.met).count }

    public static func describe(_ expectation: Expectation, _ t: Messages = .english) -> String {
        let within = t.duration(expectation.within)
        return switch expectation.condition {
        case .done(let step): t("expectation.done", ["step": step, "within": within])
        case .state(let state): t("expectation.state", ["state": state, "within": within])
        case .published(let audience): t("expectation.published", ["audience": audience, "within": within])
        case .informed(let who): t("expectation.informed", ["who": who, "within": within])
        case .never(let state): t("expectation.never", ["state": state])
        case let .before(step, other): t("expectation.before", ["step": step, "other": other])
        }
    }

    /// B of `{ done: A, before: B }`.
    static func other(_ expectation: Expectation) -> String? {
        if case .before(_, let other) = expectation.condition { other } else { nil }
    }

    public func injectName(_ index: Int) -> String {
        scenario.injects[index].id ?? "inject \(index + 1)"
    }

    /// The scored timeline and score for people; byte-identical for the same files.
    public func text(oneLine: (String) -> String = { $0 }) -> String {
        let clock = DurationText.clock
        var out = t("drill.exercise", ["id": scenario.id, "title": oneLine(scenario.title)]) + "\n"
        out += t("drill.playbook", ["id": playbook.id, "title": oneLine(playbook.title)]) + "\n"
        if let start = scenario.start { out += t("drill.start", ["time": WallClock.format(start.seconds, offset: start.offset)]) + "\n" }
        out += "\n\(t("drill.timeline"))\n"
        for event in outcome.events {
            var who = event.actor.map(oneLine) ?? "—"
            if let role = event.role, event.actor != nil { who += " (\(role))" }
            if event.outsideRole { who += t("drill.outsideRole") }
            out += "  \(clock(event.at).padding(8))  \(who.padding(28))  \(oneLine(EventText.describe(event, clock: clock, t)))\n"
        }
        out += "\n" + t("drill.expectations", ["met": "\(expectationsMet)", "total": "\(outcome.expectations.count)"]) + "\n"
        for result in outcome.expectations {
            let word = t(result.met ? "drill.met" : "drill.missed")
            var line = "  \(word)  \(injectName(result.inject)): \(Self.describe(result.expectation, t))"
            switch result.expectation.condition {
            case .never:
                out += line + (result.happenedAt.map { t("drill.enteredAt", ["time": clock($0)]) } ?? "") + "\n"
                continue
            case .before(_, let other):
                if let at = result.happenedAt {
                    line += result.met ? t("drill.metAt", ["time": clock(at)]) : t("drill.otherFirst", ["time": clock(at), "other": other])
                }
                out += line + (result.happenedAt == nil ? t("drill.never") : "") + "\n"
                continue
            case .done, .state, .published, .informed: line += t("drill.by", ["time": clock(result.deadline)])
            }
            if let at = result.happenedAt {
                line += t(result.met ? "drill.metAt" : "drill.lateAt", ["time": clock(at)])
            } else if !result.met {
                line += t("drill.never")
            }
            if result.contingencyDelivered { line += t("drill.contingency") }
            out += line + "\n"
        }
        out += "\n\(t("drill.steps"))\n"
        let statuses = ["on-time", "late", "skipped", "not-done"].map { t("drill.status.\($0)") }
        let width = max(8, statuses.map(\.count).max() ?? 8)
        for round in outcome.analysis.steps {
            var line = "  \(t("drill.status.\(round.status.rawValue)").padding(width))  \(round.step.padding(24))  \(round.isDuty ? t("drill.standingDuty") : round.state)"
            if round.carried { line += t("drill.carried") }
            if round.round > 1 { line += t("drill.round", ["round": "\(round.round)"]) }
            if let deadline = round.deadline { line += t("drill.due", ["time": clock(deadline)]) }
            if let done = round.doneAt { line += t("drill.doneAt", ["time": clock(done)]) }
            if let skipped = round.skippedAt { line += t("drill.skippedAt", ["time": clock(skipped), "reason": oneLine(round.skipReason ?? "")]) }
            out += line + "\n"
        }
        out += "\n"
        let final = playbook.states[outcome.incident.state]
        let finalState = PostMortem.titled(final.title, final.id)
        if let closed = outcome.incident.closed {
            out += t("drill.closed", ["state": finalState, "time": clock(closed.at), "duration": t.duration(closed.at)]) + "\n"
        } else {
            let stop = outcome.stoppedAt < scenario.end ? t("drill.stoppedAt", ["time": clock(outcome.stoppedAt)]) : t("drill.byEnd", ["time": clock(scenario.end)])
            out += t("drill.notClosed", ["state": finalState, "stop": stop]) + "\n"
        }
        let waited = outcome.actions.filter { ($0.appliedAt ?? $0.scheduledAt) > $0.scheduledAt }
        if !waited.isEmpty {
            out += "\n\(t("drill.waitedHeading"))\n"
            for action in waited {
                let applied = action.appliedAt ?? action.scheduledAt
                out += "  \(clock(action.scheduledAt))  \(action.action.by): \(action.action.summary) "
                    + t("drill.waited", ["time": clock(applied), "duration": t.duration(applied - action.scheduledAt)]) + "\n"
            }
        }
        let never = outcome.actions.filter { $0.appliedAt == nil }
        if !never.isEmpty {
            out += "\n\(t("drill.neverHeading"))\n"
            for action in never {
                let reason = action.lastRefusal.map(oneLine) ?? t(action.scheduledAt > outcome.stoppedAt ? "drill.notPlayedAfterStop" : "drill.notPlayed")
                out += "  \(clock(action.scheduledAt))  \(action.action.by): \(action.action.summary) — \(reason)\n"
            }
        }
        return String(out.dropLast())
    }

    /// `drill run --json`.
    public func json() -> JSONValue {
        .object([
            ("scenario", .string(scenario.id)), ("playbook", .string(playbook.id)),
            ("finalState", .string(playbook.states[outcome.incident.state].id)),
            ("closed", .bool(outcome.incident.isClosed)), ("closedAtSeconds", .optional(outcome.incident.closed?.at)),
            ("expectations", .array(outcome.expectations.map { result in
                .object([
                    ("inject", .string(injectName(result.inject))), ("kind", .string(result.expectation.condition.kind)),
                    ("target", .string(result.expectation.condition.target)), ("withinSeconds", result.expectation.condition.isScoredAtEnd ? .null : .int(result.expectation.within)),
                    ("deadlineSeconds", result.deadline == .max ? .null : .int(result.deadline)), ("met", .bool(result.met)),
                    ("metAtSeconds", result.met ? .optional(result.happenedAt) : .null),
                    ("happenedAtSeconds", .optional(result.happenedAt)),
                    ("contingencyDelivered", .bool(result.contingencyDelivered)),
                ] + (Self.other(result.expectation).map { [("before", .string($0))] } ?? []))
            })),
            ("steps", .array(outcome.analysis.steps.map { round in
                .object([
                    ("id", .string(round.step)), ("state", .string(round.state)), ("round", .int(round.round)),
                    ("owner", .string(round.owner)), ("status", .string(round.status.rawValue)),
                    ("dueSeconds", .optional(round.deadline)), ("doneAtSeconds", .optional(round.doneAt)),
                    ("skippedAtSeconds", .optional(round.skippedAt)),
                ] + (round.isDuty ? [("duty", .bool(true))] : []) + (round.carried ? [("carried", .bool(true))] : []))
            })),
            ("pending", .array(outcome.actions.filter { $0.appliedAt == nil }.map { action in
                .object([
                    ("atSeconds", .int(action.scheduledAt)), ("by", .string(action.action.by)), ("action", .string(action.action.summary)),
                    ("reason", .string(action.lastRefusal ?? "not played: the exercise stopped first")),
                ])
            })),
            ("waited", .array(outcome.actions.filter { ($0.appliedAt ?? 0) > $0.scheduledAt }.map { action in
                .object([
                    ("atSeconds", .int(action.scheduledAt)), ("by", .string(action.action.by)), ("action", .string(action.action.summary)),
                    ("appliedAtSeconds", .optional(action.appliedAt)), ("waitedSeconds", .int((action.appliedAt ?? 0) - action.scheduledAt)),
                ])
            })),
            ("timeline", .array(outcome.events.map { event in
                .object([("atSeconds", .int(event.at)), ("actor", .optional(event.actor)), ("role", .optional(event.role)),
                         ("outsideRole", .bool(event.outsideRole))] + EventText.jsonFields(event))
            })),
            ("score", .object([("expectationsMet", .int(expectationsMet)), ("expectationsTotal", .int(outcome.expectations.count))])),
        ])
    }
}

extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
