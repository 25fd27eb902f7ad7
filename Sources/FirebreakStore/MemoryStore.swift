import FirebreakCore
import Foundation

/// The incident store in memory: for tests, and for front ends that keep nothing. It keeps every
/// guarantee of the protocol that does not need a disk (one writer at a time, gapless numbers,
/// the same hash chain), and passes the same store tests as ``SQLiteStore``.
public final class MemoryStore: IncidentStore, @unchecked Sendable {
    // Everything below is guarded by `lock`; a write holds it from reading the record to appending.
    private let lock = NSLock()
    private var playbooks: [String: (id: String, stored: StoredPlaybook)] = [:]
    private var incidents: [Int: IncidentRecord] = [:]
    private var logs: [Int: [StoredEvent]] = [:]
    private var lastNumber = 0
    /// Recorded exercises' own series, kept negative (EX-3 is -3).
    private var lastExercise = 0

    private var watchers: [UUID: AsyncStream<StoreChange>.Continuation] = [:]

    public let location: String

    public init(location: String = "memory") {
        self.location = location
    }

    private func locked<T, Failure: Error>(_ body: () throws(Failure) -> T) throws(Failure) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    public func create(_ new: NewIncident, recordedAt: Int) async throws(StoreError) -> Int {
        locked {
            if playbooks[new.playbookHash] == nil {
                playbooks[new.playbookHash] = (new.playbookID, StoredPlaybook(text: new.playbookText, compiled: new.compiledPlaybook))
            }
            let number: Int
            if new.isExercise {
                lastExercise -= 1
                number = lastExercise
            } else {
                lastNumber += 1
                number = lastNumber
            }
            var record = IncidentRecord(
                number: number, playbookID: new.playbookID, playbookHash: new.playbookHash, isExercise: new.isExercise,
                title: new.snapshot.title, severity: new.snapshot.severity, state: "", openedAt: new.snapshot.openedAt, closedAt: nil,
                lastSeq: 0, lastHash: new.playbookHash, snapshot: new.snapshot, scenarioText: new.scenarioText)
            logs[number] = []
            append(new.events, to: &record, snapshot: new.snapshot, recordedAt: recordedAt)
            notify(number)
            return number
        }
    }

    public func append<Refusal: Error>(
        to number: Int, _ decide: (IncidentRecord, StoredPlaybook) throws(Refusal) -> Decision
    ) async throws(AppendError<Refusal>) -> [StoredEvent] {
        try locked { () throws(AppendError<Refusal>) -> [StoredEvent] in
            guard var record = incidents[number] else { throw .store(.noIncident(number: number)) }
            guard let playbook = playbooks[record.playbookHash] else { throw .store(.damaged(incident: number, what: "its playbook")) }
            let decision: Decision
            do throws(Refusal) { decision = try decide(record, playbook.stored) } catch { throw .decision(error) }
            if decision.events.isEmpty { return [] }
            let stored = append(decision.events, to: &record, snapshot: decision.snapshot, recordedAt: decision.recordedAt)
            notify(number)
            return stored
        }
    }

    public func importLogs(_ logs: [VerifiedLog], progress: @Sendable (Int) -> Void) async throws(StoreError) {
        try locked { () throws(StoreError) in
            let taken = logs.map(\.record.number).filter { incidents[$0] != nil }.sorted()
            if !taken.isEmpty { throw .numbersTaken(taken) }
            for (index, log) in logs.enumerated() {
                if playbooks[log.record.playbookHash] == nil { playbooks[log.record.playbookHash] = (log.record.playbookID, log.playbook) }
                incidents[log.record.number] = log.record
                self.logs[log.record.number] = log.events
                lastNumber = max(lastNumber, log.record.number)
                notify(log.record.number)
                progress(index + 1)
            }
        }
    }

    public func changes() async throws(StoreError) -> AsyncStream<StoreChange> {
        let (stream, continuation) = AsyncStream<StoreChange>.makeStream(bufferingPolicy: .bufferingNewest(64))
        let id = UUID()
        locked { watchers[id] = continuation }
        continuation.onTermination = { [weak self] _ in self?.locked { _ = self?.watchers.removeValue(forKey: id) } }
        return stream
    }

