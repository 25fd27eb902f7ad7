import ArgumentParser
import Dispatch
import FirebreakApp
import FirebreakCore
import FirebreakLoading
import FirebreakReports
import FirebreakStore
import Foundation
import Synchronization

struct Drill: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "drill", 
        abstract: "Tabletop exercises: run a scenario, estimate its odds, or play it live.",
        subcommands: [RunDrill.self, Stats.self, Play.self])
}

/// A scenario found by path or by id in ./Scenarios, checked against its playbook.
struct LoadedScenario: Sendable {
    let scenario: Scenario
    let playbook: Playbook
    let playbookText: String
    let scenarioText: String
    /// The scripted team chosen with `--team` (nil: the default team, `actions`).
    var team: String? = nil

    /// The scenario as played by team `name` (nil: unchanged); an unknown team is a usage error naming the teams.
    func playedBy(team name: String?) throws(FirebreakError) -> LoadedScenario {
        guard let name else { return self }
        guard let played = scenario.playedBy(team: name) else {
            let names = scenario.teams.map(\.name)
            throw .usage(
                "no team '\(Terminal.oneLine(name))' in scenario '\(scenario.id)'; "
                    + (names.isEmpty ? "it has only its default team ('actions'); leave out --team" : "teams are \(quotedList(names))"))
        }
        return LoadedScenario(scenario: played, playbook: playbook, playbookText: playbookText, scenarioText: scenarioText, team: name)
    }

    static func load(_ name: String, global: GlobalOptions) throws(FirebreakError) -> LoadedScenario {
        var path = name
        if !FileManager.default.fileExists(atPath: path) {
            let playbookFolder = global.playbookFolder as NSString
            var folders = ["Scenarios", (playbookFolder.deletingLastPathComponent as NSString).appendingPathComponent("Scenarios")]
            // A language folder of playbooks (`Playbooks/nl`) has its scenarios in `Scenarios/nl`: those come first.
            if let language = Language(rawValue: playbookFolder.lastPathComponent) {
                let root = (playbookFolder.deletingLastPathComponent as NSString).deletingLastPathComponent as NSString
                folders.insert(contentsOf: ["Scenarios/\(language.rawValue)", root.appendingPathComponent("Scenarios/\(language.rawValue)")], at: 0)
            }
            let candidates = folders.flatMap { folder in ["yaml", "yml"].map { (folder as NSString).appendingPathComponent("\(name).\($0)") } }
            guard Identifier.isValid(name), let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
                throw .missing("no scenario '\(Terminal.oneLine(name))': give a file, or an id of a file in ./Scenarios")
            }
            path = found
        }
        let text = try Files.read(path)
        let library = global.library
        var playbookText = ""
        var missing: FirebreakError?
        let result = ScenarioLoader.load(text, fileName: Files.fileName(path)) { id in
            do {
                let loaded = try library.load(id)
                playbookText = loaded.text
                return loaded.playbook
            } catch {
                missing = error as? FirebreakError
                return nil
            }
        }
        let output = DiagnosticPrinter.render(result.diagnostics, path: path, text: text)
        guard let scenario = result.scenario, let playbook = result.playbook else {
            if !output.isEmpty { Terminal.error(output) }
            if let missing, case .missing = missing { throw missing }
            throw .invalidFiles("scenario '\(path)' has errors; see above")
        }
        if !output.isEmpty { Terminal.error(output) }
        return LoadedScenario(scenario: scenario, playbook: playbook, playbookText: playbookText, scenarioText: text)
    }

    /// A new copy of the scenario and playbook, sharing no storage with this one.
    func freshCopy() -> (Scenario, Playbook)? {
        let playbook = PlaybookLoader.load(playbookText).playbook
        guard let playbook else { return nil }
        let result = ScenarioLoader.load(scenarioText) { $0 == playbook.id ? playbook : nil }
        guard let scenario = result.scenario, let copy = result.playbook else { return nil }
        guard let team else { return (scenario, copy) }
        return scenario.playedBy(team: team).map { ($0, copy) }
    }

    /// The incident time of T+0: the scenario's start, or now.
    func base(now: Int) -> Int { scenario.start?.seconds ?? now }

    /// Moves virtual times (seconds from T+0) to incident times.
    static func shift(_ events: [Event], by base: Int) -> [Event] {
        events.map { event -> Event in
            var event = event
            event.at += base
            switch event.body {
            case let .overdue(step, due): event.body = .overdue(step: step, due: due + base)
            case let .updateOverdue(audience, due): event.body = .updateOverdue(audience: audience, due: due + base)
            case let .opened(p, t, s, b, e, sc): event.body = .opened(playbook: p, title: t, severity: s, began: b.map { $0 + base }, exercise: e, scenario: sc)
            default: break
            }
            return event
        }
    }

    /// Stores an exercise as an incident marked as an exercise; T+0 is the scenario's start, or now.
    /// An exercise that did not close is closed where it stopped, so no real-time timer runs on it later.
    func record(_ events: [Event], incident: Incident, stoppedAt: Int, global: GlobalOptions) async throws(FirebreakError) -> Int {
        let now = Clock.now()
        var events = events
        if !incident.isClosed {
            events.append(Event(at: stoppedAt, .closed(reason: "the exercise ended at \(DurationText.clock(stoppedAt))", forced: true)))
        }
        var shifted = Self.shift(events, by: base(now: now))
        // The log itself says it is an exercise, and of which scenario: the chain covers it.
        if case let .opened(p, t, s, b, _, _)? = shifted.first?.body {
            shifted[0].body = .opened(playbook: p, title: t, severity: s, began: b, exercise: true, scenario: HashChain.sha256(scenarioText))
        }
        let engine = Engine(playbook: playbook)
        guard let snapshot = engine.replay(shifted) else { throw .internal("the exercise did not start with 'opened'") }
        let store = try await Workspace(global: global).store(create: true)
        do {
            return try await store.create(
                NewIncident(playbookID: playbook.id, playbookText: playbookText, playbookHash: HashChain.sha256(playbookText), isExercise: true, events: shifted, snapshot: snapshot,
                            scenarioText: scenarioText, compiledPlaybook: Workspace.compiled(playbook)),
                recordedAt: now)
        } catch {
            throw Workspace.translate(error)
        }
    }
}

