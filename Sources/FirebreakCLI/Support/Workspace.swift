import FirebreakCore
import FirebreakLoading
import FirebreakPostgres
import FirebreakStore
import Foundation

/// What the incident commands share: the store, the stored playbook of an incident, and recording moves.
struct Workspace {
    let global: GlobalOptions

    /// The store `--db` names: a `postgres://` or `postgresql://` URL is a PostgreSQL server,
    /// anything else an SQLite file; `create` makes a new SQLite file when there is none.
    func store(create: Bool = false) async throws(FirebreakError) -> any IncidentStore {
        try await Self.store(global.databasePath, create: create)
    }

    static func store(_ location: String, create: Bool) async throws(FirebreakError) -> any IncidentStore {
        do {
            if PostgresURL.isURL(location) {
                return try await PostgresStore.connect(try PostgresURL(location, environment: Console.current.environment))
            }
            return try SQLiteStore(path: location, create: create)
        } catch {
            throw Self.translate(error)
        }
    }

    static func translate(_ error: StoreError) -> FirebreakError {
        switch error {
        case .missingDatabase, .noIncident: .missing(error.message)
        case .busy, .unavailable: .busy(error.message)
        default: .io(error.message)
        }
    }

    static func translate(any error: any Error) -> FirebreakError {
        switch error {
        case let error as FirebreakError: error
        case let error as StoreError: translate(error)
        case let error as Refusal: .refused(error.message)
        default: .internal("\(type(of: error))")
        }
    }

    /// `INC-7`, `inc-7` or `7` → 7; a recorded exercise's `EX-3` → -3 (see ``IncidentID``).
    static func number(_ reference: String) throws(FirebreakError) -> Int {
        guard let number = IncidentID.number(reference) else {
            throw .usage("'\(Terminal.oneLine(reference))' is not an incident id; incident ids look like INC-7, recorded exercises EX-3")
        }
        return number
    }

    /// The compiled form of a checked playbook, stored beside its text.
    static func compiled(_ playbook: Playbook) -> Data? { try? JSONEncoder().encode(playbook) }

    /// A stored compiled copy, when it decodes into a playbook safe for the engine (stored data is input).
    static func decode(_ compiled: Data) -> Playbook? {
        guard let playbook = try? JSONDecoder().decode(Playbook.self, from: compiled), playbook.isWellFormed else { return nil }
        return playbook
    }

    /// The playbook an incident was opened with: the compiled copy stored with it when it is sound,
    /// else its text, parsed again. Neither sound is damage (exit 74), never a trap.
    static func playbook(_ stored: StoredPlaybook, of record: IncidentRecord) throws(FirebreakError) -> Playbook {
        if let compiled = stored.compiled, let playbook = decode(compiled) { return playbook }
        guard let playbook = PlaybookLoader.load(stored.text).playbook else {
            throw .io("\(record.reference) is damaged in the database: its stored playbook does not load; run 'firebreak verify \(record.reference)'")
        }
        return playbook
    }

    /// The snapshot must fit the playbook before the engine touches it.
    static func check(_ record: IncidentRecord, against playbook: Playbook) throws(FirebreakError) {
        guard playbook.fits(record.snapshot) else {
            throw .io("\(record.reference) is damaged in the database: its stored state does not fit its playbook; run 'firebreak verify \(record.reference)'")
        }
    }

    func load(_ reference: String) async throws(FirebreakError) -> (store: any IncidentStore, record: IncidentRecord, playbook: Playbook) {
        let number = try Self.number(reference)
        let store = try await store()
        let record: IncidentRecord?
        do { record = try await store.incident(number) } catch { throw Self.translate(error) }
        guard let record else { throw .missing("no incident \(IncidentID.name(number)) in '\(store.location)'") }
        let stored: StoredPlaybook?
        do { stored = try await store.playbook(hash: record.playbookHash) } catch { throw Self.translate(error) }
        guard let stored else { throw .io("\(record.reference) is damaged in the database: its playbook is missing; run 'firebreak verify'") }
        let playbook = try Self.playbook(stored, of: record)
        try Self.check(record, against: playbook)
        return (store, record, playbook)
    }

