/// What a person asks the engine to do to an incident, by name (as typed or scripted).
public enum Command: Sendable, Equatable {
    case assign(role: String, person: String)
    case done(step: String, choice: String? = nil, note: String? = nil)
    case skip(step: String, reason: String)
    case fire(event: String)
    /// A note, about a step when `step` is given (without settling it).
    case note(text: String, step: String? = nil)
    /// Force-close from any state; commander only.
    case close(reason: String)
    /// A new statement to an audience; `text` nil (exercises): the template of the audience's statement
    /// step in the current state, else a stand-in without placeholders.
    case draft(audience: String, text: String?)
    /// A new version of an unpublished statement; every earlier approval lapses.
    case revise(statement: StatementName, text: String)
    /// A verdict by an approver role: `role` is the acting role (exercises); nil works it out from the roles the person holds.
    case approve(statement: StatementName, role: String? = nil)
    case reject(statement: StatementName, reason: String, role: String? = nil)
    case publish(statement: StatementName, channel: String? = nil)
    /// Someone was told; completes the steps that `informs` them.
    case inform(who: String, via: String? = nil, note: String? = nil)
    /// Add a deputy to a role: someone who acts in it besides its holder.
    case deputy(role: String, person: String)
    /// Open a closed incident again, in `state`: the state it closed from (see ``Engine/stateClosedFrom(_:)``).
    case reopen(reason: String, state: String)
    /// Declare an entry of the log a mistake (see ``Engine/retractable(_:in:)``).
    case retract(RetractedEntry, reason: String)
}

/// An entry of an incident's log that someone asks to retract, as the log shows it.
public struct RetractedEntry: Sendable, Equatable {
    public var seq: Int
    public var event: Event
    /// Already retracted by an earlier `retracted`.
    public var isRetracted: Bool
    /// No state was entered since the entry: a retracted done or skip opens its step again.
    public var isCurrent: Bool

    public init(seq: Int, event: Event, isRetracted: Bool, isCurrent: Bool) {
        self.seq = seq
        self.event = event
        self.isRetracted = isRetracted
        self.isCurrent = isCurrent
    }
}

/// A command compiled against a playbook's tables: every name an index (-1: the playbook has no such name).
public enum Move: Sendable, Equatable {
    case assign(role: Int32, person: String)
    /// `option`: -1 when no choice was given, -2 when the step has no such option.
    case done(step: Int32, option: Int32, note: String?)
    case skip(step: Int32, reason: String)
    case fire(event: Int32)
    /// `step`: the step the note is about, -1 for none.
    case note(text: String, step: Int32 = -1)
    case close(reason: String)
    case deputy(role: Int32, person: String)
    case reopen(reason: String, state: Int32)
    /// `step`: the step of a retracted done or skip (-1: none).
    indirect case retract(RetractedEntry, step: Int32, reason: String)
    case draft(audience: Int32, text: CheckedText?)
    case revise(statement: StatementRef, text: CheckedText)
    /// `role`: the acting approver role; -1 to work it out from the roles the actor holds; -2 a role the playbook does not have.
    case approve(statement: StatementRef, role: Int32)
    case reject(statement: StatementRef, role: Int32, reason: CheckedText)
    case publish(statement: StatementRef, channel: String?)
    /// `index`: WHO's index among the names steps `informs` (-1: none of them); exercises may number more.
    case inform(who: CheckedText, index: Int32, via: String?, note: String?)
}

/// The steps one publication or inform completes, in order: a few, kept inline (no allocation for up to four).
struct StepList {
    private var first: (Int, Int, Int, Int) = (0, 0, 0, 0)
    private var more: [Int] = []
    private(set) var count = 0

    mutating func append(_ g: Int) {
        switch count {
        case 0: first.0 = g
        case 1: first.1 = g
        case 2: first.2 = g
        case 3: first.3 = g
        default: more.append(g)
        }
        count += 1
    }

    subscript(i: Int) -> Int {
        switch i {
        case 0: first.0
        case 1: first.1
        case 2: first.2
        case 3: first.3
        default: more[i - 4]
        }
    }
}

/// A text a move carries, with what the engine checks of it worked out once, when the move is compiled: an
/// exercise's move is compiled once and tried in every run, often several times.
public struct CheckedText: Sendable, Equatable {
    public let text: String
    /// Nothing but whitespace (``Engine/isBlank(_:)``): refused where a text is required.
    public let isBlank: Bool
    /// Has a `[placeholder]` (``TextCheck/hasPlaceholder(_:)``): a statement with one cannot be published.
    public let hasPlaceholders: Bool

    public init(_ text: String) {
        self.text = text
        isBlank = Engine.isBlank(text)
        hasPlaceholders = TextCheck.hasPlaceholder(text)
    }
}

/// Why the engine refused a move, by index: cheap to make, so a scheduler can try a move again and
/// again. ``Engine/refusal(_:for:in:)`` turns it into a ``Refusal`` that says it in words.
public enum Rejection: Error, Sendable, Equatable {
    case closed
    case unknownStep
    case stepNotActive
    case stepSettled(done: Bool)
    case needsOpen(step: Int32)
    case choiceRequired
    case unknownChoice
    case notADecision
    case eventNotPossible(event: Int32)
    case guardOpen(event: Int32, route: Int32, settling: Int32)
    case notCommander
    case unknownRole
    case emptyText
    /// The event is an option's event of this open decision step of the current state.
    case decidedBy(event: Int32, step: Int32)
    /// The route may be fired only by a holder or deputy of its `by` roles.
    case notAllowedToFire(event: Int32, route: Int32)
    case notClosed
    case unknownState
    case alreadyRetracted
    case notRetractable
    case notYourEntry
    case alreadyActs
    case unknownAudience
    case unknownStatement
    /// The audience has no unpublished statement.
    case noDraft(audience: Int32)
    case statementPublished(statement: Int32)
    /// The actor (or acting role) is no approver of the statement's audience.
    case notApprover(statement: Int32)
    /// `role` already gave its verdict on the current version.
    case verdictGiven(statement: Int32, role: Int32)
    case approvalsMissing(statement: Int32)
    case placeholders(statement: Int32)
}

/// A move the engine refused, saying what was asked, in which state, and what is possible instead.
public enum Refusal: Error, Equatable, Sendable {
    /// The refusal with the incident's id put into the command it suggests.
    public func naming(_ reference: String) -> Refusal {
        if case let .decidedBy(event, step, owner, option, _) = self {
            return .decidedBy(event: event, step: step, owner: owner, option: option, incident: reference)
        }
        return self
    }

    case incidentClosed
    case unknownStep(step: String, state: String, active: [String])
    case stepNotActive(step: String, stepState: String, state: String, active: [String])
    case stepSettled(step: String, how: String)
    case needsOpen(step: String, open: [String])
    case choiceRequired(step: String, options: [String])
    case unknownChoice(step: String, choice: String, options: [String])
    case notADecision(step: String)
    case eventNotPossible(event: String, state: String, possible: [String])
    case guardOpen(event: String, required: [String], open: [String])
    case notCommander(action: String, person: String, commanderRole: String, holder: String?)
    case unknownRole(role: String, roles: [String])
    case emptyText(what: String)
    /// Timers keep moving the incident with nobody acting: more time-driven events are due than one move may record.
    case runawayTimers(limit: Int)
    /// `incident` is the id to put in the command, `INC` until the caller names it (``naming(_:)``).
    case decidedBy(event: String, step: String, owner: String, option: String, incident: String)
    /// `byGiven`: the transition's own `by`, else the commander-only rule of a final transition.
    case notAllowedToFire(event: String, roles: [String], holders: [String], person: String, byGiven: Bool)
    case notClosed
    case unknownState(state: String)
    case alreadyRetracted(seq: Int)
    case notRetractable(seq: Int, kind: String)
    case notYourEntry(seq: Int, recordedBy: String, person: String, commanderRole: String, holder: String?)
    case alreadyActs(role: String, person: String, how: String)
    case unknownAudience(audience: String, audiences: [String])
    case unknownStatement(statement: String, statements: [String])
    case noDraft(audience: String)
    case statementPublished(statement: String, audience: String)
    /// `approvers`: each approver role with the person holding it.
    case notApprover(statement: String, person: String, approvers: [(role: String, holder: String?)])
    case verdictGiven(statement: String, role: String, version: Int, approved: Bool)
    /// `missing`: the approver roles still to approve, with their holders; `rejectedBy` roles that rejected this version.
    case approvalsMissing(statement: String, missing: [(role: String, holder: String?)], approvedBy: [String], rejectedBy: [String])
    case placeholders(statement: String, placeholders: [String])

    public static func == (lhs: Refusal, rhs: Refusal) -> Bool { lhs.message == rhs.message }