struct RunDrill: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run a scenario's scripted moves and score them.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "A scenario file, or the id of one in ./Scenarios.") var scenario: String
    @Option(help: "Write the after-action report (Markdown) to this file.") var report: String?
    @Option(help: "A Mustache template for --report instead of the built-in layout.") var template: String?
    @Option(help: "Output and report in en or nl (default: the playbook's language).") var lang: Language?
    @Option(help: "Play the scripted team of this name (the scenario's 'teams:'); default: its 'actions'.") var team: String?
    @Flag(help: "JSON for scripts.") var json = false
    @Flag(help: "Exit 1 when an expectation is missed.") var strict = false
    @Flag(help: "Also store the exercise as an incident marked as an exercise.") var record = false
    @Flag(help: "Replace an existing --report file even when it is not a previous Firebreak report.") var force = false

    func validate() throws {
        if template != nil && report == nil { throw ValidationError("--template goes with --report FILE") }
        if force && report == nil { throw ValidationError("--force goes with --report FILE") }
    }

    func run() async throws {
        // The report's path is checked before anything is recorded: a bad path must not leave a recorded exercise behind.
        let target = try report.map { (path: String) throws(FirebreakError) in
            try ReportFile.check(path, option: "--report", database: global.databasePath, force: force)
        }
        let templateText = try template.map { (path: String) throws(FirebreakError) in try Files.readTemplate(path) }
        let loaded = try LoadedScenario.load(scenario, global: global).playedBy(team: team)
        let outcome = Simulator(scenario: loaded.scenario, playbook: loaded.playbook).run()
        let view = ExerciseReport(scenario: loaded.scenario, playbook: loaded.playbook, outcome: outcome, language: lang)
        Terminal.out(json ? view.json().rendered() : view.text(oneLine: Terminal.oneLine))
        if record {
            let number = try await loaded.record(outcome.events, incident: outcome.incident, stoppedAt: outcome.stoppedAt, global: global)
            Terminal.error(Messages.for(lang ?? loaded.playbook.language)("play.recorded", ["id": IncidentID.name(number)]))
        }
        if let target {
            try await ReportOutput.writeExercise(loaded: loaded, outcome: outcome, to: target, templateText: templateText, language: lang)
        }
        if strict && view.expectationsMet < outcome.expectations.count {
            Terminal.error("firebreak: \(outcome.expectations.count - view.expectationsMet) expectation(s) missed")
            throw FirebreakError.failed("missed")
        }
    }
}

