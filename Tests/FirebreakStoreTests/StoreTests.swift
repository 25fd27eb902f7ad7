import FirebreakCore
import FirebreakLoading
import FirebreakPostgres
import FirebreakStore
import FirebreakTestSupport
import Foundation
import Testing

/// The stores the shared suite runs against: every backend must pass every test of ``StoreTests``.
/// PostgreSQL runs on the tests' throwaway server, when PostgreSQL is installed.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, memory, postgres

    var testDescription: String { rawValue }

    /// The backends this machine can test: all, or all but PostgreSQL when it is not installed
    /// (``PostgresAvailabilityTests`` then shows as skipped, saying why).
    static let tested: [Backend] = PostgresServer.binaries == nil ? [.sqlite, .memory] : allCases

    /// A fresh, empty store; `cleanup` removes what it made.
    func make() async throws -> (store: any IncidentStore, cleanup: @Sendable () -> Void) {
        switch self {
        case .sqlite:
            let folder = try TemporaryFolder()
            return (try SQLiteStore(path: folder.path("db/fb.sqlite"), create: true), { folder.remove() })
        case .memory:
            return (MemoryStore(), {})
        case .postgres:
            let url = try PostgresServer.server().newDatabase()
            return (try await PostgresStore.connect(try PostgresURL(url, environment: [:])), {})
        }
    }
}

/// What every store must do, run against each ``Backend``.
@Suite struct StoreTests {
    let playbook: Playbook
    let playbookHash = HashChain.sha256(Fixtures.specExample)

    init() throws {
        playbook = try loadPlaybook(Fixtures.specExample)
    }

    func openIncident(_ store: any IncidentStore, title: String = "Test", at: Int = 1_000, exercise: Bool = false) async throws -> Int {
        let engine = Engine(playbook: playbook)
        let (incident, events) = try engine.open(title: title, opener: "anna", assignments: [("social", "sem")], at: at)
        return try await store.create(
            NewIncident(playbookID: playbook.id, playbookText: Fixtures.specExample, playbookHash: playbookHash, isExercise: exercise,
                        events: events, snapshot: incident, scenarioText: exercise ? "firebreak: 1" : nil,
                        compiledPlaybook: try JSONEncoder().encode(playbook)),
            recordedAt: at)
    }

    @discardableResult
    func record(_ store: any IncidentStore, _ number: Int, _ command: Command, by actor: String, at: Int) async throws -> [StoredEvent] {
        let engine = Engine(playbook: playbook)
        do {
            return try await store.append(to: number) { (record, _) throws(Refusal) -> Decision in
                var incident = record.snapshot
                let events = try engine.apply(command, by: actor, at: at, to: &incident)
                return Decision(events: events, snapshot: incident, recordedAt: at + 5)
            }
        } catch {
            switch error {
            case .store(let error): throw error
            case .decision(let refusal): throw refusal
            }
        }
    }

    @Test(arguments: Backend.tested)
    func openingStoresEventsWithGaplessSequenceAndChainedHashes(_ backend: Backend) async throws {
        let (store, cleanup) = try await backend.make()
        defer { cleanup() }
        let number = try await openIncident(store)
        #expect(number == 1)
        let events = try await store.events(of: number).collect()
        #expect(events.map(\.seq) == [1, 2, 3, 4])
        #expect(events.map(\.event.kind) == [.opened, .assigned, .assigned, .entered])
        var previous = playbookHash
        for event in events {
            #expect(HashChain.link(previous: previous, event) == event.hash)
            previous = event.hash
        }
        let record = try #require(try await store.incident(number))
        #expect(record.lastSeq == 4)
        #expect(record.lastHash == events.last?.hash)
        #expect(record.state == "triage")
        #expect(record.reference == "INC-1")
        #expect(try await store.verify(nil) == VerifyReport(checkedIncidents: 1, checkedEvents: 4, problems: []))
        #expect(try await store.incident(2) == nil)
    }

    @Test(arguments: Backend.tested)
    func theStoredPlaybookIsItsTextAndCompiledCopy(_ backend: Backend) async throws {
        let (store, cleanup) = try await backend.make()
        defer { cleanup() }
        _ = try await openIncident(store)
        _ = try await openIncident(store)
        let stored = try #require(try await store.playbook(hash: playbookHash))
        #expect(stored.text == Fixtures.specExample)
        #expect(try Playbook(storedJSON: try #require(stored.compiled)) == playbook)
        #expect(try await store.playbook(hash: String(repeating: "0", count: 64)) == nil)
    }

