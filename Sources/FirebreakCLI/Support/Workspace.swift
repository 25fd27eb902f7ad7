import FirebreakCore
import FirebreakLoading
import FirebreakStore
import Foundation

/// What the incident commands share: the store, the stored playbook of an incident, and recording moves.
struct Workspace {
    let global: GlobalOptions

    func store(create: Bool = false) throws(FirebreakError) -> SQLiteStore {
        do {
            return try SQLiteStore(path: global.databasePath, create: create)
        } catch {
            throw Self.translate(error)
        }
    }

    static func translate(_ error: StoreError) -> FirebreakError {
        switch error {
        case .missingDatabase, .noIncident: .missing(error.message)
        case .busy: .busy(error.message)
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

    /// `INC-7`, `inc-7` or `7` → 7.
    static func number(_ reference: String) throws(FirebreakError) -> Int {
        var text = reference.uppercased()
        if text.hasPrefix("INC-") { text.removeFirst(4) }
        guard let number = Int(text), number > 0, text.allSatisfy(\.isASCII) else {
            throw .usage("'\(Terminal.oneLine(reference))' is not an incident id; incident ids look like INC-7")
        }
        return number
    }

    /// The compiled form of a checked playbook, stored beside its text.
    static func compiled(_ playbook: Playbook) -> Data? { try? JSONEncoder().encode(playbook) }

    static func decode(_ compiled: Data) -> Playbook? { try? JSONDecoder().decode(Playbook.self, from: compiled) }

    /// The playbook an incident was opened with, from the text stored with it.
    static func playbook(from text: String, id: String) throws(FirebreakError) -> Playbook {
        guard let playbook = PlaybookLoader.load(text).playbook else {
            throw .internal("the stored playbook '\(id)' does not load")
        }
        return playbook
    }

    func load(_ reference: String) throws(FirebreakError) -> (store: SQLiteStore, record: IncidentRecord, playbook: Playbook) {
        let number = try Self.number(reference)
        let store = try store()
        let record: IncidentRecord?
        do { record = try store.incident(number) } catch { throw Self.translate(error) }
        guard let record else { throw .missing("no incident INC-\(number) in '\(global.databasePath)'") }
        if let compiled = try? store.compiledPlaybook(hash: record.playbookHash), let playbook = Self.decode(compiled) {
            return (store, record, playbook)
        }
        let text: String?
        do { text = try store.playbookText(hash: record.playbookHash) } catch { throw Self.translate(error) }
        guard let text else { throw .io("the playbook text of INC-\(number) is missing; run 'firebreak verify'") }
        return (store, record, try Self.playbook(from: text, id: record.playbookID))
    }

    /// Resolves `--at` against now and the incident's opening.
    static func time(_ text: String?, now: Int, openedAt: Int?, option: String = "--at") throws(FirebreakError) -> Int {
        guard let text else { return now }
        let at: Int
        switch Clock.parse(text, now: now, zone: TimeZone.current, option: option) {
        case .time(let seconds, let note):
            if let note { Terminal.error("firebreak: note: \(note)") }
            at = seconds
        case .nonexistent(let reason):
            throw .usage(reason)
        case .invalid:
            throw .usage("\(option) '\(Terminal.oneLine(text))' is not a time; use ISO 8601 (2026-05-12T21:42:00+02:00), HH:MM today, YYYY-MM-DD HH:MM local, or -15m")
        }
        if at > now { throw .usage("--at \(Clock.iso(at)) is in the future; it records when something already happened") }
        if let openedAt, at < openedAt {
            throw .usage("--at \(Clock.iso(at)) is before the incident opened (\(Clock.iso(openedAt)))")
        }
        return at
    }

    /// Records a move and prints the events it produced, one line each.
    func recordAndPrint(_ reference: String, at atText: String? = nil, _ command: Command) throws(FirebreakError) {
        let (record, stored) = try record(reference, at: atText, command)
        printRecorded(stored, reference: record.reference)
    }

    /// Records a move on an incident in one transaction: time-driven events due before it, the
    /// move and what it causes, then the time-driven events due up to now.
    func record(_ reference: String, at atText: String?, _ command: Command) throws(FirebreakError) -> (IncidentRecord, [StoredEvent]) {
        let number = try Self.number(reference)
        let actor = try global.actor()
        let store = try store()
        let now = Clock.now()
        var recordUsed: IncidentRecord?
        do {
            let stored = try store.append(to: number, recordedAt: now) { record, text in
                let playbook = try Self.playbook(from: text, id: record.playbookID)
                recordUsed = record
                let at = try Self.time(atText, now: now, openedAt: record.openedAt)
                let engine = Engine(playbook: playbook)
                var incident = record.snapshot
                var events = engine.advance(&incident, to: at, inclusive: false)
                if case .note = command {} else if at < incident.enteredAt, !incident.isClosed {
                    throw FirebreakError.usage(
                        "--at \(Clock.iso(at)) is before the incident entered state '\(playbook.states[incident.state].id)' (\(Clock.iso(incident.enteredAt))); its steps and events were not possible then")
                }
                try engine.perform(command, by: actor, at: at, on: &incident, events: &events)
                events += engine.advance(&incident, to: now, inclusive: true)
                return (events, incident)
            }
            guard let recordUsed else { throw FirebreakError.internal("no record") }
            return (recordUsed, stored)
        } catch {
            if case .noIncident = error as? StoreError {
                throw .missing("no incident INC-\(number) in '\(global.databasePath)'")
            }
            throw Self.translate(any: error)
        }
    }
}
