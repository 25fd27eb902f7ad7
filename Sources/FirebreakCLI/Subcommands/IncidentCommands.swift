import ArgumentParser
import FirebreakApp
import FirebreakCore
import FirebreakLoading
import FirebreakReports
import FirebreakStore
import Foundation

/// Prints the events a move produced, one line each, in the playbook's language.
func printRecorded(_ stored: [StoredEvent], reference: String, language: Language) {
    let words = Words(Messages.for(language), now: Clock.now())
    if let last = stored.last { Console.current.noteRecorded("recorded as \(reference) #\(last.seq)") }
    for item in stored {
        let text = EventText.describe(item.event, clock: words.time, words.t)
        Terminal.out("\(reference) #\(item.seq) \(words.time(item.event.at))  \(Terminal.oneLine(text))\(item.event.outsideRole ? words("cli.outsideRole") : "")")
    }
}

struct Open: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "open", abstract: "Open an incident from a playbook; prints its id, e.g. INC-7.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The playbook id.", completion: Completions.playbooks) var playbook: String
    @Option(help: "What happened, in one line.") var title: String
    @Option(help: "low, medium, high or critical; default: the playbook's.") var severity: IncidentSeverity?
    @Option(help: ArgumentHelp("Give a role to a person (repeatable).", valueName: "role=person")) var assign: [String] = []
    @Option(parsing: .unconditional, help: "When the incident was opened (default now).") var at: String?
    @Option(parsing: .unconditional, help: "When the trigger happened (the post was published).") var began: String?

    func validate() throws {
        if title.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw ValidationError("--title may not be empty") }
        for item in assign where !item.contains("=") || item.hasPrefix("=") || item.hasSuffix("=") {
            throw ValidationError("--assign '\(item)' must be ROLE=PERSON")
        }
    }

    func run() async throws {
        let (playbook, text, _) = try global.library.load(self.playbook)
        let assignments = assign.map { item -> (role: String, person: String) in
            let parts = item.split(separator: "=", maxSplits: 1)
            return (String(parts[0]), String(parts[1]))
        }
        let number = try await Workspace(global: global).open(
            playbook, text: text, title: title, severity: severity, assignments: assignments, at: at, began: began)
        Console.current.noteRecorded("recorded as \(IncidentID.name(number))")
        Terminal.out(IncidentID.name(number))
    }
}

extension IncidentSeverity: ExpressibleByArgument {}

