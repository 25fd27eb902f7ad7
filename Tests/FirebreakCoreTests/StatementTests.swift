@testable import FirebreakCore
import FirebreakTestSupport
import Foundation
import Testing

private let minute = 60
private let hour = 3600
private let t0 = 1_700_000_000
private let holding = "We know a photo of [name] was shared on [platform].\nWe are looking into it and will say more by [time]."

/// Statements, approvals, publication, cadence and informs on ``Fixtures/leakedPhoto``.
@Suite struct StatementTests {
    let engine: Engine
    static let cast = [("legal", "noor"), ("director", "marieke"), ("account", "ben")]

    init() throws {
        engine = Engine(playbook: try loadPlaybook(Fixtures.leakedPhoto, fileName: "leaked-photo.yaml"))
    }

    func open() throws -> (Incident, [Event]) {
        try engine.open(title: "Leaked photo", opener: "ann", assignments: Self.cast, at: t0)
    }

    /// Applies commands that must be accepted, keeping every event in `log`; checks the fold of the log equals the incident.
    @discardableResult
    func accept(_ command: Command, by actor: String, at time: Int, _ incident: inout Incident, _ log: inout [Event]) throws -> [Event] {
        let events = try engine.apply(command, by: actor, at: time, to: &incident)
        log += events
        #expect(engine.replay(log) == incident, "the fold of the log differs from the incident")
        return events
    }

    func refusal(_ command: Command, by actor: String, at time: Int, _ incident: Incident) -> String? {
        var copy = incident
        do {
            let events = try engine.apply(command, by: actor, at: time, to: &copy)
            Issue.record("\(command) was accepted: \(events)")
            return nil
        } catch {
            #expect(copy == incident, "a refused move changed the incident")
            return error.message
        }
    }

    /// S1 to the press drafted at 5m with `text`, by ann.
    func drafted(_ text: String = "We are looking into a photo shared today.") throws -> (Incident, [Event]) {
        var (incident, log) = try open()
        try accept(.draft(audience: "press", text: text), by: "ann", at: t0 + 5 * minute, &incident, &log)
        return (incident, log)
    }

