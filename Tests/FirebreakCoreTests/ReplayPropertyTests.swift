import FirebreakCore
import FirebreakLoading
import FirebreakTestSupport
import PropertyBased
import Testing

/// One random move against an incident. The numbers are picked by the generator and read
/// against the incident at the moment the move is made, so most moves are plausible
/// (a step of the current state, an event it knows) and some are not.
struct Move: Sendable, CustomStringConvertible {
    var kind: Int
    var a: Int
    var b: Int
    /// Seconds that pass before the move.
    var wait: Int

    var description: String { "Move(kind: \(kind), a: \(a), b: \(b), wait: \(wait))" }

    static let generator = zip(Gen.int(in: 0...99), Gen.int(in: 0...9_999), Gen.int(in: 0...9_999), Gen.int(in: 0...99))
        .map { Move(kind: $0.0, a: $0.1, b: $0.2, wait: waitTime($0.3, $0.1)) }

    /// Mostly minutes, sometimes nothing, sometimes hours (so deadlines and timers pass).
    static func waitTime(_ code: Int, _ spread: Int) -> Int {
        switch code {
        case 0..<20: 0
        case 20..<75: (spread % 20) * 60
        case 75..<95: (spread % 180) * 60
        default: (spread % 72) * 3_600
        }
    }
}

/// What a run of moves did: the events the engine accepted, and the incident it kept.
struct Run {
    var incident: Incident
    var events: [Event]
    var time: Int
}

@Suite struct ReplayPropertyTests {
    static let people = ["ann", "sam", "hal", "lee", "dee", "zoe"]
    static let t0 = 1_700_000_000

    static func engines() throws -> [Engine] {
        // The spec example, and a variant whose 1h timer coincides with a step's deadline.
        let coinciding = Fixtures.specExample.replacing("      4h: escalated ", with: "      1h: escalated ")
        var engines = [
            Engine(playbook: try loadPlaybook(Fixtures.specExample, fileName: "offensive-post.yaml")),
            Engine(playbook: try loadPlaybook(coinciding, fileName: "offensive-post.yaml")),
        ]
        for name in Fixtures.shippedPlaybookNames {
            engines.append(Engine(playbook: try loadPlaybook(try Fixtures.shippedPlaybookText(name), fileName: name)))
        }
        return engines
    }

    /// The command a move stands for and who gives it, read against the incident as it is now;
    /// `nil` for a tick, where only time passes.
    static func command(for move: Move, in incident: Incident, of playbook: Playbook) -> (command: Command, actor: String)? {
        let actor = people[move.b % people.count]
        let state = playbook.states[incident.state]
        let allSteps = playbook.states.flatMap(\.steps)
        func stepFor(_ n: Int) -> Step? {
            // Four times in five a step of the current state, else any step of the playbook.
            if !state.steps.isEmpty && n % 5 != 0 { return state.steps[(n / 5) % state.steps.count] }
            return allSteps.isEmpty ? nil : allSteps[(n / 5) % allSteps.count]
        }
        func choice(for step: Step, _ n: Int) -> String? {
            guard let options = step.choices?.options, !options.isEmpty else { return n % 7 == 0 ? "bogus" : nil }
            let pick = n % (options.count + 2)
            return pick < options.count ? options[pick] : (pick == options.count ? nil : "bogus")
        }
        let events = playbook.events(from: incident.state).map(\.event)
        let allEvents = playbook.states.flatMap { $0.transitions.map(\.event) } + playbook.globalTransitions.map(\.event) + ["bogus"]
        switch move.kind {
        case 0..<45:
            guard let step = stepFor(move.a) else { return (.note(text: "nothing to do"), actor) }
            let owner = incident.assignments[step.owner] ?? actor
            return (.done(step: step.id, choice: choice(for: step, move.b), note: move.b % 3 == 0 ? "note" : nil), move.b % 4 == 0 ? actor : owner)
        case 45..<55:
            guard let step = stepFor(move.a) else { return (.note(text: "nothing to do"), actor) }
            return (.skip(step: step.id, reason: move.b % 9 == 0 ? "" : "not needed"), actor)
        case 55..<80:
            if !events.isEmpty && move.a % 3 != 0 { return (.fire(event: events[move.a % events.count]), actor) }
            return (.fire(event: allEvents[move.a % allEvents.count]), actor)
        case 80..<88:
            return (.note(text: move.a % 10 == 0 ? "" : "update \(move.a)"), actor)
        case 88..<94:
            let role = playbook.roles[move.a % playbook.roles.count].id
            let commander = incident.assignments[playbook.commander] ?? "ann"
            return (.assign(role: move.a % 11 == 0 ? "nobody" : role, person: people[move.a % people.count]), move.b % 2 == 0 ? commander : actor)
        case 94..<97:
            let commander = incident.assignments[playbook.commander] ?? "ann"
            return (.close(reason: "enough"), move.b % 2 == 0 ? commander : actor)
        default:
            return nil
        }
    }

