import ArgumentParser
import FirebreakApp
import FirebreakCore
import FirebreakReports
import FirebreakStore
import Foundation

struct StatementCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "statement", abstract: "Draft, revise, approve, reject and publish statements to an audience.",
        subcommands: [Draft.self, Revise.self, Approve.self, Reject.self, Publish.self, ListStatements.self, Show.self])

    /// The warnings of a text, one line each: `S1 says 'probably' (line 2): a guess presented as fact`.
    static func warnings(_ text: String, statement: String, audience: String, playbook: Playbook) -> [String] {
        TextCheck.findings(text, avoid: playbook.audience(audience)?.avoid ?? []).map { $0.message(statement: statement, audience: audience, Messages.for(playbook.language)) }
    }

    /// Prints the warnings of the statement an event drafted, or of the version given a verdict, to standard error.
    static func printWarnings(_ stored: [StoredEvent], playbook: Playbook, record: IncidentRecord, workspace: Workspace) async throws(FirebreakError) {
        for item in stored {
            switch item.event.body {
            case let .drafted(id, audience, _, text):
                for line in warnings(text, statement: id, audience: audience, playbook: playbook) { Terminal.error("firebreak: warning: \(Terminal.oneLine(line))") }
            case let .approved(id, _, _), let .rejected(id, _, _, _):
                // The approver sees what the version they judged says.
                let log = try await Workspace.communications(record, store: try await workspace.store(), playbook: playbook)
                if let statement = log.statements.first(where: { $0.id == id }), let current = statement.current {
                    for line in warnings(current.text, statement: id, audience: statement.audience, playbook: playbook) {
                        Terminal.error("firebreak: warning: \(Terminal.oneLine(line))")
                    }
                }
            default: break
            }
        }
    }

    /// `--text`, `--file` or (for a draft) `--from-step`: exactly one.
    static func text(_ text: String?, file: String?) throws(FirebreakError) -> String {
        if let text { return text }
        if let file { return try Files.read(file, limit: 1 << 20, limitText: "1 MiB", kind: "a statement") }
        throw .usage("give the statement's text with --text or --file")
    }
}

struct StatementTextOptions: ParsableArguments {
    @Option(help: "The statement's text.") var text: String?
    @Option(help: "A file with the statement's text.") var file: String?
}

