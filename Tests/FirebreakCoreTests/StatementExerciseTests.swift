import FirebreakCore
import FirebreakLoading
import FirebreakTestSupport
import Testing

/// Statement actions and expectations in exercises, on ``Fixtures/leakedPhoto``.
private struct LoadError: Error, CustomStringConvertible { var description: String }

@Suite struct StatementExerciseTests {
    static func load(_ body: String) -> ScenarioLoadResult {
        let playbook = try! loadPlaybook(Fixtures.leakedPhoto)
        let text = "firebreak: 1\nid: test\ntitle: Test\nplaybook: leaked-photo\ncast: { comms-lead: ann, legal: noor, director: marieke, account: ben }\n" + body
        return ScenarioLoader.load(text, playbooks: { $0 == playbook.id ? playbook : nil })
    }

    static func simulator(_ body: String) throws -> Simulator {
        let result = load(body)
        guard let scenario = result.scenario, let playbook = result.playbook, !result.diagnostics.hasErrors else {
            throw LoadError(description: result.diagnostics.map(\.description).joined(separator: "\n"))
        }
        return Simulator(scenario: scenario, playbook: playbook)
    }

    static func trace(_ outcome: Simulator.Outcome) -> [String] {
        outcome.events.dropFirst(6).map { "\(DurationText.format($0.at)) \($0.kind.rawValue)" + ($0.kind == .refused ? "" : " \(fieldsText($0))") }
    }

    static func fieldsText(_ event: Event) -> String {
        event.body.fields.compactMap { key, value in
            switch value {
            case .string(let s): key == "text" ? nil : "\(key)=\(s)"
            case .int(let i): key == "due" ? nil : "\(key)=\(i)"
            default: nil
            }
        }.joined(separator: " ")
    }

    /// `drill stats` measures the time to a publication from the moment the inject came in that run
    /// (drawn in its window), not from its scripted `at`.
    @Test func publicationDelayRunsFromTheDrawnDelivery() throws {
        let simulator = try Self.simulator("""
            injects:
              - id: press
                at: 0m
                window: 20m
                text: A reporter calls.
                expect:
                  - { published: press, within: 1h }
            actions:
              - { at: 30m, by: comms-lead, draft: press, text: "We are looking into it." }
              - { at: 31m, by: legal, approve: press }
              - { at: 32m, by: director, approve: press }
              - { at: 33m, by: comms-lead, publish: press }
            end: 2h
            """)
        let carlo = MonteCarlo(simulator: simulator, seed: 3)
        var expected: [Int] = []
        for run in 0..<5 {
            let drawn = carlo.windows(run: run)[0]
            expected.append(33 * 60 - drawn)
        }
        #expect(Set(expected).count > 1, "the draws should differ: \(expected)")
        let summary = carlo.summarize(carlo.tally(0..<5))
        #expect(summary.publication[0]?.median == Statistics.quantile(expected.sorted(), 0.5))
        #expect(summary.publication[0]?.without == 0)
    }

