import FirebreakCore
import FirebreakLoading
import FirebreakTestSupport
import Foundation
import Testing

/// The diagnostics of standing duties, `carry` and `escalate` (playbook format 1.1), one per broken
/// file, at the line and column of the offending node (lines 26 onwards are the appended ones).
let brokenDuties: [BrokenPlaybook] = [
    .append("a duty whose needs name a state's step",
            ["duties:", "  - { id: media-line, title: Media line, owner: lead, needs: [check], due: 1h }"], 27, 63,
            "'needs' of duty 'media-line' names step 'check' of state 'open'; a duty may only need other duties: 'media-line'"),
    BrokenPlaybook(
        name: "a state's step whose needs name a duty",
        yaml: MinimalPlaybook.appending(
            ["duties:", "  - { id: media-line, title: Media line, owner: lead, due: 1h }"],
            replacing: [13: "      - { id: act, title: Act, owner: lead, needs: [media-line], due: 1h }"]),
        line: 13, column: 53,
        message: "'needs' of step 'act' names duty 'media-line'; duties are active from opening to close, outside any state, so it may only name steps of state 'open': 'check', 'act'"),
    BrokenPlaybook(
        name: "a guard naming a duty",
        yaml: MinimalPlaybook.appending(
            ["duties:", "  - { id: media-line, title: Media line, owner: lead, due: 1h }"],
            replacing: [15: "      resolve: { to: closed, when: [media-line] }"]),
        line: 15, column: 37,
        message: "guard of 'resolve' names duty 'media-line'; duties are active from opening to close, outside any state, so it may only name steps of state 'open': 'check', 'act'"),
    .edit("escalate naming an unknown role", [12: "      - { id: check, title: Check, owner: lead, due: 15m, escalate: bos }"], 12, 69,
          "'escalate' of step 'check' names unknown role 'bos' (did you mean 'boss'?); roles are 'lead', 'boss', or 'false' for no escalation"),
    .edit("escalate: true", [12: "      - { id: check, title: Check, owner: lead, due: 15m, escalate: true }"], 12, 69,
          "'escalate' of step 'check' must be a role id or false (true is what every step does without the key)"),
    .edit("carry on a decision whose choices fire events",
          [12: "      - { id: check, title: Check, owner: lead, due: 15m, carry: true, choices: { fix: worsen } }"], 12, 59,
          "step 'check' cannot have 'carry: true': it is a decision whose choices fire events, and those events belong to its state"),
    .append("a duty with the id of a state's step", ["duties:", "  - { id: brief, title: Media line, owner: lead, due: 1h }"], 27, 11,
            "duplicate step id 'brief'; it is already used at line 21"),
    .append("a duty without due", ["duties:", "  - { id: media-line, title: Media line, owner: lead }"], 27, 11,
            "duty 'media-line' has no 'due'; it can never be overdue", severity: .warning),
    .append("an unknown key in a duty", ["duties:", "  - { id: media-line, title: Media line, owner: lead, due: 1h, cary: true }"], 27, 64,
            "unknown key 'cary' in duty 'media-line'; did you mean 'carry'?"),
]

@Suite struct DutiesDiagnosticsTests {
    @Test(arguments: brokenDuties)
    func eachProblemIsReportedOnceAtItsNode(_ broken: BrokenPlaybook) throws {
        let result = PlaybookLoader.load(broken.yaml, fileName: "minimal.yaml")
        #expect(result.diagnostics.count == 1, "\(result.diagnostics)")
        let diagnostic = try #require(result.diagnostics.first)
        #expect(diagnostic.location == SourceLocation(line: broken.line, column: broken.column), "\(diagnostic)")
        #expect(diagnostic.severity == broken.severity, "\(diagnostic)")
        #expect(diagnostic.message == broken.message)
        #expect((result.playbook == nil) == (broken.severity == .error))
    }

    @Test func dutiesCarryAndEscalateAreBuiltIntoThePlaybook() throws {
        let yaml = MinimalPlaybook.appending(
            ["duties:", "  - { id: media-line, title: Media line, owner: lead, due: 1h }",
             "  - { id: monitor, title: Monitor, owner: lead, needs: [media-line], due: 2h, escalate: false }"],
            replacing: [13: "      - { id: act, title: Act, owner: lead, needs: [check], due: 1h, carry: true, escalate: lead }"])
        let playbook = try loadPlaybook(yaml)
        #expect(playbook.duties.map(\.id) == ["media-line", "monitor"])
        #expect(playbook.duties[1].needs == [0])
        #expect(playbook.duties[1].escalate == .never)
        let act = try #require(playbook.anyStep("act"))
        #expect(act.carry && act.escalate == .role("lead"))
        let t = playbook.tables
        // Duties follow the states' steps in the global order: check, act, brief, media-line, monitor.
        #expect(t.stepIDs == ["check", "act", "brief", "media-line", "monitor"])
        #expect(t.dutyBase == 3 && t.stepState[3] == -1 && t.stepNeeds[4] == [3])
        #expect(t.stepEscalation == [1, 0, -1, 1, -1])
        // A compiled playbook from before 1.1 (no duties, carry or escalate) still decodes, and the new keys round-trip.
        let encoded = try JSONEncoder().encode(playbook)
        #expect(try Playbook(storedJSON: encoded) == playbook)
        let old = try JSONEncoder().encode(try loadPlaybook(MinimalPlaybook.text))
        #expect(!String(decoding: old, as: UTF8.self).contains("carry") && !String(decoding: old, as: UTF8.self).contains("duties"))
        #expect(try Playbook(storedJSON: old).duties == [])
    }
}
