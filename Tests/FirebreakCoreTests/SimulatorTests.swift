import FirebreakCore
import FirebreakLoading
import FirebreakTestSupport
import Testing

/// A small playbook whose deadlines and timer line up, so one instant can hold every kind of event.
///
/// `open` (entered at T+0): check due 10m (lead, escalates to boss), act due 20m (lead, needs check),
/// extra due 20m (aide, optional, no escalation), and a 20m timer to `review`.
/// `review`: brief due 15m (boss, no escalation).
private let drillPlaybook = """
    firebreak: 1
    id: drill
    title: Drill playbook
    roles:
      lead: { title: Lead, escalates-to: boss }
      aide: { title: Aide }
      boss: { title: Boss }
    commander: lead
    start: open
    states:
      open:
        steps:
          - { id: check, title: Check, owner: lead, due: 10m }
          - { id: act, title: Act, owner: lead, needs: [check], due: 20m }
          - { id: extra, title: Extra, owner: aide, due: 20m, optional: true }
        on:
          worsen: review
          resolve: { to: closed, when: all-done }
        after:
          20m: review
      review:
        steps:
          - { id: brief, title: Brief, owner: boss, due: 15m }
        on:
          resolve: { to: closed, when: [brief] }
          reopen: open
      closed:
        final: true

    """

/// The scenario of `docs/scenario-format.md`, verbatim, against the spec's example playbook.
private let specScenario = """
    firebreak: 1
    id: song-contest-tweet
    title: A presenter insults a contestant on the night of the song contest
    playbook: offensive-post
    severity: high                       # optional; the playbook's default otherwise
    start: 2026-05-12T21:30:00+02:00     # optional wall-clock time of T+0, for reports
    cast:                                # optional role -> person; default person = role id
      comms-lead: Anna de Vries
      social: Sem Bakker
    injects:
      - id: tweet
        at: 0m
        from: X (Twitter)
        text: The presenter posts an insulting tweet about a contestant. It is being shared fast.
        expect:
          - { done: capture, within: 15m }
      - id: press-call
        at: 25m
        from: Journalist, national newspaper
        text: Can you confirm the presenter works for you? Will you comment tonight?
        expect:
          - done: holding-statement
            within: 45m
            else:                        # contingency inject, delivered the moment this is missed
              from: Journalist, national newspaper
              text: We are publishing tonight without your comment.
              fire: story-published      # optional: the inject also fires this playbook event
          - { state: respond, within: 10m }
    actions:                             # the players' scripted moves, for `drill run` and `drill stats`
      - { at: 5m,    by: social,     done: capture }
      - { at: 12m,   by: comms-lead, done: assess, choice: escalate }
      - { at: 50m,   by: comms-lead, done: holding-statement }
      - { at: 1h10m, by: hr,         done: talk-to-employee }
      - { at: 1h20m, by: comms-lead, skip: legal-check, reason: No further statement planned }
      - { at: 1h25m, by: comms-lead, fire: contained }
      - { at: 1h30m, by: comms-lead, note: The employee apologised publicly }
    variability:                         # for `drill stats`: extra delay per action, by role
      default: 10m
      hr: 1h
    end: 1d                              # optional; default 1d

    """

private struct ScenarioFixtureError: Error, CustomStringConvertible {
    var description: String
}

/// Loads scenario YAML (a header is added when `body` has none) against the given playbooks; throws on any error.
private func simulator(_ body: String, playbooks texts: [String] = [drillPlaybook]) throws -> Simulator {
    var playbooks: [String: Playbook] = [:]
    for text in texts {
        let playbook = try loadPlaybook(text)
        playbooks[playbook.id] = playbook
    }
    let text = body.hasPrefix("firebreak:") ? body : "firebreak: 1\nid: test\ntitle: Test\nplaybook: drill\n" + body
    let result = ScenarioLoader.load(text, playbooks: { playbooks[$0] })
    guard let scenario = result.scenario, let playbook = result.playbook, !result.diagnostics.hasErrors else {
        throw ScenarioFixtureError(description: "scenario did not load:\n" + result.diagnostics.map(\.description).joined(separator: "\n"))
    }
    return Simulator(scenario: scenario, playbook: playbook)
}

