import FirebreakCore
import Foundation

/// An event as stored: its place in the incident's log, both times, and its hash.
public struct StoredEvent: Sendable, Equatable {
    public var incident: Int
    public var seq: Int
    public var recordedAt: Int
    public var event: Event
    public var hash: String

    public init(incident: Int, seq: Int, recordedAt: Int, event: Event, hash: String) {
        self.incident = incident
        self.seq = seq
        self.recordedAt = recordedAt
        self.event = event
        self.hash = hash
    }

    /// The stored `data` column: the kind's fields as flat JSON.
    public var data: String { FlatJSON.encode(event.body.fields) }

    /// The bytes the hash covers: every stored column but the hash, in a fixed order — the
    /// envelope as flat JSON, a line break, then the `data` JSON exactly as stored.
    public func canonicalBytes(data: String? = nil) -> String {
        var envelope = "{\"incident\":\(incident),\"seq\":\(seq),\"at\":\(event.at),\"recordedAt\":\(recordedAt),\"actor\":"
        if let actor = event.actor { FlatJSON.appendString(actor, to: &envelope) } else { envelope += "null" }
        envelope += ",\"role\":"
        if let role = event.role { FlatJSON.appendString(role, to: &envelope) } else { envelope += "null" }
        envelope += ",\"outsideRole\":\(event.outsideRole),\"kind\":\"\(event.kind.rawValue)\"}\n"
        envelope += data ?? self.data
        return envelope
    }
}

/// One incident's header and current state.
public struct IncidentRecord: Sendable, Equatable {
    public var number: Int
    public var playbookID: String
    public var playbookHash: String
    public var isExercise: Bool
    public var title: String
    public var severity: IncidentSeverity
    public var state: String
    public var openedAt: Int
    public var closedAt: Int?
    public var lastSeq: Int
    public var lastHash: String
    /// The fold of all events so far (a cache: `verify` checks it against the log).
    public var snapshot: Incident
    /// For a recorded exercise: the scenario's text, so its report can score the objectives.
    public var scenarioText: String?

    /// `INC-7`.
    public var reference: String { "INC-\(number)" }
}

/// An incident's header, as `list` shows it: no snapshot to decode.
public struct IncidentSummary: Sendable, Equatable {
    public var number: Int
    public var playbookID: String
    public var isExercise: Bool
    public var title: String
    public var severity: IncidentSeverity
    public var state: String
    public var openedAt: Int
    public var closedAt: Int?

    /// `INC-7`.
    public var reference: String { "INC-\(number)" }
}

/// What the engine needs from persistence. SQLite now; a shared PostgreSQL store can follow.
public protocol IncidentStore: Sendable {
    /// Stores a new incident, its playbook text and its first events in one transaction; returns its number.
    func create(_ new: NewIncident, recordedAt: Int) throws(StoreError) -> Int

    /// Runs `decide` on the incident's current record and stored playbook in one write
    /// transaction (after the write lock is taken, so "now" can be read inside it) and appends
    /// the events it returns, with the new snapshot. Returns the stored events.
    func append(to number: Int, _ decide: (IncidentRecord, StoredPlaybook) throws -> Decision) throws -> [StoredEvent]

    func incident(_ number: Int) throws(StoreError) -> IncidentRecord?
    func playbookText(hash: String) throws(StoreError) -> String?
    /// The events of an incident in order; `through` a sequence number, the log as it stood when a record with that `lastSeq` was read.
    func events(of number: Int, through last: Int?) throws(StoreError) -> [StoredEvent]
    func forEachEvent(of number: Int, through last: Int?, _ body: (StoredEvent) throws -> Void) throws
    func list(includeClosed: Bool, exercises: Bool) throws(StoreError) -> [IncidentSummary]
    func verify(_ number: Int?) throws(StoreError) -> VerifyReport
}

/// A playbook as stored with the incidents opened from it: its text (covered by its hash) and
/// the compiled copy, a cache that reads prefer and `verify` checks against the text.
public struct StoredPlaybook: Sendable {
    public var text: String
    public var compiled: Data?

    public init(text: String, compiled: Data?) {
        self.text = text
        self.compiled = compiled
    }
}