struct ListIncidents: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List open incidents (all with --all).")
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Closed incidents too.") var all = false
    @Flag(help: "Recorded exercises too, closed ones included (an exercise is closed when it is recorded).") var exercises = false
    @Flag(help: "JSON for scripts.") var json = false
    @Option(help: "Words in en or nl (default en: the incidents' playbooks may differ); JSON is the same in both.") var lang: Language?

    func run() async throws {
        let store = try await Workspace(global: global).store()
        var records: [IncidentSummary]
        do { records = try await store.list(includeClosed: all || exercises, exercises: exercises) } catch { throw Workspace.translate(error) }
        // A recorded exercise is closed when it is recorded: --exercises shows them without --all; real incidents keep --all's rule.
        if !all { records.removeAll { $0.closedAt != nil && !$0.isExercise } }
        if json {
            Terminal.out(JSONValue.array(records.map { record in
                .object([
                    ("id", .string(record.reference)), ("title", .string(record.title)), ("playbook", .string(record.playbookID)),
                    ("severity", .string(record.severity.rawValue)), ("state", .string(record.state)),
                    ("openedAt", .string(Clock.iso(record.openedAt))), ("closed", .bool(record.closedAt != nil)),
                    ("closedAt", .optional(record.closedAt.map(Clock.iso))), ("forced", .bool(record.forcedClose && !record.isExercise)), ("exercise", .bool(record.isExercise)),
                ])
            }).rendered())
            return
        }
        let t = Messages.for(lang ?? .en)
        if records.isEmpty {
            Terminal.out(t(all ? "list.noIncidents" : exercises ? "list.noOpenOrExercises" : "list.noOpen"))
            return
        }
        // One time format in the whole column, date included: a list spans days.
        var rows = [["list.id", "list.state", "list.severity", "list.playbook", "list.opened", "list.title"].map { t($0) }]
        for record in records {
            // A recorded exercise is closed by being recorded, however its run ended.
            var state = record.closedAt == nil ? record.state : record.forcedClose && !record.isExercise ? t("list.forceClosed", ["state": record.state]) : t("list.closed")
            if record.isExercise { state += t("list.exercise") }
            rows.append([record.reference, state, t("severity.\(record.severity.rawValue)"), record.playbookID, Clock.short(record.openedAt), Terminal.oneLine(record.title)])
        }
        Terminal.out(TextTable.render(rows))
    }
}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "State, active steps with titles, owner, person, deadline and what each waits for; the next timer; statements, updates, informed; possible events.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The incident, e.g. INC-7 (a recorded exercise: EX-3).", completion: Completions.incidents) var incident: String
    @Flag(help: "JSON for scripts.") var json = false
    @Flag(help: "Redraw on every new event and when a deadline or timer falls due, until interrupted (Ctrl-C).") var watch = false
    @Flag(help: "Only the open steps of the person acting (--as, FIREBREAK_USER, else the login name) in the roles they hold or deputise, each with its guidance and template.") var mine = false
    @Option(help: "Words in en or nl (default: the playbook's language); JSON is the same in both.") var lang: Language?

    func run() async throws {
        if watch { return try await watchUntilInterrupted() }
        Terminal.out(try await Self.frame(global: global, incident: incident, json: json, lang: lang, mine: mine ? try global.actor() : nil))
    }

    /// One rendering of an incident's status as it stands now, text or JSON, without its last line
    /// break: what `status` prints, and each frame `status --watch` draws.
    /// With `mine`, only that person's open steps, with their guidance and template.
    static func frame(global: GlobalOptions, incident reference: String, json: Bool, lang: Language?, mine: String? = nil) async throws(FirebreakError) -> String {
        let status = try await Workspace(global: global).status(reference)
        var view = StatusView(status: status, words: Words(Messages.for(lang ?? status.playbook.language), now: status.now))
        view.mine = mine
        return json ? view.json().rendered() : view.text()
    }
}

/// How `status` shows an ``IncidentStatus`` (the application layer's use case): text or JSON, in ``words``.
struct StatusView {
    let status: IncidentStatus
    var words: Words
    /// `status --mine`: the person whose open steps alone are shown, with guidance and template.
    var mine: String?

    init(status: IncidentStatus, words: Words) {
        self.status = status
        self.words = words
    }

    var reference: String { status.record.reference }
    var record: IncidentRecord { status.record }
    var playbook: Playbook { status.playbook }
    var incident: Incident { status.incident }
    var engine: Engine { status.engine }
    var now: Int { status.now }
    var pendingEvents: Int { status.pending.count }
    var informs: [InformRecord] { status.informs }
    var missedUpdates: [(audience: String, due: Int)] { status.missedUpdates }
    var nextUpdates: [(audience: String, due: Int)] { status.nextUpdates }
    var nextTimer: (at: Int, target: State)? { status.nextTimer }
    typealias Row = IncidentStatus.Row
    typealias Group = IncidentStatus.Group

    func roles(of person: String) -> [String] { status.roles(of: person) }

    var rows: [Row] { rows(.state) }
    func rows(_ group: Group) -> [Row] { status.rows(group, mine: mine) }

    /// Unpublished statements with their warnings said in ``words``.
    var waitingStatements: [(id: String, audience: String, version: Int, missing: [(role: String, holder: String?)], warnings: [String])] {
        waitingStatements(in: words.t)
    }

    func waitingStatements(in t: Messages) -> [(id: String, audience: String, version: Int, missing: [(role: String, holder: String?)], warnings: [String])] {
        status.waitingStatements.map { s in
            (s.id, s.audience, s.version, s.missing, s.findings.map { $0.message(statement: s.id, audience: s.audience, t) })
        }
    }

