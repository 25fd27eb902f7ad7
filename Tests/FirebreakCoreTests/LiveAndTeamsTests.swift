import FirebreakCore
import FirebreakLoading
import FirebreakTestSupport
import Foundation
import Testing

/// `open` (entered at T+0): check due 10m, act due 20m (needs check). `resolve` closes when both are done.
private let livePlaybook = """
    firebreak: 1
    id: live
    title: Live playbook
    roles:
      lead: { title: Lead }
      helper: { title: Helper }
    commander: lead
    start: open
    states:
      open:
        steps:
          - { id: check, title: Check, owner: lead, due: 10m }
          - { id: act, title: Act, owner: helper, needs: [check], due: 20m }
        on:
          resolve: { to: closed, when: [check, act] }
      closed:
        final: true

    """

private struct LoadError: Error, CustomStringConvertible { var description: String }

private func simulator(_ body: String) throws -> Simulator {
    let playbook = try loadPlaybook(livePlaybook)
    let result = ScenarioLoader.load("firebreak: 1\nid: test\ntitle: Test\nplaybook: live\n" + body, playbooks: { $0 == "live" ? playbook : nil })
    guard let scenario = result.scenario, let loaded = result.playbook, !result.diagnostics.hasErrors else {
        throw LoadError(description: result.diagnostics.map(\.description).joined(separator: "\n"))
    }
    return Simulator(scenario: scenario, playbook: loaded)
}

/// The injects of a run: `id@seconds`.
private func injects(_ events: [Event]) -> [String] {
    events.compactMap { event in
        guard case let .inject(id, _, _, _) = event.body else { return nil }
        return "\(id ?? "-")@\(event.at)"
    }
}

@Suite struct LiveExerciseTests {
    static let windowed = """
        injects:
          - { id: start, at: 0m, text: It starts. }
          - id: call
            at: 30m
            window: 1h
            text: A call.
            expect:
              - { done: act, within: 15m, else: { text: Too late., after: 7m } }
          - { id: last, at: 3h, text: The end. }
        """

    @Test func aLiveRunDrawsItsWindowsFromTheSeedAsStatsDrawsRunZero() throws {
        let sim = try simulator(Self.windowed)
        var a = sim.live(seed: 42)
        var b = sim.live(seed: 42)
        a.advance(to: 2 * 3600)
        b.advance(to: 2 * 3600)
        #expect(injects(a.events) == injects(b.events))
        // The same draw as run 0 of `drill stats --seed 42` of the scenario without its actions.
        var unscripted = sim.scenario
        unscripted.actions = []
        let drawn = MonteCarlo(simulator: Simulator(scenario: unscripted, playbook: sim.playbook), seed: 42).windows(run: 0)
        // The call, then its contingency (missed: nobody acts) 15m + 7m later.
        #expect(injects(a.events) == ["start@0", "call@\(1800 + drawn[1])", "call@\(1800 + drawn[1] + 1320)"])
        #expect(drawn[1] == 3429)
        #expect(drawn[0] == 0 && drawn[2] == 0 && (0...3600).contains(drawn[1]))
        // Without a seed, the inject comes at its `at`, as in `drill run`.
        var plain = sim.live()
        plain.advance(to: 2 * 3600)
        #expect(injects(plain.events) == ["start@0", "call@1800", "call@3120"])
        // Another seed, another moment (for these two seeds).
        var other = sim.live(seed: 7)
        other.advance(to: 2 * 3600)
        #expect(injects(other.events) != injects(a.events))
    }

    @Test func anInjectDeliveredEarlyIsMeasuredFromThen() throws {
        let sim = try simulator(Self.windowed)
        var run = sim.live()
        run.advance(to: 600)
        #expect(run.delivery(of: 1).at == 1800 && !run.delivery(of: 1).delivered)
        let delivered1 = run.deliverNow(inject: 1)
        #expect(delivered1)
        #expect(run.delivery(of: 1).at == 600 && run.delivery(of: 1).delivered)
        // Delivered once: a second time is refused, and the scheduled moment no longer delivers it.
        let delivered2 = run.deliverNow(inject: 1)
        #expect(!delivered2)
        let delivered3 = run.deliverNow(inject: 0)
        #expect(!delivered3)
        run.advance(to: 3 * 3600)
        // Missed at 10m + 15m; the contingency comes 7m later, at 32m; then the last inject at 3h.
        let outcome = run.outcome()
        #expect(injects(outcome.events) == ["start@0", "call@600", "call@1920", "last@10800"])
        let contingency = outcome.events.first { if case .inject(_, _, "Too late.", _) = $0.body { true } else { false } }
        #expect(contingency?.at == 1920)
        #expect(outcome.expectations.map(\.deadline) == [1500])
        #expect(outcome.expectations.map(\.contingencyDelivered) == [true])
    }

