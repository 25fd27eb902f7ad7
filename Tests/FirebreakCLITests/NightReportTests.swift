import FirebreakTestSupport
import Foundation
import Testing

/// One night of an incident with everything that makes a record hard to read right: a deputy, a
/// handover of command, a late entry that supersedes a stored overdue and its escalation, a decision
/// taken by the deputy, a retracted note, a force-close and a reopen, and deadlines still ahead when
/// the report is made. The reports (Markdown, JSON, HTML) are golden; the rules they show are asserted.
@Suite struct NightReportTests {
    static func at(_ time: String) -> String { time.hasPrefix("0") ? "2026-05-17T\(time):00+02:00" : "2026-05-16T\(time):00+02:00" }

    func night(_ box: Sandbox) throws {
        func run(_ time: String, _ person: String, _ arguments: String...) throws {
            let result = try Firebreak.run(arguments, environment: box.env(person, now: Self.at(time)))
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
        }
        try run("23:10", "anna", "open", "offensive-post", "--title", "Presenter insults a contestant", "--assign", "social=sem", "--assign", "editor=ruben",
                "--began", Self.at("23:05"))
        try run("23:14", "sem", "done", "INC-1", "capture-post")  // #6
        try run("23:15", "anna", "assign", "INC-1", "comms-lead", "pat", "--deputy")  // #7
        // A note at 23:45 stores the overdues of 23:40 (#8-#13), among them holding-line's (#10, #11).
        try run("23:45", "anna", "note", "INC-1", "Reach is growing; the presenter's manager is on the phone")  // #14
        // Done at 23:35, before its deadline of 23:40, logged at 23:50: on time; #10 and #11 are superseded.
        try run("23:50", "sem", "done", "INC-1", "holding-line", "--at", Self.at("23:35"))  // #15
        try run("23:55", "anna", "assign", "INC-1", "comms-lead", "kim")  // #16: the handover
        try run("23:58", "pat", "done", "INC-1", "assess-post", "--choice", "escalate", "--note", "Reach past 10,000")  // #17-#19
        try run("23:59", "kim", "note", "INC-1", "Wrong incident: this note was meant for INC-2")  // #20
        try run("23:59", "kim", "retract", "INC-1", "20", "--reason", "meant for INC-2")  // #21
        try run("00:05", "kim", "close", "INC-1", "--reason", "Handled by the director now")  // #22
        try run("00:06", "kim", "reopen", "INC-1", "--reason", "The story is back in the morning papers")  // #23, #24
    }

