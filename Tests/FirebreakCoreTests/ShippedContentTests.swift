import FirebreakCore
import FirebreakLoading
import FirebreakTestSupport
import Foundation
import Testing

/// What the shipped playbooks promise a team, held over the Monte Carlo runs of their scenarios.
@Suite struct ShippedContentTests {
    /// The earliest time `step` was done in a run, if ever.
    static func firstDone(_ step: String, in outcome: Simulator.Outcome) -> Int? {
        outcome.analysis.steps.filter { $0.step == step }.compactMap(\.doneAt).min()
    }

    /// In `leaked-product-photo`, whatever happens online, nothing is published to the press
    /// before the client was informed (version 1 published in 42.8% of `drill stats` runs
    /// a statement "agreed with the client" the client had never heard of). The scenario says so
    /// itself, as a `before` expectation, and the one scorer scores it in every run: windows and
    /// delays drawn as `drill stats` draws them.
    @Test(arguments: [1, 2026] as [UInt64])
    func noRunOfPrelaunchPhotoPublishesBeforeTheClientIsInformed(seed: UInt64) throws {
        let (_, simulator) = try #require(try MonteCarloTests.shippedScenarios().first { $0.name == "prelaunch-photo.yaml" })
        let carlo = MonteCarlo(simulator: simulator, seed: seed)
        let expectations = simulator.run().expectations.map(\.expectation.condition)
        let clientFirst = try #require(expectations.firstIndex(of: .before(step: "inform-client", other: "publish-statement")))
        #expect(expectations.filter { $0.kind == "before" }.count == 1)
        let summary = carlo.summarize(carlo.tally(0..<1000))
        #expect(summary.runs == 1000)
        #expect(summary.expectations[clientFirst].met == 1000)
        // Not met vacuously: every run publishes, and the logged runs agree with the scorer run by run.
        var published = 0
        for run in 0..<200 {
            let outcome = simulator.run(delays: carlo.delays(run: run), windows: carlo.windows(run: run))
            guard let publishedAt = Self.firstDone("publish-statement", in: outcome) else { continue }
            published += 1
            let informedAt = try #require(Self.firstDone("inform-client", in: outcome))
            #expect(informedAt <= publishedAt, "run \(run)")
            #expect(outcome.expectations[clientFirst].met == carlo.run(run).met[clientFirst], "run \(run)")
        }
        #expect(published == 200)
    }

    /// The rewritten `prelaunch-photo`: its windows make the runs differ in when the world acts, and the
    /// trade press's later story comes three hours after the missed press deadline, in some runs and not in others.
    @Test func prelaunchPhotoDrawsItsWindowsAndSometimesMissesThePress() throws {
        let (_, simulator) = try #require(try MonteCarloTests.shippedScenarios().first { $0.name == "prelaunch-photo.yaml" })
        let carlo = MonteCarlo(simulator: simulator, seed: 7)
        #expect(Set((0..<50).map { carlo.windows(run: $0) }).count > 40)
        let scripted = simulator.run()
        let press = try #require(scripted.expectations.firstIndex { $0.expectation.condition == .published(audience: "press") })
        // As scripted (drill run: every inject at its `at`), the press gets the statement in time: no trade-press story.
        #expect(scripted.expectations[press].met)
        #expect(scripted.expectations[press].contingencyDelivered == false)
        let runs = (0..<400).map { simulator.run(delays: carlo.delays(run: $0), windows: carlo.windows(run: $0)) }
        let missed = runs.filter { $0.expectations[press].met == false }
        #expect(missed.count > 0 && missed.count < 400)
        // Where it is missed and the incident is still open three hours later, the later story comes then.
        for outcome in missed where outcome.stoppedAt > outcome.expectations[press].deadline + 3 * 3600 {
            #expect(outcome.expectations[press].contingencyDelivered)
            let story = outcome.events.first { event in
                if case .inject(_, let from, _, let reach) = event.body { return from == "Trade press newsletter" && reach == 250_000 }
                return false
            }
            #expect(story?.at == outcome.expectations[press].deadline + 3 * 3600)
        }
    }

    /// The same promise, for every path the playbook allows: a repost (`story-published`) in
    /// any state never reaches the public statement past removal and the client.
    @Test func aRepostBeforeContainmentDoesNotSkipRemovalOrTheClient() throws {
        let playbook = try loadPlaybook(try Fixtures.shippedPlaybookText("leaked-product-photo.yaml"))
        let triage = try #require(playbook.states.firstIndex { $0.id == "triage" })
        let contain = try #require(playbook.states.firstIndex { $0.id == "contain" })
        let toContain = try #require(playbook.transition(for: "story-published", from: triage))
        #expect(toContain.target == contain && toContain.guardCondition == .always)
        // From contain, the repost reaches the statement only once removal and the client are settled; no timer skips them.
        let fromContain = try #require(playbook.transition(for: "story-published", from: contain))
        let stepIDs = playbook.states[contain].steps.map(\.id)
        guard case .steps(let guarded) = fromContain.guardCondition else { Issue.record("unguarded"); return }
        #expect(guarded.map { stepIDs[$0] } == ["request-removal", "inform-client"])
        #expect(playbook.states[contain].timers == [])
        // The public statement is the press audience's, and the account manager approves it for the client:
        // nothing goes out that the client did not agree to.
        let publish = try #require(playbook.step("publish-statement"))
        #expect(publish.step.statement == "press")
        #expect(playbook.audiences.first { $0.id == "press" }?.approvers == ["account-manager", "director"])
        // And the client hearing it first is a step that informing the client completes.
        #expect(playbook.step("inform-client")?.step.informs == "client")
    }
}
