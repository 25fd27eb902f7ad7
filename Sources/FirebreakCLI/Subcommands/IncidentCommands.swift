import ArgumentParser
import FirebreakApp
import FirebreakCore
import FirebreakLoading
import FirebreakReports
import FirebreakStore
import Foundation

/// Prints the events a move produced, one line each.
func printRecorded(_ stored: [StoredEvent], reference: String) {
    let now = Clock.now()
    if let last = stored.last { Console.current.noteRecorded("recorded as \(reference) #\(last.seq)") }
    for item in stored {
        let text = EventText.describe(item.event) { Clock.compact($0, now: now) }
        Terminal.out("\(reference) #\(item.seq) \(Clock.compact(item.event.at, now: now))  \(Terminal.oneLine(text))\(item.event.outsideRole ? "  [outside role]" : "")")
    }
}

struct Open: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "open", abstract: "Open an incident from a playbook; prints its id, e.g. INC-7.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The playbook id.") var playbook: String
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
        Console.current.noteRecorded("recorded as INC-\(number)")
        Terminal.out("INC-\(number)")
    }
}

extension IncidentSeverity: ExpressibleByArgument {}

struct ListIncidents: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List open incidents (all with --all).")
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Closed incidents too.") var all = false
    @Flag(help: "Recorded exercises too.") var exercises = false
    @Flag(help: "JSON for scripts.") var json = false

    func run() async throws {
        let store = try await Workspace(global: global).store()
        let records: [IncidentSummary]
        do { records = try await store.list(includeClosed: all, exercises: exercises) } catch { throw Workspace.translate(error) }
        if json {
            Terminal.out(JSONValue.array(records.map { record in
                .object([
                    ("id", .string(record.reference)), ("title", .string(record.title)), ("playbook", .string(record.playbookID)),
                    ("severity", .string(record.severity.rawValue)), ("state", .string(record.state)),
                    ("openedAt", .string(Clock.iso(record.openedAt))), ("closed", .bool(record.closedAt != nil)),
                    ("closedAt", .optional(record.closedAt.map(Clock.iso))), ("exercise", .bool(record.isExercise)),
                ])
            }).rendered())
            return
        }
        if records.isEmpty {
            Terminal.out(all ? "no incidents" : "no open incidents")
            return
        }
        let now = Clock.now()
        var rows = [["ID", "STATE", "SEVERITY", "PLAYBOOK", "OPENED", "TITLE"]]
        for record in records {
            var state = record.closedAt == nil ? record.state : "closed"
            if record.isExercise { state += " (exercise)" }
            rows.append([record.reference, state, record.severity.rawValue, record.playbookID, Clock.compact(record.openedAt, now: now), Terminal.oneLine(record.title)])
        }
        Terminal.out(TextTable.render(rows))
    }
}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "State, active steps with owner, person, deadline, overdue; possible events.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The incident, e.g. INC-7.") var incident: String
    @Flag(help: "JSON for scripts.") var json = false

    func run() async throws {
        let (store, record, playbook) = try await Workspace(global: global).load(incident)
        let now = Clock.now()
        let engine = Engine(playbook: playbook)
        var current = record.snapshot
        let pending = engine.advance(&current, to: now, limit: Engine.timeDrivenLimit)
        var view = StatusView(reference: record.reference, record: record, playbook: playbook, incident: current, engine: engine, now: now, pendingEvents: pending.count)
        // Statements and informs as the log tells them, with the time-driven events not stored yet.
        var log = try await StatementCommand.log(record, store: store, playbook: playbook)
        for event in pending { log.add(event, playbook: playbook) }
        view.informs = log.informs
        // An update missed since the last publication to its audience is still to be made.
        view.missedUpdates = log.missedUpdates.filter { missed in
            !log.statements.contains { $0.audience == missed.audience && ($0.published?.at ?? .min) > missed.due }
        }
        Terminal.out(json ? view.json().rendered() : view.text())
    }
}

/// What `status` shows, computed once for text and JSON.
struct StatusView {
    let reference: String
    let record: IncidentRecord
    let playbook: Playbook
    let incident: Incident
    let engine: Engine
    let now: Int
    let pendingEvents: Int
    var informs: [InformRecord] = []
    var missedUpdates: [(audience: String, due: Int)] = []