struct Stats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Monte Carlo runs: how likely the team is to make its deadlines.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "A scenario file, or the id of one in ./Scenarios.") var scenario: String
    // `.unconditional`: `--runs -1` is a number to refuse with a clear message, not a missing value.
    @Option(parsing: .unconditional, help: "How many runs.") var runs = 1000
    @Option(help: "The seed; the same seed gives the same result.") var seed: UInt64 = 1
    @Option(parsing: .unconditional, help: "Threads to use (default: all cores); the result does not depend on it.") var threads: Int?
    @Option(help: "Play the scripted team of this name (the scenario's 'teams:'); default: its 'actions'.") var team: String?
    @Flag(help: "Also print histograms of the time to close and to the first publication.") var histogram = false
    @Option(help: "Write the two histograms as an SVG picture to this file.") var svg: String?
    @Option(help: "Output in en or nl (default: the playbook's language); JSON is the same in both.") var lang: Language?
    @Flag(help: "Replace an existing --svg file even when it is not one Firebreak wrote.") var force = false
    @Flag(help: "JSON for scripts.") var json = false

    func validate() throws {
        guard (1...10_000_000).contains(runs) else { throw ValidationError("--runs must be between 1 and 10000000") }
        if let threads, !(1...256).contains(threads) { throw ValidationError("--threads must be between 1 and 256") }
        if force && svg == nil { throw ValidationError("--force goes with --svg FILE") }
    }

    func run() async throws {
        // The picture's path is checked before the runs: a bad path fails at once.
        let target = try svg.map { (path: String) throws(FirebreakError) in
            try ReportFile.check(path, option: "--svg", database: global.databasePath, force: force)
        }
        let loaded = try LoadedScenario.load(scenario, global: global).playedBy(team: team)
        let carlo = MonteCarlo(simulator: Simulator(scenario: loaded.scenario, playbook: loaded.playbook), seed: seed)
        // One copy of the model per thread, loaded anew: threads then share no reference counts (no cache-line
        // ping-pong on the playbook's strings and arrays). Same files, so the same runs. Each thread loads its own
        // when it starts, in parallel with the others' runs.
        let workers = max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount)
        let carlos = WorkerModels(first: carlo, count: workers) { [seed] in
            loaded.freshCopy().map { MonteCarlo(simulator: Simulator(scenario: $0.0, playbook: $0.1), seed: seed) } ?? carlo
        }
        let roles = carlo.variableRoles
        let threads = threads ?? ProcessInfo.processInfo.activeProcessorCount
        // The counterfactual passes count met expectations only, each run played until those are settled; with more than
        // `counterfactualRuns` runs they play only the first that many (the same runs whatever the threads) and are scaled.
        let sample = min(runs, MonteCarlo.counterfactualRuns)
        let windows = carlo.simulator.hasWindows
        let samplePasses = roles.count + (windows && roles.count > 1 ? 1 : 0)
        let progress = Progress(total: runs + samplePasses * sample)
        // Both passes are played in one go over the threads (no thread waits at the end of a pass while another works).
        // The sample's runs come with their counterfactuals: each run again with one variable role's delays taken
        // away, and (with windows and several roles) with every delay taken away, played on from the moment it
        // differs (`MonteCarlo.tally(_:undelayed:)`); the costs so compare the same runs. Then the other runs.
        var undelayed = roles.map { carlo.actions(of: $0) }
        if windows, roles.count > 1 { undelayed.append([Bool](repeating: true, count: loaded.scenario.actions.count)) }
        var passes: [(runs: Range<Int>, weight: Int, body: @Sendable (Int, Range<Int>) -> [MonteCarlo.Tally])] = [
            (0..<sample, 1 + undelayed.count, { [undelayed] in
                let tallies = carlos[$0].tally($1, undelayed: undelayed)
                return [tallies.base] + tallies.zeroed
            })
        ]
        if sample < runs { passes.append((sample..<runs, 1, { [carlos[$0].tally($1)] })) }
        let results = Self.parallel(passes, threads: threads, progress: progress)
        var tallies = Array(results[0].dropFirst())
        let baseSample = results[0][0]
        var base = baseSample
        if sample < runs { base.merge(results[1][0]) }
        var costs: [(role: String, missedBecause: Int)] = []
        var onlyRoleZeroed: MonteCarlo.Tally?
        for role in roles {
            let zeroed = tallies.removeFirst()
            costs.append((role, MonteCarlo.scaled(zeroed.totalMet - baseSample.totalMet, sample: sample, runs: runs)))
            if roles.count == 1 { onlyRoleZeroed = zeroed }
        }
        // The playbook itself: every action at its scripted time. With no variable role that is the base runs. Without
        // windows every such run is the same run: played once, counted for each (exact). With windows, one variable role's
        // zeroed runs are those runs, else one more pass; both over the sample, scaled.
        var withoutDelays: [Int]
        var withoutDelaysEstimated = false
        if roles.isEmpty {
            withoutDelays = base.met
        } else if !windows {
            withoutDelays = carlo.tally(0..<runs, withoutDelays: true, metOnly: true).met
        } else {
            let alone = onlyRoleZeroed ?? tallies.removeFirst()
            withoutDelays = alone.met.map { MonteCarlo.scaled($0, sample: sample, runs: runs) }
            withoutDelaysEstimated = sample < runs
        }
        progress.finish()
        costs.sort { $0.missedBecause != $1.missedBecause ? $0.missedBecause > $1.missedBecause : $0.role < $1.role }
        var summary = carlo.summarize(base, costByRole: costs)
        summary.withoutDelays = withoutDelays
        if sample < runs, !roles.isEmpty { summary.costsEstimatedFrom = sample }
        if withoutDelaysEstimated { summary.withoutDelaysEstimatedFrom = sample }
        var view = StatsView(scenario: loaded.scenario, summary: summary, seed: seed, team: loaded.team, histograms: histogram)
        view.t = Messages.for(lang ?? loaded.playbook.language)
        Terminal.out(json ? view.json().rendered() : view.text())
        if let target {
            let picture = view.svg()
            try await ReportOutput.write(to: target) { write in try write(picture) }
        }
    }

    /// Plays each pass's runs in chunks over `threads` threads, all passes in one queue, and adds up each pass's tallies
    /// (a pass gives several, added up one by one); the sums do not depend on the threads. `body(worker, runs)`: worker
    /// is the index of the thread, for its own copy of the model. `weight`: runs played per run of the pass, for progress.
    /// One model per worker: worker 0's is given; each other worker makes its own the first time it asks.
    final class WorkerModels: Sendable {
        let slots: Mutex<[MonteCarlo?]>
        let make: @Sendable () -> MonteCarlo

        init(first: MonteCarlo, count: Int, make: @escaping @Sendable () -> MonteCarlo) {
            slots = Mutex([first] + [MonteCarlo?](repeating: nil, count: max(0, count - 1)))
            self.make = make
        }

        subscript(worker: Int) -> MonteCarlo {
            if let model = slots.withLock({ $0[worker] }) { return model }
            let model = make()
            slots.withLock { $0[worker] = model }
            return model
        }
    }

    static func parallel(
        _ passes: [(runs: Range<Int>, weight: Int, body: @Sendable (Int, Range<Int>) -> [MonteCarlo.Tally])], threads: Int, progress: Progress
    ) -> [[MonteCarlo.Tally]] {
        var jobs: [(pass: Int, runs: Range<Int>)] = []
        for (p, pass) in passes.enumerated() {
            let count = pass.runs.count
            let chunk = max(256, count / (threads * 8) + 1)
            var first = pass.runs.lowerBound
            while first < pass.runs.upperBound {
                jobs.append((p, first..<min(pass.runs.upperBound, first + chunk)))
                first += chunk
            }
        }
        let parts = Mutex<[Int: [MonteCarlo.Tally]]>([:])
        let work: @Sendable (Int, Int) -> Void = { [jobs] (worker: Int, j: Int) in
            let part = passes[jobs[j].pass].body(worker, jobs[j].runs)
            parts.withLock { $0[j] = part }
            progress.add(jobs[j].runs.count * passes[jobs[j].pass].weight)
        }
        if threads <= 1 || jobs.count <= 1 {
            for j in jobs.indices { work(0, j) }
        } else {
            let next = Atomic<Int>(0)
            let count = jobs.count
            DispatchQueue.concurrentPerform(iterations: min(threads, count)) { worker in
                while true {
                    let j = next.add(1, ordering: .relaxed).oldValue
                    if j >= count { break }
                    work(worker, j)
                }
            }
        }
        return parts.withLock { parts in
            passes.indices.map { p in
                var total: [MonteCarlo.Tally]?
                for j in jobs.indices where jobs[j].pass == p {
                    guard let part = parts[j] else { continue }
                    if total == nil {
                        total = part
                    } else {
                        for k in part.indices { total![k].merge(part[k]) }
                    }
                }
                return total ?? passes[p].body(0, passes[p].runs.lowerBound..<passes[p].runs.lowerBound)
            }
        }
    }
}

