import FirebreakCore
import Foundation
import Mustache

/// One timeline entry of a stored incident.
public struct TimelineItem: Sendable {
    public var seq: Int
    public var recordedAt: Int
    public var event: Event

    public init(seq: Int, recordedAt: Int, event: Event) {
        self.seq = seq
        self.recordedAt = recordedAt
        self.event = event
    }
}

/// What a report knows about an incident besides its events.
public struct ReportFacts: Sendable {
    public var reference: String
    public var title: String
    public var playbook: Playbook
    public var playbookHash: String
    public var isExercise: Bool
    public var severity: IncidentSeverity
    public var assignments: [String: String]
    /// The UTC offset to show times in, in seconds.
    public var zoneOffset: Int
    /// Now, for the duration of an incident still open.
    public var now: Int
    /// The language of the report's headings and fixed words: `--lang`, else the playbook's.
    public var language: Language

    public init(
        reference: String, title: String, playbook: Playbook, playbookHash: String, isExercise: Bool, severity: IncidentSeverity,
        assignments: [String: String], zoneOffset: Int, now: Int, language: Language? = nil
    ) {
        self.language = language ?? playbook.language
        self.reference = reference
        self.title = title
        self.playbook = playbook
        self.playbookHash = playbookHash
        self.isExercise = isExercise
        self.severity = severity
        self.assignments = assignments
        self.zoneOffset = zoneOffset
        self.now = now
    }
}

/// The exercise part of an after-action report.
public struct ExerciseContext: Sendable {
    public var scenario: Scenario
    /// The incident time of T+0.
    public var base: Int
    /// Actions that never applied (drill run), or that were refused (from a stored log).
    public var unapplied: [(at: Int, by: String, action: String, reason: String)]
    public var unappliedAreRefusals: Bool

    public init(scenario: Scenario, base: Int, unapplied: [(at: Int, by: String, action: String, reason: String)], unappliedAreRefusals: Bool) {
        self.scenario = scenario
        self.base = base
        self.unapplied = unapplied
        self.unappliedAreRefusals = unappliedAreRefusals
    }
}

/// A post-mortem or after-action report: built from a first pass over the events
/// (``IncidentAnalysis``), with the timeline streamed in a second pass.
public struct PostMortem: Sendable {
    public let facts: ReportFacts
    public let analysis: IncidentAnalysis
    public let exercise: ExerciseContext?

    public init(facts: ReportFacts, analysis: IncidentAnalysis, exercise: ExerciseContext?) {
        self.facts = facts
        self.analysis = analysis
        self.exercise = exercise
        self.plain = Messages.for(facts.language)
        self.t = plain
        self.names = .titles(facts.playbook)
    }

    /// How the timeline names steps and states: `Title (id)`, as `status` and `timeline` do.
    let names: EventText.Names

    /// The output format the report's values are escaped for (Markdown unless ``marked(_:)`` says otherwise).
    public private(set) var markup: Markup = .markdown

    /// The same report with its values escaped for another format.
    public func marked(_ markup: Markup) -> PostMortem {
        var copy = self
        copy.markup = markup
        copy.t = markup.messages(plain)
        return copy
    }

    /// Untrusted text escaped for the report's format.
    var md: (String) -> String { markup.text }

    /// The report's fixed words, in its language and format: filled with escaped values, used as they are.
    public private(set) var t: Messages
    /// The same words as plain text, for texts that are escaped as a whole (event descriptions, objectives).
    public let plain: Messages

    /// A step's title beside its id (`Assess the post (assess-post)`), or the id alone when the step has no
    /// title of its own; unescaped.
    public func stepName(_ id: String) -> String {
        Self.titled(facts.playbook.anyStep(id)?.title, id)
    }

    /// A state's title beside its id, or the id alone; unescaped.
    public func stateName(_ id: String) -> String {
        Self.titled(facts.playbook.stateIndex[id].map { facts.playbook.states[$0].title }, id)
    }

    /// A state's title beside its id, or the id quoted when it has no title of its own (in a sentence); unescaped.
    func stateInText(_ id: String) -> String {
        EventText.Names.titled(facts.playbook.stateIndex[id].map { facts.playbook.states[$0].title }, id)
    }

    /// `Title (id)` as ``EventText/Names/titled(_:_:)`` has it, but the bare id (not quoted) in a table cell.
    static func titled(_ title: String?, _ id: String) -> String {
        guard let title, !title.isEmpty, title != id else { return id }
        return EventText.Names.titled(title, id)
    }

    // MARK: Times

    public var zoneName: String {
        let o = facts.zoneOffset
        if o == 0 { return "UTC" }
        let h = abs(o) / 3600, m = abs(o) % 3600 / 60
        return "UTC\(o < 0 ? "-" : "+")\(h < 10 ? "0" : "")\(h):\(m < 10 ? "0" : "")\(m)"
    }

    public func time(_ seconds: Int) -> String {
        t.dateTime(seconds, offset: facts.zoneOffset)
    }

    func timeWithZone(_ seconds: Int) -> String { time(seconds) + " " + zoneName }

    public var offsetBase: Int { analysis.beganAt ?? analysis.openedAt ?? 0 }

    /// `+1:05:00`: from the time base to the moment, to the second as the time column shows it; every
    /// offset in one form (`+0:10:00` beside `+0:05:04`, not `+0:10`).
    func offset(_ seconds: Int) -> String {
        let difference = seconds - offsetBase
        let value = abs(difference)
        let minutes = (value % 3600) / 60, secs = value % 60
        return (difference < 0 ? "-" : "+") + "\(value / 3600):" + (minutes < 10 ? "0" : "") + "\(minutes):" + (secs < 10 ? "0" : "") + "\(secs)"
    }

