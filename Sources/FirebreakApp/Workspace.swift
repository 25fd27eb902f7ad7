import FirebreakCore
import FirebreakLoading
import FirebreakPostgres
import FirebreakStore
import Foundation

/// The application layer's use cases on incidents: opening the store `--db` names, loading an
/// incident with its stored playbook, recording a move, verifying. No argument parsing and no
/// printing: the command line (or a test, or another front end) gives the location, the
/// environment, the clock and the person acting, and shows what comes back.
public struct Workspace: Sendable {
    /// The store: a `postgres://` or `postgresql://` URL, else an SQLite file's path.
    public let location: String
    public let environment: [String: String]
    public let clock: any Clock
    /// The person acting as given (`--as`); nil: from the environment (see ``actor()``).
    public let person: String?
    /// Where one-line notes go that do not stop a use case (how an ambiguous local time was read).
    public let note: @Sendable (String) -> Void

    /// A store given as it is (a test's `MemoryStore`, a server's open connection), instead of ``location``.
    let given: (any IncidentStore)?

    public init(location: String, environment: [String: String], clock: any Clock, person: String? = nil, note: @escaping @Sendable (String) -> Void = { _ in }) {
        self.location = location
        self.environment = environment
        self.clock = clock
        self.person = person
        self.note = note
        given = nil
    }

    /// A workspace on a store that is already open.
    public init(store: any IncidentStore, clock: any Clock, person: String? = nil, environment: [String: String] = [:], note: @escaping @Sendable (String) -> Void = { _ in }) {
        location = store.location
        self.environment = environment
        self.clock = clock
        self.person = person
        self.note = note
        given = store
    }

    /// The person acting: `person`, else `FIREBREAK_USER`, `USER`, `LOGNAME`, the login name.
    public func actor() throws(FirebreakError) -> String {
        try Self.actor(given: person, environment: environment)
    }