    /// Unpublished statements: id, audience, version, approver roles still to approve (with holders), warnings.
    var waitingStatements: [(id: String, audience: String, version: Int, missing: [(role: String, holder: String?)], warnings: [String])] {
        guard let comms = incident.comms else { return [] }
        return comms.statements.indices.compactMap { s in
            let statement = comms.statements[s]
            guard !statement.isPublished else { return nil }
            let id = StatementID.name(s)
            let audience = playbook.audiences[statement.audience]
            let missing = engine.approverHolders(of: s, incident).filter { role in
                !statement.approvedBy.contains(playbook.tables.roleIndex[role.role] ?? -1)
            }
            let warnings = TextCheck.findings(statement.text, avoid: audience.avoid).map { $0.message(statement: id, audience: audience.id) }
            return (id, audience.id, statement.version, missing, warnings)
        }
    }

    /// Per audience with an update due: when.
    var nextUpdates: [(audience: String, due: Int)] {
        guard let comms = incident.comms, !incident.isClosed else { return [] }
        return comms.nextUpdate.indices.compactMap { a in comms.nextUpdate[a] >= 0 ? (playbook.audiences[a].id, comms.nextUpdate[a]) : nil }
    }

    struct Row {
        var step: Step
        var progress: StepProgress
        var person: String?
        var deadline: Int?
    }

    /// Which steps a table shows: the current state's, those carried from states left, or the standing duties.
    enum Group { case state, carried, duties }

    var rows: [Row] { rows(.state) }

    func rows(_ group: Group) -> [Row] {
        let tables = playbook.tables
        let steps: [Int]
        switch group {
        case .state: steps = tables.steps(of: incident.state).filter { !incident.isDeferred($0, tables) }
        case .carried: steps = incident.carried.filter(\.progress.isOpen).map { Int($0.step) }
        case .duties: steps = Array(tables.duties)
        }
        let rows = steps.compactMap { g -> Row? in
            guard let progress = incident.progress(of: g, tables) else { return nil }
            let step = playbook.definition(of: g)
            return Row(step: step, progress: progress, person: incident.assignments[step.owner], deadline: incident.deadline(of: g, tables))
        }
        // Overdue open steps first, then open ones by deadline, then settled ones.
        func rank(_ row: Row) -> Int { row.progress.isOpen ? (row.progress.overdue ? 0 : 1) : 2 }
        return rows.enumerated().sorted { a, b in
            let (ra, rb) = (rank(a.element), rank(b.element))
            if ra != rb { return ra < rb }
            let (da, db) = (a.element.deadline ?? .max, b.element.deadline ?? .max)
            return da != db && ra < 2 ? da < db : a.offset < b.offset
        }.map(\.element)
    }

    func statusWord(_ row: Row) -> String {
        switch row.progress.status {
        case .open: row.progress.overdue ? "overdue" : "open"
        case .done: "done"
        case .skipped: "skipped"
        }
    }