    public var message: String {
        switch self {
        case .incidentClosed:
            "the incident is closed; only notes and retractions can be added, or it can be reopened"
        case let .unknownStep(step, state, active):
            "no step '\(step)' in this playbook; active steps in state '\(state)' are \(quotedList(active))"
        case let .stepNotActive(step, stepState, state, active):
            "step '\(step)' belongs to state '\(stepState)', but the incident is in state '\(state)'; active steps are \(quotedList(active))"
        case let .stepSettled(step, how):
            "step '\(step)' is already \(how) in this round"
        case let .needsOpen(step, open):
            "step '\(step)' needs \(quotedList(open)) done or skipped first"
        case let .choiceRequired(step, options):
            "step '\(step)' is a decision; give --choice, one of \(quotedList(options))"
        case let .unknownChoice(step, choice, options):
            "step '\(step)' has no option '\(choice)'; options are \(quotedList(options))"
        case let .notADecision(step):
            "step '\(step)' is not a decision; it takes no choice"
        case let .eventNotPossible(event, state, possible):
            "event '\(event)' is not possible in state '\(state)'; possible events are \(quotedList(possible))"
        case let .guardOpen(event, required, open):
            "'\(event)' needs steps \(quotedList(required)) done; still open: \(quotedList(open))"
        case let .notCommander(action, person, role, holder):
            "only the commander ('\(role)', held by '\(holder ?? "nobody")') may \(action); '\(person)' does not hold that role"
        case let .decidedBy(event, step, owner, option, incident):
            "'\(event)' is decided by step '\(step)' (owner \(owner)): firebreak done \(incident) \(step) --choice \(option)"
        case let .notAllowedToFire(event, roles, holders, person, byGiven):
            (byGiven
                ? "only a holder or deputy of \(quotedList(roles)) may fire '\(event)'"
                : "'\(event)' closes the incident, so only the commander ('\(roles.first ?? "")') or a deputy may fire it")
                + "; '\(person)' is neither" + (holders.isEmpty ? "; assign the role first" : ": ask \(quotedList(holders))")
        case .notClosed:
            "the incident is open; only a closed incident can be reopened"
        case let .unknownState(state):
            "the incident cannot be reopened in state '\(state)'"
        case let .alreadyRetracted(seq):
            "entry #\(seq) is already retracted"
        case let .notRetractable(seq, kind):
            "entry #\(seq) is '\(kind)', which cannot be retracted; a note, inform, done or skip can"
        case let .notYourEntry(seq, recordedBy, person, role, holder):
            "only '\(recordedBy)', who recorded entry #\(seq), or the commander ('\(role)', held by '\(holder ?? "nobody")') or a deputy may retract it; '\(person)' is neither"
        case let .alreadyActs(role, person, how):
            "'\(person)' already \(how) role '\(role)'"
        case let .unknownRole(role, roles):
            "no role '\(role)' in this playbook; roles are \(quotedList(roles))"
        case let .emptyText(what):
            "\(what) may not be empty"
        case let .unknownAudience(audience, audiences):
            audiences.isEmpty
                ? "no audience '\(audience)': this playbook has no 'audiences', so it has no statements"
                : "no audience '\(audience)' in this playbook; audiences are \(quotedList(audiences))"
        case let .unknownStatement(statement, statements):
            statements.isEmpty
                ? "no statement '\(statement)': this incident has no statements yet; draft one with 'statement draft'"
                : "no statement '\(statement)'; statements are \(quotedList(statements))"
        case let .noDraft(audience):
            "audience '\(audience)' has no unpublished statement; draft one first"
        case let .statementPublished(statement, audience):
            "\(statement) is published and can no longer change; a further message to '\(audience)' is a new statement ('statement draft')"
        case let .notApprover(statement, person, approvers):
            approvers.isEmpty
                ? "\(statement) needs no approval: its audience has no approvers; it can be published"
                : "'\(person)' may not give a verdict on \(statement): its approvers are \(Refusal.holders(approvers))"
        case let .verdictGiven(statement, role, version, approved):
            approved
                ? "'\(role)' already approved version \(version) of \(statement); a role gives one verdict per version"
                : "'\(role)' rejected version \(version) of \(statement); it needs a revision ('statement revise') before it can be approved"
        case let .approvalsMissing(statement, missing, approvedBy, rejectedBy):
            "\(statement) needs approval from \(Refusal.holders(missing)); approved by \(approvedBy.isEmpty ? "nobody yet" : Refusal.andList(approvedBy.map { "'\($0)'" }))"
                + (rejectedBy.isEmpty ? "" : "; rejected by \(Refusal.andList(rejectedBy.map { "'\($0)'" })), so it needs a revision first")
        case let .placeholders(statement, placeholders):
            "\(statement) still has \(placeholders.count == 1 ? "a placeholder" : "placeholders") \(quotedList(placeholders)); fill \(placeholders.count == 1 ? "it" : "them") in with 'statement revise' before publishing"
        case let .runawayTimers(limit):
            "more than \(limit) time-driven events (timers, overdue steps) fall due before this moment: the playbook's timers keep moving the incident with nobody acting; close it with 'firebreak close INC --reason TEXT', and see 'firebreak playbook check' for the loop"
        }
    }

    /// `'legal' (held by Noor) and 'director' (held by Marieke)`.
    static func holders(_ roles: [(role: String, holder: String?)]) -> String {
        andList(roles.map { "'\($0.role)' (held by \($0.holder ?? "nobody"))" })
    }

    static func andList(_ items: [String]) -> String {
        switch items.count {
        case 0: ""
        case 1: items[0]
        default: items.dropLast().joined(separator: ", ") + " and " + items.last!
        }
    }
}

/// What the engine reports happened, by index: an ``Event`` before names are put in. Plain data
/// (no strings, no references), so making, passing and dropping one costs nothing; the words that
/// go with it travel beside it as ``EventWords``.
public struct EngineEvent: Sendable, Equatable {
    public var at: Int
    /// The role acted in (-1: none, or not worked out because the sink keeps no record).
    public var role: Int32
    public var outsideRole: Bool
    public var body: Body

    /// The kinds; where a kind has text (a title, a person, a note, a reason), it is the event's ``EventWords/text``.
    public enum Body: Sendable, Equatable {
        case opened(severity: IncidentSeverity, began: Int?)
        case assigned(role: Int32)
        case deputy(role: Int32)
        case reopened
        /// `step`: the step of a retracted done or skip (-1: none); `reopen`: it opens again.
        case retracted(seq: Int, step: Int32, reopen: Bool)
        /// `from` and `event` are -1 when opening; `event` is -1 for a timer.
        case entered(state: Int32, from: Int32, event: Int32, round: Int32)
        /// `via`: -1 a `done`; a statement's index when its publication completed the step; -2 an inform.
        case done(step: Int32, option: Int32, via: Int32 = -1)
        case skipped(step: Int32)
        case fired(event: Int32)
        /// `step`: the step the note is about, -1 for none.
        case note(step: Int32)
        case overdue(step: Int32, due: Int)
        case escalated(step: Int32, to: Int32)
        case timer(state: Int32, after: Int, to: Int32)
        case closed(forced: Bool)
        /// The text is the event's words' text.
        case drafted(statement: Int32, audience: Int32, version: Int32)
        case approved(statement: Int32, version: Int32, role: Int32)
        /// The reason is the words' text.
        case rejected(statement: Int32, version: Int32, role: Int32)
        /// The channel is the words' text.
        case published(statement: Int32, version: Int32, audience: Int32)
        case updateOverdue(audience: Int32, due: Int)
        case escalatedUpdate(audience: Int32, to: Int32)
        /// WHO is the words' text; `who` its index among the names steps `informs` (-1: none).
        case informed(who: Int32)
    }

    @inline(__always)
    init(at: Int, role: Int32 = -1, outsideRole: Bool = false, _ body: Body) {
        self.at = at
        self.role = role
        self.outsideRole = outsideRole
        self.body = body
    }
}

/// The words that go with an engine event: who acted, and its text (the title of `opened`, the
/// person of `assigned`, a note, a reason). Empty for what the engine does on its own, and for a
/// sink that keeps no record.
///
/// A reference: an event's words pass through several calls to reach its sink, and a Monte Carlo run
/// passes ``none`` with nearly every event. Four optional texts by value cost an outlined copy and
/// destroy at each step; a reference, a retain and a release (1–2 % fewer instructions per run).
public final class EventWords: Sendable, Equatable {
    public let actor: String?
    public let text: String?
    /// How someone was informed, and the note that goes with it (`inform` only).
    public let via: String?
    public let note: String?

    @inline(__always)
    public init(actor: String? = nil, text: String? = nil, via: String? = nil, note: String? = nil) {
        self.actor = actor
        self.text = text
        self.via = via
        self.note = note
    }

    public static let none = EventWords()

    public static func == (lhs: EventWords, rhs: EventWords) -> Bool {
        lhs.actor == rhs.actor && lhs.text == rhs.text && lhs.via == rhs.via && lhs.note == rhs.note
    }
}

/// Where the engine reports what happens. Generic, so each use specialises: an event log keeps
/// every ``Event``; a Monte Carlo run keeps only the facts it scores.
public protocol EngineSink {
    /// Whether this sink keeps a record for people: only then are acting roles, refusal texts and
    /// exercise narration (injects, refusals) worked out.
    static var keepsRecord: Bool { get }
    /// Called after the event was folded into `incident`.
    mutating func record(_ event: EngineEvent, words: EventWords, incident: Incident, playbook: Playbook)
    /// An exercise's own entries (an inject delivered, an action refused); made only when ``keepsRecord``.
    mutating func narrate(_ event: Event)
}

extension EngineSink {
    public mutating func narrate(_ event: Event) {}
}

/// A sink that keeps every event, named.
public struct EventLog: EngineSink {
    public var events: [Event] = []
    public init() {}
    public static var keepsRecord: Bool { true }
    public mutating func record(_ event: EngineEvent, words: EventWords, incident: Incident, playbook: Playbook) {
        events.append(playbook.event(event, words))
    }
    public mutating func narrate(_ event: Event) { events.append(event) }
}

/// The pure state machine: applies moves and the passing of time to incidents.
///
/// It works on the playbook's compiled ``PlaybookTables`` and reports to an ``EngineSink``.
/// Every change goes through ``fold(_:text:into:)``, so an incident always equals the
/// fold of the events the engine produced for it. All checks of a move come before its first
/// event: a refusal changes nothing.
public struct Engine: Sendable {
    /// One reference, so an engine is copied for the price of a pointer (the scheduler passes it around a lot).
    final class Storage: Sendable {
        let playbook: Playbook
        let tables: PlaybookTables
        /// The text of a draft given none, checked, per state and audience (`state * audiences + audience`).
        let draftTexts: [CheckedText]
        init(_ playbook: Playbook) {
            self.playbook = playbook
            self.tables = playbook.tables
            let audiences = playbook.tables.audienceNames.count
            draftTexts = playbook.states.indices.flatMap { state in
                (0..<audiences).map { CheckedText(Engine.draftText(Int32($0), state: state, playbook)) }
            }
        }
    }

    let storage: Storage
    public var playbook: Playbook { storage.playbook }
    var tables: PlaybookTables {
        @inline(__always) get { storage.tables }
    }

    public init(playbook: Playbook) {
        self.storage = Storage(playbook)
    }

    // MARK: Opening

    /// Opens an incident at `at`: `opened`, the role assignments (the opener is commander
    /// unless `assignments` names one), then entering the start state.
    public func open(
        title: String, severity: IncidentSeverity? = nil, began: Int? = nil, opener: String,
        assignments: [(role: String, person: String)] = [], at: Int
    ) throws(Refusal) -> (Incident, [Event]) {
        var log = EventLog()
        let incident = try open(title: title, severity: severity, began: began, opener: opener, assignments: assignments, at: at, sink: &log)
        return (incident, log.events)
    }

    public func open<S: EngineSink>(
        title: String, severity: IncidentSeverity? = nil, began: Int? = nil, opener: String,
        assignments: [(role: String, person: String)] = [], at: Int, sink: inout S
    ) throws(Refusal) -> Incident {
        var roles: [(role: Int32, person: String)] = []
        for (role, person) in assignments {
            guard let index = tables.roleIndex[role] else { throw .unknownRole(role: role, roles: tables.roleNames) }
            roles.append((index, person))
        }
        var incident = Incident(
            title: "", severity: .medium, openedAt: at, beganAt: nil, assignments: [:], state: playbook.start,
            enteredAt: at, round: 0, rounds: [Int](repeating: 0, count: playbook.states.count), steps: [], closed: nil,
            eventCount: 0)
        let openerIsCommander = !assignments.contains { $0.role == playbook.commander && $0.person != opener }
        let role = openerIsCommander ? tables.commander : -1
        emit(EngineEvent(at: at, role: role, .opened(severity: severity ?? playbook.severity, began: began)), EventWords(actor: opener, text: title), &incident, &sink)
        if !assignments.contains(where: { $0.role == playbook.commander }) {
            roles.insert((tables.commander, opener), at: 0)
        }
        for (assigned, person) in roles {
            emit(EngineEvent(at: at, role: role, .assigned(role: assigned)), EventWords(actor: opener, text: person), &incident, &sink)
        }
        enter(Int32(playbook.start), from: -1, by: -1, at: at, actor: opener, &incident, &sink)
        return incident
    }

