import FirebreakTestSupport
import Foundation
import Testing

@Suite struct ExportTests {
    static let hostile = "Pipe | and `tick` <script>alert(1)</script> **bold** [link](http://example.com)\n# heading\n- item | end\\"

    /// An incident with every kind of event: opened, assigned, entered, done (with a choice), skipped, fired,
    /// note, overdue, escalated, timer, closed (forced); hostile text in every free-text field.
    func walkedIncident(_ box: Sandbox, title: String = "Presenter insults a contestant") throws {
        func at(_ time: String) -> String { "2026-05-16T\(time):00+02:00" }
        #expect(try box.run("open", "offensive-post", "--title", title, "--assign", "social=sem", "--assign", "editor=ruben",
                            "--began", at("23:05"), now: at("23:10")).status == 0)
        #expect(try box.run("done", "INC-1", "capture-post", as: "sem", now: at("23:14")).status == 0)
        // assess-post goes overdue at 23:40 and escalates; the 1h timer moves the incident to 'distance' at 00:10.
        #expect(try box.run("note", "INC-1", Self.hostile, as: "anna", now: "2026-05-17T00:15:00+02:00").status == 0)
        #expect(try box.run("skip", "INC-1", "request-deletion", "--reason", Self.hostile, as: "ruben", now: "2026-05-17T00:20:00+02:00").status == 0)
        #expect(try box.run("done", "INC-1", "notify-director", "--note", "called", as: "sem", now: "2026-05-17T00:25:00+02:00").status == 0)
        #expect(try box.run("fire", "INC-1", "story-published", as: "anna", now: "2026-05-17T00:30:00+02:00").status == 0)
        #expect(try box.run("close", "INC-1", "--reason", Self.hostile, as: "anna", now: "2026-05-17T00:40:00+02:00").status == 0)
    }

    @Test func incidentMarkdownMatchesGolden() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        try walkedIncident(box)
        let result = try box.run("export", "INC-1", now: "2026-05-17T09:00:00+02:00")
        #expect(result.status == 0, "\(result.stderr)")
        try expectGolden(result.stdout, "incident.md")
        let kinds = try box.run("timeline", "INC-1", "--json")
        let events = try #require(try JSONSerialization.jsonObject(with: Data(kinds.stdout.utf8)) as? [[String: Any]])
        #expect(Set(events.compactMap { $0["kind"] as? String }) == ["opened", "assigned", "entered", "done", "skipped", "fired", "note", "overdue", "escalated", "timer", "closed"])
    }

    @Test func theOutputFileNameChoosesTheFormatUnlessFormatIsGiven() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        try walkedIncident(box)
        let now = "2026-05-17T09:00:00+02:00"
        func written(_ name: String, _ extra: String...) throws -> String {
            let path = box.folder.path(name)
            let result = try Firebreak.run(["export", "INC-1", "--output", path] + extra, environment: box.env("anna", now: now))
            #expect(result.status == 0, "\(result.stderr)")
            return try String(contentsOfFile: path, encoding: .utf8)
        }
        let markdown = try box.run("export", "INC-1", now: now).stdout
        let html = try box.run("export", "INC-1", "--format", "html", now: now).stdout
        let json = try box.run("export", "INC-1", "--format", "json", now: now).stdout
        #expect(try written("report.html") == html)
        #expect(try written("REPORT.HTM") == html)
        #expect(try written("report.json") == json)
        #expect(try written("report.md") == markdown)
        #expect(try written("report.txt") == markdown)
        // --format wins over the name.
        #expect(try written("other.html", "--format", "markdown") == markdown)
    }

    @Test func exerciseReportMatchesGolden() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        let report = box.folder.path("after-action.md")
        let result = try box.run("drill", "run", "song-contest-tweet", "--record", "--report", report)
        #expect(result.status == 0, "\(result.stderr)")
        let text = try String(contentsOfFile: report, encoding: .utf8)
        try expectGolden(text, "exercise.md")
        let exported = try box.run("export", "EX-1")
        #expect(exported.stdout.contains("## Exercise\n\n### Objectives\n"))
        #expect(exported.stdout.contains("| press-call | done 'distancing-statement' within 30m | T+1:15 | **missed** | never |"))
    }

    /// The Markdown parsed with a real CommonMark + GFM-tables parser: every table keeps its shape, no live HTML.
    @Test func hostileTextNeverBreaksTablesOrBecomesHTML() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        try walkedIncident(box, title: Self.hostile)
        let path = box.folder.path("report.md")
        #expect(try box.run("export", "INC-1", "--output", path).status == 0)  // an older report: replaced, not refused
        let result = try box.run("export", "INC-1", "--output", path, now: "2026-05-17T09:00:00+02:00")
        #expect(result.status == 0, "\(result.stderr)")
        let script = """
            import json, sys
            from markdown_it import MarkdownIt
            md = MarkdownIt("commonmark").enable("table")
            tokens = md.parse(open(sys.argv[1], encoding="utf-8").read())
            tables, html, headings = [], [], []
            for i, t in enumerate(tokens):
                if t.type == "table_open": tables.append([])
                if t.type == "tr_open": tables[-1].append(0)
                if t.type in ("th_open", "td_open"): tables[-1][-1] += 1
                if t.type == "html_block": html.append(t.content)
                if t.type == "inline":
                    html += [c.content for c in (t.children or []) if c.type == "html_inline" and c.content != "<br>"]
                if t.type == "heading_open":
                    headings.append("".join(c.content for c in tokens[i + 1].children if c.type in ("text", "code_inline")))
            print(json.dumps({"tables": tables, "html": html, "headings": headings}))
            """
        let scriptPath = box.folder.path("parse.py")
        try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", scriptPath, path]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "python3 with markdown-it-py is needed: run scripts/setup")
        let parsed = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let tables = try #require(parsed["tables"] as? [[Int]])
        #expect(parsed["html"] as? [String] == [])
        // facts, metrics, timeline, steps, the playbook's standing duties, action items (no decision was made);
        // each row as wide as its header.
        #expect(tables.count == 6)
        let widths = tables.map { Set($0) }
        #expect(widths == [[2], [2], [4], [8], [6], [3]])
        // The timeline has one row per event plus the header, except that the three roles assigned at the
        // opening share its row.
        let timeline = try box.run("timeline", "INC-1", "--json")
        let events = try #require(try JSONSerialization.jsonObject(with: Data(timeline.stdout.utf8)) as? [[String: Any]])
        #expect(events[1...3].map { $0["kind"] as? String } == ["assigned", "assigned", "assigned"])
        #expect(tables[2].count == events.count + 1 - 3)
        let headings = try #require(parsed["headings"] as? [String])
        #expect(headings.first == "INC-1: " + Self.hostile.replacingOccurrences(of: "\n", with: ""))
        #expect(headings.filter { $0 == "heading" }.isEmpty)
    }

    @Test func jsonExportDecodesToTheSameFacts() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        try walkedIncident(box)
        let result = try box.run("export", "INC-1", "--format", "json", now: "2026-05-17T09:00:00+02:00")
        #expect(result.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["incident"] as? String == "INC-1")
        #expect(object["report"] as? String == "post-mortem")
        #expect(object["began"] as? String == "2026-05-16T21:05:00Z")
        #expect(object["closed"] as? String == "2026-05-16T22:40:00Z")
        #expect((object["forcedClose"] as? [String: Any])?["reason"] as? String == Self.hostile)
        let timeline = try #require(object["timeline"] as? [[String: Any]])
        let stored = try box.run("timeline", "INC-1", "--json")
        let events = try #require(try JSONSerialization.jsonObject(with: Data(stored.stdout.utf8)) as? [[String: Any]])
        #expect(timeline.count == events.count)
        #expect(timeline.map { $0["kind"] as? String } == events.map { $0["kind"] as? String })
        let note = try #require(timeline.first { $0["kind"] as? String == "note" })
        #expect(note["text"] as? String == Self.hostile)
        let metrics = try #require(object["metrics"] as? [[String: String]])
        #expect(metrics.first == ["name": "Time to detect", "value": "5m"])
        let steps = try #require(object["steps"] as? [[String: Any]])
        #expect(steps.first { $0["step"] as? String == "request-deletion" }?["status"] as? String == "skipped")
        #expect(steps.first { $0["step"] as? String == "assess-post" }?["status"] as? String == "not-done")
    }

    @Test func userTemplateRendersTheSameData() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        try walkedIncident(box)
        let template = box.folder.path("house.mustache")
        try "Incident {{{reference}}}\n{{#metrics}}- {{{name}}}: {{{value}}}\n{{/metrics}}{{#timeline}}{{{seq}}} {{{kind}}}\n{{/timeline}}".write(toFile: template, atomically: true, encoding: .utf8)
        let result = try box.run("export", "INC-1", "--template", template, now: "2026-05-17T09:00:00+02:00")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("Incident INC-1\n- Time to detect: 5m\n- Time to first action: 9m\n"))
        // The rows as the built-in report has them: the opening with its roles (2-4) is one.
        #expect(result.stdout.contains("\n1 opened\n5 entered\n6 done\n"))
    }

    @Test func failedExportLeavesNoHalfWrittenFile() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        try walkedIncident(box)
        let template = box.folder.path("bad.mustache")
        try "{{#unclosed}}".write(toFile: template, atomically: true, encoding: .utf8)
        let path = box.folder.path("out.md")
        let result = try box.run("export", "INC-1", "--template", template, "--output", path)
        #expect(result.status == 65)
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: box.folder.url.path).filter { $0.hasSuffix(".tmp") } == [])
    }
}