    @Test func theNightReadsRightInMarkdown() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        try night(box)
        let result = try box.run("export", "INC-1", now: Self.at("00:20"))
        #expect(result.status == 0, "\(result.stderr)")
        try expectGolden(result.stdout, "night.md")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        func row(containing text: String) -> String? { lines.first { $0.hasPrefix("| ") && $0.contains(text) } }
        // Still open, and said so: no "Closed | open".
        #expect(lines.contains("| State | open, in Distance the company (distance) |"))
        #expect(!lines.contains { $0.hasPrefix("| Closed |") })
        // Everyone who held a role, the deputy included.
        #expect(lines.contains("| People | comms-lead: anna, then kim (deputy pat); social: sem; editor: ruben |"))
        // The opening and its roles: one row; the decision, its event and the state entered: one row.
        #expect(row(containing: "opened 'Presenter insults a contestant'")?.hasSuffix("; roles: comms-lead: anna, social: sem, editor: ruben |") == true)
        #expect(row(containing: "assigned role 'social'") == nil)
        #expect(row(containing: "with choice 'escalate'") == "| 2026-05-16 21:58:00 | +0:53:00 | pat (comms-lead) | done Is this an incident? Decide whether to escalate (assess-post) with choice 'escalate': Reach past 10,000 → fired 'escalate' → entered Distance the company (distance) from Triage (triage) by 'escalate' |")
        // The late entry supersedes the overdue and escalation stored before it; the retracted note is marked.
        #expect(lines.filter { $0.contains("(holding-line) overdue") || $0.contains("(holding-line) escalated") }.allSatisfy { $0.contains("*superseded: done on time, logged later*") })
        #expect(lines.filter { $0.contains("*superseded") }.count == 2)
        #expect(row(containing: "Wrong incident")?.contains("note: Wrong incident: this note was meant for INC-2 *retracted*") == true)
        // Every offset in one form.
        let timeline = lines.drop { $0 != "## Timeline" }.prefix { $0 != "## Steps" }
        let offsets = timeline.filter { $0.hasPrefix("| 2026-") }.map { $0.split(separator: "|")[1].trimmingCharacters(in: .whitespaces) }
        #expect(!offsets.isEmpty && offsets.allSatisfy { $0.wholeMatch(of: /\+\d+:\d\d:\d\d/) != nil })
    }

    @Test func theNightInJSONKeepsEveryEntryWithItsMark() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        try night(box)
        let result = try box.run("export", "INC-1", "--format", "json", now: Self.at("00:20"))
        #expect(result.status == 0, "\(result.stderr)")
        try expectGolden(result.stdout, "night.json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let timeline = try #require(object["timeline"] as? [[String: Any]])
        // The 24 stored entries, then what fell due by the export and is not stored yet: monitor-reach's overdue
        // and escalation at 00:10, as `status` would show them.
        #expect(timeline.count == 26)
        #expect(timeline[24...].map { "\($0["seq"] as? Int ?? 0) \($0["kind"] as? String ?? "")" } == ["25 overdue", "26 escalated"])
        let marked = timeline.compactMap { entry in (entry["mark"] as? String).map { "\(entry["seq"] as? Int ?? 0) \($0)" } }
        #expect(marked == ["10 superseded", "11 superseded", "20 retracted"])
        let holders = try #require(object["roleHolders"] as? [[String: Any]])
        #expect(holders.map { "\($0["role"] as? String ?? "") \($0["person"] as? String ?? "") \($0["deputy"] as? Bool ?? false)" } == [
            "comms-lead anna false", "social sem false", "editor ruben false", "comms-lead pat true", "comms-lead kim false",
        ])
        // `timeline --json` gives the same marks.
        let stored = try box.run("timeline", "INC-1", "--json", now: Self.at("00:20"))
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(stored.stdout.utf8)) as? [[String: Any]])
        #expect(entries.compactMap { entry in (entry["mark"] as? String).map { "\(entry["seq"] as? Int ?? 0) \($0)" } } == marked)
    }

    @Test func theNightInHTML() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        try night(box)
        let result = try box.run("export", "INC-1", "--format", "html", now: Self.at("00:20"))
        #expect(result.status == 0, "\(result.stderr)")
        try expectGolden(result.stdout, "night.html")
        #expect(result.stdout.contains("note: Wrong incident: this note was meant for INC-2 <em>retracted</em>"))
        #expect(!result.stdout.contains("<script"))
    }

    /// A retracted done no longer counts, even after its state was left: the step is not done, its milestone
    /// is taken back, and a retracted decision is marked in the Decisions table. Time to first action counts
    /// from the earliest action, also one logged later.
    @Test func aRetractedDoneNoLongerCountsInTheReport() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        func run(_ time: String, _ arguments: String...) throws {
            let result = try Firebreak.run(arguments, environment: box.env("anna", now: Self.at(time)))
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
        }
        try run("23:10", "open", "offensive-post", "--title", "T", "--began", Self.at("23:05"))
        try run("23:11", "note", "INC-1", "Looking at it")  // #4
        try run("23:12", "done", "INC-1", "capture-post", "--at", Self.at("23:07"))  // #5, logged later
        try run("23:13", "done", "INC-1", "holding-line")  // #6, milestone first-public-reaction
        try run("23:14", "done", "INC-1", "assess-post", "--choice", "escalate")  // #7-#9: the state is left
        try run("23:16", "retract", "INC-1", "6", "--reason", "not sent after all")  // #10
        try run("23:17", "retract", "INC-1", "7", "--reason", "decided without the director")  // #11
        let report = try box.run("export", "INC-1", now: Self.at("23:20"))
        let lines = report.stdout.split(separator: "\n").map(String.init)
        // Retracted, and its state left before its deadline: not done, and not a missed deadline either.
        #expect(lines.contains { $0.contains("(holding-line) | social |") && $0.hasSuffix("| not due: ended before its deadline |") })
        #expect(!report.stdout.contains("no text recorded"))
        #expect(lines.contains { $0.contains("(capture-post) | social |") && $0.contains("| on time") })
        #expect(lines.contains("| Time to milestone 'first-public-reaction' | not reached |"))
        #expect(lines.contains("| Time to first action | 2m |"))
        #expect(lines.contains { $0.contains("(assess-post) | escalate *retracted* | anna (comms-lead) |") })
        let json = try box.run("export", "INC-1", "--format", "json", now: Self.at("23:20"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let decisions = try #require(object["decisions"] as? [[String: Any]])
        #expect(decisions.map { $0["retracted"] as? Bool } == [true])
    }

    /// `list --all` tells a force-closed incident from one that reached a final state.
    @Test func listSaysForceClosed() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        try night(box)
        #expect(try box.run("close", "INC-1", "--reason", "Done for the night", as: "kim", now: Self.at("00:30")).status == 0)
        #expect(try box.run("open", "offensive-post", "--title", "False alarm", now: Self.at("00:31")).status == 0)
        #expect(try box.run("done", "INC-2", "capture-post", as: "anna", now: Self.at("00:32")).status == 0)
        #expect(try box.run("done", "INC-2", "holding-line", as: "anna", now: Self.at("00:32")).status == 0)
        #expect(try box.run("done", "INC-2", "assess-post", "--choice", "dismiss", as: "anna", now: Self.at("00:33")).status == 0)
        let list = try box.run("list", "--all", now: Self.at("00:40"))
        #expect(list.stdout == """
            ID     STATE                     SEVERITY  PLAYBOOK        OPENED            TITLE
            INC-1  force-closed in distance  high      offensive-post  2026-05-16 21:10  Presenter insults a contestant
            INC-2  closed                    high      offensive-post  2026-05-16 22:31  False alarm

            """)
        let json = try box.run("list", "--all", "--json", now: Self.at("00:40"))
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(rows.map { $0["forced"] as? Bool } == [true, false])
    }

    /// `status` says which events come through a decision instead of offering them to `fire`.
    @Test func statusSaysWhichEventsComeThroughTheDecision() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        #expect(try box.run("open", "offensive-post", "--title", "T", now: Self.at("23:10")).status == 0)
        let status = try box.run("status", "INC-1", now: Self.at("23:12"))
        #expect(status.stdout.hasSuffix("""
            possible events:
              escalate → Distance the company (distance)  (through the decision: done INC-1 assess-post --choice escalate)
              dismiss → Closed (closed)  (through the decision: done INC-1 assess-post --choice dismiss)
              story-published → Escalated to the director (escalated)

            """))
        let json = try box.run("status", "INC-1", "--json", now: Self.at("23:12"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let events = try #require(object["possibleEvents"] as? [[String: Any]])
        #expect(events.map { ($0["decidedBy"] as? [String: String])?["choice"] ?? "-" } == ["escalate", "dismiss", "-"])
        // The Dutch display form is a time `--at` takes (here in UTC, the tests' zone).
        let done = try box.run("done", "INC-1", "capture-post", "--at", "16-05-2026 21:11", now: Self.at("23:12"))
        #expect(done.status == 0, "\(done.stderr)")
        let timeline = try box.run("timeline", "INC-1", "--json", now: Self.at("23:12"))
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(timeline.stdout.utf8)) as? [[String: Any]])
        #expect(entries.last?["at"] as? String == "2026-05-16T21:11:00Z")
    }
}