    /// Resolves `--at` against now and the incident's opening: not in the future, not before
    /// `began` (when the incident has one: work often starts before someone opens it), else not
    /// before the opening.
    static func time(_ text: String?, now: Int, openedAt: Int?, began: Int? = nil, option: String = "--at") throws(FirebreakError) -> Int {
        guard let text else { return now }
        let at: Int
        switch Clock.parse(text, now: now, zone: Clock.zone, option: option) {
        case .time(let seconds, let note):
            if let note { Terminal.error("firebreak: note: \(note)") }
            at = seconds
        case .nonexistent(let reason):
            throw .usage(reason)
        case .invalid:
            throw .usage("\(option) '\(Terminal.oneLine(text))' is not a time; use ISO 8601 (2026-05-12T21:42:00+02:00), HH:MM today, YYYY-MM-DD HH:MM local, or -15m")
        }
        if at > now { throw .usage("--at \(Clock.iso(at)) is in the future; it records when something already happened") }
        if let began, let openedAt, began <= openedAt {
            if at < began {
                throw .usage("--at \(Clock.iso(at)) is before the incident began (--began \(Clock.iso(began))); nothing of it can have happened earlier")
            }
        } else if let openedAt, at < openedAt {
            throw .usage("--at \(Clock.iso(at)) is before the incident opened (\(Clock.iso(openedAt)))")
        }
        return at
    }

    /// An incident's stored log, as it stands now, with the sequence number of its last entry.
    func log(_ reference: String) async throws(FirebreakError) -> (record: IncidentRecord, playbook: Playbook, events: [StoredEvent]) {
        let (store, record, playbook) = try await load(reference)
        do {
            return (record, playbook, try await store.events(of: record.number, through: record.lastSeq).collect())
        } catch {
            throw Self.translate(error)
        }
    }

    /// Records a move and prints the events it produced, one line each.
    func recordAndPrint(_ reference: String, at atText: String? = nil, _ command: Command, readThrough lastSeq: Int? = nil) async throws(FirebreakError) {
        let (record, stored, playbook) = try await record(reference, at: atText, command, readThrough: lastSeq)
        printRecorded(stored, reference: record.reference, language: playbook.language)
    }

    /// Records a move on an incident in one transaction: time-driven events due before it, the
    /// move and what it causes, then the time-driven events due up to now. `lastSeq`: the command
    /// was made from the log read through that entry; should another write have come since, it is
    /// refused as busy (run it again) rather than applied to a log it was not made from.
    func record(_ reference: String, at atText: String?, _ command: Command, readThrough lastSeq: Int? = nil) async throws(FirebreakError) -> (IncidentRecord, [StoredEvent], Playbook) {
        let number = try Self.number(reference)
        let actor = try global.actor()
        let store = try await store()
        var recordUsed: IncidentRecord?
        var playbookUsed: Playbook?
        let stored: [StoredEvent]
        do {
            stored = try await store.append(to: number) { (record, stored) throws(FirebreakError) -> Decision in
                // "Now" is read with the write lock held: another writer may have changed the incident while this one waited.
                let now = Clock.now()
                let playbook = try Self.playbook(stored, of: record)
                try Self.check(record, against: playbook)
                recordUsed = record
                playbookUsed = playbook
                if let lastSeq, record.lastSeq != lastSeq {
                    throw FirebreakError.busy("\(record.reference) changed while this command read it; run it again")
                }
                let at = try Self.time(atText, now: now, openedAt: record.openedAt, began: record.snapshot.beganAt)
                let engine = Engine(playbook: playbook)
                var incident = record.snapshot
                do {
                    var events = try engine.advanceOrRefuse(&incident, to: at, inclusive: false)
                    // Before the opening (down to `began`), the start state's first round counts as entered.
                    let openingRound = incident.state == playbook.start && incident.round == 1 && incident.enteredAt == incident.openedAt
                    if case .note = command {} else if at < incident.enteredAt, !incident.isClosed, !openingRound {
                        throw FirebreakError.usage(
                            "--at \(Clock.iso(at)) is before the incident entered state '\(playbook.states[incident.state].id)' (\(Clock.iso(incident.enteredAt))); its steps and events were not possible then")
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
}
