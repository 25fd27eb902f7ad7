import FirebreakCore
import FirebreakLoading
import FirebreakStore
import FirebreakTestSupport
import Foundation
import GRDB
import Testing

@Suite struct SQLiteStoreTests {
    let playbook: Playbook
    let folder: TemporaryFolder

    init() throws {
        playbook = try loadPlaybook(Fixtures.specExample)
        folder = try TemporaryFolder()
    }

    func openIncident(_ store: SQLiteStore, title: String = "Test", at: Int = 1_000) throws -> Int {
        let engine = Engine(playbook: playbook)
        let (incident, events) = try engine.open(title: title, opener: "anna", assignments: [("social", "sem")], at: at)
        return try store.create(
            NewIncident(playbookID: playbook.id, playbookText: Fixtures.specExample, playbookHash: HashChain.sha256(Fixtures.specExample),
                        isExercise: false, events: events, snapshot: incident),
            recordedAt: at)
    }

    @discardableResult
    func record(_ store: SQLiteStore, _ number: Int, _ command: Command, by actor: String, at: Int) throws -> [StoredEvent] {
        let engine = Engine(playbook: playbook)
        return try store.append(to: number) { record, _ in
            var incident = record.snapshot
            let events = try engine.apply(command, by: actor, at: at, to: &incident)
            return Decision(events: events, snapshot: incident, recordedAt: at + 5)
        }
    }

