/// One entry in an incident's history. An incident is the fold of its events.
///
/// `at` is when it happened, in seconds (Unix time for real incidents, seconds from T+0
/// in an exercise); time-driven events carry the moment they were due.
public struct Event: Sendable, Equatable {
    public var at: Int
    /// The person acting; `nil` for what the engine does on its own (timers, overdue steps).
    public var actor: String?
    /// The role the person acted in, when they hold one.
    public var role: String?
    /// The actor does not hold the owner role of the step they acted on.
    public var outsideRole: Bool
    public var body: Body

    public init(at: Int, actor: String? = nil, role: String? = nil, outsideRole: Bool = false, _ body: Body) {
        self.at = at
        self.actor = actor
        self.role = role
        self.outsideRole = outsideRole
        self.body = body
    }

    /// What happened. Each case is one of the event kinds of the playbook format.
    public enum Body: Sendable, Equatable {
        /// `exercise`: a recorded exercise, with the SHA-256 of its scenario's text (covered by the chain, so a
        /// real incident cannot be turned into an exercise behind Firebreak's back, nor the reverse).
        case opened(playbook: String, title: String, severity: IncidentSeverity, began: Int?, exercise: Bool = false, scenario: String? = nil)
        case assigned(role: String, person: String)
        /// A deputy added to a role (the holder stays).
        case deputy(role: String, person: String)
        /// A transition as data: from `from` (nil when opening) by `event` (nil when opening, `timer` name otherwise) into `state`.
        case entered(state: String, from: String?, event: String?, round: Int)
        /// `via`: what completed the step besides a `done` ("S2" for a statement published, "inform" for an inform).
        case done(step: String, choice: String?, note: String?, via: String? = nil)
        case skipped(step: String, reason: String)
        case fired(event: String)
        /// `step`: the step the note is about (an exercise's `{ note: T, step: S }`), when given.
        case note(text: String, step: String? = nil)
        case overdue(step: String, due: Int)
        case escalated(step: String, to: String)
        case timer(state: String, after: Int, to: String)
        case closed(reason: String?, forced: Bool)
        /// A closed incident opened again; an `entered` of the state it closed from follows.
        case reopened(reason: String)
        /// Entry `seq` of the log declared a mistake. `step`: the step of a retracted done or skip, and
        /// `reopened` whether that step opened again (its state's round was still current).
        case retracted(seq: Int, reason: String, step: String?, reopened: Bool)
        /// A statement's version: version 1 is a new statement, a later one a revision (every earlier approval lapses).
        case drafted(statement: String, audience: String, version: Int, text: String)
        /// An approver role's verdict on one version of a statement.
        case approved(statement: String, version: Int, approver: String)
        case rejected(statement: String, version: Int, approver: String, reason: String)
        case published(statement: String, version: Int, audience: String, channel: String?)
        /// The next update to an audience fell due with no newer publication.
        case updateOverdue(audience: String, due: Int)
        /// An overdue update escalated (kind `escalated`, with `audience` where a step's has `step`).
        case escalatedUpdate(audience: String, to: String)
        /// Someone was told: who, how, with a note.
        case informed(who: String, via: String?, note: String?)
        /// An exercise inject delivered to the players; `reach`: how many people the story reaches then.
        case inject(id: String?, from: String?, text: String, reach: Int? = nil)
        /// An action the engine refused during an exercise.
        case refused(action: String, reason: String)
    }

    public var kind: Kind { body.kind }

    /// The event kinds, as timelines, JSON and reports name them.
    public enum Kind: String, Sendable, CaseIterable, Codable {
        case opened, assigned, entered, done, skipped, fired, note, overdue, escalated, timer, closed, inject, refused
        case deputy, reopened, retracted
        case drafted, approved, rejected, published, updateOverdue = "update-overdue", informed
    }
}

extension Event.Kind {
    /// The kind whose name is these UTF-8 bytes (as stored), found without making a string of them.
    public init?(utf8 name: UnsafeRawBufferPointer) {
        // The one kind these bytes can be, told by their length and a byte or two, then compared whole.
        guard name.count >= 4 else { return nil }
        let candidate: Event.Kind
        switch (name.count, name[0], name[2]) {
        case (4, UInt8(ascii: "n"), _): candidate = .note
        case (4, UInt8(ascii: "d"), _): candidate = .done
        case (5, UInt8(ascii: "f"), _): candidate = .fired
        case (5, UInt8(ascii: "t"), _): candidate = .timer
        case (6, UInt8(ascii: "o"), _): candidate = .opened
        case (6, UInt8(ascii: "c"), _): candidate = .closed
        case (6, UInt8(ascii: "i"), _): candidate = .inject
        case (6, UInt8(ascii: "d"), _): candidate = .deputy
        case (7, UInt8(ascii: "e"), _): candidate = .entered
        case (7, UInt8(ascii: "s"), _): candidate = .skipped
        case (7, UInt8(ascii: "o"), _): candidate = .overdue
        case (7, UInt8(ascii: "r"), _): candidate = .refused
        case (7, UInt8(ascii: "d"), _): candidate = .drafted
        case (8, UInt8(ascii: "a"), UInt8(ascii: "s")): candidate = .assigned
        case (8, UInt8(ascii: "a"), _): candidate = .approved
        case (8, UInt8(ascii: "r"), UInt8(ascii: "o")): candidate = .reopened
        case (8, UInt8(ascii: "r"), _): candidate = .rejected
        case (8, UInt8(ascii: "i"), _): candidate = .informed
        case (9, UInt8(ascii: "e"), _): candidate = .escalated
        case (9, UInt8(ascii: "r"), _): candidate = .retracted
        case (9, UInt8(ascii: "p"), _): candidate = .published
        case (14, UInt8(ascii: "u"), _): candidate = .updateOverdue
        default: return nil
        }
        // Every raw value is a small string, held inline: comparing it counts no references.
        var raw = candidate.rawValue
        guard raw.withUTF8({ $0.count == name.count && ByteNames.same($0.baseAddress, name.baseAddress, name.count) }) else { return nil }
        self = candidate
    }
}

