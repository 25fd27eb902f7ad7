import FirebreakCore
import FirebreakStore
import FirebreakTestSupport
import Foundation
import Testing

/// Importing verified logs (`db copy`) and telling of changes (`--watch`), on every backend.
extension StoreTests {
    /// A source in memory: INC-1 with a note, EX-1 an exercise, INC-2 with two notes.
    func filledSource() async throws -> MemoryStore {
        let source = MemoryStore()
        let one = try await openIncident(source, title: "One")
        try await record(source, one, .note(text: "first"), by: "anna", at: 1_100)
        _ = try await openIncident(source, title: "Drill", exercise: true)
        let three = try await openIncident(source, title: "Three")
        try await record(source, three, .note(text: "a"), by: "sem", at: 1_200)
        try await record(source, three, .note(text: "b — with ünïcode"), by: "sem", at: 1_300)
        return source
    }

    func logs(of store: any IncidentStore) async throws -> [VerifiedLog] {
        var logs: [VerifiedLog] = []
        for number in try await store.incidentNumbers() {
            let record = try #require(try await store.incident(number))
            let playbook = try #require(try await store.playbook(hash: record.playbookHash))
            logs.append(try VerifiedLog(record: record, playbook: playbook, events: try await store.events(of: number).collect()))
        }
        return logs
    }

    /// Imported incidents keep their numbers, records, events and hashes; new ones are numbered after them.
    @Test(arguments: Backend.tested)
    func importKeepsNumbersEventsAndHashes(_ backend: Backend) async throws {
        let (store, cleanup) = try await backend.make()
        defer { cleanup() }
        let source = try await filledSource()
        let logs = try await logs(of: source)
        let written = Counter()
        try await store.importLogs(logs) { written.set($0) }
        #expect(written.value == 3)
        #expect(try await store.incidentNumbers() == [1, 2, -1])
        for log in logs {
            #expect(try await store.incident(log.record.number) == log.record)
            #expect(try await store.events(of: log.record.number).collect() == log.events)
            #expect(try await store.playbook(hash: log.record.playbookHash) == log.playbook)
        }
        #expect(try await store.list(includeClosed: true, exercises: true) == (try await source.list(includeClosed: true, exercises: true)))
        let report = try await store.verify(nil)
        #expect(report.problems == [])
        #expect(report.checkedEvents == logs.map(\.events.count).reduce(0, +))
        #expect(try await openIncident(store, title: "After") == 3)
        try await record(store, 2, .note(text: "c"), by: "anna", at: 1_400)
        #expect(try await store.verify(2).problems == [])
    }

    /// When any number is taken, the import writes nothing and names every taken number.
    @Test(arguments: Backend.tested)
    func importWithATakenNumberWritesNothing(_ backend: Backend) async throws {
        let (store, cleanup) = try await backend.make()
        defer { cleanup() }
        let theirs = try await openIncident(store, title: "Theirs")
        let before = try #require(try await store.incident(theirs))
        let logs = try await logs(of: try await filledSource())
        await #expect(throws: StoreError.numbersTaken([1])) { try await store.importLogs(logs) { _ in } }
        #expect(try await store.incidentNumbers() == [1])
        #expect(try await store.incident(1) == before)
        #expect(try await store.verify(nil).problems == [])
    }

    /// A log changed after it was recorded is no verified log: the problem as `verify` names it.
    @Test func aChangedLogIsNotAVerifiedLog() async throws {
        let source = try await filledSource()
        let record = try #require(try await source.incident(2))
        let playbook = try #require(try await source.playbook(hash: record.playbookHash))
        let original = try await source.events(of: 2).collect()
        var events = original
        let index = try #require(events.firstIndex { $0.event.kind == .note })
        events[index].event = Event(at: events[index].event.at, actor: "sem", role: nil, outsideRole: false, .note(text: "x", step: nil))
        #expect(throws: StoreError.unverified(incident: 2, problem: "INC-2: event \(events[index].seq) (note) does not match its hash: it was changed after it was recorded")) {
            try VerifiedLog(record: record, playbook: playbook, events: events)
        }
        #expect(throws: StoreError.unverified(incident: 2, problem: "INC-2: 5 events are stored but 6 were recorded: events are missing")) {
            try VerifiedLog(record: record, playbook: playbook, events: Array(original.prefix(5)))
        }
        #expect(throws: StoreError.unverified(incident: 2, problem: "INC-2: the stored playbook text does not match its hash")) {
            try VerifiedLog(record: record, playbook: StoredPlaybook(text: playbook.text + " ", compiled: nil), events: events)
        }
    }

    /// A write, by this store or another connection, is told to a watcher of ``IncidentStore/changes()``.
    @Test(arguments: Backend.tested)
    func changesAreToldToWatchers(_ backend: Backend) async throws {
        let (store, cleanup) = try await backend.make()
        defer { cleanup() }
        let number = try await openIncident(store)
        let changes = try await store.changes()
        try await record(store, number, .note(text: "watched"), by: "anna", at: 1_100)
        // Generous: the poll runs on the shared pool, which parallel blocking tests can hold for seconds.
        let told = try await firstChange(changes, within: .seconds(60))
        #expect(told == .changed(incident: backend == .sqlite ? nil : number))
    }

    func firstChange(_ changes: AsyncStream<StoreChange>, within limit: Duration) async throws -> StoreChange? {
        try await withThrowingTaskGroup(of: StoreChange?.self) { group in
            group.addTask {
                for await change in changes { return change }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }
}

/// A value set from a `@Sendable` closure.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var stored = 0
    var value: Int { lock.withLock { stored } }
    func set(_ value: Int) { lock.withLock { stored = value } }
}
