import FirebreakCore
import FirebreakTestSupport
import Testing

/// A playbook whose states time out into each other every second, with nobody acting: the engine
/// records a bounded number of events per move and says why it stops, instead of filling memory.
@Suite struct RunawayTimerTests {

    @Test func aMoveAfterADayOfLoopingTimersIsRefused() throws {
        let engine = Engine(playbook: try loadPlaybook(Fixtures.loopingTimers, fileName: "looping.yaml"))
        let (opened, _) = try engine.open(title: "Loop", opener: "ann", at: 0)
        var incident = opened
        #expect(throws: Refusal.runawayTimers(limit: Engine.timeDrivenLimit)) {
            try engine.advanceOrRefuse(&incident, to: 86_400)
        }
        // An hour of it is within the bound: 3,600 timers, each with its entry.
        var hour = opened
        let events = try engine.advanceOrRefuse(&hour, to: 3_600)
        #expect(events.count == 7_200)
        #expect(hour.state == 0)
        // A plain advance stops at the limit it is given.
        var bounded = opened
        #expect(engine.advance(&bounded, to: 86_400, limit: 100).count == 100)
    }

    @Test func anExerciseOnLoopingTimersStopsAtItsEventLimit() throws {
        let playbook = try loadPlaybook(Fixtures.loopingTimers, fileName: "looping.yaml")
        let scenario = Scenario(id: "loop", title: "Loop", playbook: "looping", injects: [Inject(at: 0, text: "go")], end: 30 * 86_400)
        let outcome = Simulator(scenario: scenario, playbook: playbook).run()
        #expect(outcome.incident.eventCount >= Exercise.eventLimit)
        #expect(outcome.incident.eventCount < Exercise.eventLimit + 10)
        #expect(outcome.stoppedAt < 30 * 86_400)
        guard case .refused(let action, let reason)? = outcome.events.last?.body else {
            Issue.record("no entry says why the exercise stopped")
            return
        }
        #expect(action == "the exercise")
        #expect(reason.hasPrefix("stopped after 200000 events"))
    }
}