extension Event.Body {
    public var kind: Event.Kind {
        switch self {
        case .opened: .opened
        case .assigned: .assigned
        case .deputy: .deputy
        case .reopened: .reopened
        case .retracted: .retracted
        case .entered: .entered
        case .done: .done
        case .skipped: .skipped
        case .fired: .fired
        case .note: .note
        case .overdue: .overdue
        case .escalated: .escalated
        case .timer: .timer
        case .closed: .closed
        case .drafted: .drafted
        case .approved: .approved
        case .rejected: .rejected
        case .published: .published
        case .updateOverdue: .updateOverdue
        case .escalatedUpdate: .escalated
        case .informed: .informed
        case .inject: .inject
        case .refused: .refused
        }
    }

    /// The kind's fields as ordered name/value pairs, for JSON and storage.
    public var fields: [(String, FieldValue)] {
        switch self {
        case let .opened(playbook, title, severity, began, exercise, scenario):
            [("playbook", .string(playbook)), ("title", .string(title)), ("severity", .string(severity.rawValue)), ("began", began.map(FieldValue.int) ?? .null)]
                // Only exercises carry these, so a real incident's stored bytes are as before.
                + (exercise ? [("exercise", .bool(true)), ("scenario", scenario.map(FieldValue.string) ?? .null)] : [])
        case let .assigned(role, person): [("assignedRole", .string(role)), ("person", .string(person))]
        case let .deputy(role, person): [("deputyRole", .string(role)), ("person", .string(person))]
        case let .reopened(reason): [("reason", .string(reason))]
        case let .retracted(seq, reason, step, reopened):
            [("retractedSeq", .int(seq)), ("reason", .string(reason)), ("step", step.map(FieldValue.string) ?? .null), ("reopened", .bool(reopened))]
        case let .entered(state, from, event, round):
            [("state", .string(state)), ("from", from.map(FieldValue.string) ?? .null), ("event", event.map(FieldValue.string) ?? .null), ("round", .int(round))]
        case let .done(step, choice, note, via):
            [("step", .string(step)), ("choice", choice.map(FieldValue.string) ?? .null), ("note", note.map(FieldValue.string) ?? .null)]
                // Only a step completed by a publication or an inform carries it, so other events' bytes are as before.
                + (via.map { [("via", FieldValue.string($0))] } ?? [])
        case let .skipped(step, reason): [("step", .string(step)), ("reason", .string(reason))]
        case let .fired(event): [("event", .string(event))]
        case let .note(text, step): [("text", .string(text))] + (step.map { [("step", FieldValue.string($0))] } ?? [])
        case let .overdue(step, due): [("step", .string(step)), ("due", .int(due))]
        case let .escalated(step, to): [("step", .string(step)), ("to", .string(to))]
        case let .timer(state, after, to): [("state", .string(state)), ("after", .int(after)), ("to", .string(to))]
        case let .closed(reason, forced): [("reason", reason.map(FieldValue.string) ?? .null), ("forced", .bool(forced))]
        case let .drafted(statement, audience, version, text):
            [("statement", .string(statement)), ("audience", .string(audience)), ("version", .int(version)), ("text", .string(text))]
        case let .approved(statement, version, approver): [("statement", .string(statement)), ("version", .int(version)), ("approver", .string(approver))]
        case let .rejected(statement, version, approver, reason):
            [("statement", .string(statement)), ("version", .int(version)), ("approver", .string(approver)), ("reason", .string(reason))]
        case let .published(statement, version, audience, channel):
            [("statement", .string(statement)), ("version", .int(version)), ("audience", .string(audience)), ("channel", channel.map(FieldValue.string) ?? .null)]
        case let .updateOverdue(audience, due): [("audience", .string(audience)), ("due", .int(due))]
        case let .escalatedUpdate(audience, to): [("audience", .string(audience)), ("to", .string(to))]
        case let .informed(who, via, note): [("who", .string(who)), ("via", via.map(FieldValue.string) ?? .null), ("note", note.map(FieldValue.string) ?? .null)]
        case let .inject(id, from, text, reach):
            [("inject", id.map(FieldValue.string) ?? .null), ("from", from.map(FieldValue.string) ?? .null), ("text", .string(text))]
                // Only injects with a reach carry it, so others are stored as before.
                + (reach.map { [("reach", FieldValue.int($0))] } ?? [])
        case let .refused(action, reason): [("action", .string(action)), ("reason", .string(reason))]
        }
    }