    func statusWord(_ row: Row) -> String {
        switch row.progress.status {
        case .open: row.progress.overdue ? "overdue" : "open"
        case .done: "done"
        case .skipped: "skipped"
        }
    }

    /// `Title (id)`, or the quoted id when the title is the id.
    func titled(_ title: String, _ id: String) -> String { Terminal.oneLine(EventText.Names.titled(title, id)) }

    /// The person holding a role, with its deputies; `unassigned` when nobody holds it.
    func holder(_ role: String) -> String {
        let deputies = incident.deputies(of: role)
        return Terminal.oneLine(incident.assignments[role] ?? words("status.unassigned"))
            + (deputies.isEmpty ? "" : words("status.deputies", ["people": deputies.map(Terminal.oneLine).joined(separator: ", ")]))
    }

    func text() -> String {
        let t = Terminal.oneLine
        let w = words
        let state = playbook.states[incident.state]
        var out = Terminal.paint("\(reference)  \(t(incident.title))", .bold) + "\n"
        out += w("status.playbook", ["id": playbook.id, "severity": w.t("severity.\(incident.severity.rawValue)")])
            + (record.isExercise ? w("status.exercise") : "") + "\n"
        if let closed = incident.closed {
            out += closed.forced
                ? w("status.forceClosed", ["time": w.time(closed.at), "reason": t(closed.reason ?? "")])
                : w("status.closedIn", ["time": w.time(closed.at), "state": titled(state.title, state.id)])
            return out
        }
        out += w("status.state", [
            "state": titled(state.title, state.id), "round": incident.round > 1 ? w("status.round", ["round": "\(incident.round)"]) : "",
            "time": w.time(incident.enteredAt), "relative": w.relative(incident.enteredAt),
        ]) + "\n"
        out += w("status.commander", ["role": playbook.commander, "person": holder(playbook.commander)]) + "\n"
        if let mine {
            let roles = roles(of: mine)
            guard !roles.isEmpty else { return out + w("status.mineNone", ["person": t(mine), "id": reference]) }
            out += w("status.mine", ["person": t(mine), "roles": roles.joined(separator: ", ")]) + "\n"
        }
        let groups = [(Group.state, "status.steps"), (Group.carried, "status.carried"), (Group.duties, "status.duties")].map { group, key in (group, rows(group), key) }
        // Roles that own an open step but have nobody: flagged once, above the steps.
        var unassigned: [String] = []
        for (_, rows, _) in groups {
            for row in rows where row.progress.isOpen && incident.assignments[row.step.owner] == nil && !unassigned.contains(row.step.owner) {
                unassigned.append(row.step.owner)
            }
        }
        if !unassigned.isEmpty { out += Terminal.paint(w("status.rolesUnassigned", ["roles": unassigned.joined(separator: ", ")]), .red) + "\n" }
        if let timer = nextTimer {
            out += w("status.timer", ["state": titled(timer.target.title, timer.target.id), "time": w.time(timer.at), "relative": w.relative(timer.at)]) + "\n"
        }
        let marks = ["open", "overdue", "done", "skipped"].map { w("status.\($0)") }
        let width = marks.map(\.count).max() ?? 0
        for (_, rows, heading) in groups where !rows.isEmpty {
            out += "\n\(w(heading))\n"
            for row in rows {
                let word = w("status.\(statusWord(row))")
                let mark = statusWord(row) == "overdue" ? Terminal.paint(word, .red) : word
                out += "  \(mark)\(String(repeating: " ", count: width - word.count + 2))\(titled(row.step.title, row.step.id))"
                    + (row.step.isOptional ? " [\(w("status.optional"))]" : "") + "\n"
                var facts = [w("status.owner", ["role": row.step.owner, "person": holder(row.step.owner)])]
                if let d = row.deadline {
                    facts.append(
                        !row.progress.isOpen ? w("status.dueAt", ["time": w.time(d)])
                            : d < now ? w("status.overdueBy", ["time": w.time(d), "duration": w.duration(now - d)])
                            : w("status.due", ["time": w.time(d), "relative": w.relative(d)]))
                }
                if row.progress.escalated && !row.progress.isDoneOnTime(deadline: row.deadline) { facts.append(w("status.escalated")) }
                if !row.waitsFor.isEmpty { facts.append(w("status.waitsFor", ["steps": row.waitsFor.joined(separator: ", ")])) }
                if row.progress.isOpen, row.waitsFor.isEmpty, let choices = row.step.choices {
                    facts.append(w("status.choices", ["options": choices.options.joined(separator: " | ")]))
                }
                // The name `inform` must be given to complete the step: a description ("the family") would not.
                if row.progress.isOpen, let who = row.step.informs { facts.append(w("status.informsAs", ["who": who])) }
                out += "  \(String(repeating: " ", count: width + 2))\(facts.joined(separator: " · "))\n"
                if mine != nil {
                    let indent = String(repeating: " ", count: width + 6)
                    for (key, text) in [("status.guidance", row.step.guidance), ("status.template", row.step.template)] {
                        guard let text, !text.isEmpty else { continue }
                        out += "  \(String(repeating: " ", count: width + 2))\(w(key))\n"
                        let lines = text.replacing(/\s+$/, with: "").split(separator: "\n", omittingEmptySubsequences: false)
                        for line in lines { out += indent + t(String(line)) + "\n" }
                    }
                }
            }
        }
        if let mine {
            // Statements waiting for an approval of one of the person's roles.
            let roles = Set(roles(of: mine))
            let statements = waitingStatements.filter { $0.missing.contains { roles.contains($0.role) } }
            if !statements.isEmpty {
                out += "\n\(w("status.statements"))\n"
                for statement in statements {
                    out += "  " + w("status.statement", ["id": statement.id, "audience": audienceName(statement.audience), "version": "\(statement.version)",
                        "waiting": w("status.statementWaiting", ["roles": statement.missing.filter { roles.contains($0.role) }.map(\.role).joined(separator: ", ")])]) + "\n"
                }
            }
            if groups.allSatisfy({ $0.1.isEmpty }) && statements.isEmpty { out += "\n" + w("status.mineNothing") + "\n" }
            return out
        }
        let statements = waitingStatements
        if !statements.isEmpty {
            out += "\n\(w("status.statements"))\n"
            for statement in statements {
                let waiting = statement.missing.isEmpty
                    ? w("status.statementReady")
                    : w("status.statementWaiting", ["roles": statement.missing.map { "\($0.role) (\(t($0.holder ?? w("status.unassigned"))))" }.joined(separator: ", ")])
                out += "  " + w("status.statement", ["id": statement.id, "audience": audienceName(statement.audience), "version": "\(statement.version)", "waiting": waiting]) + "\n"
                for warning in statement.warnings { out += "    " + w("status.warning", ["text": t(warning)]) + "\n" }
            }
        }
        for update in nextUpdates {
            out += "\n" + w("status.nextUpdate", ["audience": audienceName(update.audience), "time": w.time(update.due), "relative": w.relative(update.due)]) + "\n"
        }
        for missed in missedUpdates {
            out += "\n" + Terminal.paint(w("status.updateOverdue", ["audience": audienceName(missed.audience)]), .red)
                + w("status.updateOverdueSince", ["time": w.time(missed.due), "relative": w.relative(missed.due)]) + "\n"
        }
        if !informs.isEmpty {
            out += "\n\(w("status.informed"))\n"
            for inform in informs {
                out += "  \(t(inform.who))" + (inform.via.map { w("event.via", ["channel": t($0)]) } ?? "") + " "
                    + w("status.informedBy", ["time": w.time(inform.at), "actor": t(inform.actor ?? "?")]) + "\n"
            }
        }
        let events = engine.possibleEvents(incident)
        if !events.isEmpty {
            out += "\n\(w("status.events"))\n"
            for event in events {
                let target = playbook.states.first { $0.id == event.to }
                out += "  \(event.event) → \(titled(target?.title ?? event.to, event.to))"
                    + (event.waitingFor.isEmpty ? "" : "  " + w("status.eventWaiting", ["steps": event.waitingFor.joined(separator: ", ")]))
                    + (event.decidedBy.map { "  " + w("status.eventDecided", ["id": reference, "step": $0.step, "option": $0.option]) } ?? "") + "\n"
            }
        }
        return String(out.dropLast())
    }