/// A progress bar on standard error, shown only on a terminal and once a run takes more than a moment.
final class Progress: Sendable {
    let total: Int
    let state = Mutex<(done: Int, shown: Bool, lastDraw: UInt64)>((0, false, 0))
    let started = DispatchTime.now().uptimeNanoseconds
    let enabled = Terminal.isTerminal(2)
    let console = Console.current

    init(total: Int) { self.total = total }

    func add(_ count: Int) {
        guard enabled else { return }
        state.withLock { s in
            s.done += count
            let now = DispatchTime.now().uptimeNanoseconds
            guard now - started > 300_000_000, now - s.lastDraw > 100_000_000 else { return }
            s.lastDraw = now
            s.shown = true
            let width = 30
            let filled = min(width, s.done * width / max(1, total))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            console.error("\r\(bar) \(s.done * 100 / max(1, total))% (\(s.done)/\(total) runs)")
        }
    }

    func finish() {
        state.withLock { s in
            if s.shown { console.error("\r\u{1B}[K") }
        }
    }
}

struct StatsView {
    let scenario: Scenario
    let summary: MonteCarlo.Summary
    let seed: UInt64
    var team: String? = nil
    /// The words of the text (JSON is the same in every language).
    var t: Messages = .english
    /// Whether the text and JSON carry the histograms (`--histogram`).
    var histograms = false

