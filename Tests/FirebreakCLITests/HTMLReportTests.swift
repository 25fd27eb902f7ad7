import FirebreakTestSupport
import Foundation
import Testing

/// `export --format html`, the reach chart, and `informed` expectations in the reports of exercises.
@Suite struct HTMLReportTests {
    /// An exercise of ``Fixtures/leakedPhoto`` where the photo's reach grows (500, 12,000, 40,000), S1 is
    /// published to the press at T+0:30, the 3h timer enters 'escalated' and the commander closes at T+3:10.
    /// 'the works council' is a name no step of the playbook informs.
    static let scenario = """
        firebreak: 1
        id: photo-reach
        title: A leaked photo spreads
        playbook: leaked-photo
        start: 2026-05-16T21:00:00Z
        cast: { comms-lead: ann, legal: noor, director: marieke, account: ben }
        injects:
          - { id: post, at: 0m, from: Instagram, text: The photo is posted., reach: 500 }
          - id: spread
            at: 20m
            from: Monitoring
            text: The photo is shared widely.
            reach: 12000
            expect:
              - { informed: the works council, within: 1h }
              - { informed: client, within: 30m }
              - { informed: the union, within: 1h }
          - { id: peak, at: 1h, from: Monitoring, text: A news site picks it up., reach: 40000 }
        actions:
          - { at: 5m, by: comms-lead, draft: press, text: "We are looking into a photo shared from a shoot." }
          - { at: 10m, by: legal, approve: press }
          - { at: 15m, by: director, approve: press }
          - { at: 25m, by: account, inform: client, via: phone }
          - { at: 30m, by: comms-lead, publish: press }
          - { at: 45m, by: comms-lead, inform: the works council, via: e-mail }
          - { at: 3h10m, by: comms-lead, fire: contained }
        end: 4h
        """

    /// A sandbox with the leaked-photo playbook and the scenario above in its folder.
    func exerciseBox() throws -> (Sandbox, [String: String], String) {
        let box = try Sandbox()
        let folder = box.folder.path("playbooks")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Fixtures.leakedPhoto.write(toFile: folder + "/leaked-photo.yaml", atomically: true, encoding: .utf8)
        let scenario = box.folder.path("photo-reach.yaml")
        try Self.scenario.write(toFile: scenario, atomically: true, encoding: .utf8)
        var env = box.env("ann", now: "2026-05-17T09:00:00Z")
        env["FIREBREAK_PLAYBOOKS"] = folder
        return (box, env, scenario)
    }

    static let mermaid = """
        ## Reach over time

        Reach as the scenario's injects gave it, from T+0; dashed lines mark the team's publications, dotted lines the states entered.

        ```mermaid
        xychart-beta
            title "Reach over time"
            x-axis ["T+0:00", "T+0:20", "T+0:30 S1 (press)", "T+1:00", "T+3:00 → escalated", "T+3:10 → closed"]
            y-axis "Reach" 0 --> 40000
            bar [0, 0, 12000, 0, 0, 0]
            line [500, 12000, 12000, 40000, 40000, 40000]
        ```

        """

    @Test func theAfterActionReportPlotsReachWithPublicationsAndStatesAsMermaid() throws {
        let (box, env, scenario) = try exerciseBox()
        defer { box.cleanup() }
        let report = box.folder.path("after-action.md")
        let result = try Firebreak.run(["drill", "run", scenario, "--report", report], environment: env)
        #expect(result.status == 0, "\(result.stderr)")
        let text = try String(contentsOfFile: report, encoding: .utf8)
        #expect(text.contains("```\n\n" + Self.mermaid + "\n## Exercise\n"))
        // Dutch: the same chart with Dutch words.
        let dutch = try Firebreak.run(["drill", "run", scenario, "--report", report, "--lang", "nl"], environment: env)
        #expect(dutch.status == 0, "\(dutch.stderr)")
        let nl = try String(contentsOfFile: report, encoding: .utf8)
        #expect(nl.contains("## Bereik in de tijd\n"))
        #expect(nl.contains("    title \"Bereik in de tijd\"\n    x-axis [\"T+0:00\", \"T+0:20\", \"T+0:30 S1 (press)\""))
        #expect(nl.contains("    y-axis \"Bereik\" 0 --> 40000\n"))
    }