    func text() -> String {
        let t = Terminal.oneLine
        let state = playbook.states[incident.state]
        var out = Terminal.paint("\(reference)  \(t(incident.title))", .bold) + "\n"
        out += "playbook \(playbook.id) · severity \(incident.severity.rawValue)\(record.isExercise ? " · exercise" : "")\n"
        if let closed = incident.closed {
            out += "closed \(Clock.short(closed.at))" + (closed.forced ? " (force-closed: \(t(closed.reason ?? "")))" : " in state '\(state.id)'") + "\n"
            return String(out.dropLast())
        }
        out += "state: \(state.id)\(state.title != state.id ? " — \(t(state.title))" : "")\(incident.round > 1 ? " (round \(incident.round))" : ""), entered \(Clock.compact(incident.enteredAt, now: now)) (\(Clock.relative(incident.enteredAt, from: now)))\n"
        out += "commander: \(playbook.commander) — \(t(incident.assignments[playbook.commander] ?? "unassigned"))\n"
        for (group, title) in [(Group.state, "steps"), (.carried, "carried from earlier states"), (.duties, "standing duties")] {
            let rows = rows(group)
            if rows.isEmpty { continue }
            out += "\n\(title):\n"
            var table = [["", "STEP", "OWNER", "PERSON", "DEADLINE", ""]]
            for row in rows {
                let word = statusWord(row)
                let mark = word == "overdue" ? Terminal.paint("OVERDUE", .red) : word
                var deadline = "-", relative = ""
                if let d = row.deadline {
                    deadline = Clock.compact(d, now: now)
                    if row.progress.isOpen { relative = d < now ? "\(DurationText.format((now - d) / 60 * 60 == 0 ? now - d : (now - d) / 60 * 60)) overdue" : Clock.relative(d, from: now) }
                }
                if row.progress.escalated { relative += relative.isEmpty ? "escalated" : ", escalated" }
                table.append([mark, row.step.id + (row.step.isOptional ? " (optional)" : ""), row.step.owner, t(row.person ?? "—"), deadline, relative])
            }
            out += TextTable.render(table).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") + "\n"
        }
        let statements = waitingStatements
        if !statements.isEmpty {
            out += "\nstatements waiting:\n"
            for statement in statements {
                let waiting = statement.missing.isEmpty
                    ? "approved, ready to publish"
                    : "waiting for approval from " + statement.missing.map { "\($0.role) (\(t($0.holder ?? "unassigned")))" }.joined(separator: ", ")
                out += "  \(statement.id) to \(statement.audience), version \(statement.version): \(waiting)\n"
                for warning in statement.warnings { out += "    warning: \(t(warning))\n" }
            }
        }
        for update in nextUpdates {
            out += "\nnext update to \(update.audience) due \(Clock.compact(update.due, now: now)) (\(Clock.relative(update.due, from: now)))\n"
        }
        for missed in missedUpdates {
            out += "\n" + Terminal.paint("update to \(missed.audience) OVERDUE", .red) + " since \(Clock.compact(missed.due, now: now)) (\(Clock.relative(missed.due, from: now)))\n"
        }
        if !informs.isEmpty {
            out += "\ninformed:\n"
            for inform in informs {
                out += "  \(t(inform.who))" + (inform.via.map { " via \(t($0))" } ?? "") + " \(Clock.compact(inform.at, now: now)) by \(t(inform.actor ?? "?"))\n"
            }
        }
        let events = engine.possibleEvents(incident)
        if !events.isEmpty {
            out += "\npossible events:\n"
            for event in events {
                out += "  \(event.event) → \(event.to)" + (event.waitingFor.isEmpty ? "" : "  (waiting for \(event.waitingFor.joined(separator: ", ")))") + "\n"
            }
        }
        return String(out.dropLast())
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
            ("assignments", .object(playbook.roles.compactMap { role in incident.assignments[role.id].map { (role.id, .string($0)) } })),
            ("steps", .array(incident.isClosed ? [] : rows.map(stepJSON))),
        ] + (playbook.tables.anyCarry ? [("carried", .array(incident.isClosed ? [] : rows(.carried).map(stepJSON)))] : [])
          + (playbook.duties.isEmpty ? [] : [("duties", .array(incident.isClosed ? [] : rows(.duties).map(stepJSON)))]) + [
            ("statementsWaiting", .array(waitingStatements.map { statement in
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
                .object([("event", .string(event.event)), ("to", .string(event.to)), ("waitingFor", .array(event.waitingFor.map(JSONValue.string)))])
            })),
        ])
    }

    func stepJSON(_ row: Row) -> JSONValue {
                .object([
                    ("id", .string(row.step.id)), ("title", .string(row.step.title)), ("owner", .string(row.step.owner)),
                    ("person", .optional(row.person)), ("optional", .bool(row.step.isOptional)),
                    ("status", .string(row.progress.isOpen ? "open" : statusWord(row))), ("overdue", .bool(row.progress.overdue)),
                    ("escalated", .bool(row.progress.escalated)),
                    ("deadline", .optional(row.deadline.map(Clock.iso))),
                    ("secondsLeft", .optional(row.deadline.map { $0 - now })),
                ])
    }
}

struct Assign: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assign", abstract: "Give a role to a person, or add a deputy (commander; for the commander role also its escalates-to role).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The incident, e.g. INC-7.") var incident: String
    @Argument(help: "The role id.") var role: String
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
    @Argument(help: "The incident, e.g. INC-7.") var incident: String
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
    @Argument(help: "The incident, e.g. INC-7.") var incident: String
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
    }
}