/// What a write decided: the events to append, the incident they fold to, and when they were recorded.
public struct Decision: Sendable {
    public var events: [Event]
    public var snapshot: Incident
    public var recordedAt: Int

    public init(events: [Event], snapshot: Incident, recordedAt: Int) {
        self.events = events
        self.snapshot = snapshot
        self.recordedAt = recordedAt
    }
}

/// A new incident to store.
public struct NewIncident: Sendable {
    public var playbookID: String
    public var playbookText: String
    public var playbookHash: String
    public var isExercise: Bool
    public var events: [Event]
    public var snapshot: Incident
    public var scenarioText: String?
    /// The checked playbook in compiled form (JSON of ``Playbook``), a cache beside the text.
    public var compiledPlaybook: Data?

    public init(
        playbookID: String, playbookText: String, playbookHash: String, isExercise: Bool, events: [Event], snapshot: Incident,
        scenarioText: String? = nil, compiledPlaybook: Data? = nil
    ) {
        self.scenarioText = scenarioText
        self.compiledPlaybook = compiledPlaybook
        self.playbookID = playbookID
        self.playbookText = playbookText
        self.playbookHash = playbookHash
        self.isExercise = isExercise
        self.events = events
        self.snapshot = snapshot
    }
}

/// What `verify` found.
public struct VerifyReport: Sendable, Equatable {
    public var checkedIncidents = 0
    public var checkedEvents = 0
    public var problems: [String] = []
    public var isClean: Bool { problems.isEmpty }

    public init(checkedIncidents: Int = 0, checkedEvents: Int = 0, problems: [String] = []) {
        self.checkedIncidents = checkedIncidents
        self.checkedEvents = checkedEvents
        self.problems = problems
    }
}

/// Why the store could not do what was asked. Messages never include stored text.
public enum StoreError: Error, Equatable, Sendable {
    case missingDatabase(path: String)
    case busy(doing: String)
    case newerDatabase(path: String)
    case notADatabase(path: String)
    /// An SQLite file with another program's tables: refused, never changed.
    case foreignDatabase(path: String)
    case readOnly(path: String)
    case cannotOpen(path: String, reason: String)
    case noIncident(number: Int)
    /// Every incident number has been used (the last one is the largest SQLite can store).
    case noNumbersLeft(last: Int)
    case failed(doing: String, reason: String)
    case corruptEvent(incident: Int, seq: Int)
    /// A stored value cannot be read back (a wrong type, a broken snapshot): damage, never a trap.
    case damaged(incident: Int?, what: String)
    /// The log holds events the incident does not record (rows added behind Firebreak's back).
    case damagedLog(incident: Int)

    public var message: String {
        switch self {
        case .missingDatabase(let path): "no incident database at '\(path)'; open an incident first, or give --db PATH"
        case .busy(let doing): "could not \(doing): the database stayed busy for 30 s while another firebreak was writing; try again"
        case .newerDatabase(let path): "the database '\(path)' was written by a newer Firebreak; upgrade Firebreak to use it"
        case .notADatabase(let path): "'\(path)' is not a Firebreak database, or it is corrupt"
        case .foreignDatabase(let path): "'\(path)' is not a Firebreak database: it holds another program's tables; it was left unchanged"
        case .readOnly(let path): "the database '\(path)' is read-only; check its permissions"
        case let .cannotOpen(path, reason): "cannot open the database '\(path)': \(reason)"
        case .noIncident(let number): "no incident INC-\(number)"
        case .noNumbersLeft(let last):
            "could not open the incident: no incident number is left, INC-\(last) was the last one; open it in a new database (--db PATH)"
        case let .failed(doing, reason): "could not \(doing): \(reason)"
        case let .corruptEvent(incident, seq): "event \(seq) of INC-\(incident) cannot be read; run 'firebreak verify INC-\(incident)'"
        case let .damaged(incident?, what): "INC-\(incident) is damaged in the database: \(what) cannot be read; run 'firebreak verify INC-\(incident)'"
        case let .damaged(nil, what): "the database is damaged: \(what) cannot be read; run 'firebreak verify'"
        case let .damagedLog(incident): "INC-\(incident)'s log is damaged: it holds events the incident does not record, so nothing more can be added; run 'firebreak verify INC-\(incident)'"
        }
    }
}
