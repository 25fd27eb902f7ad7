import FirebreakCore
import FirebreakLoading
import FirebreakTestSupport
import Testing

/// `open` (entered at T+0): check due 10m, act due 20m (needs check), decide due 1h (a decision
/// with options only). `review`: brief due 15m. lead escalates to boss.
private let additionsPlaybook = """
    firebreak: 1
    id: drill
    title: Drill playbook
    roles:
      lead: { title: Lead, escalates-to: boss }
      boss: { title: Boss }
    commander: lead
    start: open
    states:
      open:
        steps:
          - { id: check, title: Check, owner: lead, due: 10m }
          - { id: act, title: Act, owner: lead, needs: [check], due: 20m }
          - { id: decide, title: Decide, owner: lead, due: 1h, choices: [a, b] }
        on:
          worsen: review
          resolve: { to: closed, when: [check, act] }
      review:
        steps:
          - { id: brief, title: Brief, owner: boss, due: 15m }
        on:
          resolve: closed
          reopen: open
      closed:
        final: true

    """

private struct LoadError: Error, CustomStringConvertible { var description: String }

private func simulator(_ body: String) throws -> Simulator {
    let playbook = try loadPlaybook(additionsPlaybook)
    let result = ScenarioLoader.load("firebreak: 1\nid: test\ntitle: Test\nplaybook: drill\n" + body, playbooks: { $0 == "drill" ? playbook : nil })
    guard let scenario = result.scenario, let loaded = result.playbook, !result.diagnostics.hasErrors else {
        throw LoadError(description: result.diagnostics.map(\.description).joined(separator: "\n"))
    }
    return Simulator(scenario: scenario, playbook: loaded)
}

/// The events after the opening, one line each.
private func played(_ outcome: Simulator.Outcome) -> [String] {
    outcome.events.drop { $0.kind == .opened || $0.kind == .assigned }.dropFirst().map { event in
        let time = DurationText.format(event.at)
        switch event.body {
        case let .entered(state, _, _, round): return "\(time) entered \(state)#\(round)"
        case let .done(step, _, _, _): return "\(time) done \(step) by \(event.actor ?? "-")" + (event.outsideRole ? " (outside role)" : "")
        case let .fired(name): return "\(time) fired \(name)"
        case let .overdue(step, _): return "\(time) overdue \(step)"
        case let .escalated(step, to): return "\(time) escalated \(step) \(to)"
        case .closed: return "\(time) closed"
        case let .inject(id, _, text, reach): return "\(time) inject \(id ?? "-") \(text)" + (reach.map { " reach \($0)" } ?? "")
        case let .refused(action, reason): return "\(time) refused \(action): \(reason)"
        default: return "\(time) \(event.kind.rawValue)"
        }
    }
}

@Suite struct ExerciseAdditionsTests {
    // MARK: window

    static let windowScenario = """
        injects:
          - { id: start, at: 0m, text: Start }
          - id: call
            at: 10m
            window: 20m
            text: A journalist calls
            expect:
              - { done: act, within: 15m }
        actions:
          - { at: 0m, by: lead, done: check }
          - { at: 28m, by: lead, done: act }
        end: 1h
        """

    @Test func drillRunDeliversAWindowInjectAtItsAt() throws {
        let outcome = try simulator(Self.windowScenario).run()
        #expect(played(outcome).prefix(3) == ["0m inject start Start", "0m done check by lead", "10m inject call A journalist calls"])
        #expect(outcome.expectations.map(\.deadline) == [25 * 60])
        #expect(outcome.expectations.map(\.met) == [false])
    }

    @Test func aWindowInjectsExpectationIsMeasuredFromItsDelivery() throws {
        // Delivered 15m into its window, at 25m: act at 28m is within 15m of it.
        let outcome = try simulator(Self.windowScenario).run(windows: [0, 15 * 60])
        #expect(played(outcome).contains("25m inject call A journalist calls"))
        #expect(outcome.expectations.map(\.deadline) == [40 * 60])
        #expect(outcome.expectations.map(\.met) == [true])
        // A draw past the window is held to its end.
        #expect(try simulator(Self.windowScenario).run(windows: [0, 99 * 60]).expectations.map(\.deadline) == [45 * 60])
    }