    /// `Press and media (press)`.
    func audienceName(_ id: String) -> String {
        titled(playbook.audiences.first { $0.id == id }?.title ?? id, id)
    }

    func json() -> JSONValue {
        let state = playbook.states[incident.state]
        return .object([
            ("id", .string(reference)), ("title", .string(incident.title)), ("playbook", .string(playbook.id)),
            ("severity", .string(incident.severity.rawValue)), ("exercise", .bool(record.isExercise)),
            ("state", .string(state.id)), ("stateTitle", .string(state.title)), ("round", .int(incident.round)),
            ("enteredAt", .string(Clock.iso(incident.enteredAt))), ("openedAt", .string(Clock.iso(incident.openedAt))),
            ("closed", .bool(incident.isClosed)), ("closedAt", .optional(incident.closed.map { Clock.iso($0.at) })),
            ("now", .string(Clock.iso(now))),
        ] + (mine.map { person in [("mine", JSONValue.object([("person", .string(person)), ("roles", .array(roles(of: person).map(JSONValue.string)))]))] } ?? []) + [
            ("assignments", .object(playbook.roles.compactMap { role in incident.assignments[role.id].map { (role.id, .string($0)) } })),
            ("nextTimer", nextTimer.map { timer in
                JSONValue.object([("at", .string(Clock.iso(timer.at))), ("to", .string(timer.target.id)), ("toTitle", .string(timer.target.title))])
            } ?? .null),
            ("steps", .array(incident.isClosed ? [] : rows.map(stepJSON))),
        ] + (playbook.tables.anyCarry ? [("carried", .array(incident.isClosed ? [] : rows(.carried).map(stepJSON)))] : [])
          + (playbook.duties.isEmpty ? [] : [("duties", .array(incident.isClosed ? [] : rows(.duties).map(stepJSON)))]) + [
            // JSON is the same in every language: the warnings in English.
            ("statementsWaiting", .array(waitingStatements(in: .english).map { statement in
                .object([
                    ("id", .string(statement.id)), ("audience", .string(statement.audience)), ("version", .int(statement.version)),
                    ("waitingFor", .array(statement.missing.map { .object([("role", .string($0.role)), ("person", .optional($0.holder))]) })),
                    ("warnings", .array(statement.warnings.map(JSONValue.string))),
                ])
            })),
            ("nextUpdates", .array(nextUpdates.map { .object([("audience", .string($0.audience)), ("due", .string(Clock.iso($0.due)))]) })),
            ("overdueUpdates", .array(missedUpdates.map { .object([("audience", .string($0.audience)), ("due", .string(Clock.iso($0.due)))]) })),
            ("informed", .array(informs.map { inform in
                .object([("who", .string(inform.who)), ("via", .optional(inform.via)), ("at", .string(Clock.iso(inform.at))), ("by", .optional(inform.actor))])
            })),
            ("possibleEvents", .array(engine.possibleEvents(incident).map { event in
                .object([
                    ("event", .string(event.event)), ("to", .string(event.to)), ("waitingFor", .array(event.waitingFor.map(JSONValue.string))),
                    ("decidedBy", event.decidedBy.map { .object([("step", .string($0.step)), ("choice", .string($0.option))]) } ?? .null),
                ])
            })),
        ])
    }

