import ArgumentParser
import FirebreakApp
import FirebreakCore
import FirebreakReports
import FirebreakStore
import Foundation

/// `drill play`: a facilitator's console. Reads commands from standard input (a terminal or a pipe).
struct Play: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "play", 
        abstract: "Play a scenario live: injects arrive on a virtual clock, the facilitator types what the team does.",
        discussion: """
            Commands: done STEP [CHOICE] · skip STEP REASON · fire EVENT · note TEXT · draft AUDIENCE [TEXT] · \
            revise AUDIENCE TEXT · approve AUDIENCE [ROLE] · reject AUDIENCE REASON · publish AUDIENCE [CHANNEL] · \
            inform WHO [via CHANNEL] · as ROLE COMMAND · inject ID now · wait 10m · next · status · help · end · quit
            Scripted actions are ignored; the exercise is recorded as an exercise incident. 'end' ends the exercise \
            with questions for the debrief; 'quit' stops without them. An inject with a 'window' arrives at a moment \
            drawn inside it from --seed (shown at the start when none is given), so a session can be replayed.
            """)
    @OptionGroup var global: GlobalOptions
    @Argument(help: "A scenario file, or the id of one in ./Scenarios.") var scenario: String
    @Option(help: "The seed that places injects inside their windows (default: a new one, shown at the start).") var seed: UInt64?
    @Option(help: "Running lines in en or nl (default: the playbook's language).") var lang: Language?
    @Flag(help: "Do not store the exercise in the database.") var noRecord = false
    @Option(help: "Let time run by itself: 1x (real time), 10x or 60x; injects arrive as they fall due. Without it, time moves only with 'wait' and 'next'.")
    var clock: PlaySpeed?

    func run() async throws {
        let loaded = try LoadedScenario.load(scenario, global: global)
        let simulator = Simulator(scenario: loaded.scenario, playbook: loaded.playbook)
        // Randomness stays at the edge: the seed is drawn here when not given, and shown so the session can be replayed.
        let seed = simulator.hasWindows ? (self.seed ?? UInt64.random(in: 1...999_999)) : self.seed
        let t = Messages.for(lang ?? loaded.playbook.language)
        var session = PlaySession(exercise: simulator.live(seed: seed), scenario: loaded.scenario, playbook: loaded.playbook, t: t)
        let interactive = Terminal.isTerminal(0)
        Terminal.out(t("drill.exercise", ["id": loaded.scenario.id, "title": Terminal.oneLine(loaded.scenario.title)]))
        if simulator.hasWindows, let seed { Terminal.out(t("play.seed", ["seed": "\(seed)"])) }
        Terminal.out(t("play.intro"))
        session.advance(to: 0)
        Terminal.out(session.drain())
        var debrief = false
        var input: any LineInput
        if Console.current !== Console.process {
            input = ConsoleLines(interactive: interactive)
        } else if interactive && Terminal.isTerminal(1) {
            input = TerminalLines(completions: { [session] in session.completions(after: $0) })
        } else {
            input = PipeLines()
        }
        defer { input.close() }
        // With --clock, the exercise's time follows the wall clock from an anchor, moved on by 'wait' and 'next'.
        let wall = { Date().timeIntervalSince1970 }
        var anchor = (wall: wall(), exercise: session.exercise.now)
        func clockTime() -> Int { anchor.exercise + Int((wall() - anchor.wall) * (clock?.factor ?? 0)) }
        reading: while !session.exercise.isOver {
            var timeout: Double?
            if let clock {
                session.advance(to: max(session.exercise.now, clockTime()))
                let output = session.drain()
                if !output.isEmpty { input.show(output) }
                if session.exercise.isOver { break }
                // Wake for the next inject, and at least once a minute of exercise time for deadlines.
                let until = min(session.exercise.nextInjectAt ?? .max, session.exercise.now + 60)
                timeout = Double(max(0, until - clockTime())) / clock.factor + 0.01
            }
            let prompt = interactive ? "\(DurationText.clock(session.exercise.now))> " : ""
            let answer: PlaySession.Answer
            switch input.read(prompt: prompt, timeout: timeout) {
            case .timeout: continue reading
            case .end, .interrupt: break reading
            case .line(let line):
                if clock != nil { session.advance(to: max(session.exercise.now, clockTime())) }
                answer = session.handle(line)
                if clock != nil { anchor = (wall(), session.exercise.now) }
            }
            let output = session.drain()
            if !output.isEmpty { input.show(output) }
            if answer == .stop { break }
            if answer == .end {
                debrief = true
                break
            }
        }
        input.close()
        let outcome = session.exercise.outcome()
        // The debrief comes when the facilitator ends the exercise, or when it ends by itself.
        if debrief || session.exercise.isOver {
            Terminal.out("\n" + Debrief(scenario: loaded.scenario, playbook: loaded.playbook, outcome: outcome, t: t).text(oneLine: Terminal.oneLine))
        }
        let report = ExerciseReport(scenario: loaded.scenario, playbook: loaded.playbook, outcome: outcome, language: t.language)
        Terminal.out("\n" + Self.score(report))
        if !noRecord {
            let number = try await loaded.record(outcome.events, incident: outcome.incident, stoppedAt: outcome.stoppedAt, global: global)
            Terminal.out(t("play.recorded", ["id": IncidentID.name(number)]))
        }
    }

    /// The score part of the report (expectations and steps).
    static func score(_ report: ExerciseReport) -> String {
        let text = report.text(oneLine: Terminal.oneLine)
        // The heading of the score, in the report's language, up to its first number.
        let marker = "\n" + String((report.t.table["drill.expectations"] ?? "Expectations: ").prefix { $0 != "{" })
        guard let range = text.range(of: marker) else { return text }
        return String(text[text.index(after: range.lowerBound)...])
    }
}