extension StatementCommand {
    struct Draft: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "draft", abstract: "Draft a new statement to an audience; prints its id, e.g. S1, and any warnings.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The incident, e.g. INC-7 (a recorded exercise: EX-3).", completion: Completions.incidents) var incident: String
        @Argument(help: "The audience id.", completion: Completions.audiences) var audience: String
        @OptionGroup var source: StatementTextOptions
        @Option(name: .customLong("from-step"), help: "Start from the template of this step.", completion: Completions.steps) var fromStep: String?
        @Option(parsing: .unconditional, help: "When it was drafted (default now).") var at: String?

        func validate() throws {
            let given = [source.text != nil, source.file != nil, fromStep != nil].filter { $0 }.count
            if given != 1 { throw ValidationError("give exactly one of --text, --file and --from-step") }
        }

        func run() async throws {
            let workspace = Workspace(global: global)
            let text: String
            if let fromStep {
                let (_, _, playbook) = try await workspace.load(incident)
                guard let (_, step) = playbook.step(fromStep) else {
                    throw FirebreakError.usage("no step '\(fromStep)' in this playbook; steps with a template are \(quotedList(playbook.templateSteps))")
                }
                guard let template = step.template else {
                    throw FirebreakError.usage("step '\(fromStep)' has no template; steps with a template are \(quotedList(playbook.templateSteps))")
                }
                text = template
            } else {
                text = try StatementCommand.text(source.text, file: source.file)
            }
            let (record, stored, playbook) = try await workspace.record(incident, at: at, .draft(audience: audience, text: text))
            for item in stored {
                if case let .drafted(id, _, _, _) = item.event.body { Terminal.out(id) }
            }
            try await StatementCommand.printWarnings(stored, playbook: playbook, record: record, workspace: workspace)
        }
    }

    struct Revise: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "revise", abstract: "A new version of an unpublished statement; every earlier approval lapses.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The incident, e.g. INC-7 (a recorded exercise: EX-3).", completion: Completions.incidents) var incident: String
        @Argument(help: "The statement, e.g. S1.", completion: Completions.statements) var statement: String
        @OptionGroup var source: StatementTextOptions
        @Option(parsing: .unconditional, help: "When it was revised (default now).") var at: String?

        func validate() throws {
            if (source.text != nil) == (source.file != nil) { throw ValidationError("give exactly one of --text and --file") }
        }

        func run() async throws {
            let workspace = Workspace(global: global)
            let text = try StatementCommand.text(source.text, file: source.file)
            let (record, stored, playbook) = try await workspace.record(incident, at: at, .revise(statement: .id(statement), text: text))
            printRecorded(stored, reference: record.reference, language: playbook.language)
            try await StatementCommand.printWarnings(stored, playbook: playbook, record: record, workspace: workspace)
        }
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "approve", abstract: "Approve the current version of a statement, in an approver role you hold.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The incident, e.g. INC-7 (a recorded exercise: EX-3).", completion: Completions.incidents) var incident: String
        @Argument(help: "The statement, e.g. S1.", completion: Completions.statements) var statement: String
        @Option(parsing: .unconditional, help: "When it was approved (default now).") var at: String?

        func run() async throws {
            let workspace = Workspace(global: global)
            let (record, stored, playbook) = try await workspace.record(incident, at: at, .approve(statement: .id(statement)))
            printRecorded(stored, reference: record.reference, language: playbook.language)
            try await StatementCommand.printWarnings(stored, playbook: playbook, record: record, workspace: workspace)
        }
    }

    struct Reject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reject", abstract: "Reject the current version of a statement, with a reason; it needs a revision.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The incident, e.g. INC-7 (a recorded exercise: EX-3).", completion: Completions.incidents) var incident: String
        @Argument(help: "The statement, e.g. S1.", completion: Completions.statements) var statement: String
        @Option(help: "Why it is rejected.") var reason: String
        @Option(parsing: .unconditional, help: "When it was rejected (default now).") var at: String?

        func validate() throws {
            if reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw ValidationError("--reason may not be empty") }
        }

        func run() async throws {
            try await Workspace(global: global).recordAndPrint(incident, at: at, .reject(statement: .id(statement), reason: reason))
        }
    }

    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "publish", abstract: "Publish a statement every approver approved; its text can no longer change.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The incident, e.g. INC-7 (a recorded exercise: EX-3).", completion: Completions.incidents) var incident: String
        @Argument(help: "The statement, e.g. S1.", completion: Completions.statements) var statement: String
        @Option(help: "Where it was published (website, press release, X).") var channel: String?
        @Option(parsing: .unconditional, help: "When it was published (default now).") var at: String?

        func run() async throws {
            try await Workspace(global: global).recordAndPrint(incident, at: at, .publish(statement: .id(statement), channel: channel))
        }
    }

    struct ListStatements: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "Every statement: audience, version, state, approvals still needed, warnings.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The incident, e.g. INC-7 (a recorded exercise: EX-3).", completion: Completions.incidents) var incident: String
        @Flag(help: "JSON for scripts.") var json = false
        @Option(help: "Words in en or nl (default: the playbook's language); JSON is the same in both.") var lang: Language?

        func run() async throws {
            let workspace = Workspace(global: global)
            let (store, record, playbook) = try await workspace.load(incident)
            let log = try await Workspace.communications(record, store: store, playbook: playbook)
            let t = Messages.for(lang ?? playbook.language)
            let views = log.statements.map { StatementView(history: $0, playbook: playbook, incident: record.snapshot, words: t) }
            if json {
                Terminal.out(JSONValue.array(views.map { $0.json(full: false) }).rendered())
                return
            }
            if views.isEmpty {
                Terminal.out(t("statements.none", ["id": record.reference]))
                return
            }
            var rows = [["statements.id", "statements.audience", "statements.version", "statements.state", "statements.waitingFor", "statements.warnings"].map { t($0) }]
            for view in views {
                rows.append([
                    view.history.id, view.history.audience, String(view.history.current?.version ?? 0), t("statement.state.\(view.state)"),
                    view.waitingFor.isEmpty ? "-" : view.waiting,
                    String(view.findings.count),
                ])
            }
            Terminal.out(TextTable.render(rows))
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "A statement's current text, its versions, approvals and checks.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The incident, e.g. INC-7 (a recorded exercise: EX-3).", completion: Completions.incidents) var incident: String
        @Argument(help: "The statement, e.g. S1.", completion: Completions.statements) var statement: String
        @Flag(help: "JSON for scripts.") var json = false
        @Option(help: "Words in en or nl (default: the playbook's language); JSON is the same in both.") var lang: Language?

        func run() async throws {
            let workspace = Workspace(global: global)
            let (store, record, playbook) = try await workspace.load(incident)
            let log = try await Workspace.communications(record, store: store, playbook: playbook)
            let wanted = StatementID.index(statement).map(StatementID.name)
            guard let history = log.statements.first(where: { $0.id == wanted }) else {
                throw FirebreakError.missing(Refusal.unknownStatement(statement: Terminal.oneLine(statement), statements: log.statements.map(\.id)).message)
            }
            let view = StatementView(history: history, playbook: playbook, incident: record.snapshot, words: Messages.for(lang ?? playbook.language))
            Terminal.out(json ? view.json(full: true).rendered() : view.text(now: Clock.now()))
        }
    }
}