    func stepJSON(_ row: Row) -> JSONValue {
                .object([
                    ("id", .string(row.step.id)), ("title", .string(row.step.title)), ("owner", .string(row.step.owner)),
                    ("person", .optional(row.person)), ("optional", .bool(row.step.isOptional)),
                    ("status", .string(row.progress.isOpen ? "open" : statusWord(row))), ("overdue", .bool(row.progress.overdue && !row.progress.isDoneOnTime(deadline: row.deadline))),
                    ("escalated", .bool(row.progress.escalated && !row.progress.isDoneOnTime(deadline: row.deadline))),
                    ("deadline", .optional(row.deadline.map(Clock.iso))),
                    ("secondsLeft", .optional(row.deadline.map { $0 - now })),
                    ("waitsFor", .array(row.waitsFor.map(JSONValue.string))),
                ] + (mine == nil ? [] : [("guidance", .optional(row.step.guidance)), ("template", .optional(row.step.template))]))
    }
}

struct Assign: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assign", abstract: "Give a role to a person, or add a deputy (commander; for the commander role also its escalates-to role).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The incident, e.g. INC-7 (a recorded exercise: EX-3).", completion: Completions.incidents) var incident: String
    @Argument(help: "The role id.", completion: Completions.roles) var role: String
    @Argument(help: "The person.") var person: String
    @Flag(help: "Add a deputy instead of replacing the holder.") var deputy = false

    func run() async throws {
        try await Workspace(global: global).recordAndPrint(incident, at: nil, deputy ? .deputy(role: role, person: person) : .assign(role: role, person: person))
    }
}