    // MARK: Moves by name

    /// Applies a command at `at`, after the time-driven events due strictly before `at`.
    ///
    /// On refusal the incident is left unchanged. Time-driven events due exactly at `at`
    /// come after the command (a step done at its deadline is on time).
    public func apply(_ command: Command, by actor: String, at: Int, to incident: inout Incident) throws(Refusal) -> [Event] {
        var working = incident
        var log = EventLog()
        advance(&working, to: at, inclusive: false, sink: &log)
        try perform(command, by: actor, at: at, on: &working, events: &log.events)
        incident = working
        return log.events
    }

    /// Like ``apply(_:by:at:to:)`` but without advancing time first (the caller already did).
    public func perform(_ command: Command, by actor: String, at: Int, on incident: inout Incident, events: inout [Event]) throws(Refusal) {
        var log = EventLog()
        swap(&log.events, &events)
        defer { swap(&log.events, &events) }
        do {
            try perform(compile(command), by: actor, at: at, on: &incident, sink: &log)
        } catch {
            throw refusal(error, for: command, by: actor, in: incident)
        }
    }

    /// A command with its names resolved against the playbook.
    public func compile(_ command: Command) -> Move {
        switch command {
        case let .assign(role, person): return .assign(role: tables.roleIndex[role] ?? -1, person: person)
        case let .done(step, choice, note):
            let g = stepIndex(step)
            var option: Int32 = -1
            if let choice {
                option = g >= 0 ? Int32(tables.optionNames[Int(g)].firstIndex(of: choice) ?? -2) : -2
            }
            return .done(step: g, option: option, note: note)
        case let .skip(step, reason): return .skip(step: stepIndex(step), reason: reason)
        case let .fire(event): return .fire(event: tables.eventIndex[event] ?? -1)
        case let .note(text, step): return .note(text: text, step: step.map { stepIndex($0) } ?? -1)
        case let .close(reason): return .close(reason: reason)
        case let .deputy(role, person): return .deputy(role: tables.roleIndex[role] ?? -1, person: person)
        case let .reopen(reason, state): return .reopen(reason: reason, state: playbook.stateIndex[state].map(Int32.init) ?? -1)
        case let .retract(entry, reason):
            var step: Int32 = -1
            switch entry.event.body {
            case let .done(id, _, _, _), let .skipped(id, _): step = stepIndex(id)
            default: break
            }
            return .retract(entry, step: step, reason: reason)
        case let .draft(audience, text): return .draft(audience: tables.audienceIndex[audience] ?? -1, text: text.map(CheckedText.init))
        case let .revise(statement, text): return .revise(statement: ref(statement), text: CheckedText(text))
        case let .approve(statement, role): return .approve(statement: ref(statement), role: role.map { tables.roleIndex[$0] ?? -2 } ?? -1)
        case let .reject(statement, reason, role):
            return .reject(statement: ref(statement), role: role.map { tables.roleIndex[$0] ?? -2 } ?? -1, reason: CheckedText(reason))
        case let .publish(statement, channel): return .publish(statement: ref(statement), channel: channel)
        case let .inform(who, via, note):
            return .inform(who: CheckedText(who), index: tables.informNames.firstIndex(of: who).map(Int32.init) ?? -1, via: via, note: note)
        }
    }

    func ref(_ name: StatementName) -> StatementRef {
        switch name {
        case .id(let id): .number(StatementID.index(id).map { Int32(clamping: $0) } ?? -1)
        case .latest(let audience): .latest(audience: tables.audienceIndex[audience] ?? -1)
        }
    }

    func stepIndex(_ id: String) -> Int32 {
        tables.stepIndex[id] ?? -1
    }

    // MARK: Moves by index

    /// Checks a move and, when it is allowed, reports its events to `sink`; `actor` nil for the
    /// outside world (an exercise inject), which acts in no role and is bound by none of the rules
    /// of who may fire what. `acting`: in an exercise, the role the action is played in; authority
    /// then goes by that role, not by the person cast in it (-1: by the person, as for incidents).
    public func perform<S: EngineSink>(
        _ move: Move, by actor: String?, as acting: Int32 = -1, at: Int, on incident: inout Incident, sink: inout S
    ) throws(Rejection) {
        var move = move
        try perform(&move, by: actor, as: acting, at: at, on: &incident, sink: &sink)
    }

    /// ``perform(_:by:as:at:on:sink:)`` of a move read where it lies: a scheduler trying its compiled moves again and
    /// again passes them so, as a move passed by value is copied whole (every text in it retained and released) on
    /// each call, which cost more than most tries. Only what the move's case uses is read.
    func perform<S: EngineSink>(
        _ move: UnsafePointer<Move>, by actor: String?, as acting: Int32 = -1, at: Int, on incident: inout Incident, sink: inout S
    ) throws(Rejection) {
        if incident.isClosed {
            switch move.pointee {
            case .note, .reopen, .retract: break
            default: throw .closed
            }
        }
        // Who acted is checked below where it matters; it is carried in the events only for a sink that keeps a record.
        let recorded = S.keepsRecord ? actor : nil
        switch move.pointee {
        case let .assign(role, person):
            try requireCommander(actor, acting, incident, orEscalationFor: role)
            guard role >= 0 else { throw .unknownRole }
            guard !person.isEmpty else { throw .emptyText }
            emit(EngineEvent(at: at, role: commandRole(actor, acting, incident), .assigned(role: role)), actor: actor, text: person, &incident, &sink)

        case let .deputy(role, person):
            try requireCommander(actor, acting, incident, orEscalationFor: role)
            guard role >= 0 else { throw .unknownRole }
            guard !person.isEmpty else { throw .emptyText }
            if incident.acts(in: tables.roleNames[Int(role)], person) { throw .alreadyActs }
            emit(EngineEvent(at: at, role: commandRole(actor, acting, incident), .deputy(role: role)), actor: actor, text: person, &incident, &sink)

        case let .done(g, option, note):
            try requireActive(g, incident)
            let step = Int(g)
            for position in tables.stepNeeds[step].indices where needOpen(position, of: step, incident) {
                throw .needsOpen(step: g)
            }
            let options = tables.optionEvents[step]
            var event: Int32 = -1
            switch (options.isEmpty, option) {
            case (true, -1): break
            case (true, _): throw .notADecision
            case (false, -1): throw .choiceRequired
            case (false, -2): throw .unknownChoice
            case (false, _): event = options[Int(option)]
            }
            // A decision fires its event as one move: check the event (with this step settled) before recording anything.
            // Whoever completes the decision decides its event: `by` and the commander-only rule do not apply.
            var route = -1
            if event >= 0 {
                route = try fireable(event, in: incident, settling: step)
            }
            var role: Int32 = -1
            var outside = false
            if S.keepsRecord, let actor {
                let owner = tables.stepOwner[step]
                let holds = owner >= 0 && incident.acts(in: tables.roleNames[Int(owner)], actor)
                role = holds ? owner : self.acting(actor, incident)
                outside = !holds
            }
            emit(EngineEvent(at: at, role: role, outsideRole: outside, .done(step: g, option: option)), words(recorded, S.keepsRecord ? note : nil), &incident, &sink)
            if route >= 0 {
                emit(EngineEvent(at: at, role: role, .fired(event: event)), words(recorded, nil), &incident, &sink)
                enter(tables.routes[route].target, from: Int32(incident.state), by: event, at: at, actor: recorded, &incident, &sink)
            }

        case let .skip(g, reason):
            try requireActive(g, incident)
            guard !reason.isEmpty else { throw .emptyText }
            var role: Int32 = -1
            var outside = false
            if S.keepsRecord, let actor {
                let owner = tables.stepOwner[Int(g)]
                let holds = owner >= 0 && incident.acts(in: tables.roleNames[Int(owner)], actor)
                role = holds ? owner : self.acting(actor, incident)
                outside = !holds
            }
            emit(EngineEvent(at: at, role: role, outsideRole: outside, .skipped(step: g)), words(recorded, S.keepsRecord ? reason : nil), &incident, &sink)

        case let .fire(event):
            if actor != nil || acting >= 0 {
                try mayFire(event, actor, acting, incident)
            }
            let route = try fireable(event, in: incident, settling: -1)
            let role = S.keepsRecord ? actor.map { self.acting($0, incident) } ?? -1 : -1
            emit(EngineEvent(at: at, role: role, .fired(event: event)), words(recorded, nil), &incident, &sink)
            enter(tables.routes[route].target, from: Int32(incident.state), by: event, at: at, actor: recorded, &incident, &sink)

        case let .note(text, step):
            guard !text.isEmpty else { throw .emptyText }
            let role = S.keepsRecord ? actor.map { self.acting($0, incident) } ?? -1 : -1
            emit(EngineEvent(at: at, role: role, .note(step: max(-1, step))), words(recorded, S.keepsRecord ? text : nil), &incident, &sink)

        case let .close(reason):
            try requireCommander(actor, acting, incident)
            guard !reason.isEmpty else { throw .emptyText }
            emit(EngineEvent(at: at, role: tables.commander, .closed(forced: true)), actor: actor, text: reason, &incident, &sink)

        case let .reopen(reason, state):
            guard incident.isClosed else { throw .notClosed }
            try requireCommander(actor, acting, incident, orEscalationFor: tables.commander)
            guard state >= 0, Int(state) < tables.isFinal.count, !tables.isFinal[Int(state)] else { throw .unknownState }
            guard !reason.isEmpty else { throw .emptyText }
            emit(EngineEvent(at: at, role: commandRole(actor, acting, incident), .reopened), actor: actor, text: reason, &incident, &sink)
            // Entered from nowhere, like the opening: neither an event nor a timer led there.
            enter(state, from: -1, by: -1, at: at, actor: recorded, &incident, &sink)

        case let .retract(entry, step, reason):
            if entry.isRetracted { throw .alreadyRetracted }
            switch entry.event.body {
            case .note, .done, .skipped, .informed: break
            default: throw .notRetractable
            }
            let mine = actor != nil && entry.event.actor == actor
            if !mine {
                do throws(Rejection) { try requireCommander(actor, acting, incident) } catch { throw .notYourEntry }
            }
            guard !reason.isEmpty else { throw .emptyText }
            // The step opens again only in the round it was settled in, and only while the incident is open.
            var reopen = false
            // A standing duty is settled once per incident, so it opens again whatever state the incident is in.
            if step >= 0, !incident.isClosed, entry.isCurrent || Int(step) >= tables.dutyBase {
                reopen = incident.progress(of: Int(step), tables)?.isSettled ?? false
            }
            let role = S.keepsRecord ? actor.map { self.acting($0, incident) } ?? -1 : -1
            emit(EngineEvent(at: at, role: role, .retracted(seq: entry.seq, step: step, reopen: reopen)), actor: actor, text: reason, &incident, &sink)
        case let .draft(audience, given):
            guard audience >= 0 else { throw .unknownAudience }
            let text = given ?? storage.draftTexts[incident.state * tables.audienceNames.count + Int(audience)]
            guard !text.isBlank else { throw .emptyText }
            let statement = Int32(incident.comms?.statements.count ?? 0)
            let role = S.keepsRecord ? actor.map { self.acting($0, incident) } ?? -1 : -1
            // The text is always passed: the fold keeps the current text of every statement.
            emit(EngineEvent(at: at, role: role, .drafted(statement: statement, audience: audience, version: 1)), actor: recorded, text: text.text,
                 &incident, &sink, placeholders: text.hasPlaceholders)

        case let .revise(ref, text):
            let s = try unpublished(ref, incident)
            guard !text.isBlank else { throw .emptyText }
            let audience = Int32(incident.comms!.statements[s].audience)
            let version = Int32(incident.comms!.statements[s].version + 1)
            let role = S.keepsRecord ? actor.map { self.acting($0, incident) } ?? -1 : -1
            emit(EngineEvent(at: at, role: role, .drafted(statement: Int32(s), audience: audience, version: version)),
                 actor: recorded, text: text.text, &incident, &sink, placeholders: text.hasPlaceholders)

        case let .approve(ref, given):
            let s = try unpublished(ref, incident)
            let role = try approver(given, actor, statement: s, incident)
            let version = Int32(incident.comms!.statements[s].version)
            emit(EngineEvent(at: at, role: role, .approved(statement: Int32(s), version: version, role: role)), words(recorded, nil), &incident, &sink)

        case let .reject(ref, given, reason):
            let s = try unpublished(ref, incident)
            let role = try approver(given, actor, statement: s, incident)
            guard !reason.isBlank else { throw .emptyText }
            let version = Int32(incident.comms!.statements[s].version)
            emit(EngineEvent(at: at, role: role, .rejected(statement: Int32(s), version: version, role: role)),
                 words(recorded, S.keepsRecord ? reason.text : nil), &incident, &sink)

        case let .publish(ref, channel):
            let s = try unpublished(ref, incident)
            let audience = incident.comms!.statements[s].audience
            // Placeholders first: filling them in is a revision, which lapses every approval, so approvals asked for
            // before it would be asked for twice.
            if incident.comms!.statements[s].hasPlaceholders { throw .placeholders(statement: Int32(s)) }
            for k in tables.approvers(of: audience) where !incident.comms!.statements[s].approvedBy.contains(tables.approverRoles[k]) {
                throw .approvalsMissing(statement: Int32(s))
            }
            let version = Int32(incident.comms!.statements[s].version)
            let completing = settleable(incident, audience: Int32(audience))
            let role = S.keepsRecord ? actor.map { self.acting($0, incident) } ?? -1 : -1
            emit(EngineEvent(at: at, role: role, .published(statement: Int32(s), version: version, audience: Int32(audience))),
                 words(recorded, S.keepsRecord ? channel : nil), &incident, &sink)
            complete(completing, via: Int32(s), by: actor, at: at, &incident, &sink)

        case let .inform(who, index, via, note):
            guard !who.isBlank else { throw .emptyText }
            let completing = index >= 0 && Int(index) < tables.informNames.count ? settleable(incident, inform: index) : StepList()
            let role = S.keepsRecord ? actor.map { self.acting($0, incident) } ?? -1 : -1
            emit(EngineEvent(at: at, role: role, .informed(who: index)),
                 S.keepsRecord ? EventWords(actor: recorded, text: who.text, via: via, note: note) : .none, &incident, &sink)
            complete(completing, via: -2, by: actor, at: at, &incident, &sink)
        }
    }

