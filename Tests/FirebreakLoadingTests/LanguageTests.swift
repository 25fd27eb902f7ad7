import FirebreakCore
import FirebreakLoading
import FirebreakTestSupport
import Foundation
import Testing

/// `language: nl|en` in a playbook.
@Suite struct LanguageTests {
    static func withLanguage(_ line: String) -> String {
        Fixtures.specExample.replacingOccurrences(of: "\nid: offensive-post\n", with: "\nid: offensive-post\n\(line)\n")
    }

    @Test func aPlaybookIsEnglishUnlessItSaysOtherwise() throws {
        #expect(try loadPlaybook(Fixtures.specExample).language == .en)
        #expect(try loadPlaybook(Self.withLanguage("language: nl")).language == .nl)
        #expect(try loadPlaybook(Self.withLanguage("language: en")).language == .en)
    }

    @Test func anUnknownLanguageIsAnErrorAtItsValue() throws {
        let text = Self.withLanguage("language: de")
        let line = try #require(text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0 == "language: de" }) + 1
        let result = PlaybookLoader.load(text)
        #expect(result.playbook == nil)
        #expect(result.diagnostics.map(\.description) == ["\(line):11: error: unknown language 'de'; use 'en' or 'nl'"])
        let list = PlaybookLoader.load(Self.withLanguage("language: [nl]"))
        #expect(list.diagnostics.map(\.message) == ["'language' must be text, not a list"])
    }

    @Test func aCompiledPlaybookKeepsItsLanguageAndOldCachesReadAsEnglish() throws {
        let dutch = try loadPlaybook(Self.withLanguage("language: nl"))
        let data = try JSONEncoder().encode(dutch)
        #expect(try Playbook(storedJSON: data) == dutch)
        // A cache written before 1.1 has no "language" key.
        let english = try loadPlaybook(Fixtures.specExample)
        let old = try JSONEncoder().encode(english)
        #expect(String(decoding: old, as: UTF8.self).contains("\"language\"") == false)
        #expect(try Playbook(storedJSON: old).language == .en)
    }

    @Test func everyShippedDutchPlaybookSaysItIsDutchAndHasAnEnglishTwin() throws {
        let folder = Fixtures.playbooksFolder.appendingPathComponent("nl")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(names == Fixtures.shippedPlaybookNames)
        for name in names {
            let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            let result = PlaybookLoader.load(text, fileName: name)
            #expect(result.diagnostics == [], "\(name): \(result.diagnostics.map(\.description))")
            let dutch = try #require(result.playbook)
            let english = try loadPlaybook(try Fixtures.shippedPlaybookText(name))
            #expect(dutch.language == .nl)
            // The same state machine: ids, owners, deadlines, needs, choices, transitions and timers; only the words differ.
            #expect(Self.shape(dutch) == Self.shape(english), "\(name)")
        }
    }

    /// Everything of a playbook that the engine and the scorer use, without its words: also the audiences
    /// (approvers, cadence; not their titles or words to avoid), duties, carried steps, escalations, statement and
    /// inform steps, and who may fire a transition (`by`, part of each transition).
    static func shape(_ playbook: Playbook) -> String {
        func step(_ step: Step) -> String {
            "  step \(step.id) \(step.owner) \(step.due ?? -1) \(step.needs) \(step.isOptional) \(String(describing: step.choices)) "
                + "\(step.milestone ?? "-") carry \(step.carry) escalate \(String(describing: step.escalate)) "
                + "statement \(step.statement ?? "-") informs \(step.informs ?? "-")"
        }
        var lines = ["commander \(playbook.commander) start \(playbook.start) severity \(playbook.severity)"]
        lines += playbook.roles.map { "role \($0.id) -> \($0.escalatesTo ?? "-")" }
        lines += playbook.audiences.map { "audience \($0.id) approvers \($0.approvers) cadence \($0.cadence ?? -1)" }
        lines += playbook.globalTransitions.map { "on \($0)" }
        lines += playbook.duties.map { "duty" + step($0) }
        for state in playbook.states {
            lines.append("state \(state.id) final \(state.isFinal) on \(state.transitions) after \(state.timers)")
            lines += state.steps.map(step)
        }
        return lines.joined(separator: "\n")
    }
}