    func duration(_ seconds: Int) -> String { t.duration(max(0, seconds)) }

    // MARK: Data

    public var factRows: [(String, String)] {
        let playbook = facts.playbook
        var rows: [(String, String)] = [
            (t("fact.playbook"), t("fact.playbookValue", ["id": md(playbook.id), "title": md(playbook.title), "hash": String(facts.playbookHash.prefix(12))])),
            (t("fact.severity"), t("severity.\(facts.severity.rawValue)")),
            (t("fact.kind"), kind),
            (t("fact.commander"), "\(md(playbook.commander)) — \(md(facts.assignments[playbook.commander] ?? t("fact.unassigned")))"),
            (t("fact.people"), people),
        ]
        if let began = analysis.beganAt { rows.append((t("fact.began"), timeWithZone(began))) }
        if let opened = analysis.openedAt { rows.append((t("fact.opened"), timeWithZone(opened))) }
        if let closed = analysis.closedAt {
            rows.append((t("fact.closed"), timeWithZone(closed)))
            rows.append((t("fact.duration"), duration(closed - (analysis.openedAt ?? closed)) + (analysis.beganAt.map { t("fact.fromTrigger", ["duration": duration(closed - $0)]) } ?? "")))
            if let forced = analysis.forcedClose {
                rows.append((t("fact.finalState"), t("fact.forceClosed", [
                    "state": md(analysis.visits.last.map { stateInText($0.state) } ?? "?"), "actor": forced.actor.map(md) ?? t("timeline.system"), "reason": md(forced.reason),
                ])))
            } else {
                rows.append((t("fact.finalState"), md(analysis.finalState.map(stateName) ?? "?")))
            }
        } else {
            // Still open: where it stands, not a "Closed" row that says "open".
            rows.append((t("fact.state"), t("fact.openIn", ["state": md(analysis.finalState.map(stateInText) ?? "?")])))
            rows.append((t("fact.duration"), t("fact.soFar", ["duration": duration(facts.now - (analysis.openedAt ?? facts.now))])))
        }
        return rows
    }

    /// Everyone who held a role during the incident, role by role in playbook order: holders in the
    /// order they were given it, then deputies.
    var people: String {
        facts.playbook.roles.compactMap { role -> String? in
            let held = analysis.roleHolders.filter { $0.role == role.id }
            guard !held.isEmpty else { return nil }
            var text = "\(md(role.id)): " + held.filter { !$0.deputy }.map { md($0.person) }.joined(separator: t("fact.peopleThen"))
            let deputies = held.filter(\.deputy).map { md($0.person) }
            if !deputies.isEmpty { text += (held.contains { !$0.deputy } ? " " : "") + t("fact.deputies", ["people": deputies.joined(separator: ", ")]) }
            return text
        }.joined(separator: "; ")
    }

    /// Who a step is attributed to: whoever completed or skipped it, and whoever held (or deputised
    /// for) its owner role when it fell overdue; for a step still open, whoever holds the role now.
    func person(_ round: IncidentAnalysis.StepRound) -> String {
        let under = round.overdueUnder.joined(separator: ", ")
        guard let actor = round.actor else {
            return round.overdue ? (under.isEmpty ? plain("person.nobodyOverdue") : plain("person.overdue", ["people": under])) : facts.assignments[round.owner] ?? ""
        }
        return round.overdue && !under.isEmpty && round.overdueUnder != [actor] ? plain("person.overdueUnder", ["actor": actor, "people": under]) : actor
    }

    /// "exercise" or "real incident", in the report's language.
    var kind: String { t(facts.isExercise ? "report.kind.exercise" : "report.kind.incident") }

    public var metrics: [(String, String)] { metrics(t) }

    func metrics(_ t: Messages) -> [(String, String)] {
        // In `t`'s units: the JSON report says its metrics in English whatever the report's language.
        func duration(_ seconds: Int) -> String { t.duration(max(0, seconds)) }
        var rows: [(String, String)] = []
        let opened = analysis.openedAt ?? 0
        if let began = analysis.beganAt { rows.append((t("metric.timeToDetect"), duration(opened - began))) }
        // One time base with the timeline's offsets: from when it began when that is given, else from the opening.
        let base = offsetBase
        rows.append((t("metric.timeToFirstAction"), analysis.firstActionAt.map { duration($0 - base) } ?? t("metric.noAction")))
        let startState = facts.playbook.states[facts.playbook.start].id
        var seen: Set<String> = []
        for visit in analysis.visits where visit.state != startState && seen.insert(visit.state).inserted {
            rows.append((t("metric.timeToState", ["state": md(visit.state)]), duration(visit.enteredAt - base)))
        }
        for milestone in facts.playbook.milestones {
            let reached = analysis.milestones.first { $0.name == milestone.milestone }
            rows.append((t("metric.timeToMilestone", ["milestone": md(milestone.milestone)]), reached.map { duration($0.at - base) } ?? t("metric.notReached")))
        }
        let (met, open, total) = analysis.deadlines(at: facts.now)
        rows.append((
            t("metric.deadlinesMet"),
            open > 0 ? t("metric.countOfOpen", ["count": "\(met)", "total": "\(total)", "open": "\(open)"]) : t("metric.countOf", ["count": "\(met)", "total": "\(total)"])
        ))
        rows.append((t("metric.overdueSteps"), "\(analysis.overdueCount)"))
        rows.append((t("metric.escalations"), "\(analysis.escalationCount)"))
        if let closed = analysis.closedAt { rows.append((t("metric.timeToClose"), duration(closed - base))) }
        return rows
    }