/// One line per event: time, kind and the details that matter for ordering.
private func trace(_ events: some Sequence<Event>) -> [String] {
    events.map { event in
        let time = DurationText.format(event.at)
        switch event.body {
        case let .opened(playbook, _, _, _, _, _): return "\(time) opened \(playbook)"
        case let .assigned(role, person): return "\(time) assigned \(role) \(person)"
        case let .entered(state, _, _, round): return "\(time) entered \(state)#\(round)"
        case let .done(step, choice, _, via): return "\(time) done \(step)" + (choice.map { " \($0)" } ?? "") + (via.map { " via \($0)" } ?? "")
        case let .skipped(step, _): return "\(time) skipped \(step)"
        case let .fired(name): return "\(time) fired \(name)"
        case let .note(text, _): return "\(time) note \(text)"
        case let .overdue(step, _): return "\(time) overdue \(step)"
        case let .escalated(step, to): return "\(time) escalated \(step) \(to)"
        case let .timer(state, _, to): return "\(time) timer \(state) \(to)"
        case .closed: return "\(time) closed"
        case let .inject(id, _, text, _): return "\(time) inject \(id ?? "-") \(text)"
        case let .refused(action, _): return "\(time) refused \(action)"
        case let .deputy(role, person): return "\(time) deputy \(role) \(person)"
        case .reopened: return "\(time) reopened"
        case let .retracted(seq, _, _, _): return "\(time) retracted \(seq)"
        case let .drafted(statement, audience, version, _): return "\(time) drafted \(statement) \(audience) v\(version)"
        case let .approved(statement, version, approver): return "\(time) approved \(statement) v\(version) \(approver)"
        case let .rejected(statement, version, approver, _): return "\(time) rejected \(statement) v\(version) \(approver)"
        case let .published(statement, version, audience, _): return "\(time) published \(statement) v\(version) \(audience)"
        case let .updateOverdue(audience, _): return "\(time) update-overdue \(audience)"
        case let .escalatedUpdate(audience, to): return "\(time) escalated update \(audience) \(to)"
        case let .informed(who, _, _): return "\(time) informed \(who)"
        }
    }
}

/// The trace without the opening (`opened`, the assignments, entering the start state).
private func played(_ outcome: Simulator.Outcome) -> [String] {
    trace(outcome.events.drop { $0.kind == .opened || $0.kind == .assigned }.dropFirst())
}

private func status(_ outcome: Simulator.Outcome, _ step: String, round: Int = 1) -> IncidentAnalysis.StepRound? {
    outcome.analysis.steps.first { $0.step == step && $0.round == round }
}

@Suite struct SimulatorTests {
    // MARK: (a) Order at one instant

