import FirebreakCore
import FirebreakReports
import FirebreakTestSupport
import Foundation
import Testing

/// A user's `--template` is limited in size, nesting and output, each a one-line error; it never crashes,
/// hangs or writes without bound.
@Suite struct TemplateLimitsTests {
    /// A report of an incident with `notes` notes after its opening (1,603 events like the incident that hung).
    static func report(notes: Int = 1_602) throws -> (PostMortem, [TimelineItem]) {
        let playbook = try loadPlaybook(try Fixtures.shippedPlaybookText("offensive-post.yaml"))
        let opened = 1_779_000_000
        var events = [Event(at: opened, actor: "anna", role: "comms-lead", .opened(playbook: "offensive-post", title: "A title", severity: .high, began: nil))]
        for i in 0..<notes { events.append(Event(at: opened + 60 * i, actor: "anna", .note(text: "note number \(i)"))) }
        var analysis = IncidentAnalysis(playbook: playbook)
        for event in events { analysis.add(event) }
        let facts = ReportFacts(
            reference: "INC-1", title: "A title", playbook: playbook, playbookHash: "0", isExercise: false, severity: .high,
            assignments: ["comms-lead": "anna"], zoneOffset: 0, now: opened + 86_400 * 3)
        let items = events.enumerated().map { TimelineItem(seq: $0.offset + 1, recordedAt: $0.element.at, event: $0.element) }
        return (PostMortem(facts: facts, analysis: analysis, exercise: nil), items)
    }

    /// Renders; the output, or the error thrown.
    static func render(_ template: String, _ report: PostMortem, _ items: [TimelineItem]) async -> Result<String, PostMortem.RenderError> {
        var output = ""
        do {
            try await report.renderMarkdown(template: template, events: { body in for item in items { try body(item) } }, write: { output += $0 })
            return .success(output)
        } catch let error as PostMortem.RenderError {
            return .failure(error)
        } catch {
            Issue.record("unexpected error \(error)")
            return .failure(.template("\(error)"))
        }
    }

    @Test func deepNestingIsRefusedBeforeParsing() async throws {
        let template = String(repeating: "{{#a}}", count: 3_000) + String(repeating: "{{/a}}", count: 3_000)
        let expected = "the template nests sections more than 16 deep at line 1, column 97"
        #expect(TemplateLimits.problem(in: template) == expected)
        let (report, items) = try Self.report(notes: 1)
        #expect(await Self.render(template, report, items) == .failure(.limit(expected)))
        // Sixteen levels are fine.
        let sixteen = String(repeating: "{{#a}}", count: 16) + "x" + String(repeating: "{{/a}}", count: 16)
        #expect(TemplateLimits.problem(in: sixteen) == nil)
        #expect(await Self.render(sixteen, report, items) == .success(""))
    }

    @Test(arguments: [
        ("{{#timeline}}\n  {{#timeline}}{{/timeline}}\n{{/timeline}}", 2, 3),
        ("{{#timeline}}{{#steps}}{{#timeline}}x{{/timeline}}{{/steps}}{{/timeline}}", 1, 24),
        ("{{=<% %>=}}<%#timeline%><%#timeline%>x<%/timeline%><%/timeline%>", 1, 25),
        ("{{#timeline}}{{#reversed(timeline)}}x{{/reversed(timeline)}}{{/timeline}}", 1, 14),
    ])
    func aTimelineInsideATimelineIsRefused(template: String, line: Int, column: Int) async throws {
        let expected = "the template has a 'timeline' section inside a 'timeline' section at line \(line), column \(column); the timeline can be listed, not repeated per event"
        #expect(TemplateLimits.problem(in: template) == expected)
        let (report, items) = try Self.report()
        let started = Date()
        #expect(await Self.render(template, report, items) == .failure(.limit(expected)))
        #expect(Date().timeIntervalSince(started) < 5)
    }