    public static func actor(given: String?, environment: [String: String]) throws(FirebreakError) -> String {
        let name = given ?? environment["FIREBREAK_USER"].flatMap { $0.isEmpty ? nil : $0 }
            ?? environment["USER"].flatMap { $0.isEmpty ? nil : $0 }
            ?? environment["LOGNAME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? NSUserName()
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { throw .usage("no acting person; give --as PERSON or set FIREBREAK_USER") }
        return trimmed
    }

    /// The store ``location`` names; `create` makes a new SQLite file when there is none.
    public func store(create: Bool = false) async throws(FirebreakError) -> any IncidentStore {
        if let given { return given }
        return try await Self.store(location, create: create, environment: environment)
    }

    public static func store(_ location: String, create: Bool, environment: [String: String]) async throws(FirebreakError) -> any IncidentStore {
        do {
            if PostgresURL.isURL(location) {
                return try await PostgresStore.connect(try PostgresURL(location, environment: environment))
            }
            return try SQLiteStore(path: location, create: create)
        } catch {
            throw Self.translate(error)
        }
    }

    public static func translate(_ error: StoreError) -> FirebreakError {
        switch error {
        case .missingDatabase, .noIncident: .missing(error.message)
        case .busy, .unavailable: .busy(error.message)
        default: .io(error.message)
        }
    }

    public static func translate(any error: any Error) -> FirebreakError {
        switch error {
        case let error as FirebreakError: error
        case let error as StoreError: translate(error)
        case let error as Refusal: .refused(error.message)
        default: .internal("\(type(of: error))")
        }
    }

    /// `INC-7`, `inc-7` or `7` → 7; a recorded exercise's `EX-3` → -3 (see ``IncidentID``).
    public static func number(_ reference: String) throws(FirebreakError) -> Int {
        guard let number = IncidentID.number(reference) else {
            throw .usage("'\(UntrustedText.oneLine(reference))' is not an incident id; incident ids look like INC-7, recorded exercises EX-3")
        }
        return number
    }

    /// The compiled form of a checked playbook, stored beside its text.
    public static func compiled(_ playbook: Playbook) -> Data? { try? JSONEncoder().encode(playbook) }

    /// A stored compiled copy, when it decodes into a playbook safe for the engine (stored data is input).
    public static func decode(_ compiled: Data) -> Playbook? {
        guard let playbook = try? Playbook(storedJSON: compiled), playbook.isWellFormed else { return nil }
        return playbook
    }

    /// The playbook an incident was opened with: the compiled copy stored with it when it is sound,
    /// else its text, parsed again. Neither sound is damage (exit 74), never a trap.
    public static func playbook(_ stored: StoredPlaybook, of record: IncidentRecord) throws(FirebreakError) -> Playbook {
        if let compiled = stored.compiled, let playbook = decode(compiled) { return playbook }
        guard let playbook = PlaybookLoader.load(stored.text).playbook else {
            throw .io("\(record.reference) is damaged in the database: its stored playbook does not load; run 'firebreak verify \(record.reference)'")
        }
        return playbook
    }

    /// The snapshot must fit the playbook before the engine touches it.
    public static func check(_ record: IncidentRecord, against playbook: Playbook) throws(FirebreakError) {
        guard playbook.fits(record.snapshot) else {
            throw .io("\(record.reference) is damaged in the database: its stored state does not fit its playbook; run 'firebreak verify \(record.reference)'")
        }
    }

    public func load(_ reference: String) async throws(FirebreakError) -> (store: any IncidentStore, record: IncidentRecord, playbook: Playbook) {
        let number = try Self.number(reference)
        let store = try await store()
        let (record, playbook) = try await Self.load(number, from: store)
        return (store, record, playbook)
    }

    /// An incident's record and the playbook it was opened with, from a store already open.
    public static func load(_ number: Int, from store: any IncidentStore) async throws(FirebreakError) -> (record: IncidentRecord, playbook: Playbook) {
        let record: IncidentRecord?
        do { record = try await store.incident(number) } catch { throw Self.translate(error) }
        guard let record else { throw .missing("no incident \(IncidentID.name(number)) in '\(store.location)'") }
        let stored: StoredPlaybook?
        do { stored = try await store.playbook(hash: record.playbookHash) } catch { throw Self.translate(error) }
        guard let stored else { throw .io("\(record.reference) is damaged in the database: its playbook is missing; run 'firebreak verify'") }
        let playbook = try Self.playbook(stored, of: record)
        try Self.check(record, against: playbook)
        return (record, playbook)
    }

    /// Stores the time-driven events (overdue steps, escalations, timers, missed updates) due on an
    /// incident by now: the engine's own step before every move (`Engine.advanceOrRefuse`), in the
    /// store's one-writer transaction, so each is stored once whoever comes first (another `watch`,
    /// or a command). "Now" is read with the lock held. Returns what was stored (nothing when another
    /// writer stored it first), the record it was appended to, and when the next is due.
    public static func recordDue(_ number: Int, in store: any IncidentStore, now: () -> Int) async throws(FirebreakError)
        -> (stored: [StoredEvent], record: IncidentRecord?, next: Int?)
    {
        var recordUsed: IncidentRecord?
        var next: Int?
        let stored: [StoredEvent]
        do {
            stored = try await store.append(to: number) { (record, stored) throws(FirebreakError) -> Decision in
                let now = now()
                let playbook = try Self.playbook(stored, of: record)
                try Self.check(record, against: playbook)
                recordUsed = record
                let engine = Engine(playbook: playbook)
                var incident = record.snapshot
                let events: [Event]
                do throws(Refusal) {
                    events = try engine.advanceOrRefuse(&incident, to: now, inclusive: true)
                } catch {
                    throw .refused(error.naming(record.reference).message)
                }
                next = engine.nextDue(incident)
                return Decision(events: events, snapshot: incident, recordedAt: now)
            }
        } catch {
            switch error {
            case .store(.noIncident): return ([], nil, nil)
            case .store(let error): throw Self.translate(error)
            case .decision(let error): throw error
            }
        }
        return (stored, recordUsed, next)
    }

    /// Resolves `--at` against now and the incident's opening: not in the future, not before
    /// `began` (when the incident has one: work often starts before someone opens it), else not
    /// before the opening. Local times are read in the clock's zone.
    public func time(_ text: String?, now: Int, openedAt: Int?, began: Int? = nil, option: String = "--at") throws(FirebreakError) -> Int {
        guard let text else { return now }
        let zone = clock.zone
        func iso(_ seconds: Int) -> String { LocalTime.iso(seconds, zone) }
        let at: Int
        switch LocalTime.parse(text, now: now, zone: zone, option: option) {
        case .time(let seconds, let note):
            if let note { self.note(note) }
            at = seconds
        case .nonexistent(let reason):
            throw .usage(reason)
        case .invalid:
            throw .usage("\(option) '\(UntrustedText.oneLine(text))' is not a time; use ISO 8601 (2026-05-12T21:42:00+02:00), HH:MM today, YYYY-MM-DD HH:MM or DD-MM-YYYY HH:MM local, or -15m")
        }
        if at > now { throw .usage("\(option) \(iso(at)) is in the future; it records when something already happened") }
        if let began, let openedAt, began <= openedAt {
            if at < began {
                throw .usage("--at \(iso(at)) is before the incident began (--began \(iso(began))); nothing of it can have happened earlier")
            }
        } else if let openedAt, at < openedAt {
            throw .usage("--at \(iso(at)) is before the incident opened (\(iso(openedAt)))")
        }
        return at
    }

    /// An incident's stored log, as it stands now, with the sequence number of its last entry.
    public func log(_ reference: String) async throws(FirebreakError) -> (record: IncidentRecord, playbook: Playbook, events: [StoredEvent]) {
        let (store, record, playbook) = try await load(reference)
        do {
            return (record, playbook, try await store.events(of: record.number, through: record.lastSeq).collect())
        } catch {
            throw Self.translate(error)
        }
    }

    /// Records a move on an incident in one transaction: time-driven events due before it, the
    /// move and what it causes, then the time-driven events due up to now. `lastSeq`: the command
    /// was made from the log read through that entry; should another write have come since, it is
    /// refused as busy (run it again) rather than applied to a log it was not made from.
    public func record(_ reference: String, at atText: String?, _ command: Command, readThrough lastSeq: Int? = nil) async throws(FirebreakError) -> (IncidentRecord, [StoredEvent], Playbook) {
        let number = try Self.number(reference)
        let actor = try actor()
        let store = try await store()
        // A move on a statement logged later (`--at`) cannot be put before what it acts on (its version's draft, the
        // verdicts a revision or publication follows): those times are in the log, read first; the move is then
        // recorded only on the log as read (another write in between makes it busy: run it again).
        var lastSeq = lastSeq
        var follows: (at: Int, follows: String)?
        if atText != nil, let name = command.statement {
            let (_, read, playbook) = try await load(reference)
            follows = try await Self.communications(read, store: store, playbook: playbook).statement(name)?.earliest(for: command)
            if lastSeq == nil { lastSeq = read.lastSeq }
        }
        var recordUsed: IncidentRecord?
        var playbookUsed: Playbook?
        let stored: [StoredEvent]
        do {
            stored = try await store.append(to: number) { (record, stored) throws(FirebreakError) -> Decision in
                // "Now" is read with the write lock held: another writer may have changed the incident while this one waited.
                let now = clock.now()
                let playbook = try Self.playbook(stored, of: record)
                try Self.check(record, against: playbook)
                recordUsed = record
                playbookUsed = playbook
                if let lastSeq, record.lastSeq != lastSeq {
                    throw FirebreakError.busy("\(record.reference) changed while this command read it; run it again")
                }
                let at = try time(atText, now: now, openedAt: record.openedAt, began: record.snapshot.beganAt)
                if let follows, at < follows.at {
                    throw FirebreakError.usage(
                        "--at \(LocalTime.iso(at, clock.zone)) is before \(follows.follows) (\(LocalTime.iso(follows.at, clock.zone))); it cannot have come earlier")
                }
                let engine = Engine(playbook: playbook)
                var incident = record.snapshot
                do {
                    var events = try engine.advanceOrRefuse(&incident, to: at, inclusive: false)
                    // Before the opening (down to `began`), the start state's first round counts as entered.
                    let openingRound = incident.state == playbook.start && incident.round == 1 && incident.enteredAt == incident.openedAt
                    // A standing duty is active from the opening, a carried step from its own state's round: neither
                    // began with the current state, so either may be logged as done or skipped before it was entered.
                    var stepID: String?
                    switch command {
                    case .done(let step, _, _), .skip(let step, _): stepID = step
                    default: break
                    }
                    let tables = playbook.tables
                    let outlivesStates = stepID.flatMap { tables.stepIndex[$0].map(Int.init) }.map { g in
                        g >= tables.dutyBase || incident.carried.contains { Int($0.step) == g }
                    } ?? false
                    if case .note = command {} else if at < incident.enteredAt, !incident.isClosed, !openingRound, !outlivesStates {
                        throw FirebreakError.usage(
                            "--at \(LocalTime.iso(at, clock.zone)) is before the incident entered state '\(playbook.states[incident.state].id)' (\(LocalTime.iso(incident.enteredAt, clock.zone))); its steps and events were not possible then")
                    }
                    do throws(Refusal) {
                        try engine.perform(command, by: actor, at: at, on: &incident, events: &events)
                    } catch {
                        throw error.naming(record.reference)
                    }
                    events += try engine.advanceOrRefuse(&incident, to: now, inclusive: true)
                    return Decision(events: events, snapshot: incident, recordedAt: now)
                } catch {
                    throw Self.translate(any: error)
                }
            }
        } catch {
            switch error {
            case .store(.noIncident): throw .missing("no incident \(IncidentID.name(number)) in '\(store.location)'")
            case .store(let error): throw Self.translate(error)
            case .decision(let error): throw error
            }
        }
        guard let recordUsed, let playbookUsed else { throw .internal("no record") }
        return (recordUsed, stored, playbookUsed)
    }

    /// Opens an incident from a checked playbook (`text` is what is stored and hashed) and returns its
    /// number. `at` and `began` are `--at`/`--began` texts (nil: now, none); time-driven events due
    /// by now are stored with the opening.
    public func open(
        _ playbook: Playbook, text: String, title: String, severity: IncidentSeverity?, assignments: [(role: String, person: String)],
        at atText: String?, began beganText: String?
    ) async throws(FirebreakError) -> Int {
        let actor = try actor()
        let now = clock.now()
        let at = try time(atText, now: now, openedAt: nil)
        var began: Int?
        if let beganText {
            began = try time(beganText, now: now, openedAt: nil, option: "--began")
            if let began, began > at {
                let zone = clock.zone
                throw .usage("--began \(LocalTime.iso(began, zone)) is after the incident was opened (\(LocalTime.iso(at, zone))); it is when the trigger happened")
            }
        }
        let engine = Engine(playbook: playbook)
        var incident: Incident
        var events: [Event]
        do {
            (incident, events) = try engine.open(title: title, severity: severity, began: began, opener: actor, assignments: assignments, at: at)
        } catch {
            throw .usage(error.message)
        }
        do { events += try engine.advanceOrRefuse(&incident, to: now) } catch { throw .refused(error.message) }
        let store = try await store(create: true)
        do {
            return try await store.create(
                NewIncident(
                    playbookID: playbook.id, playbookText: text, playbookHash: HashChain.sha256(text), isExercise: false, events: events,
                    snapshot: incident, compiledPlaybook: Self.compiled(playbook)),
                recordedAt: now)
        } catch {
            throw Self.translate(error)
        }
    }
}
