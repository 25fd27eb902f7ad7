@testable import FirebreakCore
import FirebreakTestSupport
import Testing

private let minute = 60
private let hour = 3600
/// When the incident is opened.
private let t0 = 1_700_000_000

private func progress(_ status: StepProgress.Status = .open, overdue: Bool = false, escalated: Bool = false) -> StepProgress {
    var progress = StepProgress()
    progress.status = status
    progress.overdue = overdue
    progress.escalated = escalated
    return progress
}

/// The engine on the specification's example playbook (offensive post), with its cast:
/// ann is comms-lead (the commander), sam social, hal hr, lee legal, dee director.
///
/// State indices: triage 0, respond 1, escalated 2, recover 3, closed 4.
@Suite struct EngineTests {
    let engine: Engine
    static let cast = [("social", "sam"), ("hr", "hal"), ("legal", "lee"), ("director", "dee")]
    static let everyone = ["comms-lead": "ann", "social": "sam", "hr": "hal", "legal": "lee", "director": "dee"]

    init() throws {
        engine = Engine(playbook: try loadPlaybook(Fixtures.specExample, fileName: "offensive-post.yaml"))
    }

    /// An engine on the example with one line changed (the rest stays as in the spec).
    static func variant(_ line: String, _ replacement: String) throws -> Engine {
        let yaml = Fixtures.specExample.replacing(line, with: replacement)
        precondition(yaml != Fixtures.specExample, "the variant must change the example")
        return Engine(playbook: try loadPlaybook(yaml, fileName: "offensive-post.yaml"))
    }

    func openIncident(_ engine: Engine? = nil) throws -> Incident {
        try (engine ?? self.engine).open(title: "Rude post", opener: "ann", assignments: Self.cast, at: t0).0
    }

    /// Applies a command that must be accepted.
    @discardableResult
    func accept(_ command: Command, by actor: String, at time: Int, _ incident: inout Incident, engine: Engine? = nil) throws -> [Event] {
        try (engine ?? self.engine).apply(command, by: actor, at: time, to: &incident)
    }

    /// Applies a command that must be refused, checks the incident is untouched, and returns the refusal.
    func refusal(_ command: Command, by actor: String, at time: Int, _ incident: Incident, engine: Engine? = nil) -> Refusal? {
        var copy = incident
        do {
            let events = try (engine ?? self.engine).apply(command, by: actor, at: time, to: &copy)
            Issue.record("\(command) was accepted: \(events)")
            return nil
        } catch {
            #expect(copy == incident, "a refused move changed the incident")
            return error
        }
    }

    /// In state respond, entered at `t0 + 20m` by the decision to escalate.
    func incidentInRespond(_ engine: Engine? = nil) throws -> Incident {
        var incident = try openIncident(engine)
        try accept(.done(step: "capture"), by: "sam", at: t0 + 10 * minute, &incident, engine: engine)
        try accept(.done(step: "assess", choice: "escalate"), by: "ann", at: t0 + 20 * minute, &incident, engine: engine)
        return incident
    }

    // MARK: Opening