    /// Tells the watchers, with the lock held.
    private func notify(_ number: Int) {
        for continuation in watchers.values { continuation.yield(.changed(incident: number)) }
    }

    /// Appends with the lock held.
    @discardableResult
    private func append(_ events: [Event], to record: inout IncidentRecord, snapshot: Incident, recordedAt: Int) -> [StoredEvent] {
        var tip = HashChain.Tip(seq: record.lastSeq, hash: record.lastHash)
        var stored: [StoredEvent] = []
        for event in events {
            stored.append(tip.append(event, incident: record.number, recordedAt: recordedAt).event)
            if case .entered(let name, _, _, _) = event.body { record.state = name }
        }
        logs[record.number, default: []] += stored
        record.lastSeq = tip.seq
        record.lastHash = tip.hash
        record.snapshot = snapshot
        record.title = snapshot.title
        record.severity = snapshot.severity
        record.closedAt = snapshot.closed?.at
        incidents[record.number] = record
        return stored
    }

    public func incident(_ number: Int) async throws(StoreError) -> IncidentRecord? {
        locked { incidents[number] }
    }

    public func playbook(hash: String) async throws(StoreError) -> StoredPlaybook? {
        locked { playbooks[hash]?.stored }
    }

    public func events(of number: Int, after: Int, through last: Int?, limit: Int) async throws(StoreError) -> [StoredEvent] {
        locked {
            guard let log = logs[number], after < log.count else { return [] }
            // Sequence numbers are 1...n, so event `seq` is at index seq - 1.
            let end = min(log.count, last ?? log.count, after + limit)
            return end > after ? Array(log[after..<end]) : []
        }
    }

    public func incidentNumbers() async throws(StoreError) -> [Int] {
        locked { incidents.keys.sorted(by: IncidentID.areInOrder) }
    }

    public func list(includeClosed: Bool, exercises: Bool) async throws(StoreError) -> [IncidentSummary] {
        locked {
            incidents.values.sorted { IncidentID.areInOrder($0.number, $1.number) }
                .filter { (includeClosed || $0.closedAt == nil) && (exercises || !$0.isExercise) }
                .map {
                    IncidentSummary(
                        number: $0.number, playbookID: $0.playbookID, isExercise: $0.isExercise, title: $0.title, severity: $0.severity,
                        state: $0.state, openedAt: $0.openedAt, closedAt: $0.closedAt, forcedClose: $0.snapshot.closed?.forced ?? false)
                }
        }
    }

    public func verify<Inspector: LogInspector>(_ number: Int?, inspector: inout Inspector) async throws(StoreError) -> VerifyReport {
        try locked { () throws(StoreError) -> VerifyReport in
            var report = VerifyReport()
            let numbers = number.map { [$0] } ?? incidents.keys.sorted(by: IncidentID.areInOrder)
            if let number, incidents[number] == nil { throw .noIncident(number: number) }
            for number in numbers {
                guard let record = incidents[number] else { continue }
                report.checkedIncidents += 1
                let stored = playbooks[record.playbookHash]?.stored
                if let text = stored?.text {
                    if HashChain.sha256(text) != record.playbookHash {
                        report.problems.append("\(IncidentID.name(number)): the stored playbook text does not match its hash")
                    }
                } else {
                    report.problems.append("\(IncidentID.name(number)): its playbook text is missing")
                }
                inspector.begin(.success(record), playbook: stored)
                var check = HashChain.Check(incident: number, playbookHash: record.playbookHash)
                for event in logs[number] ?? [] {
                    report.checkedEvents += 1
                    check.next(seq: event.seq, event: event, data: nil)
                    if !check.failed { inspector.next(event) }
                }
                check.finish(lastSeq: record.lastSeq, lastHash: record.lastHash)
                report.problems += check.problems
                report.problems += inspector.finish(chainIntact: !check.failed)
            }
            return report
        }
    }
}
