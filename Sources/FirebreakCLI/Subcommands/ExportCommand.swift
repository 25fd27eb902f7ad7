import ArgumentParser
import FirebreakApp
import FirebreakCore
import FirebreakLoading
import FirebreakReports
import FirebreakStore
import Foundation

struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Export an incident or recorded exercise as a Markdown or HTML post-mortem, or JSON.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The incident, e.g. INC-7 (a recorded exercise: EX-3).", completion: Completions.incidents) var incident: String
    @Option(help: "markdown, json or html (one self-contained file to read or print); default: by the --output file's extension (.html, .htm, .json), else markdown.")
    var format: ReportFormat?
    @Option(help: "Write to this file instead of standard output.") var output: String?
    @Option(help: "Render through this Mustache template instead of the built-in layout.") var template: String?
    @Option(help: "Headings and fixed words in en or nl (default: the playbook's language).") var lang: Language?
    @Flag(help: "Replace an existing --output file even when it is not a previous Firebreak report.") var force = false

    enum ReportFormat: String, ExpressibleByArgument, CaseIterable { case markdown, json, html }

    /// `--format`, else what the output file's name says (`report.html` is HTML), else Markdown; with a template, Markdown.
    var reportFormat: ReportFormat {
        if let format { return format }
        guard template == nil, let output else { return .markdown }
        switch URL(fileURLWithPath: output).pathExtension.lowercased() {
        case "html", "htm": return .html
        case "json": return .json
        default: return .markdown
        }
    }

    func validate() throws {
        if template != nil && (format ?? .markdown) != .markdown { throw ValidationError("--template goes with --format markdown") }
        if force && output == nil { throw ValidationError("--force goes with --output FILE") }
    }

    func run() async throws {
        let target = try output.map { (path: String) throws(FirebreakError) in
            try ReportFile.check(path, option: "--output", database: global.databasePath, force: force)
        }
        let log = try await Workspace(global: global).log(withDue: incident)
        let (record, playbook, now) = (log.record, log.playbook, log.now)
        let templateText = try template.map { (path: String) throws(FirebreakError) in try Files.readTemplate(path) }
        // A recorded exercise's scenario: its objectives, and the names its informs are counted under.
        let scenario = record.isExercise ? record.scenarioText.flatMap { ScenarioLoader.load($0, playbooks: { $0 == playbook.id ? playbook : nil }).scenario } : nil
        // Pass 1: the facts, streamed; with what has fallen due but is not stored yet (an overdue, an escalation, a
        // timer), as `status` and `timeline` show it (a recorded exercise is closed, so nothing falls due unless it is reopened).
        var analysis = IncidentAnalysis(playbook: playbook, scenario: scenario)
        var refused: [(at: Int, by: String, action: String, reason: String)] = []
        try await log.each { item, isStored in
            analysis.add(item.event, seq: item.seq)
            if isStored, case let .refused(action, reason) = item.event.body {
                refused.append((item.event.at, item.event.role ?? item.event.actor ?? "?", action, reason))
            }
        }
        var exercise: ExerciseContext?
        var zone = Clock.offset(at: record.openedAt)
        if let scenario {
            exercise = ExerciseContext(scenario: scenario, base: record.openedAt, unapplied: refused, unappliedAreRefusals: true)
            if let start = scenario.start { zone = start.offset }
        }
        let report = PostMortem(
            facts: ReportFacts(
                reference: record.reference, title: record.snapshot.title, playbook: playbook, playbookHash: record.playbookHash,
                isExercise: record.isExercise, severity: record.snapshot.severity, assignments: record.snapshot.assignments,
                zoneOffset: zone, now: now, language: lang),
            analysis: analysis, exercise: exercise)
        // Pass 2: the timeline, streamed to the output.
        let events: ((TimelineItem) throws -> Void) async throws -> Void = { body in
            try await log.each { item, _ in try body(TimelineItem(seq: item.seq, recordedAt: item.recordedAt, event: item.event)) }
        }
        try await ReportOutput.write(to: target) { write in
            switch reportFormat {
            case .markdown: try await report.renderMarkdown(template: templateText, events: events, write: write)
            case .json: try await report.renderJSON(events: events, write: write)
            case .html: try await report.renderHTML(events: events, write: write)
            }
        }
    }
}

extension Language: ExpressibleByArgument {}

/// Writes a report to a file (all or nothing: see ``ReportFile``) or to standard output.
enum ReportOutput {
    static func write(to target: ReportFile?, _ body: (@escaping (String) throws -> Void) async throws -> Void) async throws {
        guard let target else {
            let console = Console.current
            do {
                try await body { text in
                    console.out(text)
                    if let failure = console.failedOutput { throw FirebreakError.io("could not write the report to standard output: \(failure)") }
                }
            } catch {
                throw Self.translate(error)
            }
            return
        }
        do {
            try await target.write(body)
        } catch {
            throw Self.translate(error)
        }
    }

    static func translate(_ error: any Error) -> FirebreakError {
        switch error {
        case let error as FirebreakError: error
        case PostMortem.RenderError.template(let message): .invalidFiles("the template cannot be read: \(Terminal.oneLine(message))")
        case PostMortem.RenderError.limit(let message): .invalidFiles(message)
        case let error as StoreError: Workspace.translate(error)
        default: .io("cannot write the report: \(error.localizedDescription)")
        }
    }

    /// `drill run --report FILE`: the after-action report of a scripted run.
    static func writeExercise(loaded: LoadedScenario, outcome: Simulator.Outcome, to target: ReportFile, templateText: String?, language: Language?) async throws {
        let now = Clock.now()
        let base = loaded.base(now: now)
        let events = LoadedScenario.shift(outcome.events, by: base)
        var analysis = IncidentAnalysis(playbook: loaded.playbook, scenario: loaded.scenario)
        for event in events { analysis.add(event) }
        let unapplied = outcome.actions.filter { $0.appliedAt == nil }.map {
            (at: $0.scheduledAt + base, by: $0.action.by, action: $0.action.summary, reason: $0.lastRefusal ?? "not played: the exercise stopped first")
        }
        let hash = HashChain.sha256(loaded.playbookText)
        let report = PostMortem(
            facts: ReportFacts(
                reference: Messages.for(language ?? loaded.playbook.language)("report.exerciseReference"), title: outcome.incident.title, playbook: loaded.playbook, playbookHash: hash, isExercise: true,
                severity: outcome.incident.severity, assignments: outcome.incident.assignments,
                // The report's moment is where the exercise stopped, not the wall clock: an exercise that did not close
                // lasted until then ("so far" from the real clock measured years for a scenario set in the past).
                zoneOffset: loaded.scenario.start?.offset ?? Clock.offset(at: base), now: base + outcome.stoppedAt, language: language),
            analysis: analysis, exercise: ExerciseContext(scenario: loaded.scenario, base: base, unapplied: unapplied, unappliedAreRefusals: false))
        try await write(to: target) { write in
            try await report.renderMarkdown(template: templateText, events: { body in
                for (index, event) in events.enumerated() { try body(TimelineItem(seq: index + 1, recordedAt: event.at, event: event)) }
            }, write: write)
        }
    }
}