    @Test func windowsAreDrawnPerRunFromTheRunsOwnGenerator() throws {
        let sim = try simulator(Self.windowScenario)
        let carlo = MonteCarlo(simulator: sim, seed: 7)
        let draws = (0..<400).map { carlo.windows(run: $0) }
        #expect(draws.allSatisfy { $0[0] == 0 && (0...1200).contains($0[1]) })
        #expect(Set(draws.map { $0[1] }).count > 100, "uniform over the window, not a constant")
        #expect(draws == (0..<400).map { MonteCarlo(simulator: sim, seed: 7).windows(run: $0) })
        // The tally is the same however the runs are split, and each run is met exactly when its draw puts
        // the deadline at or after 28m: delivery at or after 13m.
        let whole = carlo.tally(0..<400)
        var split = carlo.tally(0..<150)
        split.merge(carlo.tally(150..<400))
        #expect(whole == split)
        #expect(whole.met == [draws.filter { 10 * 60 + $0[1] + 15 * 60 >= 28 * 60 }.count])
        #expect((0..<400).allSatisfy { carlo.run($0).met == [10 * 60 + draws[$0][1] + 15 * 60 >= 28 * 60] })
    }

    @Test func aScenarioWithoutWindowsDrawsNoWindows() throws {
        let sim = try simulator("""
            injects:
              - { at: 0m, text: Start, expect: [{ done: check, within: 5m }] }
            actions:
              - { at: 0m, by: lead, done: check }
            variability: { default: 10m }
            """)
        #expect(!sim.hasWindows)
        #expect(MonteCarlo(simulator: sim, seed: 3).windows(run: 5) == [0])
    }

    // MARK: done and reach

    @Test func anInjectCompletesAStepAsDoneByItsFromBeforeItFires() throws {
        let outcome = try simulator("""
            injects:
              - { id: police, at: 5m, from: Police, text: The police finished their search, done: check, fire: worsen, reach: 12000 }
            end: 30m
            """).run()
        #expect(played(outcome).prefix(4) == [
            "5m inject police The police finished their search reach 12000",
            "5m done check by Police (outside role)",
            "5m fired worsen",
            "5m entered review#1",
        ])
        #expect(outcome.events.contains(Event(at: 300, actor: "Police", .inject(id: "police", from: "Police", text: "The police finished their search", reach: 12000))))
    }

    @Test func anInjectsDoneThatIsNotPossibleIsRecordedRefusedAndNotRetried() throws {
        let outcome = try simulator("""
            injects:
              - { id: client, at: 1m, from: Client, text: The client deletes the repost, done: act }
            actions:
              - { at: 2m, by: lead, done: check }
            end: 30m
            """).run()
        #expect(played(outcome).prefix(3) == [
            "1m inject client The client deletes the repost",
            "1m refused inject completes 'act': step 'act' needs 'check' done or skipped first",
            "2m done check by lead",
        ])
        #expect(outcome.analysis.steps.first { $0.step == "act" }?.doneAt == nil)
    }

    // MARK: contingency after

    static func afterScenario(closeAt: String) -> String {
        """
        injects:
          - id: start
            at: 0m
            text: Start
            expect:
              - done: act
                within: 20m
                else: { after: 1h, from: Tabloid, text: The video is online, fire: worsen, reach: 50000 }
        actions:
          - { at: 1m, by: lead, done: check }
          - { at: 30m, by: lead, done: act }
          - { at: \(closeAt), by: lead, fire: resolve }
        end: 3h
        """
    }

    @Test func aContingencyWithAfterComesThatLongAfterTheMissEvenWhenTheStepIsDoneLateInBetween() throws {
        let outcome = try simulator(Self.afterScenario(closeAt: "2h")).run()
        #expect(played(outcome).contains("1h20m inject start The video is online reach 50000"))
        #expect(played(outcome).contains("1h20m entered review#1"))
        #expect(!played(outcome).contains { $0.hasPrefix("20m inject") })
        #expect(outcome.expectations.map(\.met) == [false])
        #expect(outcome.expectations.map(\.contingencyDelivered) == [true])
    }

    @Test func aContingencyWithAfterIsNotDeliveredAfterTheClose() throws {
        let outcome = try simulator(Self.afterScenario(closeAt: "1h")).run()
        #expect(outcome.incident.isClosed && outcome.stoppedAt == 3600)
        #expect(!played(outcome).contains { $0.contains("The video is online") })
        #expect(outcome.expectations.map(\.contingencyDelivered) == [false])
    }
}

