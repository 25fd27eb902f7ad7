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

    public init(
        reference: String, title: String, playbook: Playbook, playbookHash: String, isExercise: Bool, severity: IncidentSeverity,
        assignments: [String: String], zoneOffset: Int, now: Int
    ) {
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
    }

    var md: (String) -> String { Markdown.inline }

    // MARK: Times

    public var zoneName: String {
        let o = facts.zoneOffset
        if o == 0 { return "UTC" }
        let h = abs(o) / 3600, m = abs(o) % 3600 / 60
        return "UTC\(o < 0 ? "-" : "+")\(h < 10 ? "0" : "")\(h):\(m < 10 ? "0" : "")\(m)"
    }

    public func time(_ seconds: Int) -> String {
        var iso = Array(WallClock.format(seconds, offset: facts.zoneOffset).utf8.prefix(19))
        if iso.count > 10 { iso[10] = 0x20 }
        return String(decoding: iso, as: UTF8.self)
    }

    func timeWithZone(_ seconds: Int) -> String { time(seconds) + " " + zoneName }

    public var offsetBase: Int { analysis.beganAt ?? analysis.openedAt ?? 0 }

    func offset(_ seconds: Int) -> String {
        String(DurationText.clock(seconds - offsetBase).dropFirst())
    }

    func duration(_ seconds: Int) -> String { seconds <= 0 ? "0m" : DurationText.format(seconds) }

    // MARK: Data

    public var factRows: [(String, String)] {
        let playbook = facts.playbook
        var rows: [(String, String)] = [
            ("Playbook", "\(md(playbook.id)) — \(md(playbook.title)) (text \(String(facts.playbookHash.prefix(12))))"),
            ("Severity", facts.severity.rawValue),
            ("Kind", facts.isExercise ? "exercise" : "real incident"),
            ("Commander", "\(md(playbook.commander)) — \(md(facts.assignments[playbook.commander] ?? "unassigned"))"),
            ("People", people),
        ]
        if let began = analysis.beganAt { rows.append(("Began", timeWithZone(began))) }
        if let opened = analysis.openedAt { rows.append(("Opened", timeWithZone(opened))) }
        if let closed = analysis.closedAt {
            rows.append(("Closed", timeWithZone(closed)))
            rows.append(("Duration", duration(closed - (analysis.openedAt ?? closed)) + (analysis.beganAt.map { ", \(duration(closed - $0)) from the trigger" } ?? "")))
            if let forced = analysis.forcedClose {
                rows.append(("Final state", "force-closed in '\(md(analysis.visits.last?.state ?? "?"))' by \(md(forced.actor ?? "?")): \(md(forced.reason))"))
            } else {
                rows.append(("Final state", md(analysis.finalState ?? "?")))
            }
        } else {
            rows.append(("Closed", "open"))
            rows.append(("Duration", "\(duration(facts.now - (analysis.openedAt ?? facts.now))) so far"))
            rows.append(("Final state", "open, in '\(md(analysis.finalState ?? "?"))'"))
        }
        return rows
    }

    /// Everyone who held a role during the incident, role by role in playbook order: holders in the
    /// order they were given it, then deputies.
    var people: String {
        facts.playbook.roles.compactMap { role -> String? in
            let held = analysis.roleHolders.filter { $0.role == role.id }
            guard !held.isEmpty else { return nil }
            var text = "\(md(role.id)): " + held.filter { !$0.deputy }.map { md($0.person) }.joined(separator: ", then ")
            let deputies = held.filter(\.deputy).map { md($0.person) }
            if !deputies.isEmpty { text += (held.contains { !$0.deputy } ? " " : "") + "(deputy \(deputies.joined(separator: ", ")))" }
            return text
        }.joined(separator: "; ")
    }

    /// Who a step is attributed to: whoever completed or skipped it, and whoever held (or deputised
    /// for) its owner role when it fell overdue; for a step still open, whoever holds the role now.
    func person(_ round: IncidentAnalysis.StepRound) -> String {
        let under = round.overdueUnder.joined(separator: ", ")
        guard let actor = round.actor else {
            return round.overdue ? (under.isEmpty ? "nobody (overdue)" : "\(under) (overdue)") : facts.assignments[round.owner] ?? ""
        }
        return round.overdue && !under.isEmpty && round.overdueUnder != [actor] ? "\(actor); overdue under \(under)" : actor
    }

    public var metrics: [(String, String)] {
        var rows: [(String, String)] = []
        let opened = analysis.openedAt ?? 0
        if let began = analysis.beganAt { rows.append(("Time to detect", duration(opened - began))) }
        rows.append(("Time to first action", analysis.firstActionAt.map { duration($0 - opened) } ?? "no action recorded"))
        let startState = facts.playbook.states[facts.playbook.start].id
        var seen: Set<String> = []
        for visit in analysis.visits where visit.state != startState && seen.insert(visit.state).inserted {
            rows.append(("Time to state '\(md(visit.state))'", duration(visit.enteredAt - opened)))
        }
        for milestone in facts.playbook.milestones {
            let reached = analysis.milestones.first { $0.name == milestone.milestone }
            rows.append(("Time to milestone '\(md(milestone.milestone))'", reached.map { duration($0.at - opened) } ?? "not reached"))
        }
        let (met, total) = analysis.deadlinesMet
        rows.append(("Deadlines met", "\(met) of \(total)"))
        rows.append(("Overdue steps", "\(analysis.overdueCount)"))
        rows.append(("Escalations", "\(analysis.escalationCount)"))
        if let closed = analysis.closedAt { rows.append(("Time to close", duration(closed - opened))) }
        return rows
    }

    public func stepRows() -> [[String: String]] {
        analysis.steps.map { round in
            let result: String
            switch round.status {
            case .onTime: result = "on time"
            case .late: result = "**late**"
            case .skipped: result = "skipped: \(md(round.skipReason ?? ""))"
            case .notDone: result = round.isOptional ? "not done (optional)" : "**not done**"
            }
            return [
                "state": md(round.state), "round": "\(round.round)", "step": md(round.step), "owner": md(round.owner),
                "person": md(person(round)),
                "deadline": round.deadline.map(time) ?? "", "doneAt": (round.doneAt ?? round.skippedAt).map(time) ?? "",
                "result": result + (round.outsideRole ? " (outside role)" : ""),
            ]
        }
    }

    public func decisionRows() -> [[String: String]] {
        analysis.decisions.map { decision in
            ["time": time(decision.at), "step": md(decision.step), "choice": md(decision.choice),
             "who": md(decision.actor ?? "?") + (decision.role.map { " (\(md($0)))" } ?? "")]
        }
    }

    /// A Mermaid gantt chart of the states over time. Only ids and numbers go in it.
    public var gantt: String {
        var lines = ["gantt", "    title States over time", "    dateFormat X", "    axisFormat %H:%M", "    section States"]
        let end = analysis.closedAt ?? facts.now
        for (index, visit) in analysis.visits.enumerated() {
            let safe = visit.state.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" } ? visit.state : "state"
            let name = visit.round > 1 ? "\(safe) round \(visit.round)" : safe
            let stop = max(visit.enteredAt, visit.leftAt ?? end)
            lines.append("    \(name) :v\(index), \(visit.enteredAt + facts.zoneOffset), \(stop + facts.zoneOffset)")
        }
        return lines.joined(separator: "\n")
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
                let scored = ScoredExpectation(expectation, injectAt: exercise.base + inject.at, playbook: facts.playbook)
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
            let text = "\(md(objective.inject)): \(md(ExerciseReport.describe(objective.expectation)))"
            if objective.met {
                strengths.append("\(text) — met at \(tplus(objective.happenedAt ?? objective.deadline))")
            } else if let at = objective.happenedAt {
                improvements.append("\(text) — missed: late, at \(tplus(at)) (deadline \(tplus(objective.deadline)))")
            } else {
                improvements.append("\(text) — missed: never happened (deadline \(tplus(objective.deadline)))")
            }
        }
        let onTime = analysis.steps.filter { $0.status == .onTime }.count
        if onTime > 0 { strengths.append("\(onTime) of \(analysis.steps.count) steps done on time") }
        for round in analysis.steps where round.status == .late {
            improvements.append("step \(md(round.step)) (\(md(round.owner))) was late: done \(tplus(round.doneAt ?? 0)), due \(tplus(round.deadline ?? 0))")
        }
        for round in analysis.steps where round.status == .notDone && !round.isOptional {
            improvements.append("step \(md(round.step)) (\(md(round.owner))) was never done")
        }
        for item in exercise.unapplied {
            let verb = exercise.unappliedAreRefusals ? "was refused" : "never applied"
            improvements.append("\(md(item.by)): \(md(item.action)) at \(tplus(item.at)) \(verb): \(md(item.reason))")
        }
        return [
            "scenario": md(exercise.scenario.id),
            "objectives": objectives.map { objective -> [String: String] in
                [
                    "inject": md(objective.inject), "objective": md(ExerciseReport.describe(objective.expectation)),
                    "deadline": tplus(objective.deadline), "result": objective.met ? "met" : "**missed**",
                    "when": objective.happenedAt.map(tplus) ?? "never",
                ]
            },
            "strengths": strengths,
            "improvements": improvements,
        ]
    }

    // MARK: Rendering

    /// The template context, without the timeline (streamed separately by the built-in layout).
    public func context(timeline: [[String: String]]? = nil, timelineRows: String = "") -> [String: Any] {
        var context: [String: Any] = [
            "reference": md(facts.reference), "title": md(facts.title), "kind": facts.isExercise ? "exercise" : "real incident",
            "facts": factRows.map { ["name": $0.0, "value": $0.1] },
            "metrics": metrics.map { ["name": $0.0, "value": $0.1] },
            "zone": zoneName, "offsetBase": analysis.beganAt != nil ? "when it began" : "when it was opened",
            "steps": stepRows(), "decisions": decisionRows(), "hasDecisions": !analysis.decisions.isEmpty,
            "gantt": gantt, "timelineRows": timelineRows,
        ]
        if let timeline { context["timeline"] = timeline }
        if let exercise = exerciseContext() { context["exercise"] = exercise }
        return context
    }

    /// The cells of one timeline row, escaped.
    public func timelineCells(_ item: TimelineItem) -> [String: String] {
        let event = item.event
        var who = event.actor.map(md) ?? "Firebreak"
        if let role = event.role, event.actor != nil { who += " (\(md(role)))" }
        if event.outsideRole { who += " *outside role*" }
        var what = md(EventText.describe(event, clock: time))
        if !facts.isExercise, item.recordedAt - event.at >= 60 { what += " *logged \(time(item.recordedAt))*" }
        return ["time": time(event.at), "offset": offset(event.at), "who": who, "what": what, "kind": event.kind.rawValue, "seq": "\(item.seq)"]
    }

    public func timelineRow(_ item: TimelineItem) -> String {
        let event = item.event
        var who = event.actor.map(md) ?? "Firebreak"
        if let role = event.role, event.actor != nil { who += " (\(md(role)))" }
        if event.outsideRole { who += " *outside role*" }
        var what = md(EventText.describe(event, clock: time))
        if !facts.isExercise, item.recordedAt - event.at >= 60 { what += " *logged \(time(item.recordedAt))*" }
        return Markdown.row([time(event.at), offset(event.at), who, what])
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
            try await events { item in
                rows.append(timelineCells(item))
                text += timelineRow(item) + "\n"
            }
            if text.hasSuffix("\n") { text.removeLast() }
            let context = context(timeline: rows, timelineRows: text)
            if let problem = TemplateLimits.outputProblem(in: template, context: context) { throw RenderError.limit(problem) }
            let parsed: MustacheTemplate
            do {
                parsed = try MustacheTemplate(string: template)
            } catch let error as MustacheTemplate.ParserError {
                throw RenderError.template("line \(error.context.lineNumber), column \(error.context.columnNumber): \(error.error)")
            } catch {
                throw RenderError.template("it is not a valid Mustache template")
            }
            let output = parsed.render(context)
            // The bound is computed from the template's tags; should the renderer ever write more, it is still refused.
            if output.utf8.count > TemplateLimits.maximumOutput {
                throw RenderError.limit("the template wrote more than \(TemplateLimits.maximumOutputText); a report is at most \(TemplateLimits.maximumOutputText)")
            }
            try write(output)
            return
        }
        let layout = ReportTemplates.postMortem
        guard let marker = layout.range(of: ReportTemplates.timelineMarker) else { throw RenderError.template("no timeline marker") }
        let head = try MustacheTemplate(string: String(layout[..<marker.lowerBound]))
        let tail = try MustacheTemplate(string: String(layout[marker.upperBound...]))
        let context = context()
        var headText = head.render(context)
        if headText.hasSuffix("\n") == false { headText += "\n" }
        try write(headText)
        var first = true
        var buffer = ""
        try await events { item in
            if !first { buffer += "\n" }
            first = false
            buffer += timelineRow(item)
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
            ("metrics", .array(metrics.map { .object([("name", .string(Self.plain($0.0))), ("value", .string(Self.plain($0.1)))]) })),
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
            })
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
                    ("skipReason", .optional(round.skipReason)), ("status", .string(round.status.rawValue)), ("outsideRole", .bool(round.outsideRole)),
                ])
            })),
            ("decisions", .array(analysis.decisions.map { d in
                .object([("at", .string(timeISO(d.at))), ("step", .string(d.step)), ("choice", .string(d.choice)), ("actor", .optional(d.actor)), ("role", .optional(d.role))])
            })),
            ("states", .array(analysis.visits.map { v in
                .object([("state", .string(v.state)), ("round", .int(v.round)), ("enteredAt", .string(timeISO(v.enteredAt))), ("leftAt", .optional(v.leftAt.map(timeISO))),
                         ("from", .optional(v.from)), ("event", .optional(v.event))])
            })),
            ("milestones", .array(analysis.milestones.map { m in
                .object([("name", .string(m.name)), ("step", .string(m.step)), ("at", .string(timeISO(m.at)))])
            })),
        ]
        if let exercise {
            tail.append(("objectives", .array(objectives.map { o in
                .object([("inject", .string(o.inject)), ("kind", .string(o.expectation.condition.kind)), ("target", .string(o.expectation.condition.target)),
                         ("deadline", .string(timeISO(o.deadline))), ("met", .bool(o.met)), ("happenedAt", .optional(o.happenedAt.map(timeISO)))])
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