/// How fast time runs by itself in `drill play --clock`.
enum PlaySpeed: String, ExpressibleByArgument, CaseIterable {
    case real = "1x"
    case tenfold = "10x"
    case sixtyfold = "60x"

    /// Exercise seconds per wall-clock second.
    var factor: Double {
        switch self {
        case .real: 1
        case .tenfold: 10
        case .sixtyfold: 60
        }
    }
}

/// The state of a live exercise and the parsing of the facilitator's commands.
struct PlaySession {
    var exercise: Exercise
    let scenario: Scenario
    let playbook: Playbook
    let t: Messages
    var shown = 0
    var buffer: [String] = []

    /// What the console does after a line.
    enum Answer { case goOn, stop, end }

    init(exercise: Exercise, scenario: Scenario, playbook: Playbook, t: Messages = .english) {
        self.exercise = exercise
        self.scenario = scenario
        self.playbook = playbook
        self.t = t
    }

    mutating func advance(to time: Int) {
        exercise.advance(to: time)
        flushEvents()
    }

    mutating func flushEvents() {
        let events = exercise.events
        while shown < events.count {
            let event = events[shown]
            shown += 1
            if case .refused = event.body { continue }  // the answer is printed directly
            var who = event.actor.map(Terminal.oneLine) ?? "—"
            if let role = event.role, event.actor != nil { who += " (\(role))" }
            let marker = event.kind == .inject ? ">>> " : "    "
            buffer.append("\(marker)\(DurationText.clock(event.at))  \(who): \(Terminal.oneLine(EventText.describe(event, clock: DurationText.clock, t)))")
        }
        if exercise.incident.isClosed, let closed = exercise.incident.closed {
            buffer.append(t("play.closed", ["time": DurationText.clock(closed.at)]))
        } else if exercise.now >= scenario.end {
            buffer.append(t("play.reachedEnd", ["time": DurationText.clock(scenario.end)]))
        }
    }

    mutating func drain() -> String {
        defer { buffer = [] }
        return buffer.joined(separator: "\n")
    }

