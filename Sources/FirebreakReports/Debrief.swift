import FirebreakCore

/// Questions for the debrief after `drill play`'s `end`, drawn from what happened in the exercise:
/// expectations missed (not those whose deadline was still ahead when it stopped), steps that fell overdue, statements (rejected, slow, never published), updates
/// missed; then one question for every exercise. In the exercise's language.
///
/// ```swift
/// Debrief(scenario: s, playbook: p, outcome: outcome, t: .dutch).questions
/// // ["'press-call: done holding-statement within 45m' werd gemist …", …]
/// ```
public struct Debrief: Sendable {
    public let scenario: Scenario
    public let playbook: Playbook
    public let outcome: Simulator.Outcome
    public let t: Messages

    public init(scenario: Scenario, playbook: Playbook, outcome: Simulator.Outcome, t: Messages = .english) {
        self.scenario = scenario
        self.playbook = playbook
        self.outcome = outcome
        self.t = t
    }

    /// The questions, in this order: expectations missed (file order), steps overdue (as they fell due),
    /// statements (as drafted), updates missed, expectations still open when the exercise stopped (or, when
    /// nothing was missed, open or overdue, the question about what went well), then the closing question.
    public var questions: [String] {
        let clock = DurationText.clock
        var questions: [String] = []
        // An expectation whose deadline was still ahead when the exercise stopped is not asked about.
        let missed = outcome.expectations.filter { !$0.met && ($0.expectation.condition.isScoredAtEnd || $0.deadline <= outcome.stoppedAt) }
        for result in missed {
            let inject = scenario.injects[result.inject].id ?? "\(result.inject + 1)"
            let described = ExerciseReport.describe(result.expectation, t)
            switch result.expectation.condition {
            case .never(let state):
                questions.append(t("debrief.never", ["state": state, "time": result.happenedAt.map(clock) ?? "?"]))
            case let .before(step, other):
                // Missed: `other` was done first, or (scored at the end) neither was done at all.
                let otherDone = outcome.events.contains { if case .done(other, _, _, _) = $0.body { true } else { false } }
                questions.append(t(otherDone ? "debrief.before" : "debrief.beforeNeither", ["step": step, "other": other]))
            default:
                var when = result.happenedAt.map { t("debrief.came", ["time": clock($0)]) } ?? t("debrief.neverCame")
                if result.happenedAt == nil, case .done(let step) = result.expectation.condition,
                    let skipped = outcome.events.first(where: { if case .skipped(step, _) = $0.body { true } else { false } }) {
                    when = t("debrief.skipped", ["time": clock(skipped.at)])
                }
                questions.append(t("debrief.missed", ["expectation": described, "inject": inject, "deadline": clock(result.deadline), "when": when]))
            }
        }
        var overdue: Set<String> = []
        var comms = CommunicationsLog()
        for event in outcome.events {
            comms.add(event, playbook: playbook)
            guard case let .overdue(step, due) = event.body, overdue.insert(step).inserted else { continue }
            questions.append(t("debrief.overdue", ["step": step, "owner": playbook.anyStep(step)?.owner ?? "?", "time": clock(due)]))
        }
        for statement in comms.statements {
            for verdict in statement.verdicts where !verdict.approved {
                questions.append(t("debrief.rejected", [
                    "role": verdict.approver, "id": statement.id, "version": "\(verdict.version)", "reason": verdict.reason ?? "",
                ]))
            }
            if let published = statement.published, published.at == statement.draftedAt, statement.versions.count == 1 {
                questions.append(t("debrief.publishedAtOnce", ["id": statement.id, "audience": statement.audience, "time": clock(published.at)]))
            } else if let published = statement.published {
                questions.append(t("debrief.published", [
                    "id": statement.id, "audience": statement.audience, "time": clock(published.at),
                    "duration": t.duration(published.at - statement.draftedAt), "versions": "\(statement.versions.count)",
                ]))
            } else {
                questions.append(t("debrief.unpublished", ["id": statement.id, "audience": statement.audience, "time": clock(statement.draftedAt)]))
            }
        }
        if comms.statements.isEmpty, !playbook.audiences.isEmpty {
            questions.append(t("debrief.noStatement"))
        }
        for missed in comms.missedUpdates {
            questions.append(t("debrief.missedUpdate", ["audience": missed.audience, "time": clock(missed.due)]))
        }
        // Expectations whose deadline was still ahead when the exercise stopped: the score counts them as not
        // met, so the debrief must not say that everything was.
        let open = outcome.expectations.filter { !$0.met && !missed.contains($0) }
        if !open.isEmpty {
            questions.append(t("debrief.stillOpen", [
                "count": "\(open.count)", "expectations": open.map { ExerciseReport.describe($0.expectation, t) }.joined(separator: "; "),
            ]))
        }
        if open.isEmpty, missed.isEmpty, overdue.isEmpty {
            questions.append(t("debrief.allMet"))
        }
        questions.append(t("debrief.closing"))
        return questions
    }

    /// A heading and the questions numbered, one a line.
    public func text(oneLine: (String) -> String = { $0 }) -> String {
        ([t("debrief.heading")] + questions.enumerated().map { "  \($0 + 1). \(oneLine($1))" }).joined(separator: "\n")
    }
}