    /// The histograms of the time to close and to the first publication.
    var timeHistograms: [Histogram] {
        [Histogram(title: "Time to close", times: summary.closeTimes, runs: summary.runs),
         Histogram(title: "Time to the first publication", times: summary.firstPublications, runs: summary.runs)]
    }

    func histogramHeadings() -> [String] {
        let n = summary.runs
        return [t("stats.histogram.close", ["count": "\(summary.closeTimes.count)", "runs": "\(n)"]),
                t("stats.histogram.publication", ["count": "\(summary.firstPublications.count)", "runs": "\(n)"])]
    }

    var noTime: String { t("stats.histogram.none") }

    func svg() -> String {
        Histogram.svg(timeHistograms, headings: histogramHeadings(), none: noTime)
    }

    func percent(_ value: Double) -> String {
        let tenths = Int((value * 1000).rounded())
        return t("format.percent", ["whole": "\(tenths / 10)", "tenth": "\(tenths % 10)"])
    }

    func name(_ result: Simulator.ExpectationResult) -> String {
        (scenario.injects[result.inject].id ?? "inject \(result.inject + 1)") + ": " + ExerciseReport.describe(result.expectation, t)
    }

    func text() -> String {
        let n = summary.runs
        var out = t("stats.header", ["id": scenario.id, "team": team.map { t("stats.team", ["team": $0]) } ?? "", "runs": "\(n)", "seed": "\(seed)"])
            + "\n\n" + t("stats.expectations") + "\n"
        var rows: [[String]] = []
        for (result, met) in summary.expectations {
            let (low, high) = Statistics.wilson(met, n)
            rows.append(["  " + name(result), percent(Double(met) / Double(n)), t("stats.interval", ["low": percent(low), "high": percent(high)])])
        }
        out += TextTable.render(rows) + "\n"
        if let alone = summary.withoutDelays, !summary.expectations.isEmpty {
            // Whether a miss is the team's or the playbook's: the same runs with every action at its scripted time.
            out += "\n" + estimated(t("stats.alone"), summary.withoutDelaysEstimatedFrom) + "\n"
            rows = zip(summary.expectations, alone).map { expectation, met in
                let share = percent(Double(met) / Double(n))
                let row = ["  " + name(expectation.result), share]
                return met == expectation.met ? row : row + [t("stats.teamShare", ["share": percent(Double(expectation.met) / Double(n))])]
            }
            out += TextTable.render(rows) + "\n"
        }
        let publications = summary.expectations.indices.compactMap { e in summary.publication[e].map { (summary.expectations[e].result, $0) } }
        if !publications.isEmpty {
            out += "\n" + t("stats.publication") + "\n"
            rows = publications.map { result, figure in
                ["  " + name(result), figure.median.map { t.duration(max(60, $0 / 60 * 60)) } ?? "-",
                 figure.without == 0 ? t("stats.publishedEvery") : t("stats.publishedNone", ["count": "\(figure.without)", "runs": "\(n)"])]
            }
            out += TextTable.render(rows) + "\n"
        }
        out += "\n" + t("stats.steps") + "\n"
        rows = summary.steps.map { step in
            ["  " + step.id, percent(Double(step.onTime) / Double(step.active)), t("stats.active", ["share": percent(Double(step.active) / Double(n))])]
        }
        out += TextTable.render(rows) + "\n\n"
        let closes = summary.closeTimes
        if let median = Statistics.quantile(closes, 0.5), let p90 = Statistics.quantile(closes, 0.9) {
            out += t("stats.closed", ["share": percent(Double(closes.count) / Double(n)), "median": t.duration(median / 60 * 60), "p90": t.duration(p90 / 60 * 60)]) + "\n"
        } else {
            out += t("stats.notClosed") + "\n"
        }
        if histograms {
            let headings = histogramHeadings()
            for (i, histogram) in timeHistograms.enumerated() { out += "\n" + histogram.text(heading: headings[i], none: noTime) + "\n" }
            out += "\n"
        }
        let costly = summary.costByRole.filter { $0.missedBecause > 0 }
        if costly.isEmpty {
            out += estimated(t("stats.noCost"), summary.costsEstimatedFrom) + "\n"
        } else {
            out += estimated(t("stats.costHeading"), summary.costsEstimatedFrom) + "\n"
            for cost in costly {
                out += "  " + t(cost.missedBecause == 1 ? "stats.cost.one" : "stats.cost.other", ["role": cost.role, "count": "\(cost.missedBecause)", "runs": "\(n)"]) + "\n"
            }
        }
        return String(out.dropLast())
    }