struct Done: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "done", abstract: "Record a step as done (a decision needs --choice).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The incident, e.g. INC-7.") var incident: String
    @Argument(help: "The step id.") var step: String
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
    @Argument(help: "The incident, e.g. INC-7.") var incident: String
    @Argument(help: "The step id.") var step: String
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
    @Argument(help: "The incident, e.g. INC-7.") var incident: String
    @Argument(help: "The event.") var event: String
    @Option(parsing: .unconditional, help: "When it happened (default now).") var at: String?

    func run() async throws {
        try await Workspace(global: global).recordAndPrint(incident, at: at, .fire(event: event))
    }
}

struct Note: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "note", abstract: "Add a note to the timeline.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The incident, e.g. INC-7.") var incident: String
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
    @Argument(help: "The incident, e.g. INC-7.") var incident: String
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
    @Argument(help: "The incident, e.g. INC-7.") var incident: String
    @Flag(help: "JSON for scripts.") var json = false
    @Option(help: "Words in en or nl (default: the playbook's language); JSON is the same in both.") var lang: Language?

    func run() async throws {
        let (store, record, playbook) = try await Workspace(global: global).load(incident)
        let now = Clock.now()
        let t = Messages.for(lang ?? playbook.language)
        // Time-driven events not stored yet are shown too, as pending, numbered after the stored log.
        var current = record.snapshot
        let pending = Engine(playbook: playbook).advance(&current, to: now, limit: Engine.timeDrivenLimit).enumerated().map { index, event in
            StoredEvent(incident: record.number, seq: record.lastSeq + 1 + index, recordedAt: now, event: event, hash: "")
        }
        // The log is read a page at a time (as it stood when the record was read, so pending events
        // never repeat a stored number) and written as it is read: memory does not grow with the log.
        func each(_ body: (StoredEvent, _ isStored: Bool) -> Void) async throws(FirebreakError) {
            do {
                for try await item in store.events(of: record.number, through: record.lastSeq) { body(item, true) }
            } catch {
                throw Workspace.translate(error)
            }
            for item in pending { body(item, false) }
        }
        var out = ""
        func flush(_ force: Bool = false) {
            if force || out.utf8.count >= 1 << 16 {
                Terminal.write(out)
                out = ""
            }
        }
        if json {
            var first = true
            try await each { item, isStored in
                out += first ? "[\n  " : ",\n  "
                first = false
                JSONValue.object([
                    ("seq", .int(item.seq)), ("at", .string(Clock.iso(item.event.at))), ("recordedAt", .string(Clock.iso(item.recordedAt))),
                    ("actor", .optional(item.event.actor)), ("role", .optional(item.event.role)), ("outsideRole", .bool(item.event.outsideRole)),
                    ("stored", .bool(isStored)),
                ] + EventText.jsonFields(item.event).map { key, value in
                    if key == "began" || key == "due", case .int(let seconds) = value { return (key, .string(Clock.iso(seconds))) }
                    return (key, value)
                }).append(to: &out, indent: 1)
                flush()
            }
            out += first ? "[]\n" : "\n]\n"
            flush(true)
            return
        }
        func row(_ item: StoredEvent, _ isStored: Bool) -> [String] {
            var who = item.event.actor.map(Terminal.oneLine) ?? t("cli.system")
            if let role = item.event.role { who += " (\(role))" }
            if item.event.outsideRole { who += t("drill.outsideRole") }
            var what = Terminal.oneLine(EventText.describe(item.event, clock: { Clock.compact($0, now: now) }, t))
            if !record.isExercise, item.recordedAt - item.event.at >= 60 { what += t("cli.logged", ["time": Clock.compact(item.recordedAt, now: now)]) }
            if !isStored { what += t("cli.notStored") }
            return ["\(item.seq)", Clock.compact(item.event.at, now: now), who, what]
        }
        // Two passes, as a table needs: the widths of the columns, then the rows.
        let header = ["#", t("cli.timeline.at"), t("cli.timeline.who"), t("cli.timeline.what")]
        var widths = header.map(\.count)
        try await each { item, isStored in
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

struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "verify", abstract: "Check the hash chain, sequence numbers and database integrity.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "One incident (default all).") var incident: String?

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