/// `never` and `before` expectations, and notes about a step.
@Suite struct NeverBeforeTests {
    static func outcome(_ actions: String, expect: String) throws -> Simulator.Outcome {
        try simulator("""
            injects:
              - id: start
                at: 0m
                text: Start
                expect:
            \(expect)
            actions:
            \(actions)
            end: 2h
            """).run()
    }

    @Test func neverIsMetWhenTheStateIsNeverEnteredAndMissedWhenItIs() throws {
        let kept = try Self.outcome("  - { at: 1m, by: lead, done: check }", expect: "      - { never: review }")
        #expect(kept.expectations.map(\.met) == [true])
        #expect(kept.expectations.map(\.happenedAt) == [nil])
        let broken = try Self.outcome("  - { at: 30m, by: lead, fire: worsen }", expect: "      - { never: review }")
        #expect(broken.expectations.map(\.met) == [false])
        #expect(broken.expectations.map(\.happenedAt) == [30 * 60])
        // Entering the start state at T+0 counts as entering it.
        #expect(try Self.outcome("  - { at: 1m, by: lead, note: hi }", expect: "      - { never: open }").expectations.map(\.met) == [false])
    }

    @Test func beforeIsMetMissedAndMetWhenTheOtherStepIsNeverDone() throws {
        let expect = "      - { done: check, before: decide }"
        let met = try Self.outcome("  - { at: 5m, by: lead, done: check }\n  - { at: 6m, by: lead, done: decide, choice: a }", expect: expect)
        #expect(met.expectations.map(\.met) == [true])
        #expect(met.expectations.map(\.happenedAt) == [5 * 60])
        let sameInstant = try Self.outcome("  - { at: 5m, by: lead, done: decide, choice: a }\n  - { at: 5m, by: lead, done: check }", expect: expect)
        #expect(sameInstant.expectations.map(\.met) == [true])
        let missed = try Self.outcome("  - { at: 5m, by: lead, done: decide, choice: a }\n  - { at: 6m, by: lead, done: check }", expect: expect)
        #expect(missed.expectations.map(\.met) == [false])
        #expect(missed.expectations.map(\.happenedAt) == [6 * 60])
        let otherNeverDone = try Self.outcome("  - { at: 5m, by: lead, done: check }", expect: expect)
        #expect(otherNeverDone.expectations.map(\.met) == [true])
        // A skip is not a done: A skipped is missed, B skipped does not count against A.
        let skipped = try Self.outcome("  - { at: 5m, by: lead, skip: check, reason: no time }", expect: expect)
        #expect(skipped.expectations.map(\.met) == [false])
        #expect(skipped.expectations.map(\.happenedAt) == [nil])
    }

    @Test func neverAndBeforeAreCountedInStatsRunByRun() throws {
        let sim = try simulator("""
            injects:
              - { at: 0m, text: Start, expect: [{ never: review }, { done: check, before: decide }] }
            actions:
              - { at: 5m, by: lead, done: check }
              - { at: 5m, by: boss, done: decide, choice: a }
              - { at: 30m, by: boss, fire: worsen }
            variability: { boss: 1h, lead: 10m }
            end: 1h
            """)
        let carlo = MonteCarlo(simulator: sim, seed: 11)
        let tally = carlo.tally(0..<300)
        let runs = (0..<300).map { carlo.run($0).met }
        #expect(tally.met == [runs.filter { $0[0] }.count, runs.filter { $0[1] }.count])
        #expect(tally.met[0] > 0 && tally.met[0] < 300 && tally.met[1] > 0 && tally.met[1] < 300)
    }

    @Test func aNoteAboutAStepIsRecordedWithItAndNeverSettlesIt() throws {
        let outcome = try simulator("""
            injects:
              - { at: 0m, text: Start }
            actions:
              - { at: 5m, by: lead, note: "called the employee, no answer", step: check }
            end: 20m
            """).run()
        #expect(outcome.events.contains(Event(at: 300, actor: "lead", role: "lead", .note(text: "called the employee, no answer", step: "check"))))
        #expect(outcome.analysis.steps.first { $0.step == "check" }?.status == .notDone)
        #expect(outcome.actions.map(\.action.summary) == ["note on check"])
        #expect(Event.Body.note(text: "x", step: "check").fields.map(\.0) == ["text", "step"])
        #expect(Event.Body.note(text: "x").fields.map(\.0) == ["text"])
    }
}