@Suite struct ExerciseExportTests {
    /// A recorded exercise with every kind of event: opened, assigned, entered, inject, refused, note, overdue,
    /// escalated, done, timer, skipped, fired and closed (where the exercise stopped).
    static let scenario = """
        firebreak: 1
        id: every-kind
        title: Every kind of event | with <hostile> `text`
        playbook: offensive-post
        start: 2026-05-16T23:00:00+02:00
        cast: { comms-lead: Anna de Vries, social: Sem Bakker, editor: Ruben Visser }
        injects:
          - id: tweet
            at: 0m
            from: X (Twitter)
            text: The presenter posts an insulting tweet.
            expect:
              - done: capture-post
                within: 10m
                else: { from: Journalist, text: "We saw it too; comment?" }
        actions:
          - { at: 5m, by: comms-lead, fire: distanced }
          - { at: 10m, by: comms-lead, note: "Waiting for the screenshot | *urgent*" }
          - { at: 20m, by: social, done: capture-post }
          - { at: 70m, by: editor, skip: request-deletion, reason: Already deleted by the presenter }
          - { at: 80m, by: comms-lead, fire: story-published }
        end: 3h
        """

    @Test func recordedExerciseWithEveryKindOfEventMatchesGolden() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        let path = box.folder.path("every-kind.yaml")
        try Self.scenario.write(toFile: path, atomically: true, encoding: .utf8)
        let run = try box.run("drill", "run", path, "--record")
        #expect(run.status == 0, "\(run.stderr)")
        let timeline = try box.run("timeline", "EX-1", "--json")
        let events = try #require(try JSONSerialization.jsonObject(with: Data(timeline.stdout.utf8)) as? [[String: Any]])
        #expect(Set(events.compactMap { $0["kind"] as? String }) == [
            "opened", "assigned", "entered", "inject", "refused", "note", "overdue", "escalated", "done", "timer", "skipped", "fired", "closed",
        ])
        let exported = try box.run("export", "EX-1")
        #expect(exported.status == 0, "\(exported.stderr)")
        try expectGolden(exported.stdout, "exercise-every-kind.md")
        #expect(exported.stdout.contains("| tweet | done 'capture-post' within 10m | T+0:10 | **missed** | T+0:20 |"))
        #expect(exported.stdout.contains("- comms-lead: fire distanced at T+0:05 was refused: event 'distanced' is not possible in state 'triage'; possible events are 'escalate', 'dismiss', 'story-published'"))
    }
}
