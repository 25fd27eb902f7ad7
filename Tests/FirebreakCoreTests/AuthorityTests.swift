@testable import FirebreakCore
import FirebreakTestSupport
import Testing

private let minute = 60
private let t0 = 1_700_000_000

/// Who may fire what, deputies, taking over command, reopening and retracting (1.1), on the
/// specification's example playbook: ann is comms-lead (the commander, escalates to director),
/// sam social, hal hr, lee legal, dee director.
@Suite struct AuthorityTests {
    let engine: Engine
    static let cast = [("social", "sam"), ("hr", "hal"), ("legal", "lee"), ("director", "dee")]

    init() throws {
        engine = Engine(playbook: try loadPlaybook(Fixtures.specExample, fileName: "offensive-post.yaml"))
    }

    static func variant(_ line: String, _ replacement: String) throws -> Engine {
        let yaml = Fixtures.specExample.replacing(line, with: replacement)
        precondition(yaml != Fixtures.specExample, "the variant must change the example")
        return Engine(playbook: try loadPlaybook(yaml, fileName: "offensive-post.yaml"))
    }

    func openIncident(_ engine: Engine? = nil) throws -> Incident {
        try (engine ?? self.engine).open(title: "Rude post", opener: "ann", assignments: Self.cast, at: t0).0
    }

    @discardableResult
    func accept(_ command: Command, by actor: String, at time: Int, _ incident: inout Incident, engine: Engine? = nil) throws -> [Event] {
        try (engine ?? self.engine).apply(command, by: actor, at: time, to: &incident)
    }

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

    /// In `recover` with `lessons` done: only `resolved` (into the final state) is left.
    func incidentReadyToResolve(_ engine: Engine? = nil) throws -> Incident {
        var incident = try openIncident(engine)
        try accept(.done(step: "capture"), by: "sam", at: t0 + 5 * minute, &incident, engine: engine)
        try accept(.done(step: "assess", choice: "escalate"), by: "ann", at: t0 + 10 * minute, &incident, engine: engine)
        try accept(.done(step: "holding-statement"), by: "ann", at: t0 + 20 * minute, &incident, engine: engine)
        try accept(.done(step: "talk-to-employee"), by: "hal", at: t0 + 25 * minute, &incident, engine: engine)
        try accept(.fire(event: "contained"), by: "sam", at: t0 + 30 * minute, &incident, engine: engine)
        try accept(.done(step: "lessons"), by: "ann", at: t0 + 35 * minute, &incident, engine: engine)
        return incident
    }

    // MARK: A decision's event comes only from its decision