    /// The text of a draft given none: the template of the audience's statement step in the current state, else a stand-in.
    public func draftText(_ audience: Int32, _ incident: Incident) -> String {
        Self.draftText(audience, state: incident.state, playbook)
    }

    /// The text of a draft given none in `state`; ``Storage`` keeps it checked per state and audience.
    static func draftText(_ audience: Int32, state: Int, _ playbook: Playbook) -> String {
        let base = Int(playbook.tables.firstStep[state])
        for (k, step) in playbook.states[state].steps.enumerated() where playbook.tables.stepStatement[base + k] == audience {
            if let template = step.template { return template }
        }
        return "Statement to \(playbook.audiences[Int(audience)].title)."
    }

    /// Whether a text is nothing but whitespace (refused where a text is required).
    public static func isBlank(_ text: String) -> Bool { text.allSatisfy(\.isWhitespace) }

    /// The statement a reference means, when it exists and is not yet published.
    @inline(__always)
    func unpublished(_ ref: StatementRef, _ incident: Incident) throws(Rejection) -> Int {
        // Read in place: a statement is not copied (its text and verdicts would be retained and released).
        let count = incident.comms?.statements.count ?? 0
        switch ref {
        case .number(let n):
            guard n >= 0, Int(n) < count else { throw .unknownStatement }
            guard !incident.comms!.statements[Int(n)].isPublished else { throw .statementPublished(statement: n) }
            return Int(n)
        case .latest(let audience):
            guard audience >= 0 else { throw .unknownAudience }
            var s = count - 1
            while s >= 0 {
                if incident.comms!.statements[s].audience == Int(audience), !incident.comms!.statements[s].isPublished { return s }
                s -= 1
            }
            throw .noDraft(audience: audience)
        }
    }

    /// The approver role a verdict on statement `s` is given in: `given` (an exercise's acting role), or
    /// the first approver role the actor holds that has given no verdict on the current version.
    func approver(_ given: Int32, _ actor: String?, statement s: Int, _ incident: Incident) throws(Rejection) -> Int32 {
        // The candidates: `given` when it approves, else the approver roles the actor acts in; the first without a verdict.
        var first: Int32 = -1
        let tables = tables
        for k in tables.approvers(of: incident.comms!.statements[s].audience) {
            let role = tables.approverRoles[k]
            let candidate = given != -1 ? role == given : actor.map { acts($0, in: role, incident) } ?? false
            guard candidate else { continue }
            if first < 0 { first = role }
            if !incident.comms!.statements[s].approvedBy.contains(role) && !incident.comms!.statements[s].rejectedBy.contains(role) { return role }
            if given != -1 { break }
        }
        guard first >= 0 else { throw .notApprover(statement: Int32(s)) }
        throw .verdictGiven(statement: Int32(s), role: first)
    }

    /// Whether `actor` may act in `role`: holds it or deputises for it (a deputy acts in the role and may approve for it).
    @inline(__always)
    func acts(_ actor: String, in role: Int32, _ incident: Incident) -> Bool {
        role >= 0 && incident.acts(in: tables.roleNames[Int(role)], actor)
    }

    /// The active, open steps that `matches` selects whose `needs` are settled, as the incident stands before anything is completed.
    /// Steps with `statement: audience`, or (audience -1) with `informs:` the name numbered `inform`.
    /// Over every active step (see ``activeSteps(_:)``): the current state's, carried ones, duties.
    func settleable(_ incident: Incident, audience: Int32 = -1, inform: Int32 = -1) -> StepList {
        let tables = tables
        var result = StepList()
        // Whether step g is one this publication or inform completes: looked at first, as most steps are not.
        @inline(__always) func completes(_ g: Int) -> Bool {
            audience >= 0 ? tables.stepStatement[g] == audience : tables.stepInforms[g] == inform
        }
        func consider(_ g: Int) {
            guard incident.progress(of: g, tables)?.isOpen == true else { return }
            if !tables.stepNeeds[g].indices.contains(where: { needOpen($0, of: g, incident) }) { result.append(g) }
        }
        // The active steps in the order of ``activeSteps(_:)``, without making that list.
        for g in tables.steps(of: incident.state) where completes(g) && !incident.isDeferred(g, tables) { consider(g) }
        for entry in incident.carried where completes(Int(entry.step)) && entry.progress.isOpen { consider(Int(entry.step)) }
        for g in tables.duties where completes(g) { consider(g) }
        return result
    }

    /// Records `done` for steps completed by a publication (`via` its statement) or an inform (`via` -2).
    func complete<S: EngineSink>(_ steps: StepList, via: Int32, by actor: String?, at: Int, _ incident: inout Incident, _ sink: inout S) {
        let recorded = S.keepsRecord ? actor : nil
        for i in 0..<steps.count {
            let g = steps[i]
            var role: Int32 = -1
            var outside = false
            if S.keepsRecord, let actor {
                let owner = tables.stepOwner[g]
                let holds = owner >= 0 && acts(actor, in: owner, incident)
                role = holds ? owner : acting(actor, incident)
                outside = !holds
            }
            emit(EngineEvent(at: at, role: role, outsideRole: outside, .done(step: Int32(g), option: -1, via: via)), words(recorded, nil), &incident, &sink)
        }
    }

    /// Who acted and the text of a move, for a sink that keeps a record; none otherwise.
    @inline(__always)
    func words(_ actor: String?, _ text: String?) -> EventWords {
        actor == nil && text == nil ? .none : EventWords(actor: actor, text: text)
    }

    /// The role a person acts in when they are not a step's owner: commander first (holder, then
    /// deputy), else the first role they hold, else the first they deputise for.
    func acting(_ actor: String, _ incident: Incident) -> Int32 {
        if incident.acts(in: storage.playbook.commander, actor) { return tables.commander }
        for (index, name) in tables.roleNames.enumerated() where incident.assignments[name] == actor { return Int32(index) }
        for (index, name) in tables.roleNames.enumerated() where incident.deputies?[name]?.contains(actor) == true { return Int32(index) }
        return -1
    }

    /// Whether the actor has the authority of `role`: holds it or deputises for it; in an exercise
    /// (`acting` ≥ 0), plays it or was made its deputy.
    @inline(__always)
    func hasAuthority(_ role: Int32, _ actor: String?, _ acting: Int32, _ incident: Incident) -> Bool {
        guard role >= 0 else { return false }
        let name = tables.roleNames[Int(role)]
        if acting >= 0 {
            return acting == role || (actor.map { incident.deputies?[name]?.contains($0) == true } ?? false)
        }
        guard let actor else { return false }
        return incident.acts(in: name, actor)
    }