    @Test func anInjectDeliveredEarlyCanBeMetAndTheLaterOnesKeepTheirOrder() throws {
        let sim = try simulator(Self.windowed)
        var run = sim.live()
        run.advance(to: 300)
        let delivered4 = run.deliverNow(inject: 2)
        #expect(delivered4)
        let delivered5 = run.deliverNow(inject: 1)
        #expect(delivered5)
        _ = run.act(.done(step: "check"), by: "lead")
        _ = run.act(.done(step: "act"), by: "helper")
        run.advance(to: 4 * 3600)
        let outcome = run.outcome()
        #expect(injects(outcome.events) == ["start@0", "last@300", "call@300"])
        #expect(outcome.expectations.map(\.met) == [true])
        #expect(outcome.expectations.map(\.deadline) == [1200])
        #expect(outcome.expectations.map(\.contingencyDelivered) == [false])
    }
}

@Suite struct TeamsAndPlaybookAloneTests {
    static let teams = """
        injects:
          - id: start
            at: 0m
            text: It starts.
            expect:
              - { done: check, within: 10m }
              - { done: act, within: 20m }
        actions:
          - { at: 5m, by: lead, done: check }
          - { at: 15m, by: helper, done: act }
          - { at: 16m, by: lead, fire: resolve }
        teams:
          slow:
            - { at: 30m, by: lead, done: check }
            - { at: 40m, by: helper, done: act }
        variability:
          helper: 10m
        """

    @Test func aNamedTeamReplacesTheActionsAndNothingElse() throws {
        let sim = try simulator(Self.teams)
        #expect(sim.scenario.teams.map(\.name) == ["slow"])
        let slow = try #require(sim.scenario.playedBy(team: "slow"))
        #expect(slow.actions == [Action(at: 1800, by: "lead", .done(step: "check", choice: nil)), Action(at: 2400, by: "helper", .done(step: "act", choice: nil))])
        #expect(slow.injects == sim.scenario.injects && slow.variability == sim.scenario.variability)
        #expect(sim.scenario.playedBy(team: "fast") == nil)
        let outcome = Simulator(scenario: slow, playbook: sim.playbook).run()
        #expect(outcome.expectations.map(\.met) == [false, false])
        #expect(sim.run().expectations.map(\.met) == [true, true])
    }

    @Test func thePlaybookAloneHasNoDelaysAndOneRunStandsForAll() throws {
        let sim = try simulator(Self.teams)
        let carlo = MonteCarlo(simulator: sim, seed: 3)
        let team = carlo.tally(0..<400)
        let alone = carlo.tally(0..<400, withoutDelays: true)
        // The helper's delay (up to 10m on a 5m margin) costs the second expectation in some runs; without delays, never.
        #expect(team.met[0] == 400 && team.met[1] < 400 && team.met[1] > 0)
        #expect(alone.met == [400, 400])
        // With one role delayed, zeroing it is zeroing all: the one-run shortcut gives the same tally as playing every run.
        #expect(alone == carlo.tally(0..<400, zeroing: "helper"))
        #expect(alone.closeTimes == [Int](repeating: 960, count: 400))
    }

