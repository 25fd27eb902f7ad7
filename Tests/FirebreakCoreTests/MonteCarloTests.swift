import FirebreakCore
import FirebreakLoading
import FirebreakTestSupport
import Foundation
import Testing

/// A run as `drill run` sees it: played with the full event log, its on-time figures read from the
/// report's own analysis of the events (an independent reading of the rounds).
struct LoggedRun: Equatable {
    var met: [Bool]
    var onTime: [Int8]
    var closedAt: Int?

    init(_ result: MonteCarlo.RunResult) {
        met = result.met
        onTime = result.stepOnTime
        closedAt = result.closedAt
    }

    init(_ carlo: MonteCarlo, run index: Int, zeroing role: String? = nil) {
        let outcome = carlo.simulator.run(delays: carlo.delays(run: index, zeroing: role), windows: carlo.windows(run: index))
        var onTime = [Int8](repeating: -1, count: carlo.stepIDs.count)
        for round in outcome.analysis.steps {
            guard let i = carlo.stepIDs.firstIndex(of: round.step) else { continue }
            let ok: Int8 = round.status == .onTime ? 1 : 0
            onTime[i] = onTime[i] == -1 ? ok : min(onTime[i], ok)
        }
        met = outcome.expectations.map(\.met)
        self.onTime = onTime
        closedAt = outcome.incident.closed?.at
    }
}

/// `drill stats` plays its runs through the same scheduler and engine as `drill run`, with a sink
/// that keeps only the scored facts. These tests hold the two readings equal, run for run: the
/// branches taken only when a record is kept (roles, refusal texts, narration) change nothing.
@Suite struct MonteCarloTests {
    static let scenariosFolder = Fixtures.packageRoot.appendingPathComponent("Scenarios")

