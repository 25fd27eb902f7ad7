@testable import FirebreakCore
import FirebreakTestSupport
import Testing

private let minute = 60
private let hour = 3600
private let t0 = 1_700_000_000

/// `IncidentAnalysis` keeps one row per copy of a step the engine opened, and finds the copy an event
/// concerns through the folded incident (duties, carried steps, the current round), as the engine does.
@Suite struct AnalysisTests {
    @Test func rowsFollowTheEnginesCopiesOfDutiesCarriedStepsAndRounds() throws {
        let engine = Engine(playbook: try loadPlaybook(dutiesPlaybook, fileName: "duties.yaml"))
        var (incident, log) = try engine.open(title: "Post", opener: "ann", assignments: [("press", "pia")], at: t0)
        func act(_ command: Command, _ at: Int) throws { log += try engine.apply(command, by: "ann", at: at, to: &incident) }
        try act(.fire(event: "escalate"), t0 + 10 * minute)  // call and follow-up carried out of triage round 1
        try act(.fire(event: "recheck"), t0 + 20 * minute)  // triage round 2: capture anew, call and follow-up not
        log += engine.advance(&incident, to: t0 + 2 * hour + 20 * minute)
        try act(.done(step: "call"), t0 + 2 * hour + 30 * minute)  // settles the carried copy of round 1
        try act(.fire(event: "escalate"), t0 + 2 * hour + 50 * minute)  // respond round 2
        var analysis = IncidentAnalysis(playbook: engine.playbook)
        for event in log { analysis.add(event) }
        func row(_ r: IncidentAnalysis.StepRound) -> String {
            "\(r.step) \(r.isDuty ? "duty" : "\(r.state) \(r.round)")\(r.carried ? " carried" : "")"
                + " due +\((r.deadline ?? t0) - t0)" + (r.overdue ? " overdue" : "") + (r.doneAt.map { " done +\($0 - t0)" } ?? "")
        }
        #expect(analysis.steps.map(row) == [
            "media-line duty due +1800 overdue",
            "monitor duty due +3600 overdue",
            "capture triage 1 due +1800",
            "call triage 1 carried due +7200 overdue done +9000",
            "follow-up triage 1 carried due +10800",
            "statement respond 1 due +15000",
            "capture triage 2 due +3000 overdue",
            "statement respond 2 due +24600",
        ])
        // The facts scored from the same fold agree: call was done once, late.
        #expect(analysis.facts.firstDone[1] == t0 + 2 * hour + 30 * minute)
    }
}