    /// The commander (holder or deputy) may; for `role` the commander role, so may the holder or
    /// deputy of the role it escalates to (a team is never stuck when its commander is unreachable).
    func requireCommander(_ actor: String?, _ acting: Int32, _ incident: Incident, orEscalationFor role: Int32 = -1) throws(Rejection) {
        if hasAuthority(tables.commander, actor, acting, incident) { return }
        if role >= 0, role == tables.commander, hasAuthority(tables.roleEscalation[Int(role)], actor, acting, incident) { return }
        throw .notCommander
    }

    /// The role a commander's move is recorded in: the commander, or the role it escalates to when
    /// that is where the authority came from.
    func commandRole(_ actor: String?, _ acting: Int32, _ incident: Incident) -> Int32 {
        if hasAuthority(tables.commander, actor, acting, incident) { return tables.commander }
        let above = tables.commander >= 0 ? tables.roleEscalation[Int(tables.commander)] : -1
        return hasAuthority(above, actor, acting, incident) ? above : tables.commander
    }

    /// Who may fire what: an open decision of the current state decides its own events, and a route
    /// with `by` (or into a final state) may be fired only by a holder or deputy of those roles.
    @inline(__always)
    func mayFire(_ event: Int32, _ actor: String?, _ acting: Int32, _ incident: Incident) throws(Rejection) {
        if incident.isClosed { throw .closed }
        let route = tables.route(event, from: incident.state)
        guard route >= 0 else { throw .eventNotPossible(event: event) }
        if let step = decidingStep(of: event, incident) { throw .decidedBy(event: event, step: step) }
        let by = tables.routes[route].by
        if by.isEmpty { return }
        for role in by where hasAuthority(role, actor, acting, incident) { return }
        throw .notAllowedToFire(event: event, route: Int32(route))
    }

    /// The open decision step of the current state one of whose options fires `event` (a global index), if any.
    @inline(__always)
    func decidingStep(of event: Int32, _ incident: Incident) -> Int32? {
        let base = tables.firstStep[incident.state]
        for k in incident.steps.indices where incident.steps[k].isOpen && tables.optionEvents[Int(base) + k].contains(event) { return base + Int32(k) }
        return nil
    }

    @inline(__always)
    func requireActive(_ g: Int32, _ incident: Incident) throws(Rejection) {
        guard g >= 0 else { throw .unknownStep }
        guard let progress = incident.progress(of: Int(g), tables) else { throw .stepNotActive }
        switch progress.status {
        case .open: break
        case .done: throw .stepSettled(done: true)
        case .skipped: throw .stepSettled(done: false)
        }
    }

    /// Whether need `position` of active step `g` is still open: a duty's among the duties, a carried
    /// step's in the round it was opened in, a current step's in the current round.
    @inline(__always)
    func needOpen(_ position: Int, of g: Int, _ incident: Incident) -> Bool {
        let need = Int(tables.stepNeeds[g][position])
        if g >= tables.dutyBase { return incident.duties[need - tables.dutyBase].isOpen }
        if tables.stepCarry[g], let i = incident.carriedIndex(of: g), incident.carried[i].progress.isOpen {
            let entry = incident.carried[i]
            if position < 64, entry.blockedNeeds & (1 << UInt64(position)) != 0 { return true }
            guard let j = incident.carriedIndex(of: need) else { return false }
            return incident.carried[j].progress.isOpen && incident.carried[j].round <= entry.round
        }
        return incident.steps[need - Int(tables.firstStep[incident.state])].isOpen
    }

    /// The steps active now, as global indices: the current state's (not those whose carried copy is
    /// still open), then the carried ones, then the duties, each in playbook order.
    public func activeSteps(_ incident: Incident) -> [Int] {
        var active = tables.steps(of: incident.state).filter { !incident.isDeferred($0, tables) }
        active += incident.carried.filter(\.progress.isOpen).map { Int($0.step) }
        active += tables.duties
        return active
    }

    /// The route `event` takes now, or why it cannot be fired; `settling` is a step of the current
    /// state counted as settled (a decision being completed), -1 for none.
    @inline(__always)
    func fireable(_ event: Int32, in incident: Incident, settling: Int) throws(Rejection) -> Int {
        if incident.isClosed { throw .closed }
        let route = tables.route(event, from: incident.state)
        guard route >= 0 else { throw .eventNotPossible(event: event) }
        let base = Int(tables.firstStep[incident.state])
        for required in tables.required(route, from: incident.state) where Int(required) != settling && incident.steps[Int(required) - base].isOpen {
            throw .guardOpen(event: event, route: Int32(route), settling: Int32(settling))
        }
        return route
    }

    func enter<S: EngineSink>(_ target: Int32, from: Int32, by event: Int32, at: Int, actor: String?, _ incident: inout Incident, _ sink: inout S) {
        let round = Int32(incident.rounds[Int(target)] + 1)
        let words = words(actor, nil)
        emit(EngineEvent(at: at, .entered(state: target, from: from, event: event, round: round)), words, &incident, &sink)
        if tables.isFinal[Int(target)] {
            emit(EngineEvent(at: at, .closed(forced: false)), words, &incident, &sink)
        }
    }

    /// `placeholders`: for a draft, whether its text has one, when the move knows it already.
    @inline(__always)
    func emit<S: EngineSink>(_ event: EngineEvent, _ words: EventWords, _ incident: inout Incident, _ sink: inout S, placeholders: Bool? = nil) {
        fold(event, text: words.text, placeholders: placeholders, into: &incident)
        sink.record(event, words: words, incident: incident, playbook: storage.playbook)
    }

    /// As ``emit(_:_:_:_:placeholders:)``, the words made only for a sink that keeps a record: the fold needs only the
    /// text, and a Monte Carlo run so allocates no words for an assignment or a draft.
    @inline(__always)
    func emit<S: EngineSink>(
        _ event: EngineEvent, actor: String?, text: String, _ incident: inout Incident, _ sink: inout S, placeholders: Bool? = nil
    ) {
        fold(event, text: text, placeholders: placeholders, into: &incident)
        sink.record(event, words: S.keepsRecord ? EventWords(actor: actor, text: text) : .none, incident: incident, playbook: storage.playbook)
    }

    // MARK: Refusals in words

    /// The refusal of `command` in words, as the incident stands.
    public func refusal(_ rejection: Rejection, for command: Command, by actor: String? = nil, in incident: Incident) -> Refusal {
        let state = playbook.states[incident.state]
        let stepName: String
        switch command {
        case let .done(step, _, _), let .skip(step, _): stepName = step
        default: stepName = ""
        }
        switch rejection {
        case .closed: return .incidentClosed
        case .unknownStep: return .unknownStep(step: stepName, state: state.id, active: activeSteps(incident).map { tables.stepIDs[$0] })
        case .stepNotActive:
            let stepState = playbook.stepLocations[stepName].map { playbook.states[$0.state].id } ?? ""
            return .stepNotActive(step: stepName, stepState: stepState, state: state.id, active: activeSteps(incident).map { tables.stepIDs[$0] })
        case .stepSettled(let done): return .stepSettled(step: stepName, how: done ? "done" : "skipped")
        case .needsOpen(let g):
            let needs = tables.stepNeeds[Int(g)]
            let open = needs.indices.filter { needOpen($0, of: Int(g), incident) }.map { tables.stepIDs[Int(needs[$0])] }
            return .needsOpen(step: stepName, open: open)
        case .choiceRequired:
            return .choiceRequired(step: stepName, options: playbook.anyStep(stepName)?.choices?.options ?? [])
        case .unknownChoice:
            var choice = ""
            if case let .done(_, given?, _) = command { choice = given }
            return .unknownChoice(step: stepName, choice: choice, options: playbook.anyStep(stepName)?.choices?.options ?? [])
        case .notADecision: return .notADecision(step: stepName)
        case .eventNotPossible(let event):
            var name = event >= 0 ? tables.eventNames[Int(event)] : ""
            if case let .fire(given) = command { name = given }
            return .eventNotPossible(event: name, state: state.id, possible: playbook.events(from: incident.state).map(\.event))
        case let .guardOpen(event, route, settling):
            let base = Int(tables.firstStep[incident.state])
            let required = tables.required(Int(route), from: incident.state)
            let open = required.filter { Int($0) != Int(settling) && incident.steps[Int($0) - base].isOpen }
            return .guardOpen(
                event: tables.eventNames[Int(event)], required: required.map { tables.stepIDs[Int($0)] }, open: open.map { tables.stepIDs[Int($0)] })
        case .notCommander:
            let above = playbook.role(playbook.commander)?.escalatesTo.map { role in
                "the holder of '\(role)'" + (incident.assignments[role].map { " ('\($0)')" } ?? "")
            }
            let action: String
            switch command {
            case .assign(let role, _) where role == playbook.commander && above != nil:
                action = "assign roles (and \(above!) the commander role)"
            case .deputy(let role, _) where role == playbook.commander && above != nil:
                action = "add deputies (and \(above!) the commander's)"
            case .assign: action = "assign roles"
            case .deputy: action = "add deputies"
            case .reopen: action = "reopen the incident" + (above.map { " (as may \($0))" } ?? "")
            default: action = "force-close the incident"
            }
            let holder = incident.assignments[playbook.commander]
            let deputies = incident.deputies(of: playbook.commander)
            return .notCommander(
                action: action + (deputies.isEmpty ? "" : ", as may its deputies \(quotedList(deputies))"), person: actor ?? "",
                commanderRole: playbook.commander, holder: holder)
        case .unknownRole:
            var role = ""
            if case let .assign(given, _) = command { role = given }
            if case let .deputy(given, _) = command { role = given }
            return .unknownRole(role: role, roles: tables.roleNames)
        case let .decidedBy(event, g):
            let step = Int(g)
            let option = tables.optionEvents[step].firstIndex(of: event).map { tables.optionNames[step][$0] } ?? ""
            let owner = tables.stepOwner[step] >= 0 ? tables.roleNames[Int(tables.stepOwner[step])] : ""
            return .decidedBy(event: tables.eventNames[Int(event)], step: tables.stepIDs[step], owner: owner, option: option, incident: "INC")
        case let .notAllowedToFire(event, route):
            let roles = tables.routes[Int(route)].by.filter { $0 >= 0 }.map { tables.roleNames[Int($0)] }
            var holders: [String] = []
            for role in roles {
                for person in [incident.assignments[role]].compactMap({ $0 }) + incident.deputies(of: role) where !holders.contains(person) {
                    holders.append(person)
                }
            }
            return .notAllowedToFire(
                event: tables.eventNames[Int(event)], roles: roles, holders: holders, person: actor ?? "", byGiven: tables.routes[Int(route)].byGiven)
        case .notClosed: return .notClosed
        case .unknownState:
            var state = ""
            if case let .reopen(_, given) = command { state = given }
            return .unknownState(state: state)
        case .alreadyRetracted, .notRetractable, .notYourEntry:
            guard case let .retract(entry, _) = command else { return .emptyText(what: "the entry") }
            switch rejection {
            case .alreadyRetracted: return .alreadyRetracted(seq: entry.seq)
            case .notRetractable: return .notRetractable(seq: entry.seq, kind: entry.event.kind.rawValue)
            default:
                return .notYourEntry(
                    seq: entry.seq, recordedBy: entry.event.actor ?? "Firebreak", person: actor ?? "", commanderRole: playbook.commander,
                    holder: incident.assignments[playbook.commander])
            }
        case .alreadyActs:
            guard case let .deputy(role, person) = command else { return .emptyText(what: "the person's name") }
            return .alreadyActs(role: role, person: person, how: incident.assignments[role] == person ? "holds" : "is a deputy of")
        case .emptyText:
            switch command {
            case .assign: return .emptyText(what: "the person's name")
            case .skip: return .emptyText(what: "the reason for skipping")
            case .close: return .emptyText(what: "the reason for closing")
            case .deputy: return .emptyText(what: "the person's name")
            case .reopen: return .emptyText(what: "the reason for reopening")
            case .retract: return .emptyText(what: "the reason for retracting")
            case .draft: return .emptyText(what: "a statement's text")
            case .revise: return .emptyText(what: "a revision's text")
            case .reject: return .emptyText(what: "the reason for rejecting")
            case .inform: return .emptyText(what: "who was informed")
            default: return .emptyText(what: "a note")
            }
        case .unknownAudience:
            var audience = ""
            switch command {
            case let .draft(given, _): audience = given
            case let .revise(.latest(given), _), let .approve(.latest(given), _), let .reject(.latest(given), _, _), let .publish(.latest(given), _):
                audience = given
            default: break
            }
            return .unknownAudience(audience: audience, audiences: tables.audienceNames)
        case .unknownStatement:
            var statement = ""
            switch command {
            case let .revise(.id(given), _), let .approve(.id(given), _), let .reject(.id(given), _, _), let .publish(.id(given), _): statement = given
            default: break
            }
            return .unknownStatement(statement: statement, statements: (incident.comms?.statements.indices).map { $0.map(StatementID.name) } ?? [])
        case .noDraft(let audience):
            return .noDraft(audience: tables.audienceNames[Int(audience)])
        case .statementPublished(let s):
            return .statementPublished(statement: StatementID.name(Int(s)), audience: audienceName(of: Int(s), incident))
        case .notApprover(let s):
            return .notApprover(statement: StatementID.name(Int(s)), person: actor ?? "", approvers: approverHolders(of: Int(s), incident))
        case let .verdictGiven(s, role):
            let statement = incident.comms!.statements[Int(s)]
            return .verdictGiven(
                statement: StatementID.name(Int(s)), role: tables.roleNames[Int(role)], version: statement.version,
                approved: statement.approvedBy.contains(role))
        case .approvalsMissing(let s):
            let statement = incident.comms!.statements[Int(s)]
            return .approvalsMissing(
                statement: StatementID.name(Int(s)),
                missing: approverHolders(of: Int(s), incident).filter { tables.roleIndex[$0.role].map { !statement.approvedBy.contains($0) } ?? false },
                approvedBy: statement.approvedBy.map { tables.roleNames[Int($0)] }, rejectedBy: statement.rejectedBy.map { tables.roleNames[Int($0)] })
        case .placeholders(let s):
            let text = incident.comms!.statements[Int(s)].text
            return .placeholders(statement: StatementID.name(Int(s)), placeholders: TextCheck.placeholders(text).map(\.text))
        }
    }