    @Test(arguments: Backend.tested)
    func appendUpdatesProjectionAndSnapshotTogether(_ backend: Backend) async throws {
        let (store, cleanup) = try await backend.make()
        defer { cleanup() }
        let number = try await openIncident(store)
        try await record(store, number, .done(step: "capture"), by: "sem", at: 1_100)
        let stored = try await record(store, number, .done(step: "assess", choice: "escalate"), by: "anna", at: 1_200)
        #expect(stored.map(\.seq) == [6, 7, 8])
        #expect(stored.map(\.event.kind) == [.done, .fired, .entered])
        #expect(stored.allSatisfy { $0.recordedAt == 1_205 })
        let record = try #require(try await store.incident(number))
        #expect(record.state == "respond")
        #expect(record.lastSeq == 8)
        #expect(record.lastHash == stored.last?.hash)
        #expect(record.snapshot.state == playbook.stateIndex["respond"])
        #expect(Engine(playbook: playbook).replay(try await store.events(of: number).collect().map(\.event)) == record.snapshot)
    }

    @Test(arguments: Backend.tested)
    func readingOnlySomeKindsGivesThoseInOrderWithTheirNumbers(_ backend: Backend) async throws {
        let (store, cleanup) = try await backend.make()
        defer { cleanup() }
        let number = try await openIncident(store)
        try await record(store, number, .note(text: "one"), by: "anna", at: 1_050)
        try await record(store, number, .done(step: "capture"), by: "sem", at: 1_100)
        try await record(store, number, .note(text: "two"), by: "anna", at: 1_150)
        let picked = try await store.events(of: number, kinds: [.assigned, .done]).collect()
        #expect(picked.map(\.seq) == [2, 3, 6])
        #expect(picked.map(\.event.kind) == [.assigned, .assigned, .done])
        #expect(picked == (try await store.events(of: number).collect()).filter { [.assigned, .done].contains($0.event.kind) })
        // A page holds at most `limit` events of the kinds asked for, however many others lie between them.
        #expect(try await store.events(of: number, after: 3, through: nil, limit: 1, kinds: [.note, .done]).map(\.seq) == [5])
        #expect(try await store.events(of: number, after: 5, through: nil, limit: 2, kinds: [.note, .done]).map(\.seq) == [6, 7])
        #expect(try await store.events(of: number, through: 5, kinds: [.done]).collect().isEmpty)
    }