    @Test func approvalsWaitForTheDraftAndPublicationWaitsForTheApprovalsWhileTheClockRuns() throws {
        let outcome = try Self.simulator("""
            injects:
              - id: press
                at: 0m
                text: A reporter calls.
                expect:
                  - { published: press, within: 30m }
                  - { informed: client, within: 20m }
                  - { informed: the works council, within: 1h }
            actions:
              - { at: 1m, by: legal, approve: press }
              - { at: 2m, by: comms-lead, publish: press }
              - { at: 5m, by: comms-lead, draft: press, text: "We are looking into it." }
              - { at: 10m, by: director, approve: press }
              - { at: 40m, by: account, inform: client, via: phone }
              - { at: 45m, by: comms-lead, inform: the works council, via: e-mail }
            end: 1h
            """).run()
        #expect(Self.trace(outcome) == [
            "0m inject inject=press",
            "1m refused",
            "2m refused",
            "5m drafted statement=S1 audience=press version=1",
            "5m approved statement=S1 version=1 approver=legal",
            "10m approved statement=S1 version=1 approver=director",
            "10m published statement=S1 version=1 audience=press",
            "10m done step=holding-statement via=S1",
            "30m overdue step=tell-client",
            "30m escalated step=tell-client to=comms-lead",
            "40m informed who=client via=phone",
            "40m done step=tell-client via=inform",
            "45m informed who=the works council via=e-mail",
        ])
        #expect(outcome.expectations.map(\.met) == [true, false, true])
        #expect(outcome.expectations.map(\.happenedAt) == [600, 2400, 2700])
        #expect(outcome.actions.map(\.appliedAt) == [300, 600, 300, 600, 2400, 2700])
    }

    @Test func aTemplateDraftIsRefusedPublicationUntilRevised() throws {
        let outcome = try Self.simulator("""
            injects:
              - { at: 0m, text: Go., expect: [{ published: press, within: 1h }] }
            actions:
              - { at: 1m, by: comms-lead, draft: press }
              - { at: 2m, by: legal, approve: press }
              - { at: 3m, by: director, approve: press }
              - { at: 4m, by: comms-lead, publish: press }
              - { at: 20m, by: comms-lead, revise: press, text: "Filled in." }
              - { at: 25m, by: legal, reject: press, reason: Too short }
              - { at: 30m, by: legal, approve: press }
              - { at: 31m, by: director, approve: press }
              - { at: 35m, by: comms-lead, revise: press, text: "Filled in, longer." }
              - { at: 40m, by: director, approve: press }
            end: 50m
            """).run()
        let refusals = outcome.events.compactMap { if case let .refused(action, reason) = $0.body { "\(DurationText.format($0.at)) \(action): \(reason)" } else { nil } }
        #expect(refusals == [
            "4m publish press: S1 still has placeholders '[name]', '[platform]', '[time]'; fill them in with 'statement revise' before publishing",
            "30m approve press: 'legal' rejected version 2 of S1; it needs a revision ('statement revise') before it can be approved",
        ])
        // The publication waits: the revision at 20m makes the approvals lapse, legal rejects version 2, and legal's
        // pending approval applies to version 3 at 35m; the director's approval of version 2 counts for nothing, so
        // the publication waits for the director's approval of version 3 at 40m.
        #expect(outcome.actions.map(\.appliedAt) == [60, 120, 180, 2400, 1200, 1500, 2100, 1860, 2100, 2400])
        #expect(outcome.expectations.map(\.met) == [true])
    }

    @Test(arguments: [
        ("  - { at: 1m, by: legal, approve: prss }", "unknown audience 'prss' (did you mean 'press'?); audiences of playbook 'leaked-photo' are 'press', 'client'"),
        ("  - { at: 1m, by: legal, reject: press }", "a 'reject' action needs 'reason:'"),
        ("  - { at: 1m, by: legal, revise: press }", "a 'revise' action needs 'text:', the new version"),
        ("  - { at: 1m, by: legal, publish: press, text: Hello }", "'text' goes with 'draft' or 'revise'"),
        ("  - { at: 1m, by: legal, note: Hi, via: phone }", "'via' goes with 'inform'"),
    ])
    func statementActionsAreCheckedAgainstThePlaybook(_ line: String, _ message: String) {
        let result = Self.load("injects:\n  - { at: 0m, text: Go. }\nactions:\n" + line + "\n")
        #expect(result.diagnostics.map(\.message) == [message])
    }

    @Test func publishedExpectationsNameAKnownAudience() {
        let result = Self.load("injects:\n  - { at: 0m, text: Go., expect: [{ published: staff, within: 1h }] }\n")
        #expect(result.diagnostics.map(\.message) == ["unknown audience 'staff'; audiences of playbook 'leaked-photo' are 'press', 'client'"])
    }
}