struct Reopen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reopen", abstract: "Open a closed incident again, in the state it closed from (commander or its escalates-to role).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The incident, e.g. INC-7 (a recorded exercise: EX-3).", completion: Completions.incidents) var incident: String
    @Option(help: "Why it is reopened.") var reason: String

    func validate() throws {
        if reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw ValidationError("--reason may not be empty") }
    }

    func run() async throws {
        let workspace = Workspace(global: global)
        let (record, playbook, events) = try await workspace.log(incident)
        guard record.snapshot.isClosed else { throw FirebreakError.refused(Refusal.notClosed.message) }
        guard let state = Engine(playbook: playbook).stateClosedFrom(events.map(\.event)) else {
            throw FirebreakError.io("\(record.reference) is closed but its log has no close; run 'firebreak verify \(record.reference)'")
        }
        try await workspace.recordAndPrint(incident, at: nil, .reopen(reason: reason, state: state), readThrough: record.lastSeq)
    }
}

struct Retract: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retract",
        abstract: "Declare an entry a mistake: a note, done or skip (its step opens again while its state is current); the entry stays in the log, marked retracted.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The incident, e.g. INC-7 (a recorded exercise: EX-3).", completion: Completions.incidents) var incident: String
    @Argument(help: ArgumentHelp("The entry's number in the timeline, e.g. 12 or #12.", valueName: "seq")) var seq: String
    @Option(help: "Why it is retracted.") var reason: String

    func validate() throws {
        if reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw ValidationError("--reason may not be empty") }
        if number == nil { throw ValidationError("'\(Terminal.oneLine(seq))' is not an entry number; use the number 'firebreak timeline' shows, e.g. 12") }
    }

    var number: Int? {
        let digits = seq.hasPrefix("#") ? String(seq.dropFirst()) : seq
        return Int(digits).flatMap { $0 > 0 && digits.allSatisfy(\.isASCII) ? $0 : nil }
    }

    func run() async throws {
        let workspace = Workspace(global: global)
        let (record, playbook, events) = try await workspace.log(incident)
        guard let number, let entry = Engine(playbook: playbook).retractable(number, in: events.lazy.map { ($0.seq, $0.event) }) else {
            throw FirebreakError.usage("\(record.reference) has no entry #\(Terminal.oneLine(seq)); its entries are #1 to #\(record.lastSeq)")
        }
        try await workspace.recordAndPrint(incident, at: nil, .retract(entry, reason: reason), readThrough: record.lastSeq)
        // An inform's steps were completed by entries of their own, which stand until retracted themselves (the spec's rule).
        if let retracted = events.first(where: { $0.seq == number }), case .informed = retracted.event.body {
            for later in events where later.seq > number {
                guard case let .done(step, _, _, "inform") = later.event.body else { break }
                workspace.note("step '\(step)' stays done by entry #\(later.seq), which this inform completed; retract #\(later.seq) too if nobody was told")
            }
        }
    }
}