    func audienceName(of statement: Int, _ incident: Incident) -> String {
        tables.audienceNames[incident.comms!.statements[statement].audience]
    }

    /// The approver roles of a statement's audience, each with the person holding it.
    public func approverHolders(of statement: Int, _ incident: Incident) -> [(role: String, holder: String?)] {
        guard let progress = incident.comms?.statements[statement] else { return [] }
        return tables.audienceApprovers[progress.audience].map { role in
            let name = tables.roleNames[Int(role)]
            return (name, incident.assignments[name])
        }
    }

    /// Why `event` cannot be fired now, or `nil` when it can.
    public func refusal(firing event: String, in incident: Incident, settling settled: Int? = nil) -> Refusal? {
        let index = tables.eventIndex[event] ?? -1
        let settling = settled.map { Int(tables.firstStep[incident.state]) + $0 } ?? -1
        do {
            _ = try fireable(index, in: incident, settling: settling)
            return nil
        } catch {
            return refusal(error, for: .fire(event: event), in: incident)
        }
    }

    // MARK: Time

    /// The next moment something time-driven is due, if any.
    @inline(__always)
    public func nextDue(_ incident: borrowing Incident) -> Int? {
        if incident.isClosed { return nil }
        let tables = tables
        var next = Int.max
        for k in incident.duties.indices {
            let due = tables.stepDue[tables.dutyBase + k]
            if due >= 0, incident.duties[k].isOpen, !incident.duties[k].overdue { next = min(next, incident.openedAt + due) }
        }
        for entry in incident.carried where entry.deadline >= 0 && entry.progress.isOpen && !entry.progress.overdue {
            next = min(next, entry.deadline)
        }
        let base = Int(tables.firstStep[incident.state])
        for k in incident.steps.indices {
            let due = tables.stepDue[base + k]
            if due >= 0, incident.steps[k].isOpen, !incident.steps[k].overdue, !incident.isDeferred(base + k, tables) {
                next = min(next, incident.enteredAt + due)
            }
        }
        // Read in place: binding the statements part (`if let comms`) would retain and release each of its arrays.
        if let update = incident.comms?.earliestUpdate { next = min(next, update) }
        let timer = tables.timerAfter[incident.state]
        if timer >= 0 { next = min(next, incident.enteredAt + timer) }
        return next == Int.max ? nil : next
    }

    /// The most time-driven events one move may record: a bound on playbooks whose timers loop.
    public static let timeDrivenLimit = 10_000

    /// Materialises the time-driven events due up to `time` (or strictly before it), in time order,
    /// each carrying the moment it was due: overdue steps and their escalations first, then timers.
    /// Stops after about `limit` events; ``advanceOrRefuse(_:to:inclusive:)`` says when it had to.
    @discardableResult
    public func advance(_ incident: inout Incident, to time: Int, inclusive: Bool = true, limit: Int = .max) -> [Event] {
        var log = EventLog()
        advance(&incident, to: time, inclusive: inclusive, limit: limit, sink: &log)
        return log.events
    }

    /// As ``advance(_:to:inclusive:limit:)``, refusing when more than ``timeDrivenLimit`` events fall due:
    /// a move never writes an unbounded number of events.
    public func advanceOrRefuse(_ incident: inout Incident, to time: Int, inclusive: Bool = true) throws(Refusal) -> [Event] {
        let events = advance(&incident, to: time, inclusive: inclusive, limit: Self.timeDrivenLimit)
        if let due = nextDue(incident), inclusive ? due <= time : due < time { throw .runawayTimers(limit: Self.timeDrivenLimit) }
        return events
    }

    /// As ``advance(_:to:inclusive:limit:)``, reporting to `sink`; whether anything was due.
    @discardableResult
    public func advance<S: EngineSink>(_ incident: inout Incident, to time: Int, inclusive: Bool, limit: Int = .max, sink: inout S) -> Bool {
        var any = false
        let start = incident.eventCount
        while let due = nextDue(incident), inclusive ? due <= time : due < time, incident.eventCount - start < limit {
            any = true
            fallDue(due, &incident, &sink)
        }
        return any
    }

    /// As ``advance(_:to:inclusive:limit:sink:)`` up to and including `time`, for a scheduler that knows when the next
    /// time-driven event is due (`due`: ``nextDue(_:)`` of the incident as it stands) and keeps it: it is left as it
    /// stands for the incident afterwards.
    @inline(__always)
    func advance<S: EngineSink>(_ incident: inout Incident, through time: Int, due: inout Int?, sink: inout S) -> Bool {
        var any = false
        while let next = due, next <= time {
            any = true
            fallDue(next, &incident, &sink)
            due = nextDue(incident)
        }
        return any
    }

    /// The time-driven events due at `due`, in order: overdue steps and their escalations, missed updates, then a timer.
    @inline(__always)
    func fallDue<S: EngineSink>(_ due: Int, _ incident: inout Incident, _ sink: inout S) {
        let state = incident.state
        // Overdue at this instant: duties, then carried steps, then the current state's steps, each in playbook order.
        for k in 0..<incident.duties.count {
            let g = tables.dutyBase + k
            let stepDue = tables.stepDue[g]
            guard stepDue >= 0, incident.openedAt + stepDue == due, incident.duties[k].isOpen, !incident.duties[k].overdue else { continue }
            overdue(g, due: due, &incident, &sink)
        }
        var c = 0
        while c < incident.carried.count {
            let entry = incident.carried[c]
            c += 1
            guard entry.deadline == due, entry.progress.isOpen, !entry.progress.overdue else { continue }
            overdue(Int(entry.step), due: due, &incident, &sink)
        }
        let base = Int(tables.firstStep[state])
        for k in 0..<incident.steps.count {
            let g = base + k
            let stepDue = tables.stepDue[g]
            guard stepDue >= 0, incident.enteredAt + stepDue == due, incident.steps[k].isOpen, !incident.steps[k].overdue,
                !incident.isDeferred(g, tables)
            else { continue }
            overdue(g, due: due, &incident, &sink)
        }
        // Then the updates that fell due, in the order of the audiences.
        if let count = incident.comms?.nextUpdate.count {
            for a in 0..<count where incident.comms!.nextUpdate[a] == due {
                emit(EngineEvent(at: due, .updateOverdue(audience: Int32(a), due: due)), .none, &incident, &sink)
                let target = tables.updateEscalation
                if target >= 0 {
                    emit(EngineEvent(at: due, role: target, .escalatedUpdate(audience: Int32(a), to: target)), .none, &incident, &sink)
                }
            }
        }
        let after = tables.timerAfter[state]
        if after >= 0, incident.enteredAt + after == due {
            let target = tables.timerTarget[state]
            emit(EngineEvent(at: due, .timer(state: Int32(state), after: after, to: target)), .none, &incident, &sink)
            enter(target, from: Int32(state), by: -1, at: due, actor: nil, &incident, &sink)
        }
    }

    /// A step falls overdue at `due`, and escalates when it has somewhere to go.
    @inline(__always)
    func overdue<S: EngineSink>(_ g: Int, due: Int, _ incident: inout Incident, _ sink: inout S) {
        emit(EngineEvent(at: due, .overdue(step: Int32(g), due: due)), .none, &incident, &sink)
        let target = tables.stepEscalation[g]
        if target >= 0 {
            emit(EngineEvent(at: due, role: target, .escalated(step: Int32(g), to: target)), .none, &incident, &sink)
        }
    }