    /// Opens an incident and plays the moves, keeping every accepted event; refused moves are dropped.
    static func play(_ moves: [Move], on engine: Engine, check: (Run) -> Void = { _ in }) throws -> Run {
        let playbook = engine.playbook
        let cast = playbook.roles.enumerated().filter { $0.element.id != playbook.commander }
            .map { (role: $0.element.id, person: people[1 + $0.offset % 4]) }
        let (incident, events) = try engine.open(title: "Generated", opener: "ann", assignments: cast, at: t0)
        var run = Run(incident: incident, events: events, time: t0)
        for move in moves {
            run.time += move.wait
            if let (command, actor) = command(for: move, in: run.incident, of: playbook) {
                if let produced = try? engine.apply(command, by: actor, at: run.time, to: &run.incident) {
                    run.events += produced
                }
            } else {
                run.events += engine.advance(&run.incident, to: run.time)
            }
            check(run)
        }
        return run
    }

    @Test func generatedRunsMoveThroughThePlaybooks() throws {
        // Guards against a generator that never gets past the first state, which would make the properties vacuous.
        let engines = try Self.engines()
        var rng = SeededGenerator(seed: 7)
        var statesEntered = Set<String>(), closedNormally = 0, overdue = 0, timers = 0
        for index in 0..<200 {
            let engine = engines[index % engines.count]
            let moves = (0..<60).map { _ in
                Move(kind: .random(in: 0...99, using: &rng), a: .random(in: 0...9_999, using: &rng), b: .random(in: 0...9_999, using: &rng),
                     wait: Move.waitTime(.random(in: 0...99, using: &rng), .random(in: 0...9_999, using: &rng)))
            }
            let run = try Self.play(moves, on: engine)
            for event in run.events {
                switch event.body {
                case .entered(let state, _, _, _): statesEntered.insert("\(engine.playbook.id)/\(state)")
                case .closed(_, false): closedNormally += 1
                case .overdue: overdue += 1
                case .timer: timers += 1
                default: break
                }
            }
        }
        let allStates = Set(engines.flatMap { engine in engine.playbook.states.map { "\(engine.playbook.id)/\($0.id)" } })
        #expect(statesEntered.count * 10 >= allStates.count * 8, "only \(statesEntered.count) of \(allStates.count) states reached")
        #expect(closedNormally > 10)
        #expect(overdue > 50)
        #expect(timers > 5)
    }

    @Test func replayingTheAcceptedEventsGivesTheIncident() async throws {
        let engines = try Self.engines()
        await propertyCheck(count: 300, input: Gen.int(in: 0...(engines.count - 1)), Move.generator.array(of: 1...60)) { which, moves in
            let engine = engines[which]
            let run = try Self.play(moves, on: engine) { run in
                #expect(engine.replay(run.events) == run.incident)
            }
            #expect(run.incident.eventCount == run.events.count)
            #expect(engine.replay(run.events) == run.incident)
        }
    }