    /// A heading whose figures were estimated from the first `sample` runs, saying so (before its colon, if it ends in one).
    func estimated(_ heading: String, _ sample: Int?) -> String {
        guard let sample else { return heading }
        let note = t("stats.estimated", ["sample": "\(sample)"])
        return heading.hasSuffix(":") ? heading.dropLast() + " " + note + ":" : heading + " " + note
    }

    func json() -> JSONValue {
        let n = summary.runs
        let closes = summary.closeTimes
        return .object([
            ("scenario", .string(scenario.id)), ("runs", .int(n)), ("seed", .string(String(seed))),
            ("expectations", .array(summary.expectations.indices.map { e in
                let (result, met) = summary.expectations[e]
                let (low, high) = Statistics.wilson(met, n)
                var fields: [(String, JSONValue)] = [
                    ("inject", .string(scenario.injects[result.inject].id ?? "inject \(result.inject + 1)")),
                    ("kind", .string(result.expectation.condition.kind)), ("target", .string(result.expectation.condition.target)),
                    ("met", .int(met)), ("share", .double(Double(met) / Double(n))), ("low", .double(low)), ("high", .double(high)),
                ]
                if let figure = summary.publication[e] {
                    fields.append(("firstPublicationMedianSeconds", .optional(figure.median)))
                    fields.append(("runsWithoutPublication", .int(figure.without)))
                }
                return .object(fields)
            })),
            ("steps", .array(summary.steps.map { step in
                .object([("id", .string(step.id)), ("activeRuns", .int(step.active)), ("onTimeRuns", .int(step.onTime)),
                         ("share", .double(Double(step.onTime) / Double(step.active)))])
            })),
            ("close", .object([
                ("closedRuns", .int(closes.count)), ("share", .double(Double(closes.count) / Double(n))),
                ("medianSeconds", .optional(Statistics.quantile(closes, 0.5))), ("p90Seconds", .optional(Statistics.quantile(closes, 0.9))),
            ])),
            ("delayCost", .array(summary.costByRole.map { .object([("role", .string($0.role)), ("missedExpectations", .int($0.missedBecause))]) })),
        ] + extraFields)
    }