    /// The steps of the phases (a carried one marked so), without the standing duties.
    public func stepRows() -> [[String: String]] { rows(analysis.steps.filter { !$0.isDuty }) }

    /// The standing duties, apart from the phases' steps.
    public func dutyRows() -> [[String: String]] { rows(analysis.steps.filter(\.isDuty)) }

    func rows(_ rounds: [IncidentAnalysis.StepRound]) -> [[String: String]] {
        rounds.map { round in
            let result: String
            switch round.status {
            case .onTime: result = t("result.onTime")
            case .late: result = t("result.late")
            case .skipped: result = t("result.skipped", ["reason": md(round.skipReason ?? "")])
            case .notDone:
                result = analysis.isStillOpen(round, at: facts.now) ? t("result.open")
                    : analysis.endedBeforeDeadline(round) ? t("result.endedEarly")
                    : t(round.isOptional ? "result.notDoneOptional" : "result.notDone")
            }
            return [
                "state": md(stateName(round.state)) + (round.carried ? t("result.carried") : ""), "round": "\(round.round)", "step": md(stepName(round.step)),
                "owner": md(round.owner),
                "person": md(person(round)),
                "deadline": round.deadline.map(time) ?? "", "doneAt": (round.doneAt ?? round.skippedAt).map(time) ?? "",
                "result": result + (round.outsideRole ? t("result.outsideRole") : ""),
            ]
        }
    }

    public func decisionRows() -> [[String: String]] {
        analysis.decisions.map { decision in
            ["time": time(decision.at), "step": md(stepName(decision.step)), "choice": md(decision.choice) + (decision.retracted ? " " + t("timeline.retracted") : ""),
             "who": md(decision.actor ?? "?") + (decision.role.map { " (\(md($0)))" } ?? ""), "note": md(decision.note ?? "")]
        }
    }

    /// The states entered, in order: when each was entered and left, and for how long (the gantt's data as a table).
    public func visitRows() -> [[String: String]] {
        let end = analysis.closedAt ?? facts.now
        return analysis.visits.map { visit in
            [
                "state": md(stateName(visit.state)), "round": "\(visit.round)", "entered": time(visit.enteredAt),
                "left": visit.leftAt.map(time) ?? "", "duration": duration(max(visit.enteredAt, visit.leftAt ?? end) - visit.enteredAt),
            ]
        }
    }

    /// A Mermaid gantt chart of the states over time. Only ids and numbers go in it.
    public var gantt: String {
        // Dates as people read them (where Mermaid is not rendered, the text is what is read), in the report's zone.
        var lines = ["gantt", "    title \(t("heading.statesOverTime"))", "    dateFormat YYYY-MM-DD HH:mm:ss", "    axisFormat %H:%M", "    section \(t("gantt.section"))"]
        func date(_ seconds: Int) -> String {
            // `2026-05-16T23:05:00+02:00` → `2026-05-16 23:05:00`.
            String(WallClock.format(seconds, offset: facts.zoneOffset).prefix(19)).replacingOccurrences(of: "T", with: " ")
        }
        let end = analysis.closedAt ?? facts.now
        for (index, visit) in analysis.visits.enumerated() {
            let safe = visit.state.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" } ? visit.state : "state"
            let name = visit.round > 1 ? t("gantt.round", ["state": safe, "round": "\(visit.round)"]) : safe
            let stop = max(visit.enteredAt, visit.leftAt ?? end)
            lines.append("    \(name) :v\(index), \(date(visit.enteredAt)), \(date(stop))")
        }
        return lines.joined(separator: "\n")
    }

    // MARK: Communications

    /// Whether the report has a Communications section: the playbook names audiences, or something was said or told.
    public var hasCommunications: Bool { !facts.playbook.audiences.isEmpty || !analysis.communications.isEmpty }

    func person(_ actor: String?) -> String { md(actor ?? "?") }

    /// The Communications section in the report's format (see ``communicationBlocks``).
    public var communications: String { markup.render(communicationBlocks) }