    @Test func acceptedEventsNeverBreakThePlaybook() async throws {
        let engines = try Self.engines()
        await propertyCheck(count: 300, input: Gen.int(in: 0...(engines.count - 1)), Move.generator.array(of: 1...60)) { which, moves in
            let engine = engines[which]
            let run = try Self.play(moves, on: engine)
            let problems = PlaybookRules.violations(of: run.events, playbook: engine.playbook)
            #expect(problems.isEmpty, "\(problems.prefix(5).joined(separator: "\n"))")
        }
    }

    @Test func theRuleCheckerCatchesIllegalHistories() throws {
        let engine = Engine(playbook: try loadPlaybook(Fixtures.specExample, fileName: "offensive-post.yaml"))
        let t0 = Self.t0
        let (_, opening) = try engine.open(title: "Test", opener: "ann", at: t0)
        #expect(PlaybookRules.violations(of: opening, playbook: engine.playbook) == [])
        func problems(_ more: [Event]) -> [String] { PlaybookRules.violations(of: opening + more, playbook: engine.playbook) }
        // assess before its need capture
        #expect(!problems([Event(at: t0 + 60, actor: "ann", .done(step: "assess", choice: "dismiss", note: nil))]).isEmpty)
        // a step of another state
        #expect(!problems([Event(at: t0 + 60, actor: "ann", .done(step: "lessons", choice: nil, note: nil))]).isEmpty)
        // entering a state with no transition
        #expect(!problems([
            Event(at: t0 + 60, actor: "ann", .fired(event: "escalate")),
            Event(at: t0 + 60, actor: "ann", .entered(state: "recover", from: "triage", event: "escalate", round: 1)),
        ]).isEmpty)
        // a timer that does not exist
        #expect(!problems([
            Event(at: t0 + 3_600, .timer(state: "triage", after: 3_600, to: "respond")),
            Event(at: t0 + 3_600, .entered(state: "respond", from: "triage", event: nil, round: 1)),
        ]).isEmpty)
        // a command after a missed deadline (capture was due at t0 + 15m)
        #expect(!problems([Event(at: t0 + 3_600, actor: "ann", .note(text: "late"))]).isEmpty)
        // a guard that does not hold
        #expect(!problems([
            Event(at: t0 + 60, actor: "sam", .done(step: "capture", choice: nil, note: nil)),
            Event(at: t0 + 120, actor: "ann", .done(step: "assess", choice: "escalate", note: nil)),
            Event(at: t0 + 120, actor: "ann", .fired(event: "escalate")),
            Event(at: t0 + 120, actor: "ann", .entered(state: "respond", from: "triage", event: "escalate", round: 1)),
            Event(at: t0 + 180, actor: "ann", .fired(event: "contained")),
            Event(at: t0 + 180, actor: "ann", .entered(state: "recover", from: "respond", event: "contained", round: 1)),
        ]).isEmpty)
        // the legal version of the same start
        #expect(problems([
            Event(at: t0 + 60, actor: "sam", .done(step: "capture", choice: nil, note: nil)),
            Event(at: t0 + 120, actor: "ann", .done(step: "assess", choice: "escalate", note: nil)),
            Event(at: t0 + 120, actor: "ann", .fired(event: "escalate")),
            Event(at: t0 + 120, actor: "ann", .entered(state: "respond", from: "triage", event: "escalate", round: 1)),
        ]) == [])
    }
}