struct Done: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "done", abstract: "Record a step as done (a decision needs --choice).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The incident, e.g. INC-7 (a recorded exercise: EX-3).", completion: Completions.incidents) var incident: String
    @Argument(help: "The step id.", completion: Completions.steps) var step: String
    @Option(help: "The option taken, for a decision step.") var choice: String?
    @Option(parsing: .unconditional, help: "When it was done (default now).") var at: String?
    @Option(help: "A note kept with the step.") var note: String?

    func run() async throws {
        try await Workspace(global: global).recordAndPrint(incident, at: at, .done(step: step, choice: choice, note: note))
    }
}

struct Skip: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "skip", abstract: "Record a step as skipped, with a reason.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The incident, e.g. INC-7 (a recorded exercise: EX-3).", completion: Completions.incidents) var incident: String
    @Argument(help: "The step id.", completion: Completions.steps) var step: String
    @Option(help: "Why it is skipped.") var reason: String
    @Option(parsing: .unconditional, help: "When (default now).") var at: String?

    func validate() throws {
        if reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw ValidationError("--reason may not be empty") }
    }

    func run() async throws {
        try await Workspace(global: global).recordAndPrint(incident, at: at, .skip(step: step, reason: reason))
    }
}

struct Fire: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fire", abstract: "Fire an event (a transition of the playbook).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The incident, e.g. INC-7 (a recorded exercise: EX-3).", completion: Completions.incidents) var incident: String
    @Argument(help: "The event.", completion: Completions.events) var event: String
    @Option(parsing: .unconditional, help: "When it happened (default now).") var at: String?

    func run() async throws {
        try await Workspace(global: global).recordAndPrint(incident, at: at, .fire(event: event))
    }
}

struct Note: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "note", abstract: "Add a note to the timeline.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The incident, e.g. INC-7 (a recorded exercise: EX-3).", completion: Completions.incidents) var incident: String
    @Argument(help: "The note.") var text: String
    @Option(parsing: .unconditional, help: "When it happened (default now).") var at: String?

    func validate() throws {
        if text.isEmpty { throw ValidationError("the note may not be empty") }
    }

    func run() async throws {
        try await Workspace(global: global).recordAndPrint(incident, at: at, .note(text: text))
    }
}

struct Close: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "close", abstract: "Force-close an incident from any state (commander only).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The incident, e.g. INC-7 (a recorded exercise: EX-3).", completion: Completions.incidents) var incident: String
    @Option(help: "Why it is closed.") var reason: String

    func validate() throws {
        if reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw ValidationError("--reason may not be empty") }
    }

    func run() async throws {
        try await Workspace(global: global).recordAndPrint(incident, at: nil, .close(reason: reason))
    }
}