    /// The Communications section, its texts escaped for the report's format: per audience each statement with
    /// its versions, verdicts (and how long each took), publication and full published text; the cadence kept or
    /// missed; everyone informed.
    public var communicationBlocks: [Markup.Block] {
        let log = analysis.communications
        let playbook = facts.playbook
        let strong = markup.strong
        var out: [Markup.Block] = []
        var audiences = playbook.audiences.map(\.id)
        for statement in log.statements where !audiences.contains(statement.audience) { audiences.append(statement.audience) }
        for id in audiences {
            let audience = playbook.audience(id)
            let statements = log.statements.filter { $0.audience == id }
            out.append(.heading("\(md(audience?.title ?? id)) (\(md(id)))"))
            var about: [String] = []
            if let approvers = audience?.approvers {
                about.append(approvers.isEmpty ? t("comms.noApproval") : t("comms.approvedBy", ["roles": approvers.map(md).joined(separator: ", ")]))
            }
            if let cadence = audience?.cadence { about.append(t("comms.cadence", ["duration": t.duration(cadence)])) }
            if !about.isEmpty { out.append(.paragraph(markup.emphasis(about.joined(separator: "; ") + "."))) }
            if statements.isEmpty {
                out.append(.paragraph(t("comms.noStatement")))
                continue
            }
            var rows: [[String]] = []
            for statement in statements {
                for version in statement.versions {
                    let verdicts = statement.verdicts.filter { $0.version == version.version }.map { v in
                        t("comms.verdict", [
                            "verdict": v.approved ? t("comms.approved") : strong(t("comms.rejected")), "role": md(v.approver), "person": person(v.actor),
                            "duration": duration(v.at - version.at),
                        ]) + (v.reason.map { ": \(md($0))" } ?? "")
                    }
                    let published = statement.published.flatMap { p in
                        p.version == version.version
                            ? t("comms.publishedAt", ["time": time(p.at), "via": p.channel.map { t("comms.via", ["channel": md($0)]) } ?? "", "person": person(p.actor)]) : nil
                    }
                    rows.append([
                        md(statement.id), "\(version.version)", t("comms.draftedAt", ["time": time(version.at), "person": person(version.actor)]),
                        verdicts.isEmpty ? t("comms.none") : verdicts.joined(separator: "; "), published ?? "",
                    ])
                }
            }
            out.append(.table(header: ["column.statement", "column.version", "column.drafted", "column.verdicts", "column.published"].map { t($0) }, rows: rows))
            for statement in statements {
                guard let published = statement.published, let text = statement.versions.first(where: { $0.version == published.version })?.text else {
                    out.append(.paragraph(t("comms.notPublished", [
                        "id": md(statement.id), "last": statement.current.map { t("comms.lastVersion", ["version": "\($0.version)"]) } ?? "",
                    ])))
                    continue
                }
                out.append(.paragraph(t("comms.asPublished", [
                    "id": md(statement.id), "version": "\(published.version)", "time": time(published.at),
                    "completed": statement.completed.isEmpty ? "" : t("comms.completed", ["steps": statement.completed.map(md).joined(separator: ", ")]),
                ])))
                out.append(.quote(text.split(separator: "\n", omittingEmptySubsequences: false).map { md(String($0)) }))
            }
            if let cadence = audience?.cadence {
                let publications = statements.compactMap(\.published).map(\.at).sorted()
                var cadenceLines: [String] = []
                let missed = strong(t("comms.missed"))
                for (i, at) in publications.enumerated() {
                    let due = at + cadence
                    let next = i + 1 < publications.count ? publications[i + 1] : nil
                    if let next, next <= due {
                        cadenceLines.append(t("comms.update.kept", ["due": time(due), "next": time(next)]))
                    } else if let closed = analysis.closedAt, closed < due, next == nil {
                        cadenceLines.append(t("comms.update.notNeeded", ["due": time(due), "closed": time(closed)]))
                    } else if let next {
                        cadenceLines.append(t("comms.update.missedLate", ["due": time(due), "missed": missed, "next": time(next), "late": duration(next - due)]))
                    } else if due <= (analysis.closedAt ?? facts.now) || log.missedUpdates.contains(where: { $0.audience == id && $0.due == due }) {
                        cadenceLines.append(t("comms.update.missed", ["due": time(due), "missed": missed]))
                    } else {
                        cadenceLines.append(t("comms.update.notYet", ["due": time(due)]))
                    }
                }
                if !cadenceLines.isEmpty {
                    out.append(.paragraph(t("comms.cadenceHeading")))
                    out.append(.list(cadenceLines))
                }
            }
        }
        if !log.doneWithoutText.isEmpty {
            out.append(.paragraph(t("comms.doneWithoutText", [
                "steps": log.doneWithoutText.map { t("comms.stepAt", ["step": md($0.step), "time": time($0.at)]) }.joined(separator: ", "),
            ])))
        }
        out.append(.heading(t("heading.informed")))
        if log.informs.isEmpty {
            out.append(.paragraph(t("comms.nobodyInformed")))
        } else {
            out.append(.table(header: ["column.time", "column.who", "column.via", "column.by", "column.note"].map { t($0) }, rows: log.informs.map { inform in
                [
                    time(inform.at), md(inform.who), md(inform.via ?? ""), person(inform.actor) + (inform.role.map { " (\(md($0)))" } ?? ""),
                    md(inform.note ?? "") + (inform.completed.isEmpty ? "" : (inform.note == nil ? "" : "; ") + t("comms.completedSteps", ["steps": inform.completed.map(md).joined(separator: ", ")])),
                ]
            }))
        }
        return out
    }

    // MARK: Exercise

    public struct Objective: Sendable {
        public var inject: String
        public var expectation: Expectation
        public var deadline: Int
        public var happenedAt: Int?
        public var met: Bool
    }

    public var objectives: [Objective] {
        guard let exercise else { return [] }
        var result: [Objective] = []
        for (i, inject) in exercise.scenario.injects.enumerated() {
            for expectation in inject.expectations {
                let scored = ScoredExpectation(expectation, injectAt: exercise.base + inject.at, playbook: facts.playbook, informNames: analysis.informNames)
                let at = Scorer.happened(scored, analysis.facts)
                result.append(Objective(
                    inject: inject.id ?? "inject \(i + 1)", expectation: expectation, deadline: scored.deadline, happenedAt: at,
                    met: Scorer.met(scored, analysis.facts)))
            }
        }
        return result
    }

    func tplus(_ seconds: Int) -> String { DurationText.clock(seconds - (exercise?.base ?? 0)) }