    @Test func aTimelineAfterATimelineIsFine() async {
        #expect(TemplateLimits.problem(in: "{{#timeline}}a{{/timeline}}{{^timeline}}none{{/timeline}}{{#timeline}}b{{/timeline}}") == nil)
    }

    @Test func aLargeTemplateIsRefused() async throws {
        let template = String(repeating: "# heading\n", count: 30_000)
        #expect(TemplateLimits.problem(in: template) == "the template is larger than 256 KiB; a report template is a small text file")
    }

    /// A small template that repeats the timeline a few thousand times would write hundreds of megabytes.
    @Test func aTemplateThatWouldWriteTooMuchIsRefusedBeforeRendering() async throws {
        let template = String(repeating: "{{#timeline}}{{{time}}} {{{what}}}\n{{/timeline}}", count: 3_000)
        #expect(TemplateLimits.problem(in: template) == nil)
        let (report, items) = try Self.report()
        let started = Date()
        let result = await Self.render(template, report, items)
        #expect(Date().timeIntervalSince(started) < 5)
        guard case .failure(.limit(let message)) = result else {
            Issue.record("expected a limit, got \(result)")
            return
        }
        #expect(message == "the template could write up to 381 MiB for this report (a list section inside another repeats it per item); a report is at most 64 MiB")
        // Nested lists multiply.
        let context = report.context(timeline: items.map(report.timelineCells))
        let single = TemplateLimits.outputBound(of: "{{#timeline}}{{{what}}}{{/timeline}}", context: context)
        let nested = TemplateLimits.outputBound(of: "{{#facts}}{{#metrics}}{{#timeline}}{{{what}}}{{/timeline}}{{/metrics}}{{/facts}}", context: context)
        let facts = (context["facts"] as? [Any])?.count ?? 0, metrics = (context["metrics"] as? [Any])?.count ?? 0
        #expect(facts > 1 && metrics > 1)
        #expect(nested == single * Double(facts * metrics))
    }

    /// Random templates of sections, variables, comments and text: each renders within its bound and the
    /// output limit, or is refused with a message; none crashes.
    @Test func randomTemplatesRenderWithinTheirBoundOrAreRefused() async throws {
        let (report, items) = try Self.report(notes: 40)
        let context = report.context(timeline: items.map(report.timelineCells), timelineRows: items.map(report.timelineRow).joined(separator: "\n"))
        let names = ["timeline", "steps", "metrics", "facts", "decisions", "hasDecisions", "exercise", "what", "who", "name", "value", "nosuch", ".", "gantt", "timelineRows"]
        var random = SeededGenerator(seed: 10)
        var rendered = 0, refused = 0
        for _ in 0..<400 {
            var template = ""
            var open: [String] = []
            for _ in 0..<Int.random(in: 1...60, using: &random) {
                let name = names.randomElement(using: &random)!
                switch Int.random(in: 0..<10, using: &random) {
                case 0, 1: template += "{{#\(name)}}"; open.append(name)
                case 2: template += "{{^\(name)}}"; open.append(name)
                case 3, 4: if let last = open.popLast() { template += "{{/\(last)}}" }
                case 5: template += "{{{\(name)}}}"
                case 6: template += "{{\(name)}}"
                case 7: template += "{{! a comment }}"
                default: template += ["text ", "\n", "| a | b |\n", "{{", "}}"].randomElement(using: &random)!
                }
            }
            if Bool.random(using: &random) { while let last = open.popLast() { template += "{{/\(last)}}" } }
            switch await Self.render(template, report, items) {
            case .success(let output):
                rendered += 1
                #expect(Double(output.utf8.count) <= TemplateLimits.outputBound(of: template, context: context), "\(template)")
                #expect(output.utf8.count <= TemplateLimits.maximumOutput)
            case .failure(.limit(let message)), .failure(.template(let message)):
                refused += 1
                #expect(!message.isEmpty && !message.contains("\n"))
            }
        }
        #expect(rendered > 50 && refused > 50)
    }
}