    @Test func withWindowsThePlaybookAloneStillDrawsTheWorld() throws {
        let sim = try simulator(Self.teams.replacingOccurrences(of: "    at: 0m\n", with: "    at: 0m\n    window: 20m\n"))
        #expect(sim.hasWindows)
        let carlo = MonteCarlo(simulator: sim, seed: 3)
        let alone = carlo.tally(0..<300, withoutDelays: true)
        // The inject comes up to 20m late; the expectations are measured from it, the team acts at fixed times: met.
        #expect(alone == carlo.tally(0..<300, zeroing: "helper"))
        #expect(alone.met == [300, 300])
        // Split over chunks, the same tally.
        var split = carlo.tally(0..<100, withoutDelays: true)
        split.merge(carlo.tally(100..<300, withoutDelays: true))
        #expect(split == alone)
    }

    @Test func theFirstPublicationOfEachRunIsCounted() throws {
        let playbook = try loadPlaybook(Fixtures.leakedPhoto)
        let result = ScenarioLoader.load("""
            firebreak: 1
            id: pub
            title: Publications
            playbook: leaked-photo
            injects:
              - { id: leak, at: 0m, text: Leaked. }
            actions:
              - { at: 5m, by: comms-lead, draft: client, text: We are on it. }
              - { at: 10m, by: account, approve: client }
              - { at: 15m, by: comms-lead, publish: client }
            variability:
              account: 10m
            """, playbooks: { $0 == "leaked-photo" ? playbook : nil })
        let scenario = try #require(result.scenario, "\(result.diagnostics)")
        let carlo = MonteCarlo(simulator: Simulator(scenario: scenario, playbook: try #require(result.playbook)), seed: 1)
        let tally = carlo.tally(0..<200)
        #expect(tally.firstPublications.count == 200)
        #expect(tally.firstPublications == tally.firstPublications.sorted())
        #expect(tally.firstPublications.first! >= 900 && tally.firstPublications.last! <= 1500)
        #expect(tally.firstPublications.contains(900) && tally.firstPublications.contains { $0 > 900 })
    }
}

/// `teams:` is checked like `actions`, each problem at its line and column.
@Suite struct TeamsDiagnosticsTests {
    struct Broken: Sendable, CustomTestStringConvertible {
        var teams: String
        var line: Int
        var column: Int
        var message: String
        var testDescription: String { message }
    }

    // The scenario's lines 1–6 are the header and one inject; `teams:` is line 7.
    static let rows: [Broken] = [
        Broken(teams: "teams:\n  slow:\n    - { at: 30m, by: lead, done: chek }", line: 9, column: 34,
               message: "unknown step 'chek' (did you mean 'check'?); playbook 'live' has no such step"),
        Broken(teams: "teams:\n  slow:\n    - { at: 30m, by: lede, done: check }", line: 9, column: 22,
               message: "unknown role 'lede' (did you mean 'lead'?); roles of playbook 'live' are 'lead', 'helper'"),
        Broken(teams: "teams:\n  slow:\n    - { at: 30m, by: lead }", line: 9, column: 7,
               message: "an action needs exactly one of 'done', 'skip', 'fire', 'note', 'draft', 'revise', 'approve', 'reject', 'publish' or 'inform'; it has none"),
        Broken(teams: "teams:\n  slow: { at: 30m }", line: 8, column: 9, message: "team 'slow' must be a list of actions, not a mapping"),
        Broken(teams: "teams:\n  Slow Team:\n    - { at: 30m, by: lead, done: check }", line: 8, column: 3,
               message: "team name 'Slow Team' is not a valid name; use lower-case letters, digits and '-'"),
        Broken(teams: "teams: [slow]", line: 7, column: 8, message: "'teams' must be a mapping, not a list"),
    ]

    @Test(arguments: rows)
    func eachProblemIsReportedAtItsNode(_ broken: Broken) throws {
        let playbook = try loadPlaybook(livePlaybook)
        let text = "firebreak: 1\nid: test\ntitle: Test\nplaybook: live\ninjects:\n  - { id: start, at: 0m, text: It starts. }\n" + broken.teams + "\n"
        let result = ScenarioLoader.load(text, playbooks: { $0 == "live" ? playbook : nil })
        #expect(result.diagnostics.count == 1, "\(result.diagnostics)")
        let diagnostic = try #require(result.diagnostics.first)
        #expect(diagnostic.location == SourceLocation(line: broken.line, column: broken.column), "\(diagnostic)")
        #expect(diagnostic.message == broken.message)
        #expect(result.scenario == nil)
    }
}