    func exerciseContext() -> [String: Any]? {
        guard let exercise else { return nil }
        let objectives = objectives
        var strengths: [String] = []
        var improvements: [String] = []
        for objective in objectives {
            let text = "\(md(objective.inject)): \(md(ExerciseReport.describe(objective.expectation, plain)))"
            if case .never = objective.expectation.condition {
                if objective.met {
                    strengths.append(t("strength.kept", ["objective": text]))
                } else {
                    improvements.append(t("improvement.entered", ["objective": text, "time": tplus(objective.happenedAt ?? 0)]))
                }
            } else if case .before = objective.expectation.condition, !objective.met {
                improvements.append(
                    objective.happenedAt.map { t("improvement.otherFirst", ["objective": text, "time": tplus($0)]) }
                        ?? t("improvement.neverDone", ["objective": text]))
            } else if objective.met {
                strengths.append(t("strength.met", ["objective": text, "time": tplus(objective.happenedAt ?? objective.deadline)]))
            } else if let at = objective.happenedAt {
                improvements.append(t("improvement.late", ["objective": text, "time": tplus(at), "deadline": tplus(objective.deadline)]))
            } else {
                improvements.append(t("improvement.never", ["objective": text, "deadline": tplus(objective.deadline)]))
            }
        }
        let onTime = analysis.steps.filter { $0.status == .onTime }.count
        if onTime > 0 { strengths.append(t("strength.stepsOnTime", ["count": "\(onTime)", "total": "\(analysis.steps.count)"])) }
        for round in analysis.steps where round.status == .late {
            improvements.append(t("improvement.stepLate", [
                "step": md(round.step), "owner": md(round.owner), "done": tplus(round.doneAt ?? 0), "due": tplus(round.deadline ?? 0),
            ]))
        }
        for round in analysis.steps
        where round.status == .notDone && !round.isOptional && !analysis.isStillOpen(round, at: facts.now) && !analysis.endedBeforeDeadline(round) {
            improvements.append(t("improvement.stepNeverDone", ["step": md(round.step), "owner": md(round.owner)]))
        }
        for item in exercise.unapplied {
            let key = exercise.unappliedAreRefusals ? "improvement.refused" : "improvement.neverApplied"
            improvements.append(t(key, ["by": md(item.by), "action": md(item.action), "time": tplus(item.at), "reason": md(item.reason)]))
        }
        return [
            "scenario": md(exercise.scenario.id),
            "objectives": objectives.map { objective -> [String: String] in
                [
                    "inject": md(objective.inject), "objective": md(ExerciseReport.describe(objective.expectation, plain)),
                    "deadline": objective.deadline == .max ? t("objective.atEnd") : tplus(objective.deadline), "result": t(objective.met ? "objective.met" : "objective.missed"),
                    "when": objective.happenedAt.map(tplus) ?? t("objective.never"),
                ]
            },
            "strengths": strengths,
            "improvements": improvements,
        ]
    }

    // MARK: Rendering

    /// The template context, without the timeline (streamed separately by the built-in layout).
    public func context(timeline: [[String: String]]? = nil, timelineRows: String = "") -> [String: Any] {
        let offsetBase = t(analysis.beganAt != nil ? "timeline.base.began" : "timeline.base.opened")
        var context: [String: Any] = [
            "reference": md(facts.reference), "title": md(facts.title), "kind": kind,
            "titleLine": md(String(facts.title.map { $0.isNewline ? " " : $0 })),
            "intro": exercise.map { t("report.intro.exercise", ["scenario": md($0.scenario.id)]) } ?? t("report.intro.incident", ["kind": kind]),
            "introRest": t(exercise == nil ? "report.intro.rest" : "report.intro.restExercise"),
            "timelineIntro": t("timeline.intro", ["zone": zoneName, "base": offsetBase]),
            "language": facts.language.rawValue, "t": t.templateContext,
            "facts": factRows.map { ["name": $0.0, "value": $0.1] },
            "metrics": metrics.map { ["name": $0.0, "value": $0.1] },
            "zone": zoneName, "offsetBase": offsetBase,
            "steps": stepRows(), "duties": dutyRows(), "hasDuties": analysis.steps.contains(where: \.isDuty), "decisions": decisionRows(), "hasDecisions": !analysis.decisions.isEmpty,
            "gantt": gantt, "timelineRows": timelineRows, "visits": visitRows(),
            "hasCommunications": hasCommunications, "communications": communications,
        ]
        if let chart = reachChart {
            context["hasReach"] = true
            context["reachMermaid"] = chart.mermaid(title: plain("heading.reach"), axis: plain("reach.axis"))
            if markup == .html { context["reachSVG"] = chart.svg(title: plain("heading.reach"), axis: plain("reach.axis")) }
        }
        if let timeline { context["timeline"] = timeline }
        if let exercise = exerciseContext() { context["exercise"] = exercise }
        return context
    }

    /// The cells of one timeline row, escaped.
    public func timelineCells(_ item: TimelineItem) -> [String: String] { timelineCells([item]) }

    /// The cells of one timeline row (a group of entries: see ``TimelineGroups``), escaped.
    public func timelineCells(_ group: [TimelineItem]) -> [String: String] {
        let (who, what) = whoAndWhat(group)
        let first = group[0]
        return ["time": time(first.event.at), "offset": offset(first.event.at), "who": who, "what": what, "kind": first.event.kind.rawValue, "seq": "\(first.seq)"]
    }

    /// One timeline row in the report's format.
    public func timelineRow(_ item: TimelineItem) -> String { timelineRow([item]) }