    /// The file names of the shipped English scenarios, sorted.
    static let shippedScenarioNames: [String] =
        ((try? FileManager.default.contentsOfDirectory(atPath: scenariosFolder.path)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()

    static func shippedScenarios(_ only: [String] = shippedScenarioNames) throws -> [(name: String, simulator: Simulator)] {
        var playbooks: [String: Playbook] = [:]
        for name in Fixtures.shippedPlaybookNames {
            let playbook = try loadPlaybook(try Fixtures.shippedPlaybookText(name), fileName: name)
            playbooks[playbook.id] = playbook
        }
        return try only.map { name in
            let text = try String(contentsOf: scenariosFolder.appendingPathComponent(name), encoding: .utf8)
            let result = ScenarioLoader.load(text, fileName: name, playbooks: { playbooks[$0] })
            guard let scenario = result.scenario, let playbook = result.playbook, !result.diagnostics.hasErrors else {
                throw RunFixtureError(name: name)
            }
            return (name, Simulator(scenario: scenario, playbook: playbook))
        }
    }

    /// Indices of the runs (and the role zeroed) where the Monte Carlo run and the logged run disagree.
    static func disagreements(_ carlo: MonteCarlo, runs: Int) -> [String] {
        var found: [String] = []
        for role in [nil] + carlo.variableRoles {
            for i in 0..<runs where LoggedRun(carlo.run(i, zeroing: role)) != LoggedRun(carlo, run: i, zeroing: role) {
                found.append("run \(i)" + (role.map { " zeroing \($0)" } ?? ""))
            }
        }
        return found
    }

    @Test func everyShippedScenarioIsCompared() {
        #expect(Self.shippedScenarioNames.count >= 15)
    }

    /// One test case per scenario, so the cases share the cores.
    @Test(arguments: shippedScenarioNames)
    func statsRunsAgreeWithLoggedRunsOnEveryShippedScenario(_ name: String) throws {
        let (_, simulator) = try #require(try Self.shippedScenarios([name]).first)
        let carlo = MonteCarlo(simulator: simulator, seed: 2026)
        // 80 runs, each also with each variable role's delays zeroed (the generated scenarios below cover breadth).
        #expect(Self.disagreements(carlo, runs: 80).prefix(5) == [])
        // The runs are not all alike, so the comparison covers more than one path.
        let results = (0..<80).map { carlo.run($0) }
        #expect(Set(results.map(\.met)).count > 1 || Set(results.map(\.stepOnTime)).count > 1)
    }

    /// The scheduler works out when the next time-driven event is due again only after an event `Engine.movesDue`
    /// names. Folded one by one, no other event of these runs (30 per scenario, with their delays and windows) may
    /// change `Engine.nextDue`; and the events that do change it are of several kinds, so the check has something to hold.
    @Test(arguments: shippedScenarioNames)
    func onlyTheEventsMovesDueNamesChangeWhenTheNextEventIsDue(_ name: String) throws {
        let (_, simulator) = try #require(try Self.shippedScenarios([name]).first)
        let carlo = MonteCarlo(simulator: simulator, seed: 11)
        let engine = Engine(playbook: simulator.playbook)
        var unexpected: [String] = []
        var moving = Set<String>()
        for run in 0..<30 {
            let events = simulator.run(delays: carlo.delays(run: run), windows: carlo.windows(run: run)).events
            var incident: Incident?
            for event in events {
                let before = incident.flatMap { engine.nextDue($0) }
                #expect(engine.replay(event, into: &incident))
                guard let after = incident, let body = engine.playbook.engineEvent(event)?.0.body else { continue }
                if engine.nextDue(after) != before {
                    moving.insert("\(event.body)".prefix { $0 != "(" }.description)
                    if !Engine.movesDue(body) { unexpected.append("run \(run): \(event.body) at \(event.at)") }
                }
            }
        }
        #expect(unexpected.prefix(3) == [])
        #expect(moving.count >= 2, "\(moving)")
    }

    /// The counterfactual runs `drill stats` plays on from a copy of each run (from the moment they differ) count what
    /// the same runs played from T+0 count: per role, and with every delay taken away.
    @Test(arguments: shippedScenarioNames)
    func undelayedRunsPlayedOnFromTheRunCountAsPlayedFromTheStart(_ name: String) throws {
        let (_, simulator) = try #require(try Self.shippedScenarios([name]).first)
        let carlo = MonteCarlo(simulator: simulator, seed: 7)
        let roles = carlo.variableRoles
        #expect(!roles.isEmpty)
        let all = [Bool](repeating: true, count: simulator.scenario.actions.count)
        let (base, zeroed) = carlo.tally(0..<120, undelayed: roles.map { carlo.actions(of: $0) } + [all])
        #expect(base == carlo.tally(0..<120))
        #expect(zeroed.count == roles.count + 1)
        for (k, role) in roles.enumerated() {
            #expect(zeroed[k] == carlo.tally(0..<120, zeroing: role, metOnly: true), "\(role)")
        }
        #expect(zeroed[roles.count] == carlo.tally(0..<120, withoutDelays: true, metOnly: true))
        // Where delays cost something, taking them away changes what is met, or the comparison would prove little.
        if name == "photo-shoot-leak-night.yaml" || name == "carbon-monoxide-speculation.yaml" {
            #expect(zeroed.contains { $0.met != base.met })
        }
    }

    /// What `MonteCarlo.tally` should count for these runs.
    static func tally(_ results: [LoggedRun]) -> MonteCarlo.Tally {
        var tally = MonteCarlo.Tally(expectations: results[0].met.count, steps: results[0].onTime.count)
        tally.met = results[0].met.indices.map { e in results.filter { $0.met[e] }.count }
        tally.active = results[0].onTime.indices.map { g in results.filter { $0.onTime[g] >= 0 }.count }
        tally.onTime = results[0].onTime.indices.map { g in results.filter { $0.onTime[g] == 1 }.count }
        tally.closeTimes = results.compactMap(\.closedAt).sorted()
        tally.runs = results.count
        return tally
    }

    @Test func tallyCountsWhatTheRunsCameToWhateverTheSplit() throws {
        let (_, simulator) = try #require(try Self.shippedScenarios().first { $0.name == "song-contest-tweet.yaml" })
        let carlo = MonteCarlo(simulator: simulator, seed: 99)
        let results = (0..<500).map { LoggedRun(carlo.run($0)) }
        let tally = carlo.tally(0..<500)
        #expect(tally.runs == 500)
        #expect(tally == Self.tally(results))
        #expect(tally.totalMet == results.reduce(0) { $0 + $1.met.filter { $0 }.count })
        var split = carlo.tally(300..<500)
        split.merge(carlo.tally(0..<123))
        split.merge(carlo.tally(123..<300))
        #expect(split == tally)
        // The song-contest runs differ in what they meet and when they close.
        #expect(Set(tally.met).count > 1)
        #expect(Set(tally.closeTimes).count > 1)
    }

    @Test func runsTakeDeadlinesAndTimersLongerThanInt32Seconds() throws {
        // 30000d = 2,592,000,000 s, beyond Int32.max; the format allows up to 100 years.
        let long = Self.tangled.replacing("due: 1h }", with: "due: 30000d }").replacing("45m: two", with: "30001d: two")
        let playbook = try loadPlaybook(long, fileName: "tangled.yaml")
        #expect(playbook.states[2].steps[0].due == 2_592_000_000)
        let scenario = Scenario(
            id: "long", title: "Long", playbook: "tangled",
            injects: [Inject(at: 0, text: "go", expectations: [.init(.state("three"), within: 3_600), .init(.done(step: "f"), within: 2_600_000_000)])],
            actions: [
                Action(at: 60, by: "aide", .done(step: "a", choice: nil)), Action(at: 120, by: "lead", .done(step: "b", choice: "stay")),
                Action(at: 31 * 60, by: "lead", .done(step: "f", choice: nil)), Action(at: 32 * 60, by: "lead", .fire(event: "only-in-the-scenario")),
            ],
            variability: ["default": 600], end: 2_700_000_000)
        let carlo = MonteCarlo(simulator: Simulator(scenario: scenario, playbook: playbook), seed: 11)
        let results = (0..<50).map { carlo.run($0) }
        #expect(results.map(LoggedRun.init) == (0..<50).map { LoggedRun(carlo, run: $0) })
        // The 30m timer to `three` fires; `f` is done there on time against its 30000d deadline.
        #expect(results.allSatisfy { $0.met == [true, true] && $0.stepOnTime[5] == 1 })
    }

    /// Decisions whose events are guarded by their own step, a state re-entered by its own event,
    /// a one-minute deadline, two timers, a top-level `on` with `all-done`, and a final state that closes at once.
    static let tangled = """
        firebreak: 1
        id: tangled
        title: Tangled
        roles:
          lead: { title: Lead, escalates-to: boss }
          aide: { title: Aide }
          boss: { title: Boss }
        commander: lead
        start: one
        on:
          abort: { to: done, when: all-done }
        states:
          one:
            steps:
              - { id: a, title: A, owner: aide, due: 10m }
              - { id: b, title: B, owner: lead, due: 20m, needs: [a], choices: { again: again, onward: onward, stay: stay } }
              - { id: c, title: C, owner: aide, due: 1m, optional: true }
            on:
              again: { to: one, when: all-done }
              onward: { to: two, when: [b] }
              stay: { to: one, when: [a, b] }
            after:
              45m: two
              30m: three
          two:
            steps:
              - { id: d, title: D, owner: boss, due: 15m, choices: { finish: finish, later: later } }
              - { id: e, title: E, owner: lead, optional: true }
            on:
              finish: { to: done, when: all-done }
              later: three
              back: one
          three:
            steps:
              - { id: f, title: F, owner: lead, due: 1h }
            on:
              back: { to: one, when: [f] }
              finish: done
          done:
            final: true

        """

    /// Generated scenarios against the spec's playbook and the shipped ones: actions on any step,
    /// event or choice (some refused for good, some pending), injects and contingencies that fire
    /// events, and delays wide enough to pass deadlines and timers.
    @Test func statsRunsAgreeWithLoggedRunsOnGeneratedScenarios() throws {
        var playbooks = [
            try loadPlaybook(Fixtures.specExample, fileName: "offensive-post.yaml"),
            try loadPlaybook(Self.tangled, fileName: "tangled.yaml"),
        ]
        for name in Fixtures.shippedPlaybookNames {
            playbooks.append(try loadPlaybook(try Fixtures.shippedPlaybookText(name), fileName: name))
        }
        var random = SplitMix64(seed: 0xF1_2E_B2_EA_C0)
        func pick(_ n: Int) -> Int { Int(random.next() % UInt64(max(1, n))) }
        var disagreeing: [String] = []
        var closedRuns = 0
        var refusedForGood = 0
        for number in 0..<300 {
            let playbook = playbooks[number % playbooks.count]
            let steps = playbook.states.flatMap(\.steps)
            let events = Array(Set(playbook.states.flatMap { $0.transitions.map(\.event) } + playbook.globalTransitions.map(\.event))).sorted() + ["no-such-event"]
            let roles = playbook.roles.map(\.id)
            func minutes(_ upTo: Int) -> Int { pick(upTo + 1) * 60 }
            var actions: [Action] = []
            for _ in 0..<(3 + pick(18)) {
                let step = steps[pick(steps.count)]
                let move: Action.Move
                switch pick(10) {
                case 0..<5:
                    let options = step.choices?.options ?? []
                    let choice: String? = options.isEmpty ? (pick(8) == 0 ? "bogus" : nil) : (pick(8) == 0 ? nil : options[pick(options.count)])
                    move = .done(step: pick(20) == 0 ? "no-such-step" : step.id, choice: choice)
                case 5, 6: move = .skip(step: step.id, reason: pick(10) == 0 ? "" : "not needed")
                case 7, 8: move = .fire(event: events[pick(events.count)])
                default: move = .note(text: pick(10) == 0 ? "" : "noted")
                }
                if case .done(let id, _) = move, id == "no-such-step" { refusedForGood += 1 }
                actions.append(Action(at: minutes(240), by: roles[pick(roles.count)], move))
            }
            var injects: [Inject] = []
            for i in 0..<(1 + pick(6)) {
                var expectations: [FirebreakCore.Expectation] = []
                for _ in 0..<pick(3) {
                    let condition: FirebreakCore.Expectation.Condition =
                        pick(2) == 0 ? .done(step: steps[pick(steps.count)].id) : .state(playbook.states[pick(playbook.states.count)].id)
                    let contingency = pick(2) == 0 ? Contingency(text: "missed", fire: pick(2) == 0 ? events[pick(events.count)] : nil) : nil
                    expectations.append(FirebreakCore.Expectation(condition, within: minutes(120), contingency: contingency))
                }
                injects.append(Inject(id: "i\(i)", at: minutes(180), text: "inject", fire: pick(3) != 0 ? events[pick(events.count)] : nil, expectations: expectations))
            }
            let scenario = Scenario(
                id: "generated-\(number)", title: "Generated", playbook: playbook.id, injects: injects, actions: actions,
                // No variability in a third of them: actions then fall on whole minutes, often exactly on deadlines.
                variability: pick(3) == 0 ? [:] : ["default": minutes(180), roles[pick(roles.count)]: minutes(600)], end: 3_600 * (2 + pick(46)))
            let carlo = MonteCarlo(simulator: Simulator(scenario: scenario, playbook: playbook), seed: random.next())
            var references: [LoggedRun] = []
            for i in 0..<10 {
                let fast = LoggedRun(carlo.run(i))
                references.append(LoggedRun(carlo, run: i))
                if fast != references[i] { disagreeing.append("scenario \(number) run \(i)") }
                if fast.closedAt != nil { closedRuns += 1 }
            }
            // One runner reused for all runs (as drill stats does) counts what the engine's runs came to.
            if carlo.tally(0..<10) != Self.tally(references) { disagreeing.append("scenario \(number) tally") }
            if let role = carlo.variableRoles.first {
                for i in 0..<3 where LoggedRun(carlo.run(i, zeroing: role)) != LoggedRun(carlo, run: i, zeroing: role) {
                    disagreeing.append("scenario \(number) run \(i) zeroing \(role)")
                }
            }
        }
        #expect(disagreeing.prefix(5) == [])
        // The generated runs reach the paths that matter: some close, some actions can never apply.
        #expect(closedRuns > 50)
        #expect(refusedForGood > 10)
    }
}

struct RunFixtureError: Error {
    var name: String
}