    @Test func openingRecordsOpenedTheCommanderAndEnteringTheStartState() throws {
        let (incident, events) = try engine.open(title: "Rude post", opener: "ann", at: t0)
        #expect(events == [
            Event(at: t0, actor: "ann", role: "comms-lead", .opened(playbook: "offensive-post", title: "Rude post", severity: .high, began: nil)),
            Event(at: t0, actor: "ann", role: "comms-lead", .assigned(role: "comms-lead", person: "ann")),
            Event(at: t0, actor: "ann", .entered(state: "triage", from: nil, event: nil, round: 1)),
        ])
        #expect(incident == Incident(
            title: "Rude post", severity: .high, openedAt: t0, beganAt: nil, assignments: ["comms-lead": "ann"], state: 0,
            enteredAt: t0, round: 1, rounds: [1, 0, 0, 0, 0], steps: [progress(), progress()], closed: nil, eventCount: 3))
    }

    @Test func openingWithACastAssignsTheCommanderFirstThenTheCastInOrder() throws {
        let (incident, events) = try engine.open(
            title: "Rude post", severity: .critical, began: t0 - hour, opener: "ann", assignments: Self.cast, at: t0)
        #expect(events == [
            Event(at: t0, actor: "ann", role: "comms-lead", .opened(playbook: "offensive-post", title: "Rude post", severity: .critical, began: t0 - hour)),
            Event(at: t0, actor: "ann", role: "comms-lead", .assigned(role: "comms-lead", person: "ann")),
            Event(at: t0, actor: "ann", role: "comms-lead", .assigned(role: "social", person: "sam")),
            Event(at: t0, actor: "ann", role: "comms-lead", .assigned(role: "hr", person: "hal")),
            Event(at: t0, actor: "ann", role: "comms-lead", .assigned(role: "legal", person: "lee")),
            Event(at: t0, actor: "ann", role: "comms-lead", .assigned(role: "director", person: "dee")),
            Event(at: t0, actor: "ann", .entered(state: "triage", from: nil, event: nil, round: 1)),
        ])
        #expect(incident == Incident(
            title: "Rude post", severity: .critical, openedAt: t0, beganAt: t0 - hour, assignments: Self.everyone, state: 0,
            enteredAt: t0, round: 1, rounds: [1, 0, 0, 0, 0], steps: [progress(), progress()], closed: nil, eventCount: 7))
    }

    @Test func anOpenerWhoNamesAnotherCommanderActsInNoRole() throws {
        let (incident, events) = try engine.open(title: "Rude post", opener: "sam", assignments: [("comms-lead", "ann")], at: t0)
        #expect(events == [
            Event(at: t0, actor: "sam", .opened(playbook: "offensive-post", title: "Rude post", severity: .high, began: nil)),
            Event(at: t0, actor: "sam", .assigned(role: "comms-lead", person: "ann")),
            Event(at: t0, actor: "sam", .entered(state: "triage", from: nil, event: nil, round: 1)),
        ])
        #expect(incident.assignments == ["comms-lead": "ann"])
    }

    @Test func openingWithAnUnknownRoleIsRefused() {
        #expect(throws: Refusal.unknownRole(role: "press", roles: ["comms-lead", "social", "hr", "legal", "director"])) {
            try engine.open(title: "Rude post", opener: "ann", assignments: [("press", "pat")], at: t0)
        }
        #expect(
            Refusal.unknownRole(role: "press", roles: ["comms-lead", "social", "hr", "legal", "director"]).message
                == "no role 'press' in this playbook; roles are 'comms-lead', 'social', 'hr', 'legal', 'director'")
    }

    // MARK: Steps

    @Test func doneByTheOwnerRecordsTheStep() throws {
        var incident = try openIncident()
        var expected = incident
        let events = try accept(.done(step: "capture", note: "3 reposts"), by: "sam", at: t0 + 10 * minute, &incident)
        #expect(events == [Event(at: t0 + 10 * minute, actor: "sam", role: "social", .done(step: "capture", choice: nil, note: "3 reposts"))])
        expected.steps[0].status = .done(at: t0 + 10 * minute)
        expected.eventCount += 1
        #expect(incident == expected)
    }

    @Test func doneOutsideTheOwnerRoleIsMarkedAsSuch() throws {
        var incident = try openIncident()
        #expect(try accept(.done(step: "capture"), by: "ann", at: t0 + minute, &incident) == [
            Event(at: t0 + minute, actor: "ann", role: "comms-lead", outsideRole: true, .done(step: "capture", choice: nil, note: nil))
        ])
        incident = try openIncident()
        #expect(try accept(.done(step: "capture"), by: "zoe", at: t0 + minute, &incident) == [
            Event(at: t0 + minute, actor: "zoe", role: nil, outsideRole: true, .done(step: "capture", choice: nil, note: nil))
        ])
    }

    @Test func doneWithNeedsOpenIsRefusedNamingThem() throws {
        let incident = try openIncident()
        let refusal = refusal(.done(step: "assess", choice: "escalate"), by: "ann", at: t0 + minute, incident)
        #expect(refusal == .needsOpen(step: "assess", open: ["capture"]))
        #expect(refusal?.message == "step 'assess' needs 'capture' done or skipped first")
    }

    @Test func aSkippedNeedCountsAsSettled() throws {
        var incident = try openIncident()
        try accept(.skip(step: "capture", reason: "post already deleted"), by: "sam", at: t0 + minute, &incident)
        let events = try accept(.done(step: "assess", choice: "dismiss"), by: "ann", at: t0 + 2 * minute, &incident)
        #expect(events.map(\.kind) == [.done, .fired, .entered, .closed])
    }

    @Test func aDecisionRecordsTheOptionAndFiresItsEventAsOneMove() throws {
        var incident = try openIncident()
        try accept(.done(step: "capture"), by: "sam", at: t0 + 10 * minute, &incident)
        var expected = incident
        let at = t0 + 20 * minute
        let events = try accept(.done(step: "assess", choice: "escalate"), by: "ann", at: at, &incident)
        #expect(events == [
            Event(at: at, actor: "ann", role: "comms-lead", .done(step: "assess", choice: "escalate", note: nil)),
            Event(at: at, actor: "ann", role: "comms-lead", .fired(event: "escalate")),
            Event(at: at, actor: "ann", .entered(state: "respond", from: "triage", event: "escalate", round: 1)),
        ])
        expected.state = 1
        expected.enteredAt = at
        expected.round = 1
        expected.rounds = [1, 1, 0, 0, 0]
        expected.steps = [progress(), progress(), progress()]
        expected.eventCount += 3
        #expect(incident == expected)
    }

    @Test func aDecisionIntoTheFinalStateClosesTheIncident() throws {
        var incident = try openIncident()
        try accept(.done(step: "capture"), by: "sam", at: t0 + 10 * minute, &incident)
        var expected = incident
        let at = t0 + 12 * minute
        let events = try accept(.done(step: "assess", choice: "dismiss"), by: "ann", at: at, &incident)
        #expect(events == [
            Event(at: at, actor: "ann", role: "comms-lead", .done(step: "assess", choice: "dismiss", note: nil)),
            Event(at: at, actor: "ann", role: "comms-lead", .fired(event: "dismiss")),
            Event(at: at, actor: "ann", .entered(state: "closed", from: "triage", event: "dismiss", round: 1)),
            Event(at: at, actor: "ann", .closed(reason: nil, forced: false)),
        ])
        expected.state = 4
        expected.enteredAt = at
        expected.round = 1
        expected.rounds = [1, 0, 0, 0, 1]
        expected.steps = []
        expected.closed = Incident.Closure(at: at, reason: nil, forced: false)
        expected.eventCount += 4
        #expect(incident == expected)
    }

    @Test func aDecisionWithoutAChoiceIsRefusedNamingTheOptions() throws {
        var incident = try openIncident()
        try accept(.done(step: "capture"), by: "sam", at: t0 + 10 * minute, &incident)
        let refusal = refusal(.done(step: "assess"), by: "ann", at: t0 + 20 * minute, incident)
        #expect(refusal == .choiceRequired(step: "assess", options: ["escalate", "dismiss"]))
        #expect(refusal?.message == "step 'assess' is a decision; give --choice, one of 'escalate', 'dismiss'")
    }

    @Test func anUnknownChoiceOrAChoiceOnAPlainStepIsRefused() throws {
        var incident = try openIncident()
        let notADecision = refusal(.done(step: "capture", choice: "escalate"), by: "sam", at: t0 + minute, incident)
        #expect(notADecision == .notADecision(step: "capture"))
        #expect(notADecision?.message == "step 'capture' is not a decision; it takes no choice")
        try accept(.done(step: "capture"), by: "sam", at: t0 + 10 * minute, &incident)
        let unknown = refusal(.done(step: "assess", choice: "ignore"), by: "ann", at: t0 + 20 * minute, incident)
        #expect(unknown == .unknownChoice(step: "assess", choice: "ignore", options: ["escalate", "dismiss"]))
        #expect(unknown?.message == "step 'assess' has no option 'ignore'; options are 'escalate', 'dismiss'")
    }

    @Test func aDecisionWhoseEventIsRefusedLeavesTheStepOpen() throws {
        // 'go' fires 'proceed', whose guard needs 'prepare': the whole move is refused.
        let engine = Engine(playbook: try loadPlaybook(MinimalPlaybook.replacing([
            12: "      - { id: prepare, title: Prepare, owner: lead, due: 15m }",
            13: "      - { id: decide, title: Decide, owner: lead, due: 1h, choices: { go: resolve, wait: worsen } }",
            15: "      resolve: { to: closed, when: [prepare] }",
        ])))
        let incident = try engine.open(title: "Test", opener: "ann", at: t0).0
        let refusal = refusal(.done(step: "decide", choice: "go"), by: "ann", at: t0 + minute, incident, engine: engine)
        #expect(refusal == .guardOpen(event: "resolve", required: ["prepare"], open: ["prepare"]))
        #expect(incident.steps[1] == progress())
    }

    @Test func aListOfOptionsRecordsTheChoiceAndFiresNothing() throws {
        let engine = Engine(playbook: try loadPlaybook(MinimalPlaybook.replacing([
            12: "      - { id: check, title: Check, owner: lead, due: 15m, choices: [reply, ignore] }"
        ])))
        var incident = try engine.open(title: "Test", opener: "ann", at: t0).0
        #expect(refusal(.done(step: "check"), by: "ann", at: t0 + minute, incident, engine: engine)
            == .choiceRequired(step: "check", options: ["reply", "ignore"]))
        #expect(try accept(.done(step: "check", choice: "ignore"), by: "ann", at: t0 + minute, &incident, engine: engine) == [
            Event(at: t0 + minute, actor: "ann", role: "lead", .done(step: "check", choice: "ignore", note: nil))
        ])
        #expect(incident.state == 0)
        #expect(incident.steps[0] == progress(.done(at: t0 + minute)))
    }

    @Test func unknownStepsStepsOfOtherStatesAndSettledStepsAreRefused() throws {
        var incident = try openIncident()
        let unknown = refusal(.done(step: "captur"), by: "sam", at: t0 + minute, incident)
        #expect(unknown == .unknownStep(step: "captur", state: "triage", active: ["capture", "assess"]))
        #expect(unknown?.message == "no step 'captur' in this playbook; active steps in state 'triage' are 'capture', 'assess'")
        let inactive = refusal(.done(step: "lessons"), by: "ann", at: t0 + minute, incident)
        #expect(inactive == .stepNotActive(step: "lessons", stepState: "recover", state: "triage", active: ["capture", "assess"]))
        #expect(inactive?.message == "step 'lessons' belongs to state 'recover', but the incident is in state 'triage'; active steps are 'capture', 'assess'")
        try accept(.done(step: "capture"), by: "sam", at: t0 + minute, &incident)
        let settled = refusal(.done(step: "capture"), by: "sam", at: t0 + 2 * minute, incident)
        #expect(settled == .stepSettled(step: "capture", how: "done"))
        #expect(settled?.message == "step 'capture' is already done in this round")
        #expect(refusal(.skip(step: "capture", reason: "x"), by: "sam", at: t0 + 2 * minute, incident) == .stepSettled(step: "capture", how: "done"))
    }

    @Test func skipRecordsTheReason() throws {
        var incident = try incidentInRespond()
        var expected = incident
        let at = t0 + 30 * minute
        let events = try accept(.skip(step: "legal-check", reason: "nothing legal in it"), by: "lee", at: at, &incident)
        #expect(events == [Event(at: at, actor: "lee", role: "legal", .skipped(step: "legal-check", reason: "nothing legal in it"))])
        expected.steps[2].status = .skipped(at: at)
        expected.eventCount += 1
        #expect(incident == expected)
        let again = refusal(.skip(step: "legal-check", reason: "again"), by: "lee", at: at, incident)
        #expect(again == .stepSettled(step: "legal-check", how: "skipped"))
        #expect(again?.message == "step 'legal-check' is already skipped in this round")
    }

    @Test func skipWithoutAReasonIsRefused() throws {
        let incident = try incidentInRespond()
        let refusal = refusal(.skip(step: "legal-check", reason: ""), by: "lee", at: t0 + 30 * minute, incident)
        #expect(refusal == .emptyText(what: "the reason for skipping"))
        #expect(refusal?.message == "the reason for skipping may not be empty")
    }

    // MARK: Events and guards

    @Test func aGuardThatDoesNotHoldIsRefusedNamingTheOpenSteps() throws {
        var incident = try incidentInRespond()
        try accept(.done(step: "holding-statement"), by: "ann", at: t0 + 40 * minute, &incident)
        let refusal = refusal(.fire(event: "contained"), by: "ann", at: t0 + 50 * minute, incident)
        #expect(refusal == .guardOpen(event: "contained", required: ["holding-statement", "talk-to-employee"], open: ["talk-to-employee"]))
        #expect(refusal?.message == "'contained' needs steps 'holding-statement', 'talk-to-employee' done; still open: 'talk-to-employee'")
    }

    @Test func allDoneIgnoresOptionalSteps() throws {
        var incident = try incidentInRespond()
        try accept(.done(step: "holding-statement"), by: "ann", at: t0 + 40 * minute, &incident)
        try accept(.done(step: "talk-to-employee"), by: "hal", at: t0 + 50 * minute, &incident)
        var expected = incident
        let at = t0 + 55 * minute
        let events = try accept(.fire(event: "contained"), by: "ann", at: at, &incident)
        #expect(events == [
            Event(at: at, actor: "ann", role: "comms-lead", .fired(event: "contained")),
            Event(at: at, actor: "ann", .entered(state: "recover", from: "respond", event: "contained", round: 1)),
        ])
        expected.state = 3
        expected.enteredAt = at
        expected.rounds = [1, 1, 0, 1, 0]
        expected.steps = [progress()]
        expected.eventCount += 2
        #expect(incident == expected)
    }

    @Test func aGuardListNeedsOnlyTheStepsItNames() throws {
        var incident = try incidentInRespond()
        try accept(.fire(event: "story-published"), by: "ann", at: t0 + 30 * minute, &incident)
        let refusal = refusal(.fire(event: "contained"), by: "ann", at: t0 + 31 * minute, incident)
        #expect(refusal?.message == "'contained' needs steps 'director-briefing' done; still open: 'director-briefing'")
        try accept(.done(step: "director-briefing"), by: "ann", at: t0 + 40 * minute, &incident)
        #expect(try accept(.fire(event: "contained"), by: "dee", at: t0 + 41 * minute, &incident) == [
            Event(at: t0 + 41 * minute, actor: "dee", role: "director", .fired(event: "contained")),
            Event(at: t0 + 41 * minute, actor: "dee", .entered(state: "recover", from: "escalated", event: "contained", round: 1)),
        ])
    }

    @Test func anEventWithNoTransitionIsRefusedNamingThePossibleEvents() throws {
        let incident = try openIncident()
        let refusal = refusal(.fire(event: "contained"), by: "ann", at: t0 + minute, incident)
        #expect(refusal == .eventNotPossible(event: "contained", state: "triage", possible: ["escalate", "dismiss"]))
        #expect(refusal?.message == "event 'contained' is not possible in state 'triage'; possible events are 'escalate', 'dismiss'")
    }

    @Test func possibleEventsNameTheStepsTheyWaitFor() throws {
        var incident = try incidentInRespond()
        try accept(.done(step: "holding-statement"), by: "ann", at: t0 + 40 * minute, &incident)
        #expect(engine.possibleEvents(incident).map { "\($0.event)->\($0.to) \($0.waitingFor)" } == [
            "contained->recover [\"talk-to-employee\"]",
            "story-published->escalated []",
        ])
    }

    @Test func aStateEntryWinsOverTheTopLevelOnWhichAppliesEverywhereElse() throws {
        // Top-level: resolve -> review (hidden in 'open' by its own resolve), all-clear -> closed.
        let engine = Engine(playbook: try loadPlaybook(MinimalPlaybook.appending(["on:", "  resolve: review", "  all-clear: closed"])))
        var incident = try engine.open(title: "Test", opener: "ann", at: t0).0
        #expect(engine.refusal(firing: "nope", in: incident) == .eventNotPossible(event: "nope", state: "open", possible: ["resolve", "worsen", "all-clear"]))
        #expect(engine.refusal(firing: "resolve", in: incident) == .guardOpen(event: "resolve", required: ["check", "act"], open: ["check", "act"]))
        try accept(.fire(event: "worsen"), by: "ann", at: t0 + minute, &incident, engine: engine)
        let events = try accept(.fire(event: "all-clear"), by: "ann", at: t0 + 2 * minute, &incident, engine: engine)
        #expect(events.map(\.body) == [
            .fired(event: "all-clear"), .entered(state: "closed", from: "review", event: "all-clear", round: 1), .closed(reason: nil, forced: false),
        ])
    }

    // MARK: Notes, roles, closing

    @Test func aNoteIsRecordedInTheActorsRole() throws {
        var incident = try openIncident()
        var expected = incident
        #expect(try accept(.note(text: "A journalist called"), by: "ann", at: t0 + minute, &incident) == [
            Event(at: t0 + minute, actor: "ann", role: "comms-lead", .note(text: "A journalist called"))
        ])
        expected.eventCount += 1
        #expect(incident == expected)
        #expect(refusal(.note(text: ""), by: "ann", at: t0 + minute, incident) == .emptyText(what: "a note"))
    }

    @Test func theCommanderAssignsRoles() throws {
        var incident = try openIncident()
        var expected = incident
        #expect(try accept(.assign(role: "hr", person: "pat"), by: "ann", at: t0 + minute, &incident) == [
            Event(at: t0 + minute, actor: "ann", role: "comms-lead", .assigned(role: "hr", person: "pat"))
        ])
        expected.assignments["hr"] = "pat"
        expected.eventCount += 1
        #expect(incident == expected)
        #expect(refusal(.assign(role: "press", person: "pat"), by: "ann", at: t0 + minute, incident)
            == .unknownRole(role: "press", roles: ["comms-lead", "social", "hr", "legal", "director"]))
    }

    @Test func assigningByANonCommanderIsRefused() throws {
        let incident = try openIncident()
        let refusal = refusal(.assign(role: "hr", person: "pat"), by: "sam", at: t0 + minute, incident)
        #expect(refusal == .notCommander(action: "assign roles", person: "sam", commanderRole: "comms-lead", holder: "ann"))
        #expect(refusal?.message == "only the commander ('comms-lead', held by 'ann') may assign roles; 'sam' does not hold that role")
    }

    @Test func theCommanderForceClosesFromAnyState() throws {
        var incident = try incidentInRespond()
        var expected = incident
        let at = t0 + hour
        #expect(try accept(.close(reason: "The post was a parody account"), by: "ann", at: at, &incident) == [
            Event(at: at, actor: "ann", role: "comms-lead", .closed(reason: "The post was a parody account", forced: true))
        ])
        expected.closed = Incident.Closure(at: at, reason: "The post was a parody account", forced: true)
        expected.eventCount += 1
        #expect(incident == expected)
    }

    @Test func closingByANonCommanderOrWithoutAReasonIsRefused() throws {
        let incident = try openIncident()
        let byDirector = refusal(.close(reason: "enough"), by: "dee", at: t0 + minute, incident)
        #expect(byDirector == .notCommander(action: "force-close the incident", person: "dee", commanderRole: "comms-lead", holder: "ann"))
        #expect(byDirector?.message == "only the commander ('comms-lead', held by 'ann') may force-close the incident; 'dee' does not hold that role")
        #expect(refusal(.close(reason: ""), by: "ann", at: t0 + minute, incident) == .emptyText(what: "the reason for closing"))
    }

    @Test(arguments: [
        Command.done(step: "capture"), .skip(step: "capture", reason: "gone"), .fire(event: "escalate"),
        .assign(role: "hr", person: "pat"), .close(reason: "again"),
    ])
    func aClosedIncidentRefusesEverythingButNotes(_ command: Command) throws {
        var incident = try openIncident()
        try accept(.close(reason: "Parody account"), by: "ann", at: t0 + 5 * minute, &incident)
        let refusal = refusal(command, by: "ann", at: t0 + 6 * minute, incident)
        #expect(refusal == .incidentClosed)
        #expect(refusal?.message == "the incident is closed; only notes and retractions can be added, or it can be reopened")
    }

    @Test func aClosedIncidentTakesNotesAndNoLongerRunsItsClock() throws {
        var incident = try openIncident()
        try accept(.close(reason: "Parody account"), by: "ann", at: t0 + 5 * minute, &incident)
        // 'capture' would be overdue at t0 + 15m, but a closed incident has no deadlines.
        #expect(engine.nextDue(incident) == nil)
        #expect(try accept(.note(text: "Account suspended"), by: "sam", at: t0 + 2 * hour, &incident) == [
            Event(at: t0 + 2 * hour, actor: "sam", role: "social", .note(text: "Account suspended"))
        ])
    }

    // MARK: Time

    @Test func advanceMaterialisesOverdueStepsAndEscalationsAtTheirDueTimes() throws {
        var incident = try openIncident()
        var expected = incident
        #expect(engine.nextDue(incident) == t0 + 15 * minute)
        #expect(engine.advance(&incident, to: t0 + 15 * minute - 1) == [])
        let events = engine.advance(&incident, to: t0 + 30 * minute)
        #expect(events == [
            Event(at: t0 + 15 * minute, .overdue(step: "capture", due: t0 + 15 * minute)),
            Event(at: t0 + 15 * minute, role: "comms-lead", .escalated(step: "capture", to: "comms-lead")),
            Event(at: t0 + 30 * minute, .overdue(step: "assess", due: t0 + 30 * minute)),
            Event(at: t0 + 30 * minute, role: "director", .escalated(step: "assess", to: "director")),
        ])
        expected.steps = [progress(overdue: true, escalated: true), progress(overdue: true, escalated: true)]
        expected.eventCount += 4
        #expect(incident == expected)
        #expect(engine.nextDue(incident) == nil)
        #expect(engine.advance(&incident, to: t0 + 10 * hour) == [])
    }

    @Test func advanceRunsOverdueStepsTimersAndTheNextStateInTimeOrder() throws {
        var incident = try incidentInRespond()
        let t1 = t0 + 20 * minute
        let events = engine.advance(&incident, to: t1 + 5 * hour)
        #expect(events == [
            Event(at: t1 + hour, .overdue(step: "holding-statement", due: t1 + hour)),
            Event(at: t1 + hour, role: "director", .escalated(step: "holding-statement", to: "director")),
            // hr and legal escalate to nobody; the optional step is overdue too.
            Event(at: t1 + 2 * hour, .overdue(step: "talk-to-employee", due: t1 + 2 * hour)),
            Event(at: t1 + 2 * hour, .overdue(step: "legal-check", due: t1 + 2 * hour)),
            Event(at: t1 + 4 * hour, .timer(state: "respond", after: 4 * hour, to: "escalated")),
            Event(at: t1 + 4 * hour, .entered(state: "escalated", from: "respond", event: nil, round: 1)),
            Event(at: t1 + 4 * hour + 30 * minute, .overdue(step: "director-briefing", due: t1 + 4 * hour + 30 * minute)),
            Event(at: t1 + 4 * hour + 30 * minute, role: "director", .escalated(step: "director-briefing", to: "director")),
        ])
        #expect(incident == Incident(
            title: "Rude post", severity: .high, openedAt: t0, beganAt: nil, assignments: Self.everyone, state: 2,
            enteredAt: t1 + 4 * hour, round: 1, rounds: [1, 1, 1, 0, 0], steps: [progress(overdue: true, escalated: true)],
            closed: nil, eventCount: 7 + 1 + 3 + 8))
    }

    @Test func atTheSameInstantOverdueStepsAndEscalationsComeBeforeTheTimer() throws {
        let engine = try Self.variant("      4h: escalated ", "      1h: escalated ")
        var incident = try incidentInRespond(engine)
        let t1 = t0 + 20 * minute
        let events = engine.advance(&incident, to: t1 + hour)
        #expect(events == [
            Event(at: t1 + hour, .overdue(step: "holding-statement", due: t1 + hour)),
            Event(at: t1 + hour, role: "director", .escalated(step: "holding-statement", to: "director")),
            Event(at: t1 + hour, .timer(state: "respond", after: hour, to: "escalated")),
            Event(at: t1 + hour, .entered(state: "escalated", from: "respond", event: nil, round: 1)),
        ])
    }

    @Test func aStepDoneExactlyAtItsDeadlineIsOnTime() throws {
        var incident = try openIncident()
        let deadline = t0 + 15 * minute
        #expect(try accept(.done(step: "capture"), by: "sam", at: deadline, &incident) == [
            Event(at: deadline, actor: "sam", role: "social", .done(step: "capture", choice: nil, note: nil))
        ])
        #expect(incident.steps[0] == progress(.done(at: deadline)))
        #expect(engine.advance(&incident, to: deadline) == [])
    }

    @Test func aStepDoneASecondAfterItsDeadlineIsRecordedOverdueFirst() throws {
        var incident = try openIncident()
        let deadline = t0 + 15 * minute
        #expect(try accept(.done(step: "capture"), by: "sam", at: deadline + 1, &incident) == [
            Event(at: deadline, .overdue(step: "capture", due: deadline)),
            Event(at: deadline, role: "comms-lead", .escalated(step: "capture", to: "comms-lead")),
            Event(at: deadline + 1, actor: "sam", role: "social", .done(step: "capture", choice: nil, note: nil)),
        ])
        #expect(incident.steps[0] == progress(.done(at: deadline + 1), overdue: true, escalated: true))
    }

    @Test func reEnteringAStateOpensANewRound() throws {
        let engine = try Self.variant(
            "      resolved: { to: closed, when: all-done }\n",
            "      resolved: { to: closed, when: all-done }\n      relapse: respond\n")
        var incident = try incidentInRespond(engine)
        try accept(.done(step: "holding-statement"), by: "ann", at: t0 + 30 * minute, &incident, engine: engine)
        try accept(.done(step: "talk-to-employee"), by: "hal", at: t0 + 40 * minute, &incident, engine: engine)
        try accept(.fire(event: "contained"), by: "ann", at: t0 + 50 * minute, &incident, engine: engine)
        var expected = incident
        let t2 = t0 + 3 * hour
        let events = try accept(.fire(event: "relapse"), by: "ann", at: t2, &incident, engine: engine)
        #expect(events == [
            Event(at: t2, actor: "ann", role: "comms-lead", .fired(event: "relapse")),
            Event(at: t2, actor: "ann", .entered(state: "respond", from: "recover", event: "relapse", round: 2)),
        ])
        expected.state = 1
        expected.enteredAt = t2
        expected.round = 2
        expected.rounds = [1, 2, 0, 1, 0]
        expected.steps = [progress(), progress(), progress()]
        expected.eventCount += 2
        #expect(incident == expected)
        // The new round's deadlines and timer count from the re-entry.
        #expect(engine.nextDue(incident) == t2 + hour)
        #expect(engine.advance(&incident, to: t2 + 4 * hour).filter { $0.kind == .timer } == [
            Event(at: t2 + 4 * hour, .timer(state: "respond", after: 4 * hour, to: "escalated"))
        ])
    }

    @Test func leavingAStateCancelsItsTimer() throws {
        var incident = try incidentInRespond()
        try accept(.done(step: "holding-statement"), by: "ann", at: t0 + 30 * minute, &incident)
        try accept(.done(step: "talk-to-employee"), by: "hal", at: t0 + 40 * minute, &incident)
        try accept(.fire(event: "contained"), by: "ann", at: t0 + 50 * minute, &incident)
        // respond's 4h timer would fire at t0 + 4h20m; recover's only deadline is 2d after t0 + 50m.
        #expect(engine.advance(&incident, to: t0 + 10 * hour) == [])
        #expect(engine.nextDue(incident) == t0 + 50 * minute + 2 * 86_400)
        #expect(incident.state == 3)
    }

    @Test func aRefusedMoveLeavesTheIncidentUnchangedEvenWhenTimeHasPassed() throws {
        var incident = try openIncident()
        let before = incident
        // Two hours later both triage steps are overdue, but the refused move must not record that.
        #expect(refusal(.fire(event: "contained"), by: "ann", at: t0 + 2 * hour, incident) != nil)
        #expect(incident == before)
        let events = try accept(.note(text: "Still looking"), by: "ann", at: t0 + 2 * hour, &incident)
        #expect(events.map(\.kind) == [.overdue, .escalated, .overdue, .escalated, .note])
    }

    @Test func replayingTheEventsGivesBackTheIncident() throws {
        var (incident, events) = try engine.open(title: "Rude post", opener: "ann", assignments: Self.cast, at: t0)
        events += try accept(.done(step: "capture"), by: "sam", at: t0 + 20 * minute, &incident)
        events += try accept(.done(step: "assess", choice: "escalate"), by: "ann", at: t0 + 40 * minute, &incident)
        events += try accept(.skip(step: "legal-check", reason: "not needed"), by: "lee", at: t0 + 50 * minute, &incident)
        events += engine.advance(&incident, to: t0 + 6 * hour)
        #expect(engine.replay(events) == incident)
        #expect(engine.replay(events.dropFirst()) == nil)
    }
}