    @Test func aReportWithoutReachHasNoChart() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        let report = box.folder.path("after-action.md")
        // heated-thread's injects give no reach.
        #expect(try box.run("drill", "run", "heated-thread", "--report", report).status == 0)
        let text = try String(contentsOfFile: report, encoding: .utf8)
        #expect(!text.contains("xychart-beta"))
        #expect(!text.contains("Reach over time"))
    }

    /// An `informed:` expectation for a name no step uses is scored in `drill run`, in its report and in the
    /// recorded exercise's report alike, by the one scorer.
    @Test func anInformedExpectationForANameNoStepUsesIsScoredInEveryReport() throws {
        let (box, env, scenario) = try exerciseBox()
        defer { box.cleanup() }
        let report = box.folder.path("after-action.md")
        let run = try Firebreak.run(["drill", "run", scenario, "--record", "--report", report], environment: env)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("  met     spread: informed the works council within 1h, by T+1:20 — at T+0:45\n"))
        #expect(run.stdout.contains("  MISSED  spread: informed the union within 1h, by T+1:20 — never\n"))
        let rows = [
            "| spread | informed the works council within 1h | T+1:20 | met | T+0:45 |",
            "| spread | informed client within 30m | T+0:50 | met | T+0:25 |",
            "| spread | informed the union within 1h | T+1:20 | **missed** | never |",
        ]
        let text = try String(contentsOfFile: report, encoding: .utf8)
        for row in rows { #expect(text.contains(row + "\n"), "drill run --report: \(row)") }
        let exported = try Firebreak.run(["export", "EX-1"], environment: env)
        #expect(exported.status == 0, "\(exported.stderr)")
        for row in rows { #expect(exported.stdout.contains(row + "\n"), "export of the recorded exercise: \(row)") }
        #expect(exported.stdout.contains(Self.mermaid))
        let json = try Firebreak.run(["export", "EX-1", "--format", "json"], environment: env)
        #expect(json.stdout.contains("{\"inject\":\"spread\",\"kind\":\"informed\",\"target\":\"the works council\",\"deadline\":\"2026-05-16T22:20:00Z\",\"met\":true,\"happenedAt\":\"2026-05-16T21:45:00Z\"}"))
    }

    @Test func theHTMLReportOfARecordedExerciseDrawsReachAsAnInlineSVG() throws {
        let (box, env, scenario) = try exerciseBox()
        defer { box.cleanup() }
        #expect(try Firebreak.run(["drill", "run", scenario, "--record"], environment: env).status == 0)
        let result = try Firebreak.run(["export", "EX-1", "--format", "html"], environment: env)
        #expect(result.status == 0, "\(result.stderr)")
        let html = result.stdout
        #expect(html.contains("<h2>Reach over time</h2>\n<p>Reach as the scenario&#39;s injects gave it, from T+0; dashed lines mark the team&#39;s publications, dotted lines the states entered.</p>\n<figure class=\"reach\">\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"720\" height=\"340\" viewBox=\"0 0 720 340\" role=\"img\" aria-label=\"Reach over time\""))
        // Time runs from T+0 (x 70) to the close at T+3:10 (x 700); reach up to 50,000 (y 270 to 40).
        // Stepped: 500 from T+0, 12,000 from T+0:20, 40,000 from T+1:00.
        #expect(html.contains("<polyline class=\"reach\" points=\"70,270 70,270 70,267.7 136.3,267.7 136.3,214.8 268.9,214.8 268.9,86 700,86\" fill=\"none\" stroke=\"#222\" stroke-width=\"2\"/>"))
        // The publication at T+0:30 and the states entered at T+3:00 and T+3:10.
        #expect(html.contains("<line class=\"publication\" x1=\"169.5\" y1=\"40\" x2=\"169.5\" y2=\"270\" stroke=\"#c0392b\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\"><title>T+0:30 S1 (press)</title></line>"))
        #expect(html.contains("<text class=\"publication-label\" x=\"169.5\" y=\"34\" text-anchor=\"middle\" fill=\"#c0392b\">S1 (press)</text>"))
        #expect(html.contains("<title>T+3:00 → escalated</title>"))
        #expect(html.contains("<text class=\"state-label\" x=\"700\" y=\"315\" text-anchor=\"middle\" fill=\"#2c6fbb\">→ closed</text>"))
        #expect(html.components(separatedBy: "<circle class=\"reach-point\"").count == 4)
        #expect(!html.contains("xychart-beta"))
    }

    // MARK: HTML of an incident

    @Test func incidentHTMLMatchesGolden() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        try ExportTests().walkedIncident(box)
        let result = try box.run("export", "INC-1", "--format", "html", now: "2026-05-17T09:00:00+02:00")
        #expect(result.status == 0, "\(result.stderr)")
        try expectGolden(result.stdout, "incident.html")
        let dutch = try box.run("export", "INC-1", "--format", "html", "--lang", "nl", now: "2026-05-17T09:00:00+02:00")
        #expect(dutch.status == 0, "\(dutch.stderr)")
        try expectGolden(dutch.stdout, "incident.nl.html")
    }

    /// The structure of an HTML file as Python's HTML parser sees it: every start tag, the cells per row of
    /// each table, and the text of the headings.
    static func structure(of path: String, in box: Sandbox) throws -> [String: Any] {
        let script = """
            import json, sys
            from html.parser import HTMLParser
            class P(HTMLParser):
                def __init__(self):
                    super().__init__(convert_charrefs=True)
                    self.tags, self.tables, self.headings, self.heading, self.text = [], [], [], None, []
                def handle_starttag(self, tag, attrs):
                    self.tags.append(tag)
                    if tag == "table": self.tables.append([])
                    if tag == "tr": self.tables[-1].append(0)
                    if tag in ("td", "th"): self.tables[-1][-1] += 1
                    if tag in ("h1", "h2", "h3"): self.heading = ""
                    for name, value in attrs:
                        if name.startswith("on") or (value or "").strip().lower().startswith("javascript:"): self.tags.append("ATTR:" + name)
                def handle_endtag(self, tag):
                    if tag in ("h1", "h2", "h3"): self.headings.append(self.heading); self.heading = None
                def handle_data(self, data):
                    if self.heading is not None: self.heading += data
                    self.text.append(data)
            p = P()
            p.feed(open(sys.argv[1], encoding="utf-8").read())
            print(json.dumps({"tags": sorted(set(p.tags)), "tables": p.tables, "headings": p.headings, "text": "".join(p.text)}))
            """
        let scriptPath = box.folder.path("parse-html.py")
        try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", scriptPath, path]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// Hostile text in the title, a note, a skip reason and the close reason: escaped, never markup; every
    /// table keeps its shape.
    @Test func hostileTextIsEscapedAndNeverBecomesHTML() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        try ExportTests().walkedIncident(box, title: ExportTests.hostile)
        let path = box.folder.path("report.html")
        let result = try box.run("export", "INC-1", "--format", "html", "--output", path, now: "2026-05-17T09:00:00+02:00")
        #expect(result.status == 0, "\(result.stderr)")
        let html = try String(contentsOfFile: path, encoding: .utf8)
        let escaped = "Pipe | and `tick` &lt;script&gt;alert(1)&lt;/script&gt; **bold** [link](http://example.com)<br># heading<br>- item | end\\"
        #expect(html.contains("<h1>INC-1: \(escaped)</h1>"))
        #expect(html.contains("<title>INC-1: Pipe | and `tick` &lt;script&gt;alert(1)&lt;/script&gt; **bold** [link](http://example.com) # heading - item | end\\</title>"))
        #expect(html.contains("<td>anna (comms-lead)</td><td>note: \(escaped)</td></tr>"))
        #expect(!html.contains("<script"))
        let structure = try Self.structure(of: path, in: box)
        #expect(structure["tags"] as? [String] == ["body", "br", "em", "h1", "h2", "h3", "head", "html", "meta", "p", "strong", "style", "table", "tbody", "td", "th", "thead", "title", "tr"])
        let tables = try #require(structure["tables"] as? [[Int]])
        // Facts, metrics, timeline, steps, communications (the playbook's audiences, under an h3),
        // states over time, action items: every row as wide as its header.
        #expect(tables.count == 7)
        for table in tables { #expect(Set(table).count == 1, "a table with rows of different widths: \(table)") }
        #expect(tables.map { $0.first ?? 0 } == [2, 2, 4, 8, 6, 5, 3])
        #expect((structure["text"] as? String)?.contains("<script>alert(1)</script>") == true)
        // Writing it again over the previous HTML report is allowed; over another HTML file it is not.
        #expect(try box.run("export", "INC-1", "--format", "html", "--output", path).status == 0)
        let other = box.folder.path("page.html")
        try "<!DOCTYPE html>\n<html><body>mine</body></html>\n".write(toFile: other, atomically: true, encoding: .utf8)
        let refused = try box.run("export", "INC-1", "--format", "html", "--output", other)
        #expect(refused.status == 64)
        #expect(refused.stderr == "firebreak: error: --output '\(other)' exists and is not a Firebreak report; give --force to replace it\n")
    }

    @Test func aTemplateGoesWithMarkdownOnly() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        let result = try box.run("export", "INC-1", "--format", "html", "--template", "t.mustache")
        #expect(result.status == 64)
        #expect(result.stderr == "firebreak: error: --template goes with --format markdown; see 'firebreak export --help'\n")
    }

    // MARK: Rendered in Chromium

    static let chromium: String? = ["chromium", "chromium-browser", "google-chrome"].lazy.compactMap { name -> String? in
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let path = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }.first

    /// Runs headless Chromium on a file; its standard output and exit status.
    static func chromium(_ arguments: [String], in box: Sandbox) throws -> (status: Int32, stdout: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(chromium))
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--user-data-dir=\(box.folder.path("chromium-profile"))"] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test(.enabled(if: chromium != nil, "Chromium is not installed here (scripts/setup installs Debian's chromium): the HTML report was not rendered"))
    func theHTMLReportRendersInHeadlessChromium() throws {
        let (box, env, scenario) = try exerciseBox()
        defer { box.cleanup() }
        #expect(try Firebreak.run(["drill", "run", scenario, "--record"], environment: env).status == 0)
        let path = box.folder.path("after-action.html")
        let export = try Firebreak.run(["export", "EX-1", "--format", "html", "--output", path], environment: env)
        #expect(export.status == 0, "\(export.stderr)")
        let url = URL(fileURLWithPath: path).absoluteString
        // The DOM after parsing: every table and the chart are there, and no script.
        let dom = try Self.chromium(["--dump-dom", url], in: box)
        #expect(dom.status == 0)
        #expect(dom.stdout.contains("<h1>EX-1: A leaked photo spreads</h1>"))
        // Facts, metrics, timeline, steps, the press statements, informed, states over time, objectives,
        // improvement plan (an after-action report has no second, action-items table).
        #expect(dom.stdout.components(separatedBy: "<table").count - 1 == 9)
        #expect(!dom.stdout.contains("class=\"action-items\""))
        #expect(dom.stdout.contains("<polyline class=\"reach\""))
        #expect(dom.stdout.contains("<h2>Communications</h2>"))
        #expect(!dom.stdout.contains("<script"))
        // Printed: a PDF comes out.
        let pdf = box.folder.path("after-action.pdf")
        let printed = try Self.chromium(["--print-to-pdf=\(pdf)", "--no-pdf-header-footer", url], in: box)
        #expect(printed.status == 0)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: pdf))
        #expect(bytes.starts(with: Array("%PDF-".utf8)))
        #expect(bytes.count > 10_000)
    }
}