    /// Rebuilds a body from its kind and fields; `nil` when a required field is missing.
    public init?(kind: Event.Kind, fields: some FieldLookup) {
        func s(_ key: String) -> String? { fields[key]?.string }
        func i(_ key: String) -> Int? { fields[key]?.int }
        switch kind {
        case .opened:
            guard let p = s("playbook"), let t = s("title"), let sv = s("severity").flatMap(IncidentSeverity.init(rawValue:)) else { return nil }
            self = .opened(playbook: p, title: t, severity: sv, began: i("began"), exercise: fields["exercise"]?.bool ?? false, scenario: s("scenario"))
        case .assigned:
            guard let r = s("assignedRole"), let p = s("person") else { return nil }
            self = .assigned(role: r, person: p)
        case .deputy:
            guard let r = s("deputyRole"), let p = s("person") else { return nil }
            self = .deputy(role: r, person: p)
        case .reopened:
            guard let r = s("reason") else { return nil }
            self = .reopened(reason: r)
        case .retracted:
            guard let q = i("retractedSeq"), let r = s("reason") else { return nil }
            self = .retracted(seq: q, reason: r, step: s("step"), reopened: fields["reopened"]?.bool ?? false)
        case .entered:
            guard let st = s("state"), let r = i("round") else { return nil }
            self = .entered(state: st, from: s("from"), event: s("event"), round: r)
        case .done:
            guard let st = s("step") else { return nil }
            self = .done(step: st, choice: s("choice"), note: s("note"), via: s("via"))
        case .skipped:
            guard let st = s("step"), let r = s("reason") else { return nil }
            self = .skipped(step: st, reason: r)
        case .fired:
            guard let e = s("event") else { return nil }
            self = .fired(event: e)
        case .note:
            guard let t = s("text") else { return nil }
            self = .note(text: t, step: s("step"))
        case .overdue:
            guard let st = s("step"), let d = i("due") else { return nil }
            self = .overdue(step: st, due: d)
        case .escalated:
            guard let to = s("to") else { return nil }
            if let st = s("step") {
                self = .escalated(step: st, to: to)
            } else if let audience = s("audience") {
                self = .escalatedUpdate(audience: audience, to: to)
            } else {
                return nil
            }
        case .drafted:
            guard let st = s("statement"), let a = s("audience"), let v = i("version"), let t = s("text") else { return nil }
            self = .drafted(statement: st, audience: a, version: v, text: t)
        case .approved:
            guard let st = s("statement"), let v = i("version"), let r = s("approver") else { return nil }
            self = .approved(statement: st, version: v, approver: r)
        case .rejected:
            guard let st = s("statement"), let v = i("version"), let r = s("approver"), let reason = s("reason") else { return nil }
            self = .rejected(statement: st, version: v, approver: r, reason: reason)
        case .published:
            guard let st = s("statement"), let v = i("version"), let a = s("audience") else { return nil }
            self = .published(statement: st, version: v, audience: a, channel: s("channel"))
        case .updateOverdue:
            guard let a = s("audience"), let d = i("due") else { return nil }
            self = .updateOverdue(audience: a, due: d)
        case .informed:
            guard let w = s("who") else { return nil }
            self = .informed(who: w, via: s("via"), note: s("note"))
        case .timer:
            guard let st = s("state"), let a = i("after"), let to = s("to") else { return nil }
            self = .timer(state: st, after: a, to: to)
        case .closed:
            self = .closed(reason: s("reason"), forced: fields["forced"]?.bool ?? false)
        case .inject:
            guard let t = s("text") else { return nil }
            self = .inject(id: s("inject"), from: s("from"), text: t, reach: i("reach"))
        case .refused:
            guard let a = s("action"), let r = s("reason") else { return nil }
            self = .refused(action: a, reason: r)
        }
    }
}

/// A scalar field of an event.
/// Fields looked up by name: a dictionary, or the fields of a stored event as ``FlatJSON/decodeFields(utf8:)`` reads them.
public protocol FieldLookup {
    subscript(key: String) -> FieldValue? { get }
}

extension Dictionary: FieldLookup where Key == String, Value == FieldValue {}

public enum FieldValue: Sendable, Equatable {
    case string(String)
    case int(Int)
    case bool(Bool)
    case null

    public var string: String? { if case .string(let v) = self { v } else { nil } }
    public var int: Int? { if case .int(let v) = self { v } else { nil } }
    public var bool: Bool? { if case .bool(let v) = self { v } else { nil } }
}