    @Test func aDraftIsVersionOneWithItsFullText() throws {
        var (incident, log) = try open()
        let events = try accept(.draft(audience: "press", text: holding), by: "ann", at: t0 + 5 * minute, &incident, &log)
        #expect(events == [Event(at: t0 + 5 * minute, actor: "ann", role: "comms-lead", .drafted(statement: "S1", audience: "press", version: 1, text: holding))])
        #expect(incident.comms == Communications(
            statements: [StatementProgress(audience: 0, version: 1, text: holding, hasPlaceholders: true, approvedBy: [], rejectedBy: [], publishedAt: nil)],
            nextUpdate: [-1, -1]))
        // A second draft to the same audience is a new statement.
        let second = try accept(.draft(audience: "press", text: "More."), by: "ann", at: t0 + 6 * minute, &incident, &log)
        #expect(second.map(\.body) == [.drafted(statement: "S2", audience: "press", version: 1, text: "More.")])
    }

    @Test func aDraftToAnUnknownAudienceOrWithoutTextIsRefused() throws {
        let (incident, _) = try open()
        #expect(refusal(.draft(audience: "prss", text: "x"), by: "ann", at: t0 + minute, incident) == "no audience 'prss' in this playbook; audiences are 'press', 'client'")
        #expect(refusal(.draft(audience: "press", text: " \n"), by: "ann", at: t0 + minute, incident) == "a statement's text may not be empty")
        #expect(refusal(.approve(statement: .id("S1")), by: "noor", at: t0 + minute, incident)
            == "no statement 'S1': this incident has no statements yet; draft one with 'statement draft'")
    }

    @Test func onlyAnApproverMayApprove() throws {
        let (incident, _) = try drafted()
        #expect(refusal(.approve(statement: .id("S1")), by: "ben", at: t0 + 10 * minute, incident)
            == "'ben' may not give a verdict on S1: its approvers are 'legal' (held by noor) and 'director' (held by marieke)")
        #expect(refusal(.reject(statement: .id("S1"), reason: "no"), by: "ann", at: t0 + 10 * minute, incident)
            == "'ann' may not give a verdict on S1: its approvers are 'legal' (held by noor) and 'director' (held by marieke)")
    }

    @Test func anApproverRoleApprovesOncePerVersion() throws {
        var (incident, log) = try drafted()
        let events = try accept(.approve(statement: .id("S1")), by: "noor", at: t0 + 10 * minute, &incident, &log)
        #expect(events == [Event(at: t0 + 10 * minute, actor: "noor", role: "legal", .approved(statement: "S1", version: 1, approver: "legal"))])
        #expect(refusal(.approve(statement: .id("S1")), by: "noor", at: t0 + 11 * minute, incident)
            == "'legal' already approved version 1 of S1; a role gives one verdict per version")
        #expect(refusal(.reject(statement: .id("s1"), reason: "changed my mind"), by: "noor", at: t0 + 11 * minute, incident)
            == "'legal' already approved version 1 of S1; a role gives one verdict per version")
    }

    @Test func oneAndTheSamePersonInTwoApproverRolesApprovesForEachInTurn() throws {
        var (incident, log) = try open()
        try accept(.assign(role: "director", person: "noor"), by: "ann", at: t0 + minute, &incident, &log)
        try accept(.draft(audience: "press", text: "Statement."), by: "ann", at: t0 + 5 * minute, &incident, &log)
        let first = try accept(.approve(statement: .id("S1")), by: "noor", at: t0 + 6 * minute, &incident, &log)
        let second = try accept(.approve(statement: .id("S1")), by: "noor", at: t0 + 7 * minute, &incident, &log)
        #expect(first.map(\.body) + second.map(\.body)
            == [.approved(statement: "S1", version: 1, approver: "legal"), .approved(statement: "S1", version: 1, approver: "director")])
    }

    @Test func aDeputyOfAnApproverRoleApprovesForIt() throws {
        var (incident, log) = try open()
        try accept(.deputy(role: "legal", person: "pia"), by: "ann", at: t0 + minute, &incident, &log)
        try accept(.draft(audience: "press", text: "Statement."), by: "ann", at: t0 + 5 * minute, &incident, &log)
        let events = try accept(.approve(statement: .id("S1")), by: "pia", at: t0 + 6 * minute, &incident, &log)
        #expect(events == [Event(at: t0 + 6 * minute, actor: "pia", role: "legal", .approved(statement: "S1", version: 1, approver: "legal"))])
        // The holder's role has given its verdict on this version, through its deputy.
        #expect(refusal(.approve(statement: .id("S1")), by: "noor", at: t0 + 7 * minute, incident)
            == "'legal' already approved version 1 of S1; a role gives one verdict per version")
    }

    @Test func publishingNeedsEveryApprovalOfTheCurrentVersion() throws {
        var (incident, log) = try drafted()
        #expect(refusal(.publish(statement: .id("S1")), by: "ann", at: t0 + 10 * minute, incident)
            == "S1 needs approval from 'legal' (held by noor) and 'director' (held by marieke); approved by nobody yet")
        try accept(.approve(statement: .id("S1")), by: "noor", at: t0 + 10 * minute, &incident, &log)
        #expect(refusal(.publish(statement: .id("S1")), by: "ann", at: t0 + 11 * minute, incident)
            == "S1 needs approval from 'director' (held by marieke); approved by 'legal'")
        try accept(.approve(statement: .id("S1")), by: "marieke", at: t0 + 12 * minute, &incident, &log)
        // A revision: every approval lapses.
        try accept(.revise(statement: .id("S1"), text: "A better statement."), by: "ann", at: t0 + 13 * minute, &incident, &log)
        #expect(incident.comms?.statements[0].version == 2)
        #expect(refusal(.publish(statement: .id("S1")), by: "ann", at: t0 + 14 * minute, incident)
            == "S1 needs approval from 'legal' (held by noor) and 'director' (held by marieke); approved by nobody yet")
    }

    @Test func anApprovalOfAnEarlierVersionCountsForNothing() throws {
        var (incident, log) = try drafted()
        try accept(.revise(statement: .id("S1"), text: "Version two."), by: "ann", at: t0 + 6 * minute, &incident, &log)
        // A stored approval that names version 1 (written behind Firebreak's back) is passed over by the fold.
        var folded = engine.replay(log)!
        engine.fold(Event(at: t0 + 7 * minute, actor: "noor", role: "legal", .approved(statement: "S1", version: 1, approver: "legal")), into: &folded)
        #expect(folded.comms?.statements[0].approvedBy == [])
    }

    @Test func aPlaceholderBlocksPublicationAndIsNamed() throws {
        var (incident, log) = try drafted(holding)
        try accept(.approve(statement: .id("S1")), by: "noor", at: t0 + 10 * minute, &incident, &log)
        try accept(.approve(statement: .id("S1")), by: "marieke", at: t0 + 11 * minute, &incident, &log)
        #expect(refusal(.publish(statement: .id("S1")), by: "ann", at: t0 + 12 * minute, incident)
            == "S1 still has placeholders '[name]', '[platform]', '[time]'; fill them in with 'statement revise' before publishing")
    }

    /// With placeholders and approvals both missing, the placeholders are named: filling them in is a revision, which
    /// lapses every approval, so asking for the approvals first would have them given twice.
    @Test func aPlaceholderIsNamedBeforeMissingApprovals() throws {
        var (incident, log) = try drafted(holding)
        #expect(refusal(.publish(statement: .id("S1")), by: "ann", at: t0 + 6 * minute, incident)
            == "S1 still has placeholders '[name]', '[platform]', '[time]'; fill them in with 'statement revise' before publishing")
        try accept(.revise(statement: .id("S1"), text: "A photo was shared without consent."), by: "ann", at: t0 + 7 * minute, &incident, &log)
        #expect(refusal(.publish(statement: .id("S1")), by: "ann", at: t0 + 8 * minute, incident)
            == "S1 needs approval from 'legal' (held by noor) and 'director' (held by marieke); approved by nobody yet")
    }

    @Test func aRejectedVersionNeedsARevisionBeforeItCanBeApproved() throws {
        var (incident, log) = try drafted()
        let rejected = try accept(.reject(statement: .id("S1"), reason: "Too vague"), by: "noor", at: t0 + 10 * minute, &incident, &log)
        #expect(rejected == [Event(at: t0 + 10 * minute, actor: "noor", role: "legal", .rejected(statement: "S1", version: 1, approver: "legal", reason: "Too vague"))])
        #expect(refusal(.approve(statement: .id("S1")), by: "noor", at: t0 + 11 * minute, incident)
            == "'legal' rejected version 1 of S1; it needs a revision ('statement revise') before it can be approved")
        try accept(.approve(statement: .id("S1")), by: "marieke", at: t0 + 11 * minute, &incident, &log)
        #expect(refusal(.publish(statement: .id("S1")), by: "ann", at: t0 + 12 * minute, incident)
            == "S1 needs approval from 'legal' (held by noor); approved by 'director'; rejected by 'legal', so it needs a revision first")
        try accept(.revise(statement: .id("S1"), text: "We are looking into it and will update at 22:00."), by: "ann", at: t0 + 13 * minute, &incident, &log)
        try accept(.approve(statement: .id("S1")), by: "noor", at: t0 + 14 * minute, &incident, &log)
        try accept(.approve(statement: .id("S1")), by: "marieke", at: t0 + 15 * minute, &incident, &log)
        let published = try accept(.publish(statement: .id("S1"), channel: "website"), by: "ann", at: t0 + 16 * minute, &incident, &log)
        #expect(published == [
            Event(at: t0 + 16 * minute, actor: "ann", role: "comms-lead", .published(statement: "S1", version: 2, audience: "press", channel: "website")),
            Event(at: t0 + 16 * minute, actor: "ann", role: "comms-lead", .done(step: "holding-statement", choice: nil, note: nil, via: "S1")),
        ])
    }

    /// Publishing completes the active statement steps of the audience whose needs are settled; the text is frozen.
    func published(at time: Int = t0 + 30 * minute) throws -> (Incident, [Event]) {
        var (incident, log) = try drafted()
        try accept(.approve(statement: .id("S1")), by: "noor", at: t0 + 10 * minute, &incident, &log)
        try accept(.approve(statement: .id("S1")), by: "marieke", at: t0 + 11 * minute, &incident, &log)
        try accept(.publish(statement: .id("S1")), by: "ann", at: time, &incident, &log)
        return (incident, log)
    }

    @Test func publishingCompletesOnlyStepsWhoseNeedsAreSettledAndFreezesTheText() throws {
        var (incident, log) = try published()
        #expect(incident.steps.map(\.isOpen) == [false, true, true, true])
        #expect(refusal(.revise(statement: .id("S1"), text: "Oops."), by: "ann", at: t0 + 31 * minute, incident)
            == "S1 is published and can no longer change; a further message to 'press' is a new statement ('statement draft')")
        #expect(refusal(.publish(statement: .id("S1")), by: "ann", at: t0 + 31 * minute, incident)
            == "S1 is published and can no longer change; a further message to 'press' is a new statement ('statement draft')")
        // The second statement completes the follow-up, whose need is now settled.
        try accept(.draft(audience: "press", text: "Update."), by: "ann", at: t0 + 40 * minute, &incident, &log)
        try accept(.approve(statement: .id("S2")), by: "noor", at: t0 + 41 * minute, &incident, &log)
        try accept(.approve(statement: .id("S2")), by: "marieke", at: t0 + 42 * minute, &incident, &log)
        let events = try accept(.publish(statement: .id("S2")), by: "ann", at: t0 + 43 * minute, &incident, &log)
        #expect(events.map(\.body) == [
            .published(statement: "S2", version: 1, audience: "press", channel: nil), .done(step: "follow-up", choice: nil, note: nil, via: "S2"),
        ])
    }

    @Test func aStatementStepMayStillBeDoneByHand() throws {
        var (incident, log) = try open()
        let events = try accept(.done(step: "holding-statement"), by: "ann", at: t0 + 10 * minute, &incident, &log)
        #expect(events.map(\.body) == [.done(step: "holding-statement", choice: nil, note: nil, via: nil)])
        var analysis = IncidentAnalysis(playbook: engine.playbook)
        for event in log { analysis.add(event) }
        #expect(analysis.communications.doneWithoutText.map(\.step) == ["holding-statement"])
    }

    @Test func anUpdateFallsOverdueAtItsDueInstantAndEscalatesToTheCommandersEscalation() throws {
        var (incident, _) = try published(at: t0 + 30 * minute)
        #expect(incident.comms?.nextUpdate == [t0 + 90 * minute, -1])
        // tell-client's deadline (30m, the instant of the publication) is the next thing due; it is recorded with the next move.
        #expect(engine.nextDue(incident) == t0 + 30 * minute)
        var copy = incident
        let before = engine.advance(&copy, to: t0 + 90 * minute - 1)
        #expect(!before.contains { $0.kind == .updateOverdue })
        let events = engine.advance(&incident, to: t0 + 90 * minute)
        #expect(events.suffix(2) == [
            Event(at: t0 + 90 * minute, .updateOverdue(audience: "press", due: t0 + 90 * minute)),
            Event(at: t0 + 90 * minute, role: "director", .escalatedUpdate(audience: "press", to: "director")),
        ])
        #expect(incident.comms?.nextUpdate == [-1, -1])
    }

    @Test func atOneInstantOverdueStepsComeFirstThenUpdatesThenTimers() throws {
        // Published at 2h: the update is due at 3h, with follow-up's deadline and the timer.
        var (incident, _) = try published(at: t0 + 2 * hour)
        let events = engine.advance(&incident, to: t0 + 3 * hour).filter { $0.at == t0 + 3 * hour }
        #expect(events == [
            Event(at: t0 + 3 * hour, .overdue(step: "follow-up", due: t0 + 3 * hour)),
            Event(at: t0 + 3 * hour, role: "director", .escalated(step: "follow-up", to: "director")),
            Event(at: t0 + 3 * hour, .updateOverdue(audience: "press", due: t0 + 3 * hour)),
            Event(at: t0 + 3 * hour, role: "director", .escalatedUpdate(audience: "press", to: "director")),
            Event(at: t0 + 3 * hour, .timer(state: "respond", after: 3 * hour, to: "escalated")),
            Event(at: t0 + 3 * hour, .entered(state: "escalated", from: "respond", event: nil, round: 1)),
        ])
    }

    @Test func aPublicationAtTheDueInstantKeepsTheCadence() throws {
        var (incident, log) = try published(at: t0 + 30 * minute)
        try accept(.draft(audience: "press", text: "Update."), by: "ann", at: t0 + 80 * minute, &incident, &log)
        try accept(.approve(statement: .id("S2")), by: "noor", at: t0 + 81 * minute, &incident, &log)
        try accept(.approve(statement: .id("S2")), by: "marieke", at: t0 + 82 * minute, &incident, &log)
        let events = try accept(.publish(statement: .id("S2")), by: "ann", at: t0 + 90 * minute, &incident, &log)
        #expect(!events.contains { $0.kind == .updateOverdue })
        #expect(!log.contains { $0.kind == .updateOverdue })
        #expect(incident.comms?.nextUpdate == [t0 + 150 * minute, -1])
    }

    @Test func closingEndsEveryCadence() throws {
        var (incident, log) = try published()
        try accept(.close(reason: "Story died"), by: "ann", at: t0 + 40 * minute, &incident, &log)
        #expect(incident.comms?.nextUpdate == [-1, -1])
        #expect(engine.nextDue(incident) == nil)
    }

    @Test func informingCompletesTheStepsThatInformThatName() throws {
        var (incident, log) = try open()
        let events = try accept(.inform(who: "client", via: "phone", note: "Spoke to the brand director"), by: "ben", at: t0 + 20 * minute, &incident, &log)
        #expect(events == [
            Event(at: t0 + 20 * minute, actor: "ben", role: "account", .informed(who: "client", via: "phone", note: "Spoke to the brand director")),
            Event(at: t0 + 20 * minute, actor: "ben", role: "account", .done(step: "tell-client", choice: nil, note: nil, via: "inform")),
        ])
        let other = try accept(.inform(who: "works council", via: "e-mail"), by: "ann", at: t0 + 21 * minute, &incident, &log)
        #expect(other.map(\.body) == [.informed(who: "works council", via: "e-mail", note: nil)])
        // Told again: the step is already done, nothing more is completed.
        let again = try accept(.inform(who: "client"), by: "ben", at: t0 + 22 * minute, &incident, &log)
        #expect(again.map(\.kind) == [.informed])
    }

    @Test func theLatestUnpublishedStatementOfAnAudienceIsWhatExercisesActOn() throws {
        var (incident, log) = try drafted()
        try accept(.draft(audience: "press", text: "Second."), by: "ann", at: t0 + 6 * minute, &incident, &log)
        let events = try accept(.approve(statement: .latest(audience: "press"), role: "legal"), by: "noor", at: t0 + 7 * minute, &incident, &log)
        #expect(events.map(\.body) == [.approved(statement: "S2", version: 1, approver: "legal")])
        #expect(refusal(.approve(statement: .latest(audience: "client"), role: "account"), by: "ben", at: t0 + 8 * minute, incident)
            == "audience 'client' has no unpublished statement; draft one first")
        // The acting role decides, not the person: a role that is no approver is refused.
        #expect(refusal(.approve(statement: .latest(audience: "press"), role: "account"), by: "ben", at: t0 + 8 * minute, incident)
            == "'ben' may not give a verdict on S2: its approvers are 'legal' (held by noor) and 'director' (held by marieke)")
    }

    @Test func aDraftWithoutTextTakesTheTemplateOfTheAudiencesStepInTheCurrentState() throws {
        var (incident, log) = try open()
        let press = try accept(.draft(audience: "press", text: nil), by: "ann", at: t0 + minute, &incident, &log)
        #expect(press.map(\.body) == [.drafted(statement: "S1", audience: "press", version: 1, text: holding)])
        let client = try accept(.draft(audience: "client", text: nil), by: "ben", at: t0 + minute, &incident, &log)
        #expect(client.map(\.body) == [.drafted(statement: "S2", audience: "client", version: 1, text: "Statement to The client.")])
    }

    @Test func anOlderSnapshotWithoutStatementsStillDecodes() throws {
        let (incident, _) = try open()
        let data = try JSONEncoder().encode(incident)
        #expect(!String(decoding: data, as: UTF8.self).contains("\"comms\""))
        #expect(try Incident(storedJSON: data) == incident)
    }
}