    /// One timeline row in the report's format, for a group of entries (see ``TimelineGroups``).
    public func timelineRow(_ group: [TimelineItem]) -> String {
        let (who, what) = whoAndWhat(group)
        return markup.row([time(group[0].event.at), offset(group[0].event.at), who, what])
    }

    /// The "who" and "what" cells of a timeline row, escaped: the first entry's actor; what each entry
    /// of the group says, in order, with what later entries say of it (retracted, superseded).
    func whoAndWhat(_ group: [TimelineItem]) -> (who: String, what: String) {
        let first = group[0]
        let event = first.event
        var who = event.actor.map(md) ?? t("timeline.system")
        if let role = event.role, event.actor != nil { who += " (\(md(role)))" }
        if event.outsideRole { who += " " + t("timeline.outsideRole") }
        var what = ""
        if case .opened = event.body, group.count > 1 {
            // The opening and the roles given at it: one row.
            what = md(EventText.describe(event, clock: time, plain, names: names)) + mark(first)
            let roles = group.dropFirst().compactMap { item -> String? in
                guard case let .assigned(role, person) = item.event.body else { return nil }
                return "\(role): \(person)"
            }
            what += md(plain("timeline.roles", ["roles": roles.joined(separator: ", ")]))
        } else {
            what = group.map { md(EventText.describe($0.event, clock: time, plain, names: names)) + mark($0) }.joined(separator: " → ")
        }
        if !facts.isExercise, first.recordedAt - event.at >= 60 { what += " " + t("timeline.logged", ["time": time(first.recordedAt)]) }
        return (who, what)
    }

    /// ` *retracted*` or ` *superseded: …*` when a later entry says so of this one.
    func mark(_ item: TimelineItem) -> String {
        analysis.marks.mark(of: item.seq).map { " " + t("timeline.\($0.rawValue)") } ?? ""
    }

    /// A user's Mustache template, parsed; what is wrong in words, with its line and column, when it cannot be.
    /// What is wrong with a user's template, or nil when it parses.
    public static func templateProblem(_ template: String) -> String? {
        do throws(RenderError) {
            _ = try parseTemplate(template)
            return nil
        } catch {
            if case .template(let problem) = error { return problem }
            return nil
        }
    }

    static func parseTemplate(_ template: String) throws(RenderError) -> MustacheTemplate {
        do {
            return try MustacheTemplate(string: template)
        } catch let error as MustacheTemplate.ParserError {
            let what: String
            switch error.error as? MustacheTemplate.Error {
            case .sectionCloseNameIncorrect?: what = "a section is closed under another name than it was opened with ({{/name}} must match its {{#name}})"
            case .unfinishedName?: what = "a tag is not finished (a '{{' without its '}}', or a name with spaces or brackets)"
            case .expectedSectionEnd?: what = "a section is not closed (a {{#name}} or {{^name}} without its {{/name}})"
            case .invalidSetDelimiter?: what = "a change of delimiters ({{=<% %>=}}) is not written right"
            default: what = "it is not a valid Mustache template"
            }
            throw RenderError.template("line \(error.context.lineNumber), column \(error.context.columnNumber): \(what)")
        } catch {
            throw RenderError.template("it is not a valid Mustache template")
        }
    }

    public enum RenderError: Error, Equatable {
        /// The template cannot be parsed.
        case template(String)
        /// The template exceeds a limit of ``TemplateLimits``: the whole one-line message.
        case limit(String)
    }

    /// Renders Markdown, streaming timeline rows from `events` (which may read a store as it goes) into `write`.
    /// With a user's `template`, the timeline is also given as a list (`timeline`).
    public func renderMarkdown(
        template: String?, events: ((TimelineItem) throws -> Void) async throws -> Void, write: @escaping (String) throws -> Void
    ) async throws {
        if let template {
            if let problem = TemplateLimits.problem(in: template) { throw RenderError.limit(problem) }
            var rows: [[String: String]] = []
            var text = ""
            try await Self.grouped(events) { group in
                rows.append(timelineCells(group))
                text += timelineRow(group) + "\n"
            }
            if text.hasSuffix("\n") { text.removeLast() }
            let context = context(timeline: rows, timelineRows: text)
            if let problem = TemplateLimits.outputProblem(in: template, context: context) { throw RenderError.limit(problem) }
            let parsed = try Self.parseTemplate(template)
            let output = parsed.render(context)
            // The bound is computed from the template's tags; should the renderer ever write more, it is still refused.
            if output.utf8.count > TemplateLimits.maximumOutput {
                throw RenderError.limit("the template wrote more than \(TemplateLimits.maximumOutputText); a report is at most \(TemplateLimits.maximumOutputText)")
            }
            try write(output)
            return
        }
        try await renderLayout(ReportTemplates.postMortem, events: events, write: write)
    }

    /// Renders the HTML report (``ReportTemplates/html``): the Markdown report's content, every value escaped
    /// for HTML, the reach chart as an inline SVG; streamed like the Markdown.
    public func renderHTML(events: ((TimelineItem) throws -> Void) async throws -> Void, write: @escaping (String) throws -> Void) async throws {
        try await marked(.html).renderLayout(ReportTemplates.html, events: events, write: write)
    }