/// An independent reading of the playbook rules, applied to a recorded history.
enum PlaybookRules {
    static func violations(of events: [Event], playbook: Playbook) -> [String] {
        var problems: [String] = []
        let engine = Engine(playbook: playbook)
        guard let first = events.first, case .opened = first.body else { return ["the history does not start with 'opened'"] }
        var incident = engine.replay([first])!
        var entered = false
        for (index, event) in events.enumerated().dropFirst() {
            let previous = events[index - 1]
            let next = index + 1 < events.count ? events[index + 1] : nil
            func fail(_ text: String) { problems.append("event \(index) (\(event.body)) at \(event.at): \(text)") }
            let state = playbook.states[incident.state]
            if event.at < previous.at { fail("time goes backwards") }
            if incident.isClosed, ![.note, .reopened, .retracted].contains(event.kind) { fail("the incident is closed") }
            /// Holds the role or deputises for it.
            func acts(_ role: String?) -> Bool {
                guard let role, let actor = event.actor else { return false }
                return incident.assignments[role] == actor || incident.deputies?[role]?.contains(actor) == true
            }
            let commander = playbook.commander
            let aboveCommander = playbook.role(commander)?.escalatesTo
            // A person's move comes after every deadline that passed before it.
            if event.actor != nil, entered, !incident.isClosed, let due = nextDeadline(incident, playbook), due < event.at {
                if event.kind != .entered && event.kind != .closed { fail("a deadline at \(due) passed unrecorded") }
            }
            func currentStep(_ id: String) -> (index: Int, step: Step)? {
                guard let location = playbook.stepLocations[id] else { fail("unknown step '\(id)'"); return nil }
                guard location.state == incident.state else { fail("step '\(id)' is not in the current state '\(state.id)'"); return nil }
                return (location.index, state.steps[location.index])
            }
            /// A standing duty, or a step carried out of its state that is still open (1.1): where `id` is active
            /// if not among the current state's steps. A carried step stands in for its state's copy when that
            /// state is entered again while it is open.
            func outsideStep(_ id: String) -> Outside? {
                if let k = playbook.duties.firstIndex(where: { $0.id == id }) { return .duty(k) }
                if let i = incident.carried.firstIndex(where: { $0.progress.isOpen && playbook.definition(of: Int($0.step)).id == id }) {
                    return .carried(i)
                }
                return nil
            }
            switch event.body {
            case .opened:
                fail("opened twice")
            case let .assigned(role, _), let .deputy(role, _):
                if entered, !acts(commander), !(role == commander && acts(aboveCommander)) {
                    fail("assigned by someone other than the commander (or, for the commander role, its escalates-to role)")
                }
            case .reopened:
                if !incident.isClosed { fail("reopened while open") }
                if !acts(commander), !acts(aboveCommander) { fail("reopened by someone other than the commander or its escalates-to role") }
            case .retracted:
                break
            case let .done(id, _, _, _) where outsideStep(id) != nil, let .skipped(id, _) where outsideStep(id) != nil:
                switch outsideStep(id)! {
                case .duty(let k):
                    if !incident.duties[k].isOpen { fail("a duty already settled") }
                    let open = playbook.duties[k].needs.filter { incident.duties[$0].isOpen }
                    if !open.isEmpty { fail("a duty's needs \(open) still open") }
                case .carried:
                    // Open (found so). Its needs are settled against the round it was opened in, which the
                    // engine records when the step is carried; this reading does not re-derive them.
                    break
                }
                if case .skipped(_, let reason) = event.body, reason.isEmpty { fail("skipped without a reason") }
            case let .done(id, choice, _, _):
                guard let (i, step) = currentStep(id) else { break }
                if !incident.steps[i].isOpen { fail("already settled") }
                let open = step.needs.filter { incident.steps[$0].isOpen }
                if !open.isEmpty { fail("needs \(open) still open") }
                switch (step.choices, choice) {
                case (nil, nil): break
                case (nil, .some): fail("a choice on a plain step")
                case (.some, nil): fail("a decision without a choice")
                case let (.some(choices), .some(option)):
                    if !choices.options.contains(option) { fail("unknown option '\(option)'") }
                    if let fired = choices.event(for: option), next?.body != .fired(event: fired) { fail("the option's event '\(fired)' did not follow") }
                }
            case let .skipped(id, reason):
                guard let (i, _) = currentStep(id) else { break }
                if !incident.steps[i].isOpen { fail("already settled") }
                if reason.isEmpty { fail("skipped without a reason") }
            case let .fired(name):
                guard let transition = transition(name, from: incident.state, playbook) else { fail("no transition for '\(name)' in '\(state.id)'"); break }
                let required: [Int]
                switch transition.guardCondition {
                case .always: required = []
                case .allDone: required = state.steps.indices.filter { !state.steps[$0].isOptional }
                case .steps(let indices): required = indices
                }
                if required.contains(where: { incident.steps[$0].isOpen }) { fail("the guard does not hold") }
                // Fired directly (not by completing a decision just before): who may fire what.
                let byDecision: Bool
                if case let .done(step, choice?, _, _) = previous.body, previous.at == event.at, playbook.step(step)?.step.choices?.event(for: choice) == name {
                    byDecision = true
                } else {
                    byDecision = false
                }
                if !byDecision {
                    for (i, step) in state.steps.enumerated() where incident.steps[i].isOpen {
                        if case .events(let pairs)? = step.choices, pairs.contains(where: { $0.event == name }) { fail("'\(name)' fired while decision '\(step.id)' is open") }
                    }
                    let roles = transition.by ?? (playbook.states[transition.target].isFinal ? [commander] : [])
                    if !roles.isEmpty, !roles.contains(where: { acts($0) }) { fail("'\(name)' fired by someone outside \(roles)") }
                }
                if next?.body != .entered(state: playbook.states[transition.target].id, from: state.id, event: name, round: incident.rounds[transition.target] + 1) {
                    fail("not followed by entering '\(playbook.states[transition.target].id)'")
                }
            case let .entered(target, from, by, round):
                guard let targetIndex = playbook.stateIndex[target] else { fail("unknown state"); break }
                if round != incident.rounds[targetIndex] + 1 { fail("round \(round), expected \(incident.rounds[targetIndex] + 1)") }
                if !entered {
                    if targetIndex != playbook.start || from != nil || by != nil { fail("the first state entered is not the start state") }
                    entered = true
                    break
                }
                if case .reopened = previous.body {
                    if from != nil || by != nil || playbook.states[targetIndex].isFinal { fail("reopened into a final state, or from somewhere") }
                    break
                }
                if from != state.id { fail("entered from '\(from ?? "nil")' but the incident is in '\(state.id)'") }
                switch previous.body {
                case .fired(let name) where name == by:
                    if transition(name, from: incident.state, playbook)?.target != targetIndex { fail("'\(name)' does not lead to '\(target)'") }
                case .timer(let timerState, _, let to) where by == nil:
                    if timerState != state.id || to != target { fail("the timer does not lead here") }
                default:
                    fail("entered without an event or timer")
                }
            case let .timer(timerState, after, to):
                if timerState != state.id { fail("a timer of another state") }
                guard let timer = state.timers.min(by: { $0.after < $1.after }) else { fail("the state has no timer"); break }
                if timer.after != after || playbook.states[timer.target].id != to { fail("not the state's first timer") }
                if event.at != incident.enteredAt + after { fail("fired at the wrong time") }
                if event.actor != nil { fail("a timer with an actor") }
                // Steps due at the same instant are recorded overdue before the timer leaves the state.
                for (i, step) in state.steps.enumerated() where incident.steps[i].isOpen && !incident.steps[i].overdue && !standsIn(i, incident, playbook) {
                    if let due = step.due, incident.enteredAt + due <= event.at { fail("step '\(step.id)' due at \(incident.enteredAt + due) not recorded overdue first") }
                }
                // Duties and carried steps too.
                for due in outsideDeadlines(incident, playbook) where due <= event.at { fail("a duty or carried step due at \(due) not recorded overdue first") }
            case let .overdue(id, due) where outsideStep(id) != nil:
                switch outsideStep(id)! {
                case .duty(let k):
                    if !incident.duties[k].isOpen || incident.duties[k].overdue { fail("a duty overdue when settled or already overdue") }
                    if playbook.duties[k].due.map({ incident.openedAt + $0 }) != due || event.at != due { fail("a duty overdue at the wrong time") }
                case .carried(let i):
                    if incident.carried[i].progress.overdue { fail("a carried step already overdue") }
                    if incident.carried[i].deadline != due || event.at != due { fail("a carried step overdue at the wrong time") }
                }
            case let .overdue(id, due):
                guard let (i, step) = currentStep(id) else { break }
                if !incident.steps[i].isOpen || incident.steps[i].overdue { fail("overdue when settled or already overdue") }
                if step.due.map({ incident.enteredAt + $0 }) != due || event.at != due { fail("overdue at the wrong time") }
            case let .escalated(id, to):
                if previous.body != .overdue(step: id, due: event.at) { fail("escalated without being overdue just before") }
                if let step = playbook.anyStep(id) {
                    // `escalate:` on the step wins over its owner role's `escalates-to`; `escalate: false` never escalates.
                    switch step.escalate {
                    case .role(let role)?: if role != to { fail("escalated to '\(to)', not to the step's own 'escalate: \(role)'") }
                    case .never?: fail("escalated, but the step says 'escalate: false'")
                    case nil: if playbook.role(step.owner)?.escalatesTo != to { fail("escalated to the wrong role") }
                    }
                }
            case let .closed(reason, forced):
                if forced {
                    if !acts(commander) { fail("force-closed by someone other than the commander") }
                    if (reason ?? "").isEmpty { fail("force-closed without a reason") }
                } else if !(state.isFinal && previous.kind == .entered) {
                    fail("closed without entering a final state")
                }
            case .note(let text, _):
                if text.isEmpty { fail("an empty note") }
            case .inject, .refused:
                fail("an exercise event in an incident")
            case .drafted, .approved, .rejected, .published, .updateOverdue, .escalatedUpdate, .informed:
                // The generated playbooks have no audiences and the generated moves no statements (see StatementTests).
                fail("a statement event, which these histories never make")
            }
            engine.fold(event, into: &incident)
        }
        return problems
    }

