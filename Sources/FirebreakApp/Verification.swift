#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import FirebreakCore
import FirebreakLoading
import FirebreakStore

extension Workspace {
    /// `verify`: the store checks what only it can (sequence numbers, the hash chain, stored
    /// playbook texts against their hashes, its own integrity), and in the same pass each log is
    /// folded and compared with the stored projection (the snapshot and the incident row), and each
    /// stored compiled playbook with its text compiled again. `reference`: one incident, else all.
    public func verify(_ reference: String?) async throws(FirebreakError) -> VerifyReport {
        let number = try reference.map { (text: String) throws(FirebreakError) in try Self.number(text) }
        let store = try await store()
        var projection = ProjectionCheck()
        do {
            return try await store.verify(number, inspector: &projection)
        } catch {
            throw Self.translate(error)
        }
    }
}

/// Where the stored projection of an incident (its row and snapshot) differs from the fold of its
/// log, and its stored compiled playbook from its text. The log is folded as the store reads it, a
/// page at a time: memory does not grow with the log.
public struct ProjectionCheck: LogInspector {
    enum Loaded { case engine(Engine, StoredEventReader, compiledMatches: Bool), doesNotLoad }
    /// Each stored playbook loaded and compared with its compiled copy once, however many incidents use it.
    var playbooks: [String: Loaded] = [:]

    var reference = ""
    var record: IncidentRecord?
    var engine: Engine?
    var reader: StoredEventReader?
    var problems: [String] = []
    var folded: Incident?
    var opened: Event?
    var hasInjects = false
    var startsWithOpened = true
    /// The last role read and its index in the current incident's playbook: an incident's events are mostly by one role.
    var lastRole: (bytes: [UInt8], index: Int32)?

    public init() {}

    public mutating func begin(_ read: Result<IncidentRecord, StoreError>, playbook stored: StoredPlaybook?) {
        self.record = nil
        engine = nil
        reader = nil
        lastRole = nil
        problems = []
        folded = nil
        opened = nil
        hasInjects = false
        startsWithOpened = true
        let record: IncidentRecord
        switch read {
        case .success(let found): record = found
        case .failure(let error):
            problems.append(error.message)
            return
        }
        reference = record.reference
        guard let stored else { return }  // the store names it
        let loaded: Loaded
        if let known = playbooks[record.playbookHash] {
            loaded = known
        } else if let playbook = PlaybookLoader.load(stored.text).playbook {
            loaded = .engine(
                Engine(playbook: playbook), StoredEventReader(playbook), compiledMatches: stored.compiled.map { Workspace.decode($0) == playbook } ?? true)
        } else {
            loaded = .doesNotLoad
        }
        playbooks[record.playbookHash] = loaded
        switch loaded {
        case .doesNotLoad:
            problems.append("\(reference): its stored playbook text does not load")
        case .engine(let engine, let reader, let compiledMatches):
            if !compiledMatches { problems.append("\(reference): the compiled copy of its playbook does not match the playbook's text") }
            self.engine = engine
            self.reader = reader
            self.record = record
        }
    }

    public mutating func next(_ stored: StoredEvent) {
        guard let engine, startsWithOpened else { return }
        guard engine.replay(stored.event, into: &folded) else {
            startsWithOpened = false
            return
        }
        if opened == nil { opened = stored.event }
        if stored.event.kind == .inject { hasInjects = true }
    }

    /// ``next(_:)`` of an event read from its stored bytes, where the reader can (most events but `opened`).
    public mutating func next(bytes row: HashChain.Columns, ifLinked link: () -> Bool) -> Bool {
        guard let kind = Event.Kind(utf8: row.kind), let roleIndex = roleIndex(row.role),
            let reading = reader?.read(kind: kind, data: row.data, at: row.at, roleIndex: roleIndex, outsideRole: row.outsideRole), link()
        else { return false }
        guard startsWithOpened, engine != nil else { return true }
        // Only `opened` starts the fold, and the reader leaves that to the decoded path.
        if case .none = folded {
            startsWithOpened = false
            return true
        }
        // The engine used where it is held (a copy would count a reference each event).
        engine!.fold(reading, into: &folded!)
        if kind == .inject { hasInjects = true }
        return true
    }

    /// The reader's ``StoredEventReader/roleIndex(_:)``, the last one kept.
    mutating func roleIndex(_ role: UnsafeRawBufferPointer?) -> Int32? {
        guard let role else { return -1 }
        if let last = lastRole, last.bytes.count == role.count,
            role.count == 0 || last.bytes.withUnsafeBytes({ memcmp($0.baseAddress!, role.baseAddress!, role.count) }) == 0
        {
            return last.index
        }
        guard let index = reader?.roleIndex(role) else { return nil }
        lastRole = (Array(role), index)
        return index
    }

    public mutating func finish(chainIntact: Bool) -> [String] {
        // A broken chain is named by the store; the projection of a damaged log says nothing more.
        guard let record, let engine, chainIntact else { return problems }
        guard startsWithOpened, let folded else { return problems + ["\(reference): its log does not start with 'opened'"] }
        let playbook = engine.playbook
        if folded != record.snapshot {
            problems.append("\(reference): its stored state does not match the fold of its events (the projection was changed)")
        }
        var fields: [String] = []
        if record.title != folded.title { fields.append("title") }
        if record.severity != folded.severity { fields.append("severity") }
        if record.state != playbook.states[folded.state].id { fields.append("state") }
        if record.openedAt != folded.openedAt { fields.append("opened_at") }
        if record.closedAt != folded.closed?.at { fields.append("closed_at") }
        if record.playbookID != playbook.id { fields.append("playbook_id") }
        if case .opened(let id, _, _, _, let exercise, let scenario)? = opened?.body {
            if id != playbook.id, !fields.contains("playbook_id") { fields.append("playbook_id") }
            // The opened event of an exercise says so, with its scenario's hash. (Exercises recorded before it did
            // have injects in their log, which a real incident never has.)
            if exercise, !record.isExercise { fields.append("is_exercise") }
            if exercise, scenario != record.scenarioText.map(HashChain.sha256) { fields.append("scenario") }
            if !exercise, record.isExercise, !hasInjects { fields.append("is_exercise") }
        }
        if !fields.isEmpty {
            problems.append("\(reference): its stored \(fields.map { "'\($0)'" }.joined(separator: ", ")) do\(fields.count == 1 ? "es" : "") not match its log (the incident row was changed)")
        }
        return problems
    }
}