struct Timeline: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "timeline", abstract: "Every event of an incident, in order.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The incident, e.g. INC-7 (a recorded exercise: EX-3).", completion: Completions.incidents) var incident: String
    @Flag(help: "JSON for scripts.") var json = false
    @Option(help: "Words in en or nl (default: the playbook's language); JSON is the same in both.") var lang: Language?

    func run() async throws {
        // The stored log, then what fell due and is not stored yet (shown as such), written as it is read.
        let log = try await Workspace(global: global).log(withDue: incident)
        let (record, playbook) = (log.record, log.playbook)
        let words = Words(Messages.for(lang ?? playbook.language), now: log.now)
        let t = words.t
        let names = EventText.Names.titles(playbook)
        func each(_ body: (StoredEvent, _ isStored: Bool) -> Void) async throws { try await log.each(body) }
        var out = ""
        func flush(_ force: Bool = false) {
            if force || out.utf8.count >= 1 << 16 {
                Terminal.write(out)
                out = ""
            }
        }
        if json {
            // Two passes, as the table: what later entries say of earlier ones (`mark`), then the entries.
            var marks = LogMarks()
            try await each { item, _ in marks.add(seq: item.seq, item.event) }
            var first = true
            try await each { item, isStored in
                out += first ? "[\n  " : ",\n  "
                first = false
                JSONValue.object(Self.entry(item, stored: isStored) + (marks.mark(of: item.seq).map { [("mark", JSONValue.string($0.rawValue))] } ?? []))
                    .append(to: &out, indent: 1)
                flush()
            }
            out += first ? "[]\n" : "\n]\n"
            flush(true)
            return
        }
        func row(_ item: StoredEvent, _ isStored: Bool) -> [String] {
            var who = item.event.actor.map(Terminal.oneLine) ?? t("cli.system")
            // Firebreak's own events (an escalation names the role it went to) are not that role acting.
            if let role = item.event.role, item.event.actor != nil { who += " (\(role))" }
            if item.event.outsideRole { who += t("drill.outsideRole") }
            var what = Terminal.oneLine(EventText.describe(item.event, clock: words.time, t, names: names))
            if !record.isExercise, item.recordedAt - item.event.at >= 60 { what += t("cli.logged", ["time": words.time(item.recordedAt)]) }
            if !isStored { what += t("cli.notStored") }
            switch marks.mark(of: item.seq) {
            case .retracted?: what += t("cli.retracted")
            case .superseded?: what += t("cli.superseded")
            case nil: break
            }
            return ["\(item.seq)", words.time(item.event.at), who, what]
        }
        // Two passes, as a table needs: the widths of the columns (and what later entries say of
        // earlier ones: retracted, superseded), then the rows.
        let header = ["#", t("cli.timeline.at"), t("cli.timeline.who"), t("cli.timeline.what")]
        var widths = header.map(\.count)
        var marks = LogMarks()
        try await each { item, isStored in
            marks.add(seq: item.seq, item.event)
            for (i, cell) in row(item, isStored).enumerated().dropLast() { widths[i] = max(widths[i], cell.count) }
        }
        var lines = 0
        func write(_ cells: [String]) {
            if lines > 0 { out += "\n" }
            lines += 1
            out += TextTable.line(cells, widths: widths)
            flush()
        }
        write(header)
        try await each { item, isStored in write(row(item, isStored)) }
        out += "\n"
        flush(true)
    }
}

extension Timeline {
    /// One entry of `timeline --json` (also what `watch` passes to its hook).
    static func entry(_ item: StoredEvent, stored isStored: Bool) -> [(String, JSONValue)] {
        [
            ("seq", .int(item.seq)), ("at", .string(Clock.iso(item.event.at))), ("recordedAt", .string(Clock.iso(item.recordedAt))),
            ("actor", .optional(item.event.actor)), ("role", .optional(item.event.role)), ("outsideRole", .bool(item.event.outsideRole)),
            ("stored", .bool(isStored)),
        ] + EventText.jsonFields(item.event).map { key, value in
            if key == "began" || key == "due", case .int(let seconds) = value { return (key, .string(Clock.iso(seconds))) }
            return (key, value)
        }
    }
}

struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "verify", abstract: "Check the hash chain, sequence numbers and database integrity.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "One incident (default all).", completion: Completions.incidents) var incident: String?

    func run() async throws {
        let report = try await Workspace(global: global).verify(incident)
        if report.isClean {
            Terminal.out("ok: \(report.checkedIncidents) incident\(report.checkedIncidents == 1 ? "" : "s"), \(report.checkedEvents) events verified")
            return
        }
        for problem in report.problems { Terminal.error("firebreak: error: \(problem)") }
        throw FirebreakError.failed("verify failed")
    }
}