extension Playbook {
    /// The ids of the steps that have a template.
    var templateSteps: [String] { states.flatMap { $0.steps.filter { $0.template != nil }.map(\.id) } }
}

/// A statement as `statement list` and `statement show` present it.
struct StatementView {
    let history: StatementHistory
    let playbook: Playbook
    let incident: Incident
    /// The words of the text forms (JSON is the same in every language).
    var words: Messages = .english

    var audience: Audience? { playbook.audience(history.audience) }

    var findings: [TextFinding] { TextCheck.findings(history.current?.text ?? "", avoid: audience?.avoid ?? []) }

    /// Approver roles that have not approved the current version, with their holders.
    var waitingFor: [(role: String, holder: String?)] {
        guard history.published == nil else { return [] }
        let approved = Set(history.currentVerdicts.filter(\.approved).map(\.approver))
        return (audience?.approvers ?? []).filter { !approved.contains($0) }.map { ($0, incident.assignments[$0]) }
    }

    /// `legal (noor), director (unassigned)`: who the current version waits for, in ``words``.
    var waiting: String {
        waitingFor.map { "\($0.role) (\(Terminal.oneLine($0.holder ?? words("statement.unassigned"))))" }.joined(separator: ", ")
    }

    /// `published`, `rejected`, `approved` or `draft` (JSON, and the key of its words: `statement.state.*`).
    var state: String {
        if history.published != nil { return "published" }
        if history.currentVerdicts.contains(where: { !$0.approved }) { return "rejected" }
        return waitingFor.isEmpty ? "approved" : "draft"
    }

    func text(now: Int) -> String {
        let t = Terminal.oneLine
        let w = words
        var out = Terminal.paint(w("statement.heading", ["id": history.id, "audience": history.audience]), .bold) + (audience.map { " — \(t($0.title))" } ?? "") + "\n"
        out += w("statement.stateLine", ["state": w("statement.state.\(state)"), "version": "\(history.current?.version ?? 0)"])
        if let published = history.published {
            out += w("statement.publishedAt", ["time": Words(w, now: now).time(published.at)]) + (published.channel.map { w("event.via", ["channel": t($0)]) } ?? "")
        }
        out += "\n"
        if !waitingFor.isEmpty { out += w("statement.waitingFor", ["roles": waiting]) + "\n" }
        if !findings.isEmpty {
            out += "\n" + w("statement.checks") + "\n" + findings.map { finding in
                "  " + w(finding.kind == .placeholder ? "statement.blocks" : "statement.warning") + ": " + t(finding.message(statement: history.id, audience: history.audience, w))
            }.joined(separator: "\n") + "\n"
        }
        out += "\n" + w("statement.text") + "\n" + (history.current?.text ?? "").split(separator: "\n", omittingEmptySubsequences: false).map { "  " + Terminal.sanitize(String($0)) }.joined(separator: "\n") + "\n"
        out += "\n" + w("statement.history") + "\n"
        var entries: [(Int, String)] = []
        for version in history.versions {
            entries.append((version.at, w("statement.drafted", ["version": "\(version.version)", "actor": t(version.actor ?? "?")])))
        }
        for verdict in history.verdicts {
            let values = ["version": "\(verdict.version)", "role": verdict.approver, "actor": t(verdict.actor ?? "?")]
            entries.append((verdict.at, w(verdict.approved ? "statement.approved" : "statement.rejected", values) + (verdict.reason.map { ": \(t($0))" } ?? "")))
        }
        if let published = history.published {
            entries.append((published.at, w("statement.published", ["version": "\(published.version)", "actor": t(published.actor ?? "?")])))
        }
        for (at, line) in entries.enumerated().sorted(by: { ($0.element.0, $0.offset) < ($1.element.0, $1.offset) }).map(\.element) {
            out += "  \(Words(w, now: now).time(at))  \(line)\n"
        }
        return String(out.dropLast())
    }