/// The scenario diagnostics of the 1.1 keys, each at its node.
@Suite struct ScenarioAdditionsDiagnosticsTests {
    static func diagnostics(_ body: String) throws -> [String] {
        let playbook = try loadPlaybook(additionsPlaybook)
        let result = ScenarioLoader.load("firebreak: 1\nid: test\ntitle: Test\nplaybook: drill\n" + body, playbooks: { $0 == "drill" ? playbook : nil })
        return result.diagnostics.map(\.description)
    }

    @Test(arguments: [
        ("injects:\n  - { at: 0m, text: T, done: decide }",
         "6:30: error: 'done' of an inject names decision step 'decide'; an inject completes a step but cannot choose among 'a', 'b'"),
        ("injects:\n  - { at: 0m, text: T, done: chek }",
         "6:30: error: unknown step 'chek' (did you mean 'check'?); playbook 'drill' has no such step"),
        ("injects:\n  - { at: 0m, text: T, reach: -5 }", "6:31: error: 'reach' of an inject must be 0 or more people, not -5"),
        ("injects:\n  - { at: 0m, text: T, reach: many }", "6:31: error: 'reach' of an inject must be a whole number"),
        ("injects:\n  - { at: 0m, text: T, window: 0m }", "6:32: error: 'window' of an inject '0m' is zero; give a positive duration such as '15m'"),
        ("injects:\n  - { at: 0m, text: T, expect: [{ done: act, within: 5m, else: { text: X, after: 1x } }] }",
         "6:82: error: 'after' of the 'else' '1x' is not a duration"),
        ("injects:\n  - { at: 0m, text: T, expect: [{ done: act, within: 5m, else: { text: X, at: 1m } }] }",
         "6:75: error: unknown key 'at' in the 'else' of an expectation of an inject; known keys are 'from', 'text', 'fire', 'after', 'done', 'reach'"),
        ("injects:\n  - { at: 0m, text: T, expect: [{ never: reveiw }] }",
         "6:42: error: unknown state 'reveiw' (did you mean 'review'?)"),
        ("injects:\n  - { at: 0m, text: T, expect: [{ never: review, within: 5m }] }",
         "6:50: error: 'within' does not go with 'never': it is scored at the end of the exercise"),
        ("injects:\n  - { at: 0m, text: T, expect: [{ done: check, before: act, else: { text: X } }] }",
         "6:61: error: 'else' does not go with 'before': it is scored at the end, so there is no moment to deliver a contingency"),
        ("injects:\n  - { at: 0m, text: T, expect: [{ state: review, before: act }] }",
         "6:58: error: 'before' goes with 'done': { done: A, before: B } expects A done no later than B"),
        ("injects:\n  - { at: 0m, text: T, expect: [{ done: check }] }",
         "6:33: error: an expectation of an inject is missing required key 'within'"),
        ("injects:\n  - { at: 0m, text: T }\nactions:\n  - { at: 0m, by: lead, fire: worsen, step: check }",
         "8:45: error: 'step' goes with 'note': { note: TEXT, step: STEP } is a note about a step"),
        ("injects:\n  - { at: 0m, text: T }\nactions:\n  - { at: 0m, by: lead, note: hello, step: chek }",
         "8:44: error: unknown step 'chek' (did you mean 'check'?)"),
    ])
    func eachNewKeyIsCheckedAtItsNode(body: String, expected: String) throws {
        let found = try Self.diagnostics(body)
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.hasPrefix(expected) == true, "\(found.first ?? "")")
    }

    /// A key given twice in a scenario is reported with the rest of the file's problems, not instead of them.
    @Test func aKeyGivenTwiceIsReportedWithTheOtherProblems() throws {
        let found = try Self.diagnostics("injects:\n  - { at: 0m, text: T, at: 5m, done: chek }")
        #expect(found == [
            "6:24: error: duplicate key 'at'; each key may appear once in a mapping",
            "6:38: error: unknown step 'chek' (did you mean 'check'?); playbook 'drill' has no such step",
        ])
    }
}