    // MARK: Folding

    /// Applies one event to an incident, without checking it: replaying the events the engine
    /// produced gives back the same incident.
    @inline(__always)
    /// `placeholders`: for a draft, whether its text has a placeholder, when it was worked out already (``CheckedText``).
    public func fold(_ event: EngineEvent, text: String?, placeholders: Bool? = nil, into incident: inout Incident) {
        incident.eventCount += 1
        switch event.body {
        case let .opened(severity, began):
            incident.title = text ?? ""
            incident.severity = severity
            incident.openedAt = event.at
            incident.beganAt = began
            incident.duties.removeAll(keepingCapacity: true)
            incident.duties.append(contentsOf: repeatElement(StepProgress(), count: tables.stepCount - tables.dutyBase))
            incident.carried.removeAll(keepingCapacity: true)
        case let .assigned(role):
            if role >= 0, let person = text { incident.assignments[tables.roleNames[Int(role)]] = person }
        case let .deputy(role):
            if role >= 0, let person = text {
                let name = tables.roleNames[Int(role)]
                var deputies = incident.deputies ?? [:]
                if deputies[name]?.contains(person) != true { deputies[name, default: []].append(person) }
                incident.deputies = deputies
            }
        case .reopened:
            incident.closed = nil
        case let .retracted(_, step, reopen):
            guard reopen, step >= 0 else { return }
            incident.withProgress(of: Int(step), tables) { $0.status = .open }
        case let .entered(state, _, _, round):
            guard state >= 0 else { return }
            let index = Int(state)
            if tables.anyCarry { carry(&incident) }
            incident.state = index
            incident.enteredAt = event.at
            incident.round = Int(round)
            incident.rounds[index] = Int(round)
            incident.steps.removeAll(keepingCapacity: true)
            incident.steps.append(contentsOf: repeatElement(StepProgress(), count: tables.steps(of: index).count))
        case let .done(step, _, _):
            settle(step, .done(at: event.at), &incident)
        case let .skipped(step):
            settle(step, .skipped(at: event.at), &incident)
        case let .overdue(step, _):
            guard step >= 0 else { return }
            incident.withProgress(of: Int(step), tables) { $0.overdue = true }
        case let .escalated(step, _):
            guard step >= 0 else { return }
            incident.withProgress(of: Int(step), tables) { $0.escalated = true }
        case let .closed(forced):
            incident.closed = Incident.Closure(at: event.at, reason: text, forced: forced)
            // Closing ends every cadence.
            if incident.comms != nil { for a in incident.comms!.nextUpdate.indices { incident.comms!.nextUpdate[a] = -1 } }
        case let .drafted(statement, audience, version):
            guard statement >= 0, audience >= 0, Int(audience) < tables.audienceNames.count else { return }
            let s = Int(statement)
            let body = text ?? ""
            if incident.comms == nil { incident.comms = Communications(audiences: tables.audienceNames.count) }
            if s == incident.comms!.statements.count, version == 1 {
                incident.comms!.statements.append(StatementProgress(
                    audience: Int(audience), version: 1, text: body, hasPlaceholders: placeholders ?? TextCheck.hasPlaceholder(body), approvedBy: [], rejectedBy: [],
                    publishedAt: nil))
            } else if s < incident.comms!.statements.count {
                incident.comms!.statements[s].version = Int(version)
                incident.comms!.statements[s].text = body
                incident.comms!.statements[s].hasPlaceholders = placeholders ?? TextCheck.hasPlaceholder(body)
                incident.comms!.statements[s].approvedBy.removeAll()
                incident.comms!.statements[s].rejectedBy.removeAll()
            }
        case let .approved(statement, version, role):
            guard let s = statementIndex(statement, version, incident) else { return }
            incident.comms!.statements[s].approvedBy.append(role)
        case let .rejected(statement, version, role):
            guard let s = statementIndex(statement, version, incident) else { return }
            incident.comms!.statements[s].rejectedBy.append(role)
        case let .published(statement, version, _):
            guard let s = statementIndex(statement, version, incident) else { return }
            incident.comms!.statements[s].publishedAt = event.at
            let audience = incident.comms!.statements[s].audience
            let cadence = tables.audienceCadence[audience]
            incident.comms!.nextUpdate[audience] = cadence >= 0 ? event.at + cadence : -1
        case let .updateOverdue(audience, _):
            guard audience >= 0, incident.comms != nil, Int(audience) < incident.comms!.nextUpdate.count else { return }
            incident.comms!.nextUpdate[Int(audience)] = -1
        case .fired, .note, .timer, .escalatedUpdate, .informed:
            break
        }
    }

    /// Whether folding `body` can change ``nextDue(_:)``: what it reads is the state and when it was entered, the
    /// opening, the closure, the steps', duties' and carried steps' progress, and the updates due. Kept beside
    /// ``fold(_:text:placeholders:into:)``, which it follows case by case; a scheduler that keeps the next due time
    /// works it out again only after such an event.
    @inline(__always)
    public static func movesDue(_ body: EngineEvent.Body) -> Bool {
        switch body {
        case .opened, .reopened, .retracted, .entered, .done, .skipped, .overdue, .closed, .published, .updateOverdue: true
        // A draft makes the statements part with no update due; an escalation marks a step that is overdue already.
        case .assigned, .deputy, .fired, .note, .escalated, .timer, .drafted, .approved, .rejected, .escalatedUpdate, .informed: false
        }
    }

    /// Settles a step where it is active; a carried step whose state is current again settles its
    /// round there too (no second copy was opened).
    @inline(__always)
    func settle(_ step: Int32, _ status: StepProgress.Status, _ incident: inout Incident) {
        guard step >= 0 else { return }
        let g = Int(step)
        if tables.anyCarry, g < tables.dutyBase, let i = incident.carriedIndex(of: g) {
            incident.carried[i].progress.status = status
            if tables.stepState[g] == incident.state { incident.steps[g - Int(tables.firstStep[incident.state])].status = status }
            return
        }
        incident.withProgress(of: g, tables) { $0.status = status }
    }

    /// Leaving the current state: its open steps with `carry: true` stay active (those whose carried
    /// copy is still open are that copy already); carried steps settled since the last entry go.
    func carry(_ incident: inout Incident) {
        incident.carried.removeAll { !$0.progress.isOpen }
        let state = incident.state
        guard state >= 0, state < tables.isFinal.count, incident.steps.count == tables.steps(of: state).count else { return }
        let base = Int(tables.firstStep[state])
        for k in incident.steps.indices {
            let g = base + k
            guard tables.stepCarry[g], incident.steps[k].isOpen, incident.carriedIndex(of: g) == nil else { continue }
            var blocked: UInt64 = 0
            for (position, need) in tables.stepNeeds[g].enumerated() where position < 64 {
                let n = Int(need) - base
                if n >= 0, n < incident.steps.count, incident.steps[n].isOpen, !tables.stepCarry[Int(need)] { blocked |= 1 << UInt64(position) }
            }
            let due = tables.stepDue[g]
            let entry = CarriedStep(
                step: Int32(g), round: Int32(incident.round), deadline: due >= 0 ? incident.enteredAt + due : -1, blockedNeeds: blocked,
                progress: incident.steps[k])
            var at = incident.carried.count
            while at > 0, incident.carried[at - 1].step > entry.step { at -= 1 }
            incident.carried.insert(entry, at: at)
        }
    }

    /// Statement `statement` when it exists and is at `version`; nil otherwise (a fold passes such an event over).
    @inline(__always)
    func statementIndex(_ statement: Int32, _ version: Int32, _ incident: Incident) -> Int? {
        guard statement >= 0, let comms = incident.comms, Int(statement) < comms.statements.count,
            comms.statements[Int(statement)].version == Int(version)
        else { return nil }
        return Int(statement)
    }

    /// Applies one recorded event to an incident (see ``fold(_:text:into:)``); exercise
    /// entries (injects, refusals) change nothing.
    public func fold(_ event: Event, into incident: inout Incident) {
        if let (compact, words) = storage.playbook.engineEvent(event) {
            fold(compact, text: words.text, into: &incident)
        } else {
            Self.foldExerciseEntry(into: &incident)
        }
    }

    /// ``fold(_:into:)`` of an event read from its stored bytes.
    public func fold(_ reading: StoredEventReader.Reading, into incident: inout Incident) {
        switch reading {
        case .event(let event, let text): fold(event, text: text, into: &incident)
        case .exercise: Self.foldExerciseEntry(into: &incident)
        }
    }

    /// An exercise entry (an inject, a refusal) is counted and changes nothing else.
    static func foldExerciseEntry(into incident: inout Incident) {
        incident.eventCount += 1
    }

    /// Rebuilds an incident from its events; `nil` when they do not start with `opened`.
    public func replay(_ events: some Sequence<Event>) -> Incident? {
        var incident: Incident?
        for event in events where !replay(event, into: &incident) { return nil }
        return incident
    }

    /// One event of a replay, for logs read a piece at a time: `incident` starts `nil` and is
    /// made by the `opened` event; `false` (and nothing changed) when the first event is not one.
    public func replay(_ event: Event, into incident: inout Incident?) -> Bool {
        if incident == nil {
            guard case .opened = event.body else { return false }
            incident = Incident(
                title: "", severity: .medium, openedAt: event.at, beganAt: nil, assignments: [:], state: playbook.start,
                enteredAt: event.at, round: 0, rounds: [Int](repeating: 0, count: playbook.states.count), steps: [],
                closed: nil, eventCount: 0)
        }
        fold(event, into: &incident!)
        return true
    }

    /// The state a closed incident closed from, read from its log: the state it was force-closed in,
    /// else the state from which it entered its final state. `nil` when the log has no close.
    public func stateClosedFrom(_ events: some Sequence<Event>) -> String? {
        var current: String?
        var previous: String?
        var result: String?
        for event in events {
            switch event.body {
            case let .entered(state, from, _, _):
                current = state
                previous = from
            case let .closed(_, forced):
                result = forced ? current : previous
            default: break
            }
        }
        return result
    }

    /// Entry `seq` of a log as a retraction sees it: whether it was retracted already, and whether
    /// no state was entered since (so a retracted done or skip opens its step again). `nil` when the
    /// log has no such entry.
    public func retractable(_ seq: Int, in log: some Sequence<(seq: Int, event: Event)>) -> RetractedEntry? {
        var entry: RetractedEntry?
        for item in log {
            if item.seq == seq {
                entry = RetractedEntry(seq: seq, event: item.event, isRetracted: false, isCurrent: true)
                continue
            }
            guard entry != nil, item.seq > seq else { continue }
            switch item.event.body {
            case .entered: entry?.isCurrent = false
            case .retracted(let retracted, _, _, _) where retracted == seq: entry?.isRetracted = true
            default: break
            }
        }
        return entry
    }

