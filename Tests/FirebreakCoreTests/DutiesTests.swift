@testable import FirebreakCore
import FirebreakTestSupport
import Foundation
import Testing

private let minute = 60
private let hour = 3600
private let t0 = 1_700_000_000

/// A playbook with standing duties, carried steps and `escalate`:
/// global step order capture 0, call 1, follow-up 2, statement 3, media-line 4, monitor 5.
let dutiesPlaybook = """
    firebreak: 1
    id: duties
    title: Duties and carried steps
    roles:
      lead: { title: Lead, escalates-to: boss }
      boss: { title: Boss }
      press: { title: Press officer, escalates-to: lead }
    commander: lead
    start: triage
    duties:
      - { id: media-line, title: Staff the media line, owner: press, due: 30m }
      - { id: monitor, title: Monitor reach, owner: press, needs: [media-line], due: 1h, escalate: boss }
    states:
      triage:
        steps:
          - { id: capture, title: Capture, owner: lead, due: 30m, escalate: false }
          - { id: call, title: Call the employee, owner: lead, due: 2h, carry: true }
          - { id: follow-up, title: Follow up the call, owner: lead, needs: [call], due: 3h, carry: true }
        on:
          escalate: respond
      respond:
        steps:
          - { id: statement, title: Statement, owner: lead, due: 4h }
        on:
          recheck: triage
          resolve: closed
      closed:
        final: true

    """

@Suite struct DutiesTests {
    let engine: Engine

    init() throws {
        engine = Engine(playbook: try loadPlaybook(dutiesPlaybook, fileName: "duties.yaml"))
    }

    func open() throws -> Incident {
        try engine.open(title: "Post", opener: "ann", assignments: [("press", "pia")], at: t0).0
    }

    func ids(_ steps: [Int]) -> [String] { steps.map { engine.playbook.tables.stepIDs[$0] } }

