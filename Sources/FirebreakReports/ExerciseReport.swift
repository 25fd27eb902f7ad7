import FirebreakCore

/// The outcome of a scripted exercise as text and JSON (`drill run`).
public struct ExerciseReport: Sendable {
    public let scenario: Scenario
    public let playbook: Playbook
    public let outcome: Simulator.Outcome

    public init(scenario: Scenario, playbook: Playbook, outcome: Simulator.Outcome) {
        self.scenario = scenario
        self.playbook = playbook
        self.outcome = outcome
    }

    public var expectationsMet: Int { outcome.expectations.filter(\.met).count }

    public static func describe(_ expectation: Expectation) -> String {
        switch expectation.condition {
        case .done(let step): "done '\(step)' within \(DurationText.format(expectation.within))"
        case .state(let state): "in state '\(state)' within \(DurationText.format(expectation.within))"
        case .published(let audience): "published to '\(audience)' within \(DurationText.format(expectation.within))"
        case .informed(let who): "informed \(who) within \(DurationText.format(expectation.within))"
        }
    }

    public func injectName(_ index: Int) -> String {
        scenario.injects[index].id ?? "inject \(index + 1)"
    }

    /// The scored timeline and score for people; byte-identical for the same files.
    public func text(oneLine: (String) -> String = { $0 }) -> String {
        let clock = DurationText.clock
        var out = "Exercise \(scenario.id): \(oneLine(scenario.title))\n"
        out += "Playbook \(playbook.id): \(oneLine(playbook.title))\n"
        if let start = scenario.start { out += "T+0 is \(WallClock.format(start.seconds, offset: start.offset))\n" }
        out += "\nTimeline\n"
        for event in outcome.events {
            var who = event.actor.map(oneLine) ?? "—"
            if let role = event.role, event.actor != nil { who += " (\(role))" }
            if event.outsideRole { who += " [outside role]" }
            out += "  \(clock(event.at).padding(8))  \(who.padding(28))  \(oneLine(EventText.describe(event, clock: clock)))\n"
        }
        out += "\nExpectations: \(expectationsMet) of \(outcome.expectations.count) met\n"
        for result in outcome.expectations {
            let word = result.met ? "met   " : "MISSED"
            var line = "  \(word)  \(injectName(result.inject)): \(Self.describe(result.expectation)), by \(clock(result.deadline))"
            if let at = result.happenedAt { line += result.met ? " — at \(clock(at))" : " — late, at \(clock(at))" } else if !result.met { line += " — never" }
            if result.contingencyDelivered { line += " (contingency delivered)" }
            out += line + "\n"
        }
        out += "\nSteps\n"
        for round in outcome.analysis.steps {
            var line = "  \(round.status.rawValue.padding(8))  \(round.step.padding(24))  \(round.state)"
            if round.round > 1 { line += " (round \(round.round))" }
            if let deadline = round.deadline { line += ", due \(clock(deadline))" }
            if let done = round.doneAt { line += ", done \(clock(done))" }
            if let skipped = round.skippedAt { line += ", skipped \(clock(skipped)): \(oneLine(round.skipReason ?? ""))" }
            out += line + "\n"
        }
        out += "\n"
        if let closed = outcome.incident.closed {
            out += "Final state: \(playbook.states[outcome.incident.state].id), closed at \(clock(closed.at)) (time to close \(DurationText.format(closed.at)))\n"
        } else {
            let stop = outcome.stoppedAt < scenario.end ? "the exercise stopped at \(clock(outcome.stoppedAt))" : "by the end at \(clock(scenario.end))"
            out += "Final state: \(playbook.states[outcome.incident.state].id), not closed; \(stop)\n"
        }
        let waited = outcome.actions.filter { ($0.appliedAt ?? $0.scheduledAt) > $0.scheduledAt }
        if !waited.isEmpty {
            out += "\nActions that waited\n"
            for action in waited {
                out += "  \(clock(action.scheduledAt))  \(action.action.by): \(action.action.summary) applied at \(clock(action.appliedAt!)) (waited \(DurationText.format(action.appliedAt! - action.scheduledAt)))\n"
            }
        }
        let never = outcome.actions.filter { $0.appliedAt == nil }
        if !never.isEmpty {
            out += "\nActions that never applied\n"
            for action in never {
                let reason = action.lastRefusal.map(oneLine) ?? (action.scheduledAt > outcome.stoppedAt ? "not played: scheduled after the exercise stopped" : "not played")
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
                    ("target", .string(result.expectation.condition.target)), ("withinSeconds", .int(result.expectation.within)),
                    ("deadlineSeconds", .int(result.deadline)), ("met", .bool(result.met)),
                    ("metAtSeconds", result.met ? .optional(result.happenedAt) : .null),
                    ("happenedAtSeconds", .optional(result.happenedAt)),
                    ("contingencyDelivered", .bool(result.contingencyDelivered)),
                ])
            })),
            ("steps", .array(outcome.analysis.steps.map { round in
                .object([
                    ("id", .string(round.step)), ("state", .string(round.state)), ("round", .int(round.round)),
                    ("owner", .string(round.owner)), ("status", .string(round.status.rawValue)),
                    ("dueSeconds", .optional(round.deadline)), ("doneAtSeconds", .optional(round.doneAt)),
                    ("skippedAtSeconds", .optional(round.skippedAt)),
                ])
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