    /// The steps that active, open step `g` still waits for: its `needs` not yet done or skipped, as global indices.
    public func openNeeds(of g: Int, in incident: Incident) -> [Int] {
        guard incident.progress(of: g, tables)?.isOpen == true else { return [] }
        let needs = tables.stepNeeds[g]
        return needs.indices.filter { needOpen($0, of: g, incident) }.map { Int(needs[$0]) }
    }

    /// The events possible in the incident's current state, with the steps each still waits for, and,
    /// for an option's event of an open decision, the decision and option it comes through (firing it
    /// directly is refused: "Who may fire what").
    public func possibleEvents(_ incident: Incident) -> [(event: String, to: String, waitingFor: [String], decidedBy: (step: String, option: String)?)] {
        if incident.isClosed { return [] }
        return playbook.events(from: incident.state).map { transition in
            var waiting: [String] = []
            if case .guardOpen(_, _, let open)? = refusal(firing: transition.event, in: incident) { waiting = open }
            var decidedBy: (step: String, option: String)?
            let event = tables.eventIndex[transition.event] ?? -1
            if let g = decidingStep(of: event, incident).map(Int.init), let option = tables.optionEvents[g].firstIndex(of: event) {
                decidedBy = (tables.stepIDs[g], tables.optionNames[g][option])
            }
            return (transition.event, playbook.states[transition.target].id, waiting, decidedBy)
        }
    }
}

extension Playbook {
    /// An engine event with its names and words put in.
    public func event(_ e: EngineEvent, _ words: EventWords) -> Event {
        let t = tables
        func state(_ s: Int32) -> String? { s >= 0 ? states[Int(s)].id : nil }
        let text = words.text ?? ""
        let body: Event.Body
        switch e.body {
        case let .opened(severity, began): body = .opened(playbook: id, title: text, severity: severity, began: began)
        case let .assigned(role): body = .assigned(role: t.roleNames[Int(role)], person: text)
        case let .deputy(role): body = .deputy(role: t.roleNames[Int(role)], person: text)
        case .reopened: body = .reopened(reason: text)
        case let .retracted(seq, step, reopen): body = .retracted(seq: seq, reason: text, step: step >= 0 ? t.stepIDs[Int(step)] : nil, reopened: reopen)
        case let .entered(s, from, event, round):
            body = .entered(state: states[Int(s)].id, from: state(from), event: event >= 0 ? t.eventNames[Int(event)] : nil, round: Int(round))
        case let .done(step, option, via):
            body = .done(
                step: t.stepIDs[Int(step)], choice: option >= 0 ? t.optionNames[Int(step)][Int(option)] : nil, note: words.text,
                via: via >= 0 ? StatementID.name(Int(via)) : via == -2 ? "inform" : nil)
        case let .skipped(step): body = .skipped(step: t.stepIDs[Int(step)], reason: text)
        case let .fired(event): body = .fired(event: t.eventNames[Int(event)])
        case let .note(step): body = .note(text: text, step: step >= 0 ? t.stepIDs[Int(step)] : nil)
        case let .overdue(step, due): body = .overdue(step: t.stepIDs[Int(step)], due: due)
        case let .escalated(step, to): body = .escalated(step: t.stepIDs[Int(step)], to: t.roleNames[Int(to)])
        case let .timer(s, after, to): body = .timer(state: states[Int(s)].id, after: after, to: states[Int(to)].id)
        case let .closed(forced): body = .closed(reason: words.text, forced: forced)
        case let .drafted(statement, audience, version):
            body = .drafted(statement: StatementID.name(Int(statement)), audience: t.audienceNames[Int(audience)], version: Int(version), text: text)
        case let .approved(statement, version, role):
            body = .approved(statement: StatementID.name(Int(statement)), version: Int(version), approver: t.roleNames[Int(role)])
        case let .rejected(statement, version, role):
            body = .rejected(statement: StatementID.name(Int(statement)), version: Int(version), approver: t.roleNames[Int(role)], reason: text)
        case let .published(statement, version, audience):
            body = .published(statement: StatementID.name(Int(statement)), version: Int(version), audience: t.audienceNames[Int(audience)], channel: words.text)
        case let .updateOverdue(audience, due): body = .updateOverdue(audience: t.audienceNames[Int(audience)], due: due)
        case let .escalatedUpdate(audience, to): body = .escalatedUpdate(audience: t.audienceNames[Int(audience)], to: t.roleNames[Int(to)])
        case .informed: body = .informed(who: text, via: words.via, note: words.note)
        }
        return Event(at: e.at, actor: words.actor, role: e.role >= 0 ? t.roleNames[Int(e.role)] : nil, outsideRole: e.outsideRole, body)
    }

    /// A recorded event by index, with its words, for folding; `nil` for exercise entries (injects,
    /// refusals). Names the playbook does not have become -1, which the fold passes over.
    public func engineEvent(_ e: Event) -> (EngineEvent, EventWords)? {
        let t = tables
        func step(_ id: String) -> Int32 { t.stepIndex[id] ?? -1 }
        func state(_ id: String?) -> Int32 { id.flatMap { stateIndex[$0] }.map(Int32.init) ?? -1 }
        func statement(_ id: String) -> Int32 { StatementID.index(id).map { Int32(clamping: $0) } ?? -1 }
        let body: EngineEvent.Body
        var text: String?
        switch e.body {
        case let .opened(_, title, severity, began, _, _):
            body = .opened(severity: severity, began: began)
            text = title
        case let .assigned(role, person):
            body = .assigned(role: t.roleIndex[role] ?? -1)
            text = person
        case let .deputy(role, person):
            body = .deputy(role: t.roleIndex[role] ?? -1)
            text = person
        case let .reopened(reason):
            body = .reopened
            text = reason
        case let .retracted(seq, reason, id, reopened):
            body = .retracted(seq: seq, step: id.map(step) ?? -1, reopen: reopened)
            text = reason
        case let .entered(s, from, event, round):
            body = .entered(state: state(s), from: state(from), event: event.flatMap { t.eventIndex[$0] } ?? -1, round: Int32(clamping: round))
        case let .done(id, choice, note, via):
            let g = step(id)
            let option = g >= 0 ? choice.flatMap { t.optionNames[Int(g)].firstIndex(of: $0) }.map(Int32.init) ?? -1 : -1
            body = .done(step: g, option: option, via: via.map { $0 == "inform" ? -2 : statement($0) } ?? -1)
            text = note
        case let .skipped(id, reason):
            body = .skipped(step: step(id))
            text = reason
        case let .fired(event): body = .fired(event: t.eventIndex[event] ?? -1)
        case let .note(note, about):
            body = .note(step: about.map(step) ?? -1)
            text = note
        case let .overdue(id, due): body = .overdue(step: step(id), due: due)
        case let .escalated(id, to): body = .escalated(step: step(id), to: t.roleIndex[to] ?? -1)
        case let .timer(s, after, to): body = .timer(state: state(s), after: after, to: state(to))
        case let .closed(reason, forced):
            body = .closed(forced: forced)
            text = reason
        case let .drafted(id, audience, version, body_):
            body = .drafted(statement: statement(id), audience: t.audienceIndex[audience] ?? -1, version: Int32(clamping: version))
            text = body_
        case let .approved(id, version, approver):
            body = .approved(statement: statement(id), version: Int32(clamping: version), role: t.roleIndex[approver] ?? -1)
        case let .rejected(id, version, approver, reason):
            body = .rejected(statement: statement(id), version: Int32(clamping: version), role: t.roleIndex[approver] ?? -1)
            text = reason
        case let .published(id, version, audience, channel):
            body = .published(statement: statement(id), version: Int32(clamping: version), audience: t.audienceIndex[audience] ?? -1)
            text = channel
        case let .updateOverdue(audience, due): body = .updateOverdue(audience: t.audienceIndex[audience] ?? -1, due: due)
        case let .escalatedUpdate(audience, to): body = .escalatedUpdate(audience: t.audienceIndex[audience] ?? -1, to: t.roleIndex[to] ?? -1)
        case let .informed(who, via, note):
            body = .informed(who: t.informNames.firstIndex(of: who).map(Int32.init) ?? -1)
            let event = EngineEvent(at: e.at, role: e.role.flatMap { t.roleIndex[$0] } ?? -1, outsideRole: e.outsideRole, body)
            return (event, EventWords(actor: e.actor, text: who, via: via, note: note))
        case .inject, .refused: return nil
        }
        let event = EngineEvent(at: e.at, role: e.role.flatMap { t.roleIndex[$0] } ?? -1, outsideRole: e.outsideRole, body)
        return (event, EventWords(actor: e.actor, text: text))
    }
}

extension Incident {
    /// Where carried step `g` is in ``carried``, if it is there.
    @inline(__always)
    public func carriedIndex(of g: Int) -> Int? {
        for i in carried.indices where Int(carried[i].step) == g { return i }
        return nil
    }

    /// Whether step `g` of the current state was not opened again because its carried copy is still open.
    @inline(__always)
    public func isDeferred(_ g: Int, _ tables: PlaybookTables) -> Bool {
        guard tables.anyCarry, tables.stepCarry[g], let i = carriedIndex(of: g) else { return false }
        return carried[i].progress.isOpen
    }

    /// The progress of step `g` where it is active (or was last settled): a duty, a carried step, or
    /// a step of the current state; nil when it is none of these.
    @inline(__always)
    public func progress(of g: Int, _ tables: PlaybookTables) -> StepProgress? {
        if g >= tables.dutyBase { return g - tables.dutyBase < duties.count ? duties[g - tables.dutyBase] : nil }
        if tables.stepCarry[g], let i = carriedIndex(of: g) { return carried[i].progress }
        guard tables.stepState[g] == state else { return nil }
        return steps[g - Int(tables.firstStep[state])]
    }

    /// The deadline of step `g` where it is active, as ``progress(of:_:)`` finds it; nil for none.
    public func deadline(of g: Int, _ tables: PlaybookTables) -> Int? {
        let due = tables.stepDue[g]
        if g >= tables.dutyBase { return due >= 0 ? openedAt + due : nil }
        if tables.stepCarry[g], let i = carriedIndex(of: g) { return carried[i].deadline >= 0 ? carried[i].deadline : nil }
        return due >= 0 ? enteredAt + due : nil
    }

    @inline(__always)
    mutating func withProgress(of g: Int, _ tables: PlaybookTables, _ change: (inout StepProgress) -> Void) {
        if g >= tables.dutyBase {
            if g - tables.dutyBase < duties.count { change(&duties[g - tables.dutyBase]) }
        } else if tables.stepCarry[g], let i = carriedIndex(of: g) {
            change(&carried[i].progress)
        } else if tables.stepState[g] == state {
            change(&steps[g - Int(tables.firstStep[state])])
        }
    }
}