    @Test func aDutyIsDueFromOpeningAndComesBeforeTheStateStepsAtOneInstant() throws {
        var incident = try open()
        #expect(incident.duties == [StepProgress(), StepProgress()])
        #expect(ids(engine.activeSteps(incident)) == ["capture", "call", "follow-up", "media-line", "monitor"])
        // At 30m the duty media-line and the step capture fall due: the duty first; capture has `escalate: false`.
        #expect(engine.advance(&incident, to: t0 + 30 * minute) == [
            Event(at: t0 + 30 * minute, .overdue(step: "media-line", due: t0 + 30 * minute)),
            Event(at: t0 + 30 * minute, role: "lead", .escalated(step: "media-line", to: "lead")),
            Event(at: t0 + 30 * minute, .overdue(step: "capture", due: t0 + 30 * minute)),
        ])
        #expect(incident.duties[0].overdue && incident.duties[0].escalated && incident.steps[0].overdue && !incident.steps[0].escalated)
        // `escalate: boss` instead of the press officer's escalates-to (lead).
        #expect(engine.advance(&incident, to: t0 + hour) == [
            Event(at: t0 + hour, .overdue(step: "monitor", due: t0 + hour)),
            Event(at: t0 + hour, role: "boss", .escalated(step: "monitor", to: "boss")),
        ])
    }

    @Test func aDutyStaysActiveAcrossStatesAndItsNeedsAreOtherDuties() throws {
        var incident = try open()
        #expect(throws: Refusal.needsOpen(step: "monitor", open: ["media-line"])) {
            try engine.apply(.done(step: "monitor"), by: "pia", at: t0 + minute, to: &incident)
        }
        _ = try engine.apply(.fire(event: "escalate"), by: "ann", at: t0 + 2 * minute, to: &incident)
        #expect(try engine.apply(.done(step: "media-line"), by: "pia", at: t0 + 3 * minute, to: &incident) == [
            Event(at: t0 + 3 * minute, actor: "pia", role: "press", .done(step: "media-line", choice: nil, note: nil))
        ])
        _ = try engine.apply(.done(step: "monitor"), by: "pia", at: t0 + 4 * minute, to: &incident)
        #expect(incident.duties.map(\.status) == [.done(at: t0 + 3 * minute), .done(at: t0 + 4 * minute)])
        #expect(throws: Refusal.stepSettled(step: "monitor", how: "done")) {
            try engine.apply(.done(step: "monitor"), by: "pia", at: t0 + 5 * minute, to: &incident)
        }
    }

    @Test func aCarriedStepSurvivesATransitionWithItsDeadlineAndItsRound() throws {
        var incident = try open()
        _ = try engine.apply(.fire(event: "escalate"), by: "ann", at: t0 + 10 * minute, to: &incident)
        // capture (not carried) is gone; call and follow-up stay, with the deadlines of triage's first round.
        #expect(incident.carried.map(\.step) == [1, 2])
        #expect(incident.carried.map(\.deadline) == [t0 + 2 * hour, t0 + 3 * hour])
        #expect(ids(engine.activeSteps(incident)) == ["statement", "call", "follow-up", "media-line", "monitor"])
        #expect(throws: Refusal.stepNotActive(step: "capture", stepState: "triage", state: "respond",
                                              active: ["statement", "call", "follow-up", "media-line", "monitor"])) {
            try engine.apply(.done(step: "capture"), by: "ann", at: t0 + 11 * minute, to: &incident)
        }
        // Its needs are settled against the round it was opened in: call first.
        #expect(throws: Refusal.needsOpen(step: "follow-up", open: ["call"])) {
            try engine.apply(.done(step: "follow-up"), by: "ann", at: t0 + 12 * minute, to: &incident)
        }
        // Overdue at the deadline of its own round, after the duties due then, not from entering respond.
        let events = engine.advance(&incident, to: t0 + 2 * hour)
        #expect(events.suffix(2) == [
            Event(at: t0 + 2 * hour, .overdue(step: "call", due: t0 + 2 * hour)),
            Event(at: t0 + 2 * hour, role: "boss", .escalated(step: "call", to: "boss")),
        ])
        _ = try engine.apply(.done(step: "call"), by: "ann", at: t0 + 2 * hour + minute, to: &incident)
        _ = try engine.apply(.done(step: "follow-up"), by: "ann", at: t0 + 2 * hour + 2 * minute, to: &incident)
        #expect(incident.carried.map(\.progress.status) == [.done(at: t0 + 2 * hour + minute), .done(at: t0 + 2 * hour + 2 * minute)])
        #expect(ids(engine.activeSteps(incident)) == ["statement", "media-line", "monitor"])
    }

    @Test func reEnteringTheStateOfAnOpenCarriedStepOpensNoSecondCopy() throws {
        var incident = try open()
        var log = try engine.open(title: "Post", opener: "ann", assignments: [("press", "pia")], at: t0).1
        func act(_ command: Command, _ at: Int) throws { log += try engine.apply(command, by: "ann", at: at, to: &incident) }
        try act(.fire(event: "escalate"), t0 + 10 * minute)
        try act(.fire(event: "recheck"), t0 + 20 * minute)
        #expect(incident.round == 2)
        // Round 2 of triage: capture anew; call and follow-up are still the carried copies of round 1.
        #expect(ids(engine.activeSteps(incident)) == ["capture", "call", "follow-up", "media-line", "monitor"])
        #expect(incident.isDeferred(1, engine.playbook.tables) && !incident.isDeferred(0, engine.playbook.tables))
        // call falls due 2h after round 1, not round 2, once.
        log += engine.advance(&incident, to: t0 + 2 * hour + 20 * minute)
        #expect(log.filter { if case .overdue(let step, _) = $0.body { step == "call" } else { false } }.map(\.at) == [t0 + 2 * hour])
        // Done settles the carried copy and this round's place for it, so guards of this state see it done.
        try act(.done(step: "call"), t0 + 2 * hour + 30 * minute)
        #expect(incident.steps[1].status == .done(at: t0 + 2 * hour + 30 * minute))
        #expect(incident.carried.first { $0.step == 1 }?.progress.status == .done(at: t0 + 2 * hour + 30 * minute))
        // Leaving again carries follow-up once more (still open) but not call; the settled copy goes.
        try act(.fire(event: "escalate"), t0 + 3 * hour)
        #expect(incident.carried.map(\.step) == [2])
        #expect(engine.replay(log) == incident)
    }

    @Test func aCarriedStepWhoseNeedWasLeftOpenUncarriedCanOnlyBeSkipped() throws {
        let yaml = dutiesPlaybook.replacing("needs: [call], due: 3h, carry: true", with: "needs: [capture], due: 3h, carry: true")
        let engine = Engine(playbook: try loadPlaybook(yaml, fileName: "duties.yaml"))
        var incident = try engine.open(title: "Post", opener: "ann", at: t0).0
        _ = try engine.apply(.fire(event: "escalate"), by: "ann", at: t0 + minute, to: &incident)
        #expect(throws: Refusal.needsOpen(step: "follow-up", open: ["capture"])) {
            try engine.apply(.done(step: "follow-up"), by: "ann", at: t0 + 2 * minute, to: &incident)
        }
        _ = try engine.apply(.skip(step: "follow-up", reason: "capture was never made"), by: "ann", at: t0 + 3 * minute, to: &incident)
    }

    @Test func closingEndsDutiesAndCarriedSteps() throws {
        var incident = try open()
        _ = try engine.apply(.fire(event: "escalate"), by: "ann", at: t0 + minute, to: &incident)
        _ = try engine.apply(.fire(event: "resolve"), by: "ann", at: t0 + 2 * minute, to: &incident)
        #expect(incident.isClosed)
        #expect(engine.nextDue(incident) == nil)
        #expect(engine.advance(&incident, to: t0 + 10 * hour) == [])
    }

    @Test func aSnapshotFromBeforeDutiesStillReadsAndTheNewFieldsRoundTrip() throws {
        // As main stored it before 1.1: no `duties`, no `carried`.
        let old = #"{"title":"Rude post","severity":"high","openedAt":1700000000,"assignments":{"comms-lead":"ann"},"state":0,"enteredAt":1700000000,"round":1,"rounds":[1,0,0,0,0],"steps":[{"status":{"open":{}},"overdue":false,"escalated":false},{"status":{"open":{}},"overdue":false,"escalated":false}],"eventCount":3}"#
        let incident = try Incident(storedJSON: Data(old.utf8))
        #expect(incident.duties == [] && incident.carried == [] && incident.steps.count == 2 && incident.round == 1)
        let engineOld = Engine(playbook: try loadPlaybook(Fixtures.specExample, fileName: "offensive-post.yaml"))
        #expect(try engineOld.open(title: "Rude post", opener: "ann", at: 1_700_000_000).0 == incident)
        // An incident without duties or carried steps is stored as before.
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let reencoded = String(decoding: try encoder.encode(incident), as: UTF8.self)
        #expect(!reencoded.contains("duties") && !reencoded.contains("carried"))
        var carried = try open()
        _ = try engine.apply(.fire(event: "escalate"), by: "ann", at: t0 + minute, to: &carried)
        #expect(try Incident(storedJSON: try encoder.encode(carried)) == carried)
    }

    @Test func scoringCountsACarriedStepAtItsOwnDeadlineAndDutiesOnce() throws {
        var log = EventLog()
        var incident = try engine.open(title: "Post", opener: "ann", assignments: [("press", "pia")], at: 0, sink: &log)
        for (command, at) in [(Command.fire(event: "escalate"), 10 * minute), (.done(step: "call"), 2 * hour + minute),
                              (.done(step: "media-line"), 20 * minute), (.done(step: "statement"), 3 * hour)]
            .sorted(by: { $0.1 < $1.1 }) {
            engine.advance(&incident, to: at, inclusive: false, sink: &log)
            try engine.perform(command, by: "ann", at: at, on: &incident, events: &log.events)
        }
        let facts = ExerciseFacts.of(log.events, playbook: engine.playbook)
        // capture 0: never done (0); call 1: done after its 2h deadline (0); follow-up 2: carried, never done (0);
        // statement 3: on time; media-line 4: on time; monitor 5: not done.
        #expect(facts.onTime == [0, 0, 0, 1, 1, 0])
        #expect(facts.firstDone[1] == 2 * hour + minute)
    }
}
