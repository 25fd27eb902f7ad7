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
            Commands: done STEP [CHOICE] · skip STEP REASON · fire EVENT · note TEXT · wait 10m · next · status · help · quit
            Scripted actions are ignored; the exercise is recorded as an exercise incident.
            """)
    @OptionGroup var global: GlobalOptions
    @Argument(help: "A scenario file, or the id of one in ./Scenarios.") var scenario: String
    @Flag(help: "Do not store the exercise in the database.") var noRecord = false

    func run() async throws {
        let loaded = try LoadedScenario.load(scenario, global: global)
        let simulator = Simulator(scenario: loaded.scenario, playbook: loaded.playbook)
        var session = PlaySession(exercise: simulator.live(), scenario: loaded.scenario, playbook: loaded.playbook)
        let interactive = Terminal.isTerminal(0)
        Terminal.out("Exercise \(loaded.scenario.id): \(Terminal.oneLine(loaded.scenario.title))")
        Terminal.out("Type 'help' for commands. The clock stands still until you type 'wait' or 'next'.")
        session.advance(to: 0)
        Terminal.out(session.drain())
        while !session.exercise.isOver {
            if interactive { Terminal.write("\(DurationText.clock(session.exercise.now))> ") }
            guard let line = Console.current.readLine() else { break }
            let keepGoing = session.handle(line)
            let output = session.drain()
            if !output.isEmpty { Terminal.out(output) }
            if !keepGoing { break }
        }
        let outcome = session.exercise.outcome()
        let report = ExerciseReport(scenario: loaded.scenario, playbook: loaded.playbook, outcome: outcome)
        Terminal.out("\n" + Self.score(report))
        if !noRecord {
            let number = try await loaded.record(outcome.events, incident: outcome.incident, stoppedAt: outcome.stoppedAt, global: global)
            Terminal.out("recorded as \(IncidentID.name(number)) (an exercise)")
        }
    }

    /// The score part of the report (expectations and steps).
    static func score(_ report: ExerciseReport) -> String {
        let text = report.text(oneLine: Terminal.oneLine)
        guard let range = text.range(of: "\nExpectations: ") else { return text }
        return String(text[text.index(after: range.lowerBound)...])
    }
}

/// The state of a live exercise and the parsing of the facilitator's commands.
struct PlaySession {
    var exercise: Exercise
    let scenario: Scenario
    let playbook: Playbook
    var shown = 0
    var buffer: [String] = []

    init(exercise: Exercise, scenario: Scenario, playbook: Playbook) {
        self.exercise = exercise
        self.scenario = scenario
        self.playbook = playbook
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
            buffer.append("\(marker)\(DurationText.clock(event.at))  \(who): \(Terminal.oneLine(EventText.describe(event, clock: DurationText.clock)))")
        }
        if exercise.incident.isClosed, let closed = exercise.incident.closed {
            buffer.append("The incident is closed at \(DurationText.clock(closed.at)).")
        } else if exercise.now >= scenario.end {
            buffer.append("The exercise has reached its end at \(DurationText.clock(scenario.end)).")
        }
    }

    mutating func drain() -> String {
        defer { buffer = [] }
        return buffer.joined(separator: "\n")
    }

    /// Handles one line; false when the facilitator quits.
    mutating func handle(_ line: String) -> Bool {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty || trimmed.hasPrefix("#") { return true }
        let parts = trimmed.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true).map(String.init)
        let verb = parts[0].lowercased()
        let rest = parts.count > 1 ? String(trimmed.dropFirst(parts[0].count)).trimmingCharacters(in: .whitespaces) : ""
        switch verb {
        case "quit", "exit", "end":
            return false
        case "help", "?":
            buffer.append("done STEP [CHOICE] · skip STEP REASON · fire EVENT · note TEXT · wait 10m · next · status · quit")
        case "status":
            buffer.append(status())
        case "wait":
            switch DurationText.parse(rest) {
            case .success(let seconds): advance(to: exercise.now + seconds)
            default: buffer.append("error: 'wait' takes a duration such as 10m or 1h30m")
            }
        case "next":
            if let next = exercise.nextInjectAt {
                advance(to: next)
            } else {
                buffer.append("no more injects; 'wait' moves the clock, 'quit' ends")
            }
        case "done":
            guard parts.count >= 2 else { buffer.append("error: done STEP [CHOICE]"); return true }
            let step = parts[1]
            let choice = parts.count > 2 ? parts[2] : nil
            guard let definition = known(step: step) else { return true }
            if let choice {
                // A choice the playbook does not have is a typo too; a missing one is the team's to fix.
                let options = definition.choices?.options ?? []
                guard options.contains(choice) else {
                    typo("step '\(step)' has " + (options.isEmpty ? "no choices" : "no option '\(choice)'\(hint(choice, options)); options are \(quotedList(options))"))
                    return true
                }
            }
            act(.done(step: step, choice: choice), by: definition.owner)
        case "skip":
            guard parts.count >= 3 else { buffer.append("error: skip STEP REASON"); return true }
            guard let definition = known(step: parts[1]) else { return true }
            act(.skip(step: parts[1], reason: parts[2]), by: definition.owner)
        case "fire":
            guard parts.count == 2 else { buffer.append("error: fire EVENT"); return true }
            let events = playbook.tables.eventNames
            guard events.contains(parts[1]) else {
                typo("no event '\(Terminal.oneLine(parts[1]))'\(hint(parts[1], events)) in playbook '\(playbook.id)'; events are \(quotedList(events))")
                return true
            }
            act(.fire(event: parts[1]), by: playbook.commander)
        case "note":
            guard !rest.isEmpty else { buffer.append("error: note TEXT"); return true }
            act(.note(text: rest), by: playbook.commander)
        default:
            buffer.append("error: unknown command '\(Terminal.oneLine(parts[0]))'; type 'help'")
        }
        return true
    }

    /// A name the playbook does not have is the facilitator's typo, not the team's move: answered with
    /// the valid names, and neither recorded nor scored.
    mutating func typo(_ message: String) {
        buffer.append("not recorded (typo?): \(message)")
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

    mutating func act(_ command: Command, by role: String) {
        switch exercise.act(command, by: role) {
        case .success: flushEvents()
        case .failure(let refusal):
            flushEvents()
            buffer.append("refused: \(refusal.message)")
        }
    }

    func status() -> String {
        let incident = exercise.incident
        let state = playbook.states[incident.state]
        var lines = ["\(DurationText.clock(exercise.now)) state '\(state.id)'\(incident.isClosed ? " (closed)" : "")"]
        let engine = Engine(playbook: playbook)
        let tables = playbook.tables
        for g in incident.isClosed ? [] : engine.activeSteps(incident) {
            guard let progress = incident.progress(of: g, tables) else { continue }
            let step = playbook.definition(of: g)
            let word: String
            switch progress.status {
            case .open: word = progress.overdue ? "OVERDUE" : "open"
            case .done: word = "done"
            case .skipped: word = "skipped"
            }
            var line = "  \(word) \(step.id) (\(step.owner))"
            if g >= tables.dutyBase { line += " [duty]" } else if tables.stepState[g] != incident.state { line += " [carried]" }
            if let due = incident.deadline(of: g, tables) { line += " due \(DurationText.clock(due))" }
            if let options = step.choices?.options { line += " choices: \(options.joined(separator: ", "))" }
            lines.append(line)
        }
        let events = engine.possibleEvents(incident)
        if !events.isEmpty { lines.append("  events: " + events.map(\.event).joined(separator: ", ")) }
        if let next = exercise.nextInjectAt { lines.append("  next inject at \(DurationText.clock(next))") }
        return lines.joined(separator: "\n")
    }
}