    @Test func firingAnOpenDecisionsEventIsRefusedNamingTheStepItsOwnerAndTheCommand() throws {
        var incident = try openIncident()
        try accept(.done(step: "capture"), by: "sam", at: t0 + 5 * minute, &incident)
        let refused = refusal(.fire(event: "dismiss"), by: "ann", at: t0 + 6 * minute, incident)
        #expect(refused == .decidedBy(event: "dismiss", step: "assess", owner: "comms-lead", option: "dismiss", incident: "INC"))
        #expect(refused?.naming("INC-1").message == "'dismiss' is decided by step 'assess' (owner comms-lead): firebreak done INC-1 assess --choice dismiss")
        // Before capture is done too: the decision, not its need, is what stands in the way.
        let early = try openIncident()
        #expect(refusal(.fire(event: "escalate"), by: "sam", at: t0 + minute, early)
            == .decidedBy(event: "escalate", step: "assess", owner: "comms-lead", option: "escalate", incident: "INC"))
    }

    @Test func onceTheDecisionIsSkippedItsEventMayBeFired() throws {
        var incident = try openIncident()
        try accept(.skip(step: "assess", reason: "obvious"), by: "ann", at: t0 + minute, &incident)
        let events = try accept(.fire(event: "escalate"), by: "sam", at: t0 + 2 * minute, &incident)
        #expect(events.map(\.body) == [.fired(event: "escalate"), .entered(state: "respond", from: "triage", event: "escalate", round: 1)])
    }

    @Test func completingTheDecisionIntoTheFinalStateIsNotBoundByTheCommanderRule() throws {
        // Anyone may act on a step: sam completes the commander's decision, and its 'dismiss' closes the incident.
        var incident = try openIncident()
        try accept(.done(step: "capture"), by: "sam", at: t0 + 5 * minute, &incident)
        let events = try accept(.done(step: "assess", choice: "dismiss"), by: "sam", at: t0 + 6 * minute, &incident)
        #expect(events.last?.body == .closed(reason: nil, forced: false))
        #expect(events.first?.outsideRole == true)
    }

    // MARK: Final transitions and `by`

    @Test func aFinalTransitionIsTheCommandersOnly() throws {
        var incident = try incidentReadyToResolve()
        let refused = refusal(.fire(event: "resolved"), by: "sam", at: t0 + 40 * minute, incident)
        #expect(refused == .notAllowedToFire(event: "resolved", roles: ["comms-lead"], holders: ["ann"], person: "sam", byGiven: false))
        #expect(refused?.message == "'resolved' closes the incident, so only the commander ('comms-lead') or a deputy may fire it; 'sam' is neither: ask 'ann'")
        let events = try accept(.fire(event: "resolved"), by: "ann", at: t0 + 40 * minute, &incident)
        #expect(events.map(\.kind) == [.fired, .entered, .closed])
    }

    @Test func aCommandersDeputyMayFireTheFinalTransition() throws {
        var incident = try incidentReadyToResolve()
        let added = try accept(.deputy(role: "comms-lead", person: "pat"), by: "ann", at: t0 + 36 * minute, &incident)
        #expect(added == [Event(at: t0 + 36 * minute, actor: "ann", role: "comms-lead", .deputy(role: "comms-lead", person: "pat"))])
        #expect(incident.deputies == ["comms-lead": ["pat"]])
        #expect(incident.assignments["comms-lead"] == "ann")
        let events = try accept(.fire(event: "resolved"), by: "pat", at: t0 + 40 * minute, &incident)
        #expect(events.first == Event(at: t0 + 40 * minute, actor: "pat", role: "comms-lead", .fired(event: "resolved")))
        #expect(incident.isClosed)
    }

    @Test func byListsTheRolesThatMayFire() throws {
        let engine = try Self.variant("resolved: { to: closed, when: all-done }", "resolved: { to: closed, when: all-done, by: [director, legal] }")
        var incident = try incidentReadyToResolve(engine)
        let refused = refusal(.fire(event: "resolved"), by: "ann", at: t0 + 40 * minute, incident, engine: engine)
        #expect(refused == .notAllowedToFire(event: "resolved", roles: ["director", "legal"], holders: ["dee", "lee"], person: "ann", byGiven: true))
        #expect(refused?.message == "only a holder or deputy of 'director', 'legal' may fire 'resolved'; 'ann' is neither: ask 'dee', 'lee'")
        try accept(.fire(event: "resolved"), by: "lee", at: t0 + 40 * minute, &incident, engine: engine)
        #expect(incident.isClosed)
    }

    @Test func byOnANonFinalTransitionBindsItToo() throws {
        let engine = try Self.variant("story-published: escalated", "story-published: { to: escalated, by: [social] }")
        var incident = try openIncident(engine)
        try accept(.done(step: "capture"), by: "sam", at: t0 + 5 * minute, &incident, engine: engine)
        try accept(.done(step: "assess", choice: "escalate"), by: "ann", at: t0 + 10 * minute, &incident, engine: engine)
        #expect(refusal(.fire(event: "story-published"), by: "ann", at: t0 + 11 * minute, incident, engine: engine)
            == .notAllowedToFire(event: "story-published", roles: ["social"], holders: ["sam"], person: "ann", byGiven: true))
        try accept(.fire(event: "story-published"), by: "sam", at: t0 + 11 * minute, &incident, engine: engine)
        #expect(engine.playbook.states[incident.state].id == "escalated")
    }

    @Test func otherEventsMayBeFiredByAnyoneAsBefore() throws {
        var incident = try openIncident()
        try accept(.done(step: "capture"), by: "sam", at: t0 + 5 * minute, &incident)
        try accept(.done(step: "assess", choice: "escalate"), by: "ann", at: t0 + 10 * minute, &incident)
        try accept(.fire(event: "story-published"), by: "somebody", at: t0 + 11 * minute, &incident)
        #expect(engine.playbook.states[incident.state].id == "escalated")
    }

    // MARK: Deputies and taking over command

    @Test func aDeputyActsInTheRoleNotOutsideIt() throws {
        var incident = try openIncident()
        try accept(.deputy(role: "social", person: "kim"), by: "ann", at: t0 + minute, &incident)
        let events = try accept(.done(step: "capture"), by: "kim", at: t0 + 2 * minute, &incident)
        #expect(events == [Event(at: t0 + 2 * minute, actor: "kim", role: "social", .done(step: "capture", choice: nil, note: nil))])
    }

    @Test func deputiesStayWhenTheHolderChanges() throws {
        var incident = try openIncident()
        try accept(.deputy(role: "social", person: "kim"), by: "ann", at: t0 + minute, &incident)
        try accept(.assign(role: "social", person: "max"), by: "ann", at: t0 + 2 * minute, &incident)
        #expect(incident.assignments["social"] == "max")
        #expect(incident.deputies == ["social": ["kim"]])
    }

    @Test func aDeputyIsAddedOnceAndOnlyByTheCommander() throws {
        var incident = try openIncident()
        try accept(.deputy(role: "social", person: "kim"), by: "ann", at: t0 + minute, &incident)
        #expect(refusal(.deputy(role: "social", person: "kim"), by: "ann", at: t0 + 2 * minute, incident)
            == .alreadyActs(role: "social", person: "kim", how: "is a deputy of"))
        #expect(refusal(.deputy(role: "social", person: "sam"), by: "ann", at: t0 + 2 * minute, incident)?.message == "'sam' already holds role 'social'")
        #expect(refusal(.deputy(role: "hr", person: "kim"), by: "sam", at: t0 + 2 * minute, incident)
            == .notCommander(action: "add deputies", person: "sam", commanderRole: "comms-lead", holder: "ann"))
        #expect(refusal(.deputy(role: "press", person: "kim"), by: "ann", at: t0 + 2 * minute, incident)
            == .unknownRole(role: "press", roles: ["comms-lead", "social", "hr", "legal", "director"]))
    }

    @Test func theCommandersEscalationRoleMayReassignCommandAndNothingElse() throws {
        var incident = try openIncident()
        let refusedToSam = refusal(.assign(role: "comms-lead", person: "sam"), by: "sam", at: t0 + minute, incident)
        #expect(refusedToSam?.message
            == "only the commander ('comms-lead', held by 'ann') may assign roles (and the holder of 'director' ('dee') the commander role); 'sam' does not hold that role")
        #expect(refusal(.assign(role: "hr", person: "pat"), by: "dee", at: t0 + minute, incident)
            == .notCommander(action: "assign roles", person: "dee", commanderRole: "comms-lead", holder: "ann"))
        let events = try accept(.assign(role: "comms-lead", person: "dee"), by: "dee", at: t0 + minute, &incident)
        #expect(events == [Event(at: t0 + minute, actor: "dee", role: "director", .assigned(role: "comms-lead", person: "dee"))])
        // Now dee commands.
        try accept(.assign(role: "hr", person: "pat"), by: "dee", at: t0 + 2 * minute, &incident)
        #expect(incident.assignments["hr"] == "pat")
    }

    @Test func aCommandersDeputyMayDoWhatTheCommanderMay() throws {
        var incident = try openIncident()
        try accept(.deputy(role: "comms-lead", person: "pat"), by: "ann", at: t0 + minute, &incident)
        let events = try accept(.assign(role: "hr", person: "zoe"), by: "pat", at: t0 + 2 * minute, &incident)
        #expect(events == [Event(at: t0 + 2 * minute, actor: "pat", role: "comms-lead", .assigned(role: "hr", person: "zoe"))])
        try accept(.close(reason: "Parody account"), by: "pat", at: t0 + 3 * minute, &incident)
        #expect(incident.closed?.forced == true)
    }

    @Test func aDeputyOfAnotherRoleIsRefusedWithTheDeputiesNamed() throws {
        var incident = try openIncident()
        try accept(.deputy(role: "comms-lead", person: "pat"), by: "ann", at: t0 + minute, &incident)
        let refused = refusal(.close(reason: "enough"), by: "sam", at: t0 + 2 * minute, incident)
        #expect(refused?.message == "only the commander ('comms-lead', held by 'ann') may force-close the incident, as may its deputies 'pat'; 'sam' does not hold that role")
    }

    @Test func anOldSnapshotWithoutDeputiesStillDecodes() throws {
        let incident = try openIncident()
        let data = try JSONEncoder().encode(incident)
        #expect(!String(decoding: data, as: UTF8.self).contains("deputies"))
        #expect(try Incident(storedJSON: data) == incident)
    }
}

import Foundation