    func json(full: Bool) -> JSONValue {
        var fields: [(String, JSONValue)] = [
            ("id", .string(history.id)), ("audience", .string(history.audience)), ("version", .int(history.current?.version ?? 0)),
            ("state", .string(state)),
            ("waitingFor", .array(waitingFor.map { .object([("role", .string($0.role)), ("person", .optional($0.holder))]) })),
            ("publishedAt", .optional(history.published.map { Clock.iso($0.at) })),
            ("channel", .optional(history.published?.channel)),
            ("checks", .array(findings.map { f in
                .object([("kind", .string(f.kind.rawValue)), ("text", .string(f.text)), ("line", .int(f.line)),
                         ("message", .string(f.message(statement: history.id, audience: history.audience)))])
            })),
        ]
        if full {
            fields.append(("text", .string(history.current?.text ?? "")))
            fields.append(("versions", .array(history.versions.map { v in
                .object([("version", .int(v.version)), ("text", .string(v.text)), ("at", .string(Clock.iso(v.at))), ("by", .optional(v.actor))])
            })))
            fields.append(("verdicts", .array(history.verdicts.map { v in
                .object([("version", .int(v.version)), ("approver", .string(v.approver)), ("approved", .bool(v.approved)),
                         ("reason", .optional(v.reason)), ("at", .string(Clock.iso(v.at))), ("by", .optional(v.actor))])
            })))
        }
        return .object(fields)
    }
}

struct Inform: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inform", abstract: "Record that someone was told; completes the steps that inform them.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The incident, e.g. INC-7 (a recorded exercise: EX-3).", completion: Completions.incidents) var incident: String
    @Argument(help: "Who was told (a step's 'informs' id completes that step).") var who: String
    @Option(help: "How: phone, e-mail, in person.") var via: String?
    @Option(help: "A note kept with it.") var note: String?
    @Option(parsing: .unconditional, help: "When they were told (default now).") var at: String?

    func validate() throws {
        if who.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw ValidationError("who was informed may not be empty") }
    }

    func run() async throws {
        let (record, stored, playbook) = try await Workspace(global: global).record(incident, at: at, .inform(who: who, via: via, note: note))
        printRecorded(stored, reference: record.reference, language: playbook.language)
        // Anyone may be told, so a name no step informs is recorded as given; but a typo, or the person's name
        // where the step has an id, leaves the step open without a word: say which open steps inform whom.
        guard !stored.contains(where: { if case .done = $0.event.body { true } else { false } }) else { return }
        let tables = playbook.tables
        let engine = Engine(playbook: playbook)
        // The incident as this command left it (the record is as it was read, before the write).
        var after = record.snapshot
        for item in stored { engine.fold(item.event, into: &after) }
        let open = engine.activeSteps(after).compactMap { g -> String? in
            guard let informs = playbook.definition(of: g).informs, after.progress(of: g, tables)?.isOpen == true,
                  engine.openNeeds(of: g, in: after).isEmpty else { return nil }
            return "\(informs) (\(tables.stepIDs[g]))"
        }
        if !open.isEmpty {
            let t = Messages.for(playbook.language)
            Terminal.error("firebreak: note: " + t("cli.informCompletedNothing", ["who": Terminal.oneLine(who), "steps": open.joined(separator: ", ")]))
        }
    }
}