    @Test func oneInstantOrdersInjectsThenActionsThenContingenciesThenOverdueThenTimers() throws {
        let sim = try simulator("""
            injects:
              - id: second
                at: 20m
                text: First in the file at 20m
              - id: first
                at: 0m
                text: Start
                expect:
                  - { done: act, within: 20m, else: { text: Act is late } }
                  - { done: extra, within: 20m, else: { text: Extra is late } }
              - id: third
                at: 20m
                text: Second in the file at 20m
            actions:
              - { at: 20m, by: lead, note: first action at 20m }
              - { at: 20m, by: aide, done: extra }
              - { at: 10m, by: lead, done: check }
            end: 30m
            """)
        let outcome = sim.run()
        #expect(trace(outcome.events.prefix(5)) == [
            "0m opened drill", "0m assigned lead lead", "0m assigned aide aide", "0m assigned boss boss", "0m entered open#1",
        ])
        #expect(played(outcome) == [
            "0m inject first Start",
            "10m done check",  // exactly at its deadline: no overdue at 10m
            "20m inject second First in the file at 20m",
            "20m inject third Second in the file at 20m",
            "20m note first action at 20m",
            "20m done extra",  // exactly at its deadline, and at the instant of the timer: before it
            "20m inject first Act is late",
            "20m overdue act",
            "20m escalated act boss",
            "20m timer open review",
            "20m entered review#1",
        ])
        #expect(status(outcome, "check")?.status == .onTime)
        #expect(status(outcome, "check")?.overdue == false)
        #expect(status(outcome, "extra")?.status == .onTime)
        #expect(status(outcome, "extra")?.overdue == false)
        #expect(status(outcome, "act")?.status == .notDone)
        #expect(status(outcome, "act")?.overdue == true)
        #expect(status(outcome, "act")?.escalated == true)
        #expect(outcome.events.contains(Event(at: 1200, role: "boss", .escalated(step: "act", to: "boss"))))
        #expect(outcome.expectations.map(\.met) == [false, true])
        #expect(outcome.expectations.map(\.contingencyDelivered) == [true, false])
        #expect(outcome.expectations.map(\.deadline) == [1200, 1200])
        #expect(outcome.expectations.map(\.happenedAt) == [nil, 1200])
        #expect(outcome.actions.map(\.appliedAt) == [1200, 1200, 600])
        #expect(outcome.incident.state == 1)
        #expect(!outcome.incident.isClosed)
        #expect(outcome.stoppedAt == 1800)
    }

    // MARK: (b) Refused actions stay pending

    @Test func refusedActionIsRecordedOnceRetriedInFileOrderAndReportedWithItsLastRefusal() throws {
        let sim = try simulator("""
            injects:
              - { id: go, at: 0m, text: Go }
            actions:
              - { at: 1m, by: lead, fire: worsen }
              - { at: 2m, by: lead, done: act }
              - { at: 3m, by: lead, done: check }
              - { at: 4m, by: boss, note: waiting }
              - { at: 10m, by: lead, fire: reopen }
              - { at: 11m, by: boss, done: brief }
              - { at: 12m, by: lead, skip: check, reason: Already handled }
            end: 1h
            """)
        let outcome = sim.run()
        #expect(played(outcome) == [
            "0m inject go Go",
            "1m fired worsen",
            "1m entered review#1",
            "2m refused done act",
            "3m refused done check",
            "4m note waiting",  // a change: both are retried, refused again, not recorded again
            "10m fired reopen",
            "10m entered open#2",
            "10m done check",  // act (earlier in the file) is still refused: it needs check
            "10m done act",  // tried again after check applied
            "11m refused done brief",
            "12m refused skip check",
            "30m overdue extra",
            "30m timer open review",
            "30m entered review#2",
            "30m done brief",  // a time-driven change also retries pending actions
        ])
        #expect(outcome.events.filter { $0.kind == .refused }.count == 4)
        let refusedAct = try #require(outcome.events.first { $0.kind == .refused })
        #expect(refusedAct == Event(at: 120, actor: "lead", role: "lead", .refused(
            action: "done act", reason: "step 'act' belongs to state 'open', but the incident is in state 'review'; active steps are 'brief'")))
        #expect(outcome.actions.map(\.scheduledAt) == [60, 120, 180, 240, 600, 660, 720])
        #expect(outcome.actions.map(\.appliedAt) == [60, 600, 600, 240, 600, 1800, nil])
        let waited = outcome.actions.map { result in result.appliedAt.map { $0 - result.scheduledAt } }
        #expect(waited == [0, 480, 420, 0, 0, 1140, nil])
        #expect(outcome.actions.prefix(6).allSatisfy { $0.lastRefusal == nil })
        // First refused as "already done"; its last refusal, after the timer left 'open', is another reason.
        #expect(outcome.events.contains(Event(at: 720, actor: "lead", role: "lead", .refused(
            action: "skip check", reason: "step 'check' is already done in this round"))))
        #expect(outcome.actions[6].lastRefusal
            == "step 'check' belongs to state 'open', but the incident is in state 'review'; active steps are 'brief'")
        #expect(status(outcome, "brief", round: 2)?.status == .onTime)
        #expect(outcome.stoppedAt == 3600)
    }

    // MARK: (c) Contingency injects

    @Test func contingencyIsDeliveredAtTheDeadlineWhenMissedAndItsFireMovesTheIncident() throws {
        let sim = try simulator("""
            injects:
              - id: post
                at: 0m
                text: A post
                expect:
                  - done: check
                    within: 5m
                    else: { from: Press, text: We publish now, fire: worsen }
            actions:
              - { at: 5m, by: lead, note: still looking }
              - { at: 5m, by: boss, done: brief }
            end: 10m
            """)
        let outcome = sim.run()
        #expect(played(outcome) == [
            "0m inject post A post",
            "5m note still looking",
            "5m refused done brief",
            "5m inject post We publish now",
            "5m fired worsen",
            "5m entered review#1",
            "5m done brief",  // the inject's change retries the pending action
        ])
        #expect(outcome.events.contains(Event(at: 300, actor: "Press", .inject(id: "post", from: "Press", text: "We publish now"))))
        // The world fires the event, not a player.
        #expect(outcome.events.contains(Event(at: 300, .fired(event: "worsen"))))
        let result = try #require(outcome.expectations.first)
        #expect(outcome.expectations.count == 1)
        #expect(result.expectation == Expectation(
            .done(step: "check"), within: 300, contingency: Contingency(from: "Press", text: "We publish now", fire: "worsen")))
        #expect((result.inject, result.index, result.deadline, result.met, result.happenedAt, result.contingencyDelivered)
            == (0, 0, 300, false, nil, true))
        #expect(outcome.actions.map(\.appliedAt) == [300, 300])
        #expect(outcome.incident.state == 1)
    }

    @Test func contingencyIsNotDeliveredWhenMetExactlyAtTheDeadline() throws {
        let sim = try simulator("""
            injects:
              - id: post
                at: 5m
                text: A post
                expect:
                  - { done: check, within: 5m, else: { text: Too late, fire: worsen } }
                  - { state: open, within: 0m, else: { text: Never } }
            actions:
              - { at: 10m, by: lead, done: check }
            end: 15m
            """)
        let outcome = sim.run()
        #expect(played(outcome) == ["5m inject post A post", "10m done check"])
        #expect(outcome.expectations.map(\.met) == [true, true])
        #expect(outcome.expectations.map(\.deadline) == [600, 300])
        #expect(outcome.expectations.map(\.happenedAt) == [600, 0])
        #expect(outcome.expectations.map(\.contingencyDelivered) == [false, false])
        #expect(outcome.incident.state == 0)
    }

    @Test func nothingIsDeliveredOrPlayedAfterTheCloseButExpectationsAreStillScored() throws {
        let sim = try simulator("""
            injects:
              - id: go
                at: 0m
                text: Go
                expect:
                  - { state: review, within: 30m, else: { text: Too late } }
              - id: late
                at: 40m
                text: After the close
                expect:
                  - { done: check, within: 10m, else: { text: Never } }
                  - { state: review, within: 10m, else: { text: Never } }
            actions:
              - { at: 1m, by: lead, done: check }
              - { at: 2m, by: lead, done: act }
              - { at: 3m, by: lead, fire: resolve }
              - { at: 5m, by: lead, note: after the close }
            """)
        let outcome = sim.run()
        #expect(played(outcome) == [
            "0m inject go Go", "1m done check", "2m done act", "3m fired resolve", "3m entered closed#1", "3m closed",
        ])
        #expect(outcome.incident.closed?.at == 180)
        #expect(outcome.stoppedAt == 180)
        // The 'late' inject never came, yet check (done before it) meets its expectation.
        #expect(outcome.expectations.map(\.met) == [false, true, false])
        #expect(outcome.expectations.map(\.deadline) == [1800, 3000, 3000])
        #expect(outcome.expectations.map(\.happenedAt) == [nil, 60, nil])
        #expect(outcome.expectations.map(\.contingencyDelivered) == [false, false, false])
        // The note after the close is not played: not applied, not refused.
        #expect(outcome.actions[3].appliedAt == nil)
        #expect(outcome.actions[3].lastRefusal == nil)
        #expect(outcome.actions.map(\.appliedAt) == [60, 120, 180, nil])
    }

    @Test func injectFireTheEngineRefusesIsRecordedAndNotRetried() throws {
        let sim = try simulator("""
            injects:
              - id: demand
                at: 5m
                text: Close it now
                fire: resolve
              - id: go
                at: 0m
                text: Go
                expect:
                  - { done: act, within: 1m, else: { text: Reopen, fire: reopen } }
            actions:
              - { at: 6m, by: lead, done: check }
              - { at: 7m, by: lead, done: act }
            end: 15m
            """)
        let outcome = sim.run()
        #expect(played(outcome) == [
            "0m inject go Go",
            "1m inject go Reopen",
            "1m refused inject fires 'reopen'",
            "5m inject demand Close it now",
            "5m refused inject fires 'resolve'",
            "6m done check",
            "7m done act",  // resolve would apply now, but an inject's fire is not retried
        ])
        #expect(outcome.events.contains(Event(at: 60, .refused(
            action: "inject fires 'reopen'", reason: "event 'reopen' is not possible in state 'open'; possible events are 'worsen', 'resolve'"))))
        #expect(outcome.events.contains(Event(at: 300, .refused(
            action: "inject fires 'resolve'", reason: "'resolve' needs steps 'check', 'act' done; still open: 'check', 'act'"))))
        #expect(!outcome.incident.isClosed)
        #expect(outcome.incident.state == 0)
        #expect(outcome.stoppedAt == 900)
        #expect(outcome.expectations.map(\.met) == [false])
        #expect(outcome.expectations.map(\.happenedAt) == [420])
        #expect(outcome.expectations.map(\.contingencyDelivered) == [true])
    }

    // MARK: (d) Timers

    @Test func leavingAStateCancelsItsTimerAndDeadlines() throws {
        let sim = try simulator("""
            injects:
              - { id: go, at: 0m, text: Go }
            actions:
              - { at: 5m, by: lead, fire: worsen }
              - { at: 15m, by: lead, fire: reopen }
            end: 40m
            """)
        let outcome = sim.run()
        // Nothing at 10m (check of round 1), nor 20m (the round-1 timer, brief of review round 1).
        #expect(played(outcome) == [
            "0m inject go Go",
            "5m fired worsen",
            "5m entered review#1",
            "15m fired reopen",
            "15m entered open#2",
            "25m overdue check",
            "25m escalated check boss",
            "35m overdue act",
            "35m escalated act boss",
            "35m overdue extra",
            "35m timer open review",
            "35m entered review#2",
        ])
        #expect(outcome.events.filter { $0.kind == .timer }.map(\.at) == [2100])
    }

    @Test func theEarliestTimerOfAStateFiresWhateverItsPlaceInTheFile() throws {
        let playbook = drillPlaybook.replacing("      20m: review\n", with: "      1h: closed\n      20m: review\n")
        #expect(playbook != drillPlaybook)
        let sim = try simulator("""
            injects:
              - { id: go, at: 0m, text: Go }
            actions:
              - { at: 10m, by: lead, done: check }
              - { at: 11m, by: lead, done: act }
              - { at: 12m, by: aide, done: extra }
            end: 2h
            """, playbooks: [playbook])
        let outcome = sim.run()
        #expect(played(outcome) == [
            "0m inject go Go",
            "10m done check",
            "11m done act",
            "12m done extra",
            "20m timer open review",
            "20m entered review#1",
            "35m overdue brief",
        ])
    }

    // MARK: (e) Expectations

    @Test func expectationsAreMetAtTheDeadlineByDoneNotSkippedAndEarlierThanTheInject() throws {
        let sim = try simulator("""
            injects:
              - id: later
                at: 10m
                text: Later
                expect:
                  - { done: check, within: 5m }
                  - { state: open, within: 1m }
                  - { done: extra, within: 5m }
                  - { state: review, within: 10m }
                  - { done: act, within: 0m }
            actions:
              - { at: 2m, by: lead, done: check }
              - { at: 3m, by: aide, skip: extra, reason: Not needed }
              - { at: 10m1s, by: lead, done: act }
              - { at: 20m, by: lead, fire: worsen }
            end: 25m
            """)
        let outcome = sim.run()
        #expect(played(outcome) == [
            "2m done check",
            "3m skipped extra",
            "10m inject later Later",
            "10m1s done act",
            "20m fired worsen",  // before the 20m timer, which leaving 'open' cancels
            "20m entered review#1",
        ])
        #expect(outcome.expectations.map(\.deadline) == [900, 660, 900, 1200, 600])
        #expect(outcome.expectations.map(\.met) == [true, true, false, true, false])
        #expect(outcome.expectations.map(\.happenedAt) == [120, 0, nil, 1200, 601])
        #expect(outcome.expectations.allSatisfy { !$0.contingencyDelivered })
        #expect(status(outcome, "extra")?.status == .skipped)
    }

    // MARK: (f) The end

    @Test func eventsAtTheEndApplyAndNothingAfterItIsPlayed() throws {
        let sim = try simulator("""
            injects:
              - id: go
                at: 0m
                text: Go
                expect:
                  - { done: check, within: 35m, else: { text: Missed at the end } }
                  - { done: act, within: 36m, else: { text: Missed after the end } }
            actions:
              - { at: 35m, by: lead, note: at the end }
              - { at: 36m, by: lead, note: after the end }
            end: 35m
            """)
        let outcome = sim.run()
        #expect(played(outcome) == [
            "0m inject go Go",
            "10m overdue check",
            "10m escalated check boss",
            "20m overdue act",
            "20m escalated act boss",
            "20m overdue extra",
            "20m timer open review",
            "20m entered review#1",
            "35m note at the end",
            "35m inject go Missed at the end",
            "35m overdue brief",
        ])
        #expect(outcome.stoppedAt == 2100)
        #expect(!outcome.incident.isClosed)
        #expect(outcome.actions.map(\.scheduledAt) == [2100, 2160])
        #expect(outcome.actions.map(\.appliedAt) == [2100, nil])
        #expect(outcome.actions[1].lastRefusal == nil)
        #expect(outcome.expectations.map(\.contingencyDelivered) == [true, false])
        #expect(outcome.expectations.map(\.met) == [false, false])
    }

    @Test func delaysPushActionsPastTheEnd() throws {
        let sim = try simulator("""
            injects:
              - { id: go, at: 0m, text: Go }
            actions:
              - { at: 5m, by: lead, done: check }
              - { at: 6m, by: lead, done: act }
            end: 30m
            """)
        let outcome = sim.run(delays: [0, 24 * 60 + 1])
        #expect(outcome.actions.map(\.scheduledAt) == [300, 1801])
        #expect(outcome.actions.map(\.appliedAt) == [300, nil])
        #expect(!outcome.events.contains { $0.body == .done(step: "act", choice: nil, note: nil) })
    }

    // MARK: (g) Determinism

    @Test func twoRunsAreEqual() throws {
        let sim = try simulator(specScenario, playbooks: [Fixtures.specExample])
        let again = try simulator(specScenario, playbooks: [Fixtures.specExample])
        for delays in [nil, [60, 0, 1200, 3599, 5, 0, 17]] as [[Int]?] {
            let first = sim.run(delays: delays)
            let second = sim.run(delays: delays)
            let third = again.run(delays: delays)
            for other in [second, third] {
                #expect(first.events == other.events)
                #expect(first.incident == other.incident)
                #expect(first.analysis == other.analysis)
                #expect(first.expectations == other.expectations)
                #expect(first.actions == other.actions)
                #expect(first.stoppedAt == other.stoppedAt)
            }
        }
    }

    @Test func specExampleScenarioPlaysAsTheRulesSay() throws {
        let outcome = try simulator(specScenario, playbooks: [Fixtures.specExample]).run()
        #expect(played(outcome) == [
            "0m inject tweet The presenter posts an insulting tweet about a contestant. It is being shared fast.",
            "5m done capture",
            "12m done assess escalate",
            "12m fired escalate",
            "12m entered respond#1",
            "25m inject press-call Can you confirm the presenter works for you? Will you comment tonight?",
            "50m done holding-statement",
            "1h10m done talk-to-employee",
            "1h20m skipped legal-check",
            "1h25m fired contained",
            "1h25m entered recover#1",
            "1h30m note The employee apologised publicly",
        ])
        // Triage's deadlines (capture 15m, assess 30m) were left behind at 12m; the contingency's
        // deadline (1h10m) passed with the statement out at 50m; lessons (2d after 1h25m) is after `end`.
        #expect(outcome.stoppedAt == 86_400)
        #expect(!outcome.incident.isClosed)
        #expect(outcome.analysis.steps.map(\.status) == [.onTime, .onTime, .onTime, .onTime, .skipped, .notDone])
        #expect(outcome.analysis.steps.first { $0.step == "legal-check" }?.outsideRole == true)
        #expect(outcome.events.prefix(7).map(\.kind) == [.opened, .assigned, .assigned, .assigned, .assigned, .assigned, .entered])
        #expect(outcome.events[1].body == .assigned(role: "comms-lead", person: "Anna de Vries"))
        #expect(outcome.expectations.map(\.met) == [true, true, true])
        #expect(outcome.expectations.map(\.deadline) == [900, 4200, 2100])
        #expect(outcome.expectations.map(\.happenedAt) == [300, 3000, 720])
        #expect(outcome.expectations.map(\.contingencyDelivered) == [false, false, false])
    }

    // MARK: (h) Monte Carlo

    @Test func monteCarloRunsDoNotDependOnTheOrderOfEvaluation() async throws {
        // The spec's scenario with wider delays, so that runs differ (with 10m every run meets every expectation).
        let scenario = specScenario.replacing("  default: 10m", with: "  default: 30m")
        #expect(scenario != specScenario)
        let sim = try simulator(scenario, playbooks: [Fixtures.specExample])
        let carlo = MonteCarlo(simulator: sim, seed: 20_260_512)
        let forward = (0..<200).map { carlo.run($0) }
        let backward = Array((0..<200).reversed().map { carlo.run($0) }.reversed())
        #expect(forward == backward)
        let fresh = MonteCarlo(simulator: sim, seed: 20_260_512)
        #expect([17, 3, 199, 0].map { fresh.run($0) } == [17, 3, 199, 0].map { forward[$0] })
        let parallel = await withTaskGroup(of: (Int, MonteCarlo.RunResult).self) { group in
            for i in 0..<200 { group.addTask { (i, carlo.run(i)) } }
            var results = [MonteCarlo.RunResult?](repeating: nil, count: 200)
            for await (i, result) in group { results[i] = result }
            return results.compactMap { $0 }
        }
        #expect(parallel == forward)
        // Not all runs alike: the delays matter.
        #expect(Set(forward.map(\.met)).count > 1)
        #expect(Set(forward.map(\.stepOnTime)).count > 1)
    }

    @Test func delaysDependOnlyOnTheSeedAndTheRunIndex() throws {
        let sim = try simulator(specScenario, playbooks: [Fixtures.specExample])
        let carlo = MonteCarlo(simulator: sim, seed: 7)
        let forward = (0..<100).map { carlo.delays(run: $0) }
        let backward = Array((0..<100).reversed().map { MonteCarlo(simulator: sim, seed: 7).delays(run: $0) }.reversed())
        #expect(forward == backward)
        // Each within [0, variability of its role]: hr 1h, everyone else the 10m default.
        let limits = sim.scenario.actions.map { $0.by == "hr" ? 3600 : 600 }
        for delays in forward {
            #expect(delays.count == limits.count)
            #expect(zip(delays, limits).allSatisfy { $0 >= 0 && $0 <= $1 })
        }
        #expect(Set(forward).count == 100)
        #expect(MonteCarlo(simulator: sim, seed: 8).delays(run: 0) != forward[0])
        var a = SplitMix64.forRun(seed: 7, index: 42)
        var b = SplitMix64.forRun(seed: 7, index: 42)
        #expect((0..<10).map { _ in a.next() } == (0..<10).map { _ in b.next() })
        var c = SplitMix64.forRun(seed: 7, index: 43)
        var d = SplitMix64.forRun(seed: 7, index: 42)
        #expect(c.next() != d.next())
        // Zeroing a role's delays leaves every other action's draw as it was.
        let zeroed = carlo.delays(run: 5, zeroing: "hr")
        for (i, action) in sim.scenario.actions.enumerated() {
            #expect(zeroed[i] == (action.by == "hr" ? 0 : forward[5][i]))
        }
    }

    // MARK: (i) A share whose true value is known

    @Test func shareOfRunsMeetingAnExpectationHasTheTrueValueInItsInterval() throws {
        let sim = try simulator("""
            firebreak: 1
            id: share
            title: Known share
            playbook: minimal
            injects:
              - id: go
                at: 0m
                text: Go
                expect:
                  - { done: check, within: 30m }
            actions:
              - { at: 0m, by: lead, done: check }
            variability:
              lead: 1h
            end: 2h
            """, playbooks: [MinimalPlaybook.text])
        let carlo = MonteCarlo(simulator: sim, seed: 2026)
        let runs = 2000
        let results = (0..<runs).map { carlo.run($0) }
        // Each run: met exactly when the draw (uniform in 0...3600 s) is at most 1800 s.
        for i in 0..<runs {
            let delay = carlo.delays(run: i)[0]
            #expect((0...3600).contains(delay))
            #expect(results[i].met == [delay <= 1800], "run \(i), delay \(delay)")
        }
        let met = results.filter { $0.met[0] }.count
        let summary = carlo.summarize(carlo.tally(0..<runs))
        #expect(summary.runs == runs)
        #expect(summary.expectations.map(\.met) == [met])
        let truth = 1801.0 / 3601.0
        let interval = Statistics.wilson(met, runs)
        #expect(interval.low <= truth && truth <= interval.high, "\(met)/\(runs): \(interval)")
    }

    // MARK: (j) Statistics

    @Test(arguments: [
        (0, 10, 0.0, 0.2775327998628892),
        (5, 10, 0.236593090512564, 0.7634069094874361),
        (10, 10, 0.7224672001371107, 1.0),
        (1, 3, 0.06149194472039621, 0.7923403991979522),
    ])
    func wilsonInterval(successes: Int, n: Int, low: Double, high: Double) {
        let interval = Statistics.wilson(successes, n)
        #expect(abs(interval.low - low) < 1e-9)
        #expect(abs(interval.high - high) < 1e-9)
        #expect(0 <= interval.low && interval.low <= interval.high && interval.high <= 1)
    }

    @Test func wilsonOfNoRunsIsTheWholeRange() {
        let interval = Statistics.wilson(0, 0)
        #expect(interval.low == 0 && interval.high == 1)
    }

    @Test(arguments: [
        ([10, 20, 30, 40], 0.5, 20),
        ([10, 20, 30, 40], 0.9, 40),
        ([10, 20, 30, 40], 0.25, 10),
        ([10, 20, 30, 40], 0.26, 20),
        ([10, 20, 30, 40], 0.0, 10),
        ([10, 20, 30, 40], 1.0, 40),
        (Array(1...10), 0.5, 5),
        (Array(1...10), 0.9, 9),
        (Array(1...100), 0.9, 90),
        (Array(1...100), 0.901, 91),
        ([7], 0.5, 7),
        ([7], 0.9, 7),
    ])
    func quantileIsTheNearestRank(sorted: [Int], q: Double, expected: Int) {
        #expect(Statistics.quantile(sorted, q) == expected)
    }

    // MARK: Who may fire what in exercises

    @Test func authorityGoesByTheActingRoleNotByThePersonCast() throws {
        // Pat plays both lead (the commander) and aide: as aide, Pat may not fire the final 'resolve'.
        let sim = try simulator("""
            cast: { lead: Pat, aide: Pat }
            injects:
              - { at: 0m, text: Start }
            actions:
              - { at: 1m, by: aide, fire: worsen }
              - { at: 2m, by: boss, done: brief }
              - { at: 3m, by: aide, fire: resolve }
              - { at: 4m, by: lead, fire: resolve }
            end: 1h
            """)
        let outcome = sim.run()
        #expect(outcome.actions.map(\.appliedAt) == [60, 120, nil, 240])
        #expect(outcome.actions[2].refusal == .notAllowedToFire(event: "resolve", roles: ["lead"], holders: ["Pat"], person: "Pat", byGiven: false))
        #expect(played(outcome).contains("3m refused fire resolve"))
        #expect(outcome.incident.isClosed)
    }

    @Test func anInjectsFireIsBoundByNoneOfTheRules() throws {
        let sim = try simulator("""
            injects:
              - { at: 0m, text: Start }
              - { at: 3m, text: The story is over, fire: resolve }
            actions:
              - { at: 1m, by: aide, fire: worsen }
              - { at: 2m, by: boss, done: brief }
            end: 1h
            """)
        let outcome = sim.run()
        #expect(played(outcome).suffix(4) == ["3m inject - The story is over", "3m fired resolve", "3m entered closed#1", "3m closed"])
        #expect(outcome.incident.closed?.at == 180)
    }

    @Test func quantileOfNothingIsNil() {
        #expect(Statistics.quantile([], 0.5) == nil)
    }
}