    @Test(arguments: Backend.tested)
    func refusedMoveWritesNothing(_ backend: Backend) async throws {
        let (store, cleanup) = try await backend.make()
        defer { cleanup() }
        let number = try await openIncident(store)
        await #expect(throws: Refusal.needsOpen(step: "assess", open: ["capture"])) {
            try await record(store, number, .done(step: "assess", choice: "escalate"), by: "anna", at: 1_100)
        }
        #expect(try await store.events(of: number).collect().count == 4)
        #expect(try await store.incident(number)?.lastSeq == 4)
    }

    @Test(arguments: Backend.tested)
    func aDecisionWithNoEventsWritesNothing(_ backend: Backend) async throws {
        let (store, cleanup) = try await backend.make()
        defer { cleanup() }
        let number = try await openIncident(store)
        let before = try await store.incident(number)
        let stored = try await store.append(to: number) { record, _ in Decision(events: [], snapshot: record.snapshot, recordedAt: 9_999) }
        #expect(stored.isEmpty)
        #expect(try await store.incident(number) == before)
    }

    @Test(arguments: Backend.tested)
    func appendingToNoIncidentSaysSo(_ backend: Backend) async throws {
        let (store, cleanup) = try await backend.make()
        defer { cleanup() }
        await #expect(throws: StoreError.noIncident(number: 7)) {
            try await record(store, 7, .note(text: "x"), by: "anna", at: 1_000)
        }
        await #expect(throws: StoreError.noIncident(number: 7)) { try await store.verify(7) }
    }

    @Test(arguments: Backend.tested, [
        "plain", "a\u{0}b", "line one\nline two\r\n", "emoji 🚒 and ‮RTL override", "\u{0}", "quotes \" and \\ backslash", "tab\tand \u{1B}[31mescape",
    ])
    func textRoundTripsByteForByte(_ backend: Backend, text: String) async throws {
        let (store, cleanup) = try await backend.make()
        defer { cleanup() }
        let number = try await openIncident(store, title: text)
        try await record(store, number, .note(text: text), by: text, at: 1_100)
        let events = try await store.events(of: number).collect()
        #expect(events.last?.event.body == .note(text: text))
        #expect(events.last?.event.actor == text)
        #expect(Array(try #require(try await store.incident(number)?.title).utf8) == Array(text.utf8))
        #expect(try await store.list(includeClosed: true, exercises: true).map(\.title) == [text])
        #expect(try await store.verify(number).isClean)
    }

    @Test(arguments: Backend.tested)
    func listKeepsExercisesAndClosedOutUnlessAsked(_ backend: Backend) async throws {
        let (store, cleanup) = try await backend.make()
        defer { cleanup() }
        #expect(try await openIncident(store, title: "real") == 1)
        // Exercises are numbered in their own series, kept negative: EX-1 is -1, and real incidents stay gapless.
        #expect(try await openIncident(store, title: "drill", at: 2_000, exercise: true) == -1)
        let closed = try await openIncident(store, title: "over", at: 3_000)
        #expect(closed == 2)
        #expect(try await openIncident(store, title: "drill again", at: 4_000, exercise: true) == -2)
        try await record(store, closed, .close(reason: "done"), by: "anna", at: 3_100)
        #expect(try await store.list(includeClosed: false, exercises: false).map(\.title) == ["real"])
        #expect(try await store.list(includeClosed: false, exercises: true).map(\.title) == ["real", "drill", "drill again"])
        #expect(try await store.list(includeClosed: true, exercises: true).map(\.reference) == ["INC-1", "INC-2", "EX-1", "EX-2"])
        #expect(try await store.list(includeClosed: true, exercises: false).map(\.title) == ["real", "over"])
        let over = try #require(try await store.list(includeClosed: true, exercises: false).last)
        #expect(over.closedAt == 3_100)
        #expect(over.reference == "INC-2")
        #expect(try await store.incident(-1)?.scenarioText == "firebreak: 1")
        #expect(try await store.incident(-1)?.isExercise == true)
        #expect(try await store.incident(-1)?.reference == "EX-1")
        #expect(try await store.incidentNumbers() == [1, 2, -1, -2])
        #expect(try await store.events(of: -1).collect().map(\.seq) == [1, 2, 3, 4])
        #expect(try await store.verify(nil).isClean)
        #expect(try await store.verify(-2).isClean)
    }

    /// The stream reads page by page: a log longer than a page comes whole and in order, and
    /// `through` stops it where a record read earlier stood.
    @Test(arguments: Backend.tested)
    func eventsStreamPageByPageAndStopAtThrough(_ backend: Backend) async throws {
        let (store, cleanup) = try await backend.make()
        defer { cleanup() }
        let number = try await openIncident(store)
        let count = StoredEvents.pageSize + 37
        _ = try await store.append(to: number) { record, _ in
            Decision(events: (0..<count).map { Event(at: 1_100 + $0, actor: "anna", role: nil, .note(text: "n\($0)")) }, snapshot: record.snapshot, recordedAt: 5_000)
        }
        let all = try await store.events(of: number).collect()
        #expect(all.map(\.seq) == Array(1...(4 + count)))
        var seen = 0
        for try await event in store.events(of: number, through: StoredEvents.pageSize + 1) {
            seen += 1
            #expect(event.seq == seen)
        }
        #expect(seen == StoredEvents.pageSize + 1)
        let page = try await store.events(of: number, after: 10, through: 12, limit: 100)
        #expect(page.map(\.seq) == [11, 12])
        #expect(try await store.verify(number) == VerifyReport(checkedIncidents: 1, checkedEvents: 4 + count, problems: []))
    }

    /// Writers of one incident never interleave: parallel appends get gapless numbers and one unbroken chain.
    @Test(arguments: Backend.tested)
    func parallelAppendsStayGaplessAndChained(_ backend: Backend) async throws {
        let (store, cleanup) = try await backend.make()
        defer { cleanup() }
        let number = try await openIncident(store)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<4 {
                group.addTask {
                    for note in 0..<25 { try await record(store, number, .note(text: "\(writer)-\(note)"), by: "w\(writer)", at: 1_100 + note) }
                }
            }
            try await group.waitForAll()
        }
        let events = try await store.events(of: number).collect()
        #expect(events.map(\.seq) == Array(1...104))
        #expect(try await store.incident(number)?.lastSeq == 104)
        #expect(try await store.verify(nil).isClean)
    }
}

/// Says so, as a skipped test, when the PostgreSQL store cannot be tested here.
@Suite struct PostgresAvailabilityTests {
    @Test(.enabled(if: PostgresServer.binaries != nil, Comment(rawValue: PostgresServer.skipReason)))
    func thePostgresStoreIsTested() throws {
        _ = try PostgresServer.server()
        #expect(Backend.tested.contains(.postgres))
    }
}