    /// Renders a built-in layout in this report's format, streaming timeline rows where its marker is.
    func renderLayout(
        _ layout: String, events: ((TimelineItem) throws -> Void) async throws -> Void, write: @escaping (String) throws -> Void
    ) async throws {
        guard let marker = layout.range(of: ReportTemplates.timelineMarker) else { throw RenderError.template("no timeline marker") }
        let head = try MustacheTemplate(string: String(layout[..<marker.lowerBound]))
        let tail = try MustacheTemplate(string: String(layout[marker.upperBound...]))
        let context = context()
        var headText = head.render(context)
        if headText.hasSuffix("\n") == false { headText += "\n" }
        try write(headText)
        var first = true
        var buffer = ""
        try await Self.grouped(events) { group in
            if !first { buffer += "\n" }
            first = false
            buffer += timelineRow(group)
            if buffer.utf8.count > 64 * 1024 {
                try write(buffer)
                buffer = ""
            }
        }
        try write(buffer)
        var tailText = tail.render(context)
        if !tailText.hasSuffix("\n") { tailText += "\n" }
        try write(tailText)
    }

    /// Streams `events` as timeline rows: each entry on its own, except an opening with the roles
    /// assigned at it, and a decision with the event its choice fires and the state that event enters
    /// (see ``TimelineGroups``).
    static func grouped(
        _ events: ((TimelineItem) throws -> Void) async throws -> Void, _ body: @escaping ([TimelineItem]) throws -> Void
    ) async throws {
        var groups = TimelineGroups()
        try await events { item in
            if let done = groups.add(item) { try body(done) }
        }
        if let last = groups.finish() { try body(last) }
    }

    /// The same data as one JSON document, with the timeline streamed.
    public func renderJSON(events: ((TimelineItem) throws -> Void) async throws -> Void, write: @escaping (String) throws -> Void) async throws {
        let playbook = facts.playbook
        let head: [(String, JSONValue)] = [
            ("report", .string(facts.isExercise ? "after-action" : "post-mortem")),
            ("incident", .string(facts.reference)), ("title", .string(facts.title)),
            ("playbook", .object([("id", .string(playbook.id)), ("title", .string(playbook.title)), ("sha256", .string(facts.playbookHash))])),
            ("severity", .string(facts.severity.rawValue)), ("exercise", .bool(facts.isExercise)),
            ("commander", .object([("role", .string(playbook.commander)), ("person", .optional(facts.assignments[playbook.commander]))])),
            ("people", .array(playbook.roles.compactMap { role in
                facts.assignments[role.id].map { .object([("role", .string(role.id)), ("person", .string($0))]) }
            })),
            ("roleHolders", .array(analysis.roleHolders.map { held in
                .object([("role", .string(held.role)), ("person", .string(held.person)), ("deputy", .bool(held.deputy)), ("from", .string(timeISO(held.at)))])
            })),
            ("zone", .string(zoneName)),
            ("began", .optional(analysis.beganAt.map(timeISO))), ("opened", .optional(analysis.openedAt.map(timeISO))),
            ("closed", .optional(analysis.closedAt.map(timeISO))),
            ("finalState", .optional(analysis.finalState)), ("isClosed", .bool(analysis.closedAt != nil)),
            ("forcedClose", analysis.forcedClose.map { .object([("by", .optional($0.actor)), ("reason", .string($0.reason))]) } ?? .null),
            // JSON is for scripts: its metric names stay English whatever the report's language.
            ("metrics", .array(metrics(.english).map { .object([("name", .string(Self.plain($0.0))), ("value", .string(Self.plain($0.1)))]) })),
        ]
        var out = "{\n"
        for (key, value) in head {
            FlatJSON.appendString(key, to: &out)
            out += ": " + value.rendered(pretty: false) + ",\n"
        }
        out += "\"timeline\": ["
        try write(out)
        var first = true
        var buffer = ""
        try await events { item in
            let event = item.event
            let value = JSONValue.object([
                ("seq", .int(item.seq)), ("at", .string(timeISO(event.at))), ("recordedAt", .string(timeISO(item.recordedAt))),
                ("actor", .optional(event.actor)), ("role", .optional(event.role)), ("outsideRole", .bool(event.outsideRole)),
            ] + EventText.jsonFields(event).map { key, value in
                if key == "began" || key == "due", case .int(let seconds) = value { return (key, .string(timeISO(seconds))) }
                return (key, value)
            } + (analysis.marks.mark(of: item.seq).map { [("mark", JSONValue.string($0.rawValue))] } ?? []))
            buffer += (first ? "\n" : ",\n") + value.rendered(pretty: false)
            first = false
            if buffer.utf8.count > 64 * 1024 {
                try write(buffer)
                buffer = ""
            }
        }
        try write(buffer + "\n],\n")
        var tail: [(String, JSONValue)] = [
            ("steps", .array(analysis.steps.map { round in
                .object([
                    ("state", .string(round.state)), ("round", .int(round.round)), ("step", .string(round.step)), ("owner", .string(round.owner)),
                    ("person", .optional(round.actor ?? (round.overdue ? round.overdueUnder.first : facts.assignments[round.owner]))), ("overdueUnder", .array(round.overdueUnder.map(JSONValue.string))),
                    ("deadline", .optional(round.deadline.map(timeISO))),
                    ("doneAt", .optional(round.doneAt.map(timeISO))), ("skippedAt", .optional(round.skippedAt.map(timeISO))),
                    ("skipReason", .optional(round.skipReason)), ("status", .string(analysis.isStillOpen(round, at: facts.now) ? "open" : analysis.endedBeforeDeadline(round) ? "ended" : round.status.rawValue)), ("outsideRole", .bool(round.outsideRole)),
                ] + (round.isDuty ? [("duty", .bool(true))] : []) + (round.carried ? [("carried", .bool(true))] : []))
            })),
            ("decisions", .array(analysis.decisions.map { d in
                .object([("at", .string(timeISO(d.at))), ("step", .string(d.step)), ("choice", .string(d.choice)), ("actor", .optional(d.actor)), ("role", .optional(d.role)), ("note", .optional(d.note)), ("retracted", .bool(d.retracted))])
            })),
            ("states", .array(analysis.visits.map { v in
                .object([("state", .string(v.state)), ("round", .int(v.round)), ("enteredAt", .string(timeISO(v.enteredAt))), ("leftAt", .optional(v.leftAt.map(timeISO))),
                         ("from", .optional(v.from)), ("event", .optional(v.event))])
            })),
            ("milestones", .array(analysis.milestones.map { m in
                .object([("name", .string(m.name)), ("step", .string(m.step)), ("at", .string(timeISO(m.at)))])
            })),
        ]
        if hasCommunications { tail.append(("communications", communicationsJSON)) }
        if let exercise {
            tail.append(("objectives", .array(objectives.map { o in
                .object([("inject", .string(o.inject)), ("kind", .string(o.expectation.condition.kind)), ("target", .string(o.expectation.condition.target)),
                         ("deadline", o.deadline == .max ? .null : .string(timeISO(o.deadline))), ("met", .bool(o.met)), ("happenedAt", .optional(o.happenedAt.map(timeISO)))])
            })))
            tail.append(("scenario", .string(exercise.scenario.id)))
        }
        var rest = ""
        for (index, (key, value)) in tail.enumerated() {
            FlatJSON.appendString(key, to: &rest)
            rest += ": " + value.rendered(pretty: false) + (index < tail.count - 1 ? ",\n" : "\n")
        }
        try write(rest + "}\n")
    }