    /// What came after the first version of this output: the team, the runs without delays, the histograms.
    var extraFields: [(String, JSONValue)] {
        var fields: [(String, JSONValue)] = teamField
        fields += withoutDelaysField
        fields += histogramField
        // Counterfactual figures estimated from the first runs only (more than `MonteCarlo.counterfactualRuns` runs).
        if let sample = summary.costsEstimatedFrom { fields.append(("delayCostEstimatedFromRuns", .int(sample))) }
        if let sample = summary.withoutDelaysEstimatedFrom { fields.append(("withoutDelaysEstimatedFromRuns", .int(sample))) }
        return fields
    }

    var teamField: [(String, JSONValue)] { team.map { [("team", .string($0))] } ?? [] }

    /// Per expectation (file order), the runs that met it when every action came at its scripted time.
    var withoutDelaysField: [(String, JSONValue)] {
        guard let alone = summary.withoutDelays else { return [] }
        let n = summary.runs
        return [("withoutDelays", .array(zip(summary.expectations, alone).map { expectation, met in
            .object([
                ("inject", .string(scenario.injects[expectation.result.inject].id ?? "inject \(expectation.result.inject + 1)")),
                ("kind", .string(expectation.result.expectation.condition.kind)), ("target", .string(expectation.result.expectation.condition.target)),
                ("met", .int(met)), ("share", .double(Double(met) / Double(n))),
            ])
        }))]
    }

    var histogramField: [(String, JSONValue)] {
        guard histograms else { return [] }
        let names = ["timeToClose", "timeToFirstPublication"]
        return [("histograms", .object(zip(names, timeHistograms).map { name, histogram in
            (name, .object([
                ("runsWithTime", .int(histogram.total)), ("binSeconds", .int(histogram.width)), ("startSeconds", .int(histogram.start)),
                ("counts", .array(histogram.counts.map { .int($0) })),
            ]))
        }))]
    }
}