    @Test func openingStoresEventsWithGaplessSequenceAndChainedHashes() throws {
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.path("db/fb.sqlite"), create: true)
        let number = try openIncident(store)
        #expect(number == 1)
        let events = try store.events(of: number)
        #expect(events.map(\.seq) == [1, 2, 3, 4])
        #expect(events.map(\.event.kind) == [.opened, .assigned, .assigned, .entered])
        var previous = HashChain.sha256(Fixtures.specExample)
        for event in events {
            #expect(HashChain.link(previous: previous, event) == event.hash)
            previous = event.hash
        }
        let record = try #require(try store.incident(number))
        #expect(record.lastSeq == 4)
        #expect(record.lastHash == events.last?.hash)
        #expect(record.state == "triage")
        #expect(record.reference == "INC-1")
        #expect(try store.verify(nil) == VerifyReport(checkedIncidents: 1, checkedEvents: 4, problems: []))
    }

    @Test func newDatabaseAndFolderAreOwnerOnly() throws {
        defer { folder.remove() }
        let path = folder.path("nested/deeper/fb.sqlite")
        _ = try SQLiteStore(path: path, create: true)
        let file = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        let dir = try FileManager.default.attributesOfItem(atPath: folder.path("nested/deeper"))[.posixPermissions] as? Int
        #expect(file == 0o600)
        #expect(dir == 0o700)
    }

    @Test func appendUpdatesProjectionAndSnapshotTogether() throws {
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.path("fb.sqlite"), create: true)
        let number = try openIncident(store)
        try record(store, number, .done(step: "capture"), by: "sem", at: 1_100)
        let stored = try record(store, number, .done(step: "assess", choice: "escalate"), by: "anna", at: 1_200)
        #expect(stored.map(\.seq) == [6, 7, 8])
        #expect(stored.map(\.event.kind) == [.done, .fired, .entered])
        #expect(stored.allSatisfy { $0.recordedAt == 1_205 })
        let record = try #require(try store.incident(number))
        #expect(record.state == "respond")
        #expect(record.snapshot.state == playbook.stateIndex["respond"])
        #expect(Engine(playbook: playbook).replay(try store.events(of: number).map(\.event)) == record.snapshot)
    }

    @Test func refusedMoveWritesNothing() throws {
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.path("fb.sqlite"), create: true)
        let number = try openIncident(store)
        #expect(throws: Refusal.needsOpen(step: "assess", open: ["capture"])) {
            try record(store, number, .done(step: "assess", choice: "escalate"), by: "anna", at: 1_100)
        }
        #expect(try store.events(of: number).count == 4)
        #expect(try store.incident(number)?.lastSeq == 4)
    }

    @Test(arguments: [
        "plain", "a\u{0}b", "line one\nline two\r\n", "emoji 🚒 and ‮RTL override", "\u{0}", "quotes \" and \\ backslash", "tab\tand \u{1B}[31mescape",
    ])
    func textRoundTripsByteForByte(text: String) throws {
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.path("fb.sqlite"), create: true)
        let number = try openIncident(store, title: text)
        try record(store, number, .note(text: text), by: text, at: 1_100)
        let events = try store.events(of: number)
        #expect(events.last?.event.body == .note(text: text))
        #expect(events.last?.event.actor == text)
        #expect(try store.incident(number)?.title == text)
        #expect(Array(try #require(try store.incident(number)?.title).utf8) == Array(text.utf8))
        #expect(try store.verify(number).isClean)
    }

    @Test func updatesAndDeletesOfEventsAreRefusedByTriggers() throws {
        defer { folder.remove() }
        let path = folder.path("fb.sqlite")
        let store = try SQLiteStore(path: path, create: true)
        _ = try openIncident(store)
        let queue = try DatabaseQueue(path: path)
        #expect(throws: DatabaseError.self) { try queue.write { try $0.execute(sql: "UPDATE event SET data = x'7b7d' WHERE seq = 2") } }
        #expect(throws: DatabaseError.self) { try queue.write { try $0.execute(sql: "DELETE FROM event WHERE seq = 4") } }
        #expect(try store.verify(nil).isClean)
    }

    @Test func tamperingIsNamedByVerify() throws {
        defer { folder.remove() }
        let path = folder.path("fb.sqlite")
        let store = try SQLiteStore(path: path, create: true)
        let number = try openIncident(store)
        try record(store, number, .note(text: "The employee apologised"), by: "anna", at: 1_100)
        try record(store, number, .note(text: "Second note"), by: "anna", at: 1_200)
        // An attacker drops the triggers and rewrites a note.
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: "DROP TRIGGER event_append_only_update")
            try db.execute(sql: "UPDATE event SET data = CAST(? AS BLOB) WHERE incident = 1 AND seq = 5", arguments: [#"{"text":"Nothing happened"}"#])
        }
        let report = try store.verify(nil)
        #expect(report.problems.contains("INC-1: event 5 (note) does not match its hash: it was changed after it was recorded"))
        #expect(report.problems.contains("the trigger 'event_append_only_update' that keeps events append-only is missing"))
    }

    @Test func deletedEventIsAGapForVerify() throws {
        defer { folder.remove() }
        let path = folder.path("fb.sqlite")
        let store = try SQLiteStore(path: path, create: true)
        let number = try openIncident(store)
        try record(store, number, .note(text: "one"), by: "anna", at: 1_100)
        try record(store, number, .note(text: "two"), by: "anna", at: 1_200)
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: "DROP TRIGGER event_append_only_delete")
            try db.execute(sql: "DELETE FROM event WHERE incident = 1 AND seq = 5")
        }
        let problems = try store.verify(1).problems
        #expect(problems == [
            "the trigger 'event_append_only_delete' that keeps events append-only is missing",
            "INC-1: event 5 is missing (the next stored is 6)",
        ])
    }

    @Test func missingDatabaseIsNotCreatedForReads() throws {
        defer { folder.remove() }
        let path = folder.path("absent.sqlite")
        #expect(throws: StoreError.missingDatabase(path: path)) { try SQLiteStore(path: path, create: false) }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func corruptFileIsRefusedClearly() throws {
        defer { folder.remove() }
        let path = folder.path("garbage.sqlite")
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: path))
        #expect(throws: StoreError.notADatabase(path: path)) { try SQLiteStore(path: path, create: false) }
    }

    @Test func databaseFromANewerFirebreakIsRefused() throws {
        defer { folder.remove() }
        let path = folder.path("fb.sqlite")
        _ = try SQLiteStore(path: path, create: true)
        let queue = try DatabaseQueue(path: path)
        try queue.write { try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v9-from-the-future')") }
        #expect(throws: StoreError.newerDatabase(path: path)) { try SQLiteStore(path: path, create: false) }
    }

    /// A database file made by the first schema (committed next to this test) still opens and verifies.
    @Test func firstSchemaDatabaseOpensWithTheCurrentMigrator() throws {
        defer { folder.remove() }
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/schema-v1.sqlite")
        let copy = folder.path("v1.sqlite")
        try FileManager.default.copyItem(atPath: fixture.path, toPath: copy)
        let store = try SQLiteStore(path: copy, create: false)
        let record = try #require(try store.incident(1))
        #expect(record.title == "Presenter insults a contestant")
        #expect(try store.verify(nil).isClean)
        #expect(try store.events(of: 1).count == record.lastSeq)
    }

    @Test func listKeepsExercisesOutUnlessAsked() throws {
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.path("fb.sqlite"), create: true)
        _ = try openIncident(store, title: "real")
        let engine = Engine(playbook: playbook)
        let (incident, events) = try engine.open(title: "drill", opener: "anna", at: 2_000)
        _ = try store.create(
            NewIncident(playbookID: playbook.id, playbookText: Fixtures.specExample, playbookHash: HashChain.sha256(Fixtures.specExample),
                        isExercise: true, events: events, snapshot: incident, scenarioText: "firebreak: 1"),
            recordedAt: 2_000)
        #expect(try store.list(includeClosed: false, exercises: false).map(\.title) == ["real"])
        #expect(try store.list(includeClosed: false, exercises: true).map(\.title) == ["real", "drill"])
        #expect(try store.incident(2)?.scenarioText == "firebreak: 1")
    }
}