    /// Handles one line: go on, stop (`quit`), or end the exercise with a debrief (`end`).
    mutating func handle(_ line: String, as chosen: String? = nil) -> Answer {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty || trimmed.hasPrefix("#") { return .goOn }
        let parts = trimmed.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true).map(String.init)
        let verb = parts[0].lowercased()
        let rest = parts.count > 1 ? String(trimmed.dropFirst(parts[0].count)).trimmingCharacters(in: .whitespaces) : ""
        // After the verb and one word: the free text that follows it (a reason, a statement's text, a channel).
        let tail = parts.count > 2 ? parts[2].trimmingCharacters(in: .whitespaces) : nil
        switch verb {
        case "quit", "exit":
            return .stop
        case "end":
            return .end
        case "help", "?":
            buffer.append(t("play.help"))
        case "status":
            buffer.append(status())
        case "as":
            // `as ROLE COMMAND`: the command played by ROLE (an approver, the role that informs, ...).
            guard chosen == nil, parts.count == 3 else { return usage("as ROLE COMMAND") }
            guard known(role: parts[1]) else { return .goOn }
            return handle(parts[2], as: parts[1])
        case "wait":
            switch DurationText.parse(rest) {
            case .success(let seconds):
                // An inject within the wait ends it: the facilitator sees it when it comes.
                if let next = exercise.nextInjectAt, next < exercise.now + seconds {
                    advance(to: next)
                    buffer.append(t("play.waitStopped", ["time": DurationText.clock(next)]))
                } else {
                    advance(to: exercise.now + seconds)
                }
            default: buffer.append(t("play.error.wait"))
            }
        case "next":
            if let next = exercise.nextInjectAt {
                advance(to: next)
            } else {
                buffer.append(t("play.noMoreInjects"))
            }
        case "inject":
            guard parts.count == 3, parts[2].lowercased() == "now" else { return usage("inject ID now") }
            deliverNow(parts[1])
        case "done":
            guard parts.count >= 2 else { return usage("done STEP [CHOICE]") }
            let step = parts[1]
            let choice = parts.count > 2 ? parts[2] : nil
            guard let definition = known(step: step) else { return .goOn }
            if let choice {
                // A choice the playbook does not have is a typo too; a missing one is the team's to fix.
                let options = definition.choices?.options ?? []
                guard options.contains(choice) else {
                    typo(
                        "step '\(step)' has "
                            + (options.isEmpty ? "no choices" : "no option '\(Terminal.oneLine(choice))'\(hint(choice, options)); options are \(quotedList(options))"))
                    return .goOn
                }
            }
            act(.done(step: step, choice: choice), by: chosen ?? definition.owner)
        case "skip":
            guard let reason = tail else { return usage("skip STEP REASON") }
            guard let definition = known(step: parts[1]) else { return .goOn }
            act(.skip(step: parts[1], reason: reason), by: chosen ?? definition.owner)
        case "fire":
            guard parts.count == 2 else { return usage("fire EVENT") }
            let events = playbook.tables.eventNames
            guard events.contains(parts[1]) else {
                typo("no event '\(Terminal.oneLine(parts[1]))'\(hint(parts[1], events)) in playbook '\(playbook.id)'; events are \(quotedList(events))")
                return .goOn
            }
            act(.fire(event: parts[1]), by: chosen ?? playbook.commander)
        case "note":
            guard !rest.isEmpty else { return usage("note TEXT") }
            act(.note(text: rest), by: chosen ?? playbook.commander)
        case "draft":
            guard parts.count >= 2, let audience = known(audience: parts[1]) else { return parts.count >= 2 ? .goOn : usage("draft AUDIENCE [TEXT]") }
            act(.draft(audience: audience.id, text: tail), by: chosen ?? writer(of: audience.id))
        case "revise":
            guard let text = tail else { return usage("revise AUDIENCE TEXT") }
            guard let audience = known(audience: parts[1]) else { return .goOn }
            act(.revise(statement: .latest(audience: audience.id), text: text), by: chosen ?? writer(of: audience.id))
        case "approve":
            guard parts.count >= 2 else { return usage("approve AUDIENCE [ROLE]") }
            guard let audience = known(audience: parts[1]) else { return .goOn }
            var role = chosen
            if let named = tail {
                guard known(role: named) else { return .goOn }
                role = named
            }
            let approver = role ?? nextApprover(of: audience)
            act(.approve(statement: .latest(audience: audience.id), role: approver), by: approver)
        case "reject":
            guard let reason = tail else { return usage("reject AUDIENCE REASON") }
            guard let audience = known(audience: parts[1]) else { return .goOn }
            let approver = chosen ?? nextApprover(of: audience)
            act(.reject(statement: .latest(audience: audience.id), reason: reason, role: approver), by: approver)
        case "publish":
            guard parts.count >= 2 else { return usage("publish AUDIENCE [CHANNEL]") }
            guard let audience = known(audience: parts[1]) else { return .goOn }
            act(.publish(statement: .latest(audience: audience.id), channel: tail), by: chosen ?? writer(of: audience.id))
        case "inform":
            // `inform WHO [via CHANNEL]`: WHO is anyone (a name no step uses is still recorded).
            guard parts.count >= 2 else { return usage("inform WHO [via CHANNEL]") }
            var via = tail
            if let channel = via {
                let words = channel.split(separator: " ", maxSplits: 1).map(String.init)
                guard words.first?.lowercased() == "via", words.count == 2 else { return usage("inform WHO [via CHANNEL]") }
                via = words[1]
            }
            act(.inform(who: parts[1], via: via), by: chosen ?? informer(of: parts[1]))
        default:
            buffer.append(t("play.error.unknown", ["command": Terminal.oneLine(parts[0])]))
        }
        return .goOn
    }

    static let verbs = [
        "done", "skip", "fire", "note", "draft", "revise", "approve", "reject", "publish", "inform", "as", "inject", "wait", "next", "status",
        "help", "end", "quit",
    ]

    /// The words that may follow `words` on the console's line: commands first, then step ids, events,
    /// audiences, roles, injects or choices as the command takes them (Tab in the line editor).
    func completions(after words: [String]) -> [String] {
        guard let verb = words.first?.lowercased() else { return Self.verbs }
        let roles = playbook.roles.map(\.id)
        let audiences = playbook.audiences.map(\.id)
        switch (verb, words.count) {
        case ("as", 1): return roles
        case ("as", _): return completions(after: Array(words.dropFirst(2)))
        case ("done", 1), ("skip", 1): return playbook.tables.stepIDs
        case ("done", 2): return playbook.anyStep(words[1])?.choices?.options ?? []
        case ("fire", 1): return playbook.tables.eventNames
        case ("draft", 1), ("revise", 1), ("approve", 1), ("reject", 1), ("publish", 1): return audiences
        case ("approve", 2): return roles
        case ("inject", 1): return scenario.injects.enumerated().map { $1.id ?? "\($0 + 1)" }
        case ("inject", 2): return ["now"]
        case ("wait", 1): return ["5m", "10m", "30m", "1h"]
        default: return []
        }
    }

    mutating func usage(_ form: String) -> Answer {
        buffer.append(t("play.error.usage", ["usage": form]))
        return .goOn
    }

    /// A name the playbook does not have is the facilitator's typo, not the team's move: answered with
    /// the valid names, and neither recorded nor scored.
    mutating func typo(_ message: String) {
        buffer.append(t("play.typo", ["message": message]))
    }

    func hint(_ name: String, _ candidates: [String]) -> String {
        Identifier.suggestion(for: name, among: candidates).map { " (did you mean '\($0)'?)" } ?? ""
    }

    /// The step named, or nil after answering the typo.
    mutating func known(step: String) -> Step? {
        if let definition = playbook.anyStep(step) { return definition }
        let steps = playbook.tables.stepIDs
        typo("no step '\(Terminal.oneLine(step))'\(hint(step, steps)) in playbook '\(playbook.id)'; steps are \(quotedList(steps))")
        return nil
    }

    /// The audience named, or nil after answering the typo.
    mutating func known(audience: String) -> Audience? {
        if let found = playbook.audiences.first(where: { $0.id == audience }) { return found }
        let names = playbook.audiences.map(\.id)
        typo(
            "no audience '\(Terminal.oneLine(audience))'\(hint(audience, names)) in playbook '\(playbook.id)'; "
                + (names.isEmpty ? "it has no audiences" : "audiences are \(quotedList(names))"))
        return nil
    }

    /// Whether the playbook has the role; answers the typo when not.
    mutating func known(role: String) -> Bool {
        let roles = playbook.roles.map(\.id)
        if roles.contains(role) { return true }
        typo("no role '\(Terminal.oneLine(role))'\(hint(role, roles)) in playbook '\(playbook.id)'; roles are \(quotedList(roles))")
        return false
    }

    /// Who writes and publishes to an audience: the owner of its statement step (an active one first), else the commander.
    func writer(of audience: String) -> String {
        owner { $0.statement == audience }
    }

    /// Who informs WHO: the owner of the step that `informs` them (an active one first), else the commander.
    func informer(of who: String) -> String {
        owner { $0.informs == who }
    }

    func owner(of matches: (Step) -> Bool) -> String {
        let engine = Engine(playbook: playbook)
        for g in engine.activeSteps(exercise.incident) where matches(playbook.definition(of: g)) { return playbook.definition(of: g).owner }
        return playbook.tables.stepIDs.lazy.compactMap { playbook.anyStep($0) }.first(where: matches)?.owner ?? playbook.commander
    }

    /// The approver who has not yet given a verdict on the audience's latest unpublished statement (the first, in
    /// the audience's order), else its first approver, else the commander (the engine then says who may approve).
    func nextApprover(of audience: Audience) -> String {
        let index = playbook.tables.audienceIndex[audience.id] ?? -1
        let statement = exercise.incident.comms?.statements.last { Int32($0.audience) == index && !$0.isPublished }
        let given = Set((statement?.approvedBy ?? []) + (statement?.rejectedBy ?? []))
        return audience.approvers.first { role in !given.contains(playbook.tables.roleIndex[role] ?? -1) } ?? audience.approvers.first ?? playbook.commander
    }

    /// `inject ID now`: the inject (by id, or by its number in the file) comes at once; its expectations run from now.
    mutating func deliverNow(_ name: String) {
        let ids = scenario.injects.enumerated().map { $1.id ?? "\($0 + 1)" }
        guard let index = scenario.injects.firstIndex(where: { $0.id == name }) ?? Int(name).flatMap({ $0 >= 1 && $0 <= scenario.injects.count ? $0 - 1 : nil }) else {
            typo("no inject '\(Terminal.oneLine(name))'\(hint(name, ids)) in scenario '\(scenario.id)'; injects are \(quotedList(ids))")
            return
        }
        let delivery = exercise.delivery(of: index)
        guard !delivery.delivered else {
            buffer.append(t("play.injectDelivered", ["inject": ids[index], "time": DurationText.clock(delivery.at)]))
            return
        }
        if exercise.deliverNow(inject: index) { flushEvents() }
    }

    mutating func act(_ command: Command, by role: String) {
        switch exercise.act(command, by: role) {
        case .success: flushEvents()
        case .failure(let refusal):
            flushEvents()
            buffer.append(t("play.refused", ["reason": Self.consoleMessage(refusal)]))
        }
    }

    /// A refusal in the console's own words: where the command line would say `firebreak done INC STEP
    /// --choice X`, the console says `done STEP X`, as it is typed here.
    static func consoleMessage(_ refusal: Refusal) -> String {
        switch refusal {
        case let .choiceRequired(step, options):
            "step '\(step)' is a decision; type 'done \(step) CHOICE', CHOICE one of \(quotedList(options))"
        case let .decidedBy(event, step, owner, option, _):
            "'\(event)' is decided by step '\(step)' (owner \(owner)): done \(step) \(option)"
        default:
            refusal.message
        }
    }

    func status() -> String {
        let incident = exercise.incident
        let state = playbook.states[incident.state]
        var lines = [t("play.status.state", ["time": DurationText.clock(exercise.now), "state": state.id]) + (incident.isClosed ? t("play.status.closed") : "")]
        let engine = Engine(playbook: playbook)
        let tables = playbook.tables
        for g in incident.isClosed ? [] : engine.activeSteps(incident) {
            guard let progress = incident.progress(of: g, tables) else { continue }
            let step = playbook.definition(of: g)
            let word: String
            switch progress.status {
            case .open: word = t(progress.overdue ? "play.status.overdue" : "play.status.open")
            case .done: word = t("play.status.done")
            case .skipped: word = t("play.status.skipped")
            }
            var line = "  \(word) \(step.id) (\(step.owner))"
            if g >= tables.dutyBase { line += t("play.status.duty") } else if tables.stepState[g] != incident.state { line += t("play.status.carried") }
            if let due = incident.deadline(of: g, tables) { line += t("play.status.due", ["time": DurationText.clock(due)]) }
            if let options = step.choices?.options { line += t("play.status.choices", ["choices": options.joined(separator: ", ")]) }
            lines.append(line)
        }
        for (k, statement) in (incident.comms?.statements ?? []).enumerated() where !statement.isPublished {
            let audience = playbook.audiences[statement.audience]
            let given = Set(statement.approvedBy)
            let waiting = audience.approvers.filter { !given.contains(tables.roleIndex[$0] ?? -1) }
            lines.append(t("play.status.statement", [
                "id": StatementID.name(k), "audience": audience.id, "version": "\(statement.version)",
                "waiting": waiting.isEmpty ? t("play.status.readyToPublish") : t("play.status.waitingFor", ["roles": waiting.joined(separator: ", ")]),
            ]))
        }
        let events = engine.possibleEvents(incident)
        if !events.isEmpty { lines.append(t("play.status.events", ["events": events.map(\.event).joined(separator: ", ")])) }
        if let next = exercise.nextInjectAt { lines.append(t("play.status.nextInject", ["time": DurationText.clock(next)])) }
        return lines.joined(separator: "\n")
    }
}