    /// The Communications section's data, unescaped.
    var communicationsJSON: JSONValue {
        let log = analysis.communications
        return .object([
            ("statements", .array(log.statements.map { s in
                .object([
                    ("id", .string(s.id)), ("audience", .string(s.audience)),
                    ("versions", .array(s.versions.map { v in
                        .object([("version", .int(v.version)), ("text", .string(v.text)), ("at", .string(timeISO(v.at))), ("by", .optional(v.actor))])
                    })),
                    ("verdicts", .array(s.verdicts.map { v in
                        .object([
                            ("version", .int(v.version)), ("approver", .string(v.approver)), ("approved", .bool(v.approved)), ("reason", .optional(v.reason)),
                            ("at", .string(timeISO(v.at))), ("by", .optional(v.actor)),
                            ("afterSeconds", .optional(s.draftedAt(version: v.version).map { v.at - $0 })),
                        ])
                    })),
                    ("published", s.published.map { p in
                        .object([("version", .int(p.version)), ("at", .string(timeISO(p.at))), ("channel", .optional(p.channel)), ("by", .optional(p.actor))])
                    } ?? .null),
                    ("completedSteps", .array(s.completed.map(JSONValue.string))),
                ])
            })),
            ("missedUpdates", .array(log.missedUpdates.map { .object([("audience", .string($0.audience)), ("due", .string(timeISO($0.due)))]) })),
            ("informed", .array(log.informs.map { i in
                .object([("who", .string(i.who)), ("via", .optional(i.via)), ("note", .optional(i.note)), ("at", .string(timeISO(i.at))),
                         ("by", .optional(i.actor)), ("completedSteps", .array(i.completed.map(JSONValue.string)))])
            })),
            ("doneWithoutText", .array(log.doneWithoutText.map { .object([("step", .string($0.step)), ("at", .string(timeISO($0.at)))]) })),
        ])
    }

    func timeISO(_ seconds: Int) -> String { WallClock.format(seconds, offset: facts.zoneOffset) }

    /// Removes the Markdown escapes added for table cells (for JSON).
    static func plain(_ text: String) -> String {
        var out = ""
        var escaped = false
        for c in text {
            if !escaped && c == "\\" { escaped = true; continue }
            escaped = false
            out.append(c)
        }
        return out.replacingOccurrences(of: "&amp;", with: "&").replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&quot;", with: "\"")
    }
}

/// Gathers timeline entries into the rows a report shows: an opening with the roles assigned at the
/// same moment; a decision (`done` with a choice) with the event it fired and the state it entered
/// (and the close, when that state is final), all at the same moment. Every other entry is a row of
/// its own. Holds one row at a time, so a timeline of any length streams.
struct TimelineGroups {
    private var pending: [TimelineItem] = []

    /// Adds the next entry; returns the row it completed, if any.
    mutating func add(_ item: TimelineItem) -> [TimelineItem]? {
        if let last = pending.last, Self.joins(item.event, after: last.event, first: pending[0].event) {
            pending.append(item)
            return nil
        }
        let done = pending.isEmpty ? nil : pending
        pending = [item]
        return done
    }

    /// The last row.
    mutating func finish() -> [TimelineItem]? {
        defer { pending = [] }
        return pending.isEmpty ? nil : pending
    }

    static func joins(_ event: Event, after last: Event, first: Event) -> Bool {
        guard event.at == last.at else { return false }
        switch (first.body, last.body, event.body) {
        case (.opened, _, .assigned):
            return true
        case (.done(_, _?, _, _), .done, .fired), (.done(_, _?, _, _), .fired, .entered), (.done(_, _?, _, _), .entered, .closed(_, false)):
            if case .fired(let fired) = last.body, case .entered(_, _, let by, _) = event.body { return by == fired }
            return true
        default:
            return false
        }
    }
}