    /// The state's own entry wins over the top-level `on`; final states have none.
    static func transition(_ event: String, from state: Int, _ playbook: Playbook) -> Transition? {
        let current = playbook.states[state]
        if current.isFinal { return nil }
        return current.transitions.first { $0.event == event } ?? playbook.globalTransitions.first { $0.event == event }
    }

    /// Where a step is active outside the current state's steps.
    enum Outside: Equatable {
        case duty(Int)
        case carried(Int)
    }

    /// Whether step `i` of the current state has an open carried copy from an earlier round, which stands in for it.
    static func standsIn(_ i: Int, _ incident: Incident, _ playbook: Playbook) -> Bool {
        let g = Int(playbook.tables.firstStep[incident.state]) + i
        return incident.carried.contains { $0.progress.isOpen && Int($0.step) == g }
    }

    /// The deadlines of open duties and carried steps not yet recorded overdue.
    static func outsideDeadlines(_ incident: Incident, _ playbook: Playbook) -> [Int] {
        var times: [Int] = []
        for (k, duty) in playbook.duties.enumerated() where k < incident.duties.count && incident.duties[k].isOpen && !incident.duties[k].overdue {
            if let due = duty.due { times.append(incident.openedAt + due) }
        }
        for entry in incident.carried where entry.progress.isOpen && !entry.progress.overdue && entry.deadline >= 0 { times.append(entry.deadline) }
        return times
    }

    /// The earliest open deadline or timer of the current state, or of a duty or carried step, not yet recorded.
    static func nextDeadline(_ incident: Incident, _ playbook: Playbook) -> Int? {
        let state = playbook.states[incident.state]
        var times = outsideDeadlines(incident, playbook)
        for (i, step) in state.steps.enumerated() where incident.steps[i].isOpen && !incident.steps[i].overdue && !standsIn(i, incident, playbook) {
            if let due = step.due { times.append(incident.enteredAt + due) }
        }
        if let timer = state.timers.map(\.after).min() { times.append(incident.enteredAt + timer) }
        return times.min()
    }
}
