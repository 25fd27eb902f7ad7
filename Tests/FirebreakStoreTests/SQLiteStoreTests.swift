import FirebreakCore
import FirebreakLoading
@testable import FirebreakStore
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

    func openIncident(_ store: any IncidentStore, title: String = "Test", at: Int = 1_000) async throws -> Int {
        let engine = Engine(playbook: playbook)
        let (incident, events) = try engine.open(title: title, opener: "anna", assignments: [("social", "sem")], at: at)
        return try await store.create(
            NewIncident(playbookID: playbook.id, playbookText: Fixtures.specExample, playbookHash: HashChain.sha256(Fixtures.specExample),
                        isExercise: false, events: events, snapshot: incident),
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

    @Test func newDatabaseAndFolderAreOwnerOnly() async throws {
        defer { folder.remove() }
        let path = folder.path("nested/deeper/fb.sqlite")
        _ = try SQLiteStore(path: path, create: true)
        let file = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        let dir = try FileManager.default.attributesOfItem(atPath: folder.path("nested/deeper"))[.posixPermissions] as? Int
        #expect(file == 0o600)
        #expect(dir == 0o700)
    }

    @Test func updatesAndDeletesOfEventsAreRefusedByTriggers() async throws {
        defer { folder.remove() }
        let path = folder.path("fb.sqlite")
        let store = try SQLiteStore(path: path, create: true)
        _ = try await openIncident(store)
        let queue = try DatabaseQueue(path: path)
        #expect(throws: DatabaseError.self) { try queue.write { try $0.execute(sql: "UPDATE event SET data = x'7b7d' WHERE seq = 2") } }
        #expect(throws: DatabaseError.self) { try queue.write { try $0.execute(sql: "DELETE FROM event WHERE seq = 4") } }
        #expect(try await store.verify(nil).isClean)
    }

    @Test func tamperingIsNamedByVerify() async throws {
        defer { folder.remove() }
        let path = folder.path("fb.sqlite")
        let store = try SQLiteStore(path: path, create: true)
        let number = try await openIncident(store)
        try await record(store, number, .note(text: "The employee apologised"), by: "anna", at: 1_100)
        try await record(store, number, .note(text: "Second note"), by: "anna", at: 1_200)
        // An attacker drops the triggers and rewrites a note.
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "DROP TRIGGER event_append_only_update")
            try db.execute(sql: "UPDATE event SET data = CAST(? AS BLOB) WHERE incident = 1 AND seq = 5", arguments: [#"{"text":"Nothing happened"}"#])
        }
        let report = try await store.verify(nil)
        #expect(report.problems.contains("INC-1: event 5 (note) does not match its hash: it was changed after it was recorded"))
        #expect(report.problems.contains("the trigger 'event_append_only_update' that keeps events append-only is missing"))
    }

    /// A database made with UTF-16 text (`PRAGMA encoding` before its first table) verifies as one with UTF-8: its text
    /// is read as GRDB reads it, not as stored bytes, and a changed event is still found.
    @Test func aUTF16DatabaseVerifies() async throws {
        defer { folder.remove() }
        let path = folder.path("fb.sqlite")
        let empty = try DatabaseQueue(path: path)
        try await empty.write { db in
            try db.execute(sql: "PRAGMA encoding = 'UTF-16le'")
            try db.execute(sql: "CREATE TABLE made_utf16 (a)")
            try db.execute(sql: "DROP TABLE made_utf16")
        }
        try empty.close()
        let store = try SQLiteStore(path: path, create: true)
        for _ in 1...3 {
            let number = try await openIncident(store)
            try await record(store, number, .note(text: "één note ✓"), by: "anna", at: 1_100)
            try await record(store, number, .note(text: "two"), by: "Zoë", at: 1_200)
        }
        let queue = try DatabaseQueue(path: path)
        #expect(try await queue.read { db in try String.fetchOne(db, sql: "PRAGMA encoding") } == "UTF-16le")
        let clean = try await store.verify(nil)
        #expect(clean.problems == [] && clean.checkedIncidents == 3 && clean.checkedEvents == 18)
        try await queue.write { db in
            try db.execute(sql: "DROP TRIGGER event_append_only_update")
            try db.execute(sql: "UPDATE event SET role = 'legal' WHERE incident = 2 AND seq = 6")
        }
        #expect(try await store.verify(nil).problems == [
            "the trigger 'event_append_only_update' that keeps events append-only is missing",
            "INC-2: event 6 (note) does not match its hash: it was changed after it was recorded",
        ])
    }

    /// The chain's SHA-256 is the standard one (FIPS 180-4's examples), whether the bytes come in one part or several.
    @Test func sha256IsTheStandardOne() {
        #expect(HashChain.sha256("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(HashChain.sha256("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(HashChain.sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(HashChain.sha256(String(repeating: "a", count: 1_000_000)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        let event = StoredEvent(incident: 7, seq: 3, recordedAt: 1_700_000_105, event: Event(at: 1_700_000_100, actor: "anna", role: nil, outsideRole: false, .note(text: "één", step: nil)), hash: "")
        let previous = HashChain.sha256("playbook")
        #expect(HashChain.link(previous: previous, event) == HashChain.sha256(previous + "\n" + event.canonicalBytes()))
    }

    /// The bytes the hash covers, exactly: a negative (exercise) number, an actor that needs escaping, no role.
    @Test func canonicalBytesAreTheEnvelopeThenTheData() {
        let event = Event(at: 1_700_000_100, actor: "Anna \"AdV\"\u{2028}", role: nil, outsideRole: true, .note(text: "x", step: nil))
        let stored = StoredEvent(incident: -3, seq: 12, recordedAt: 1_700_000_105, event: event, hash: "")
        #expect(stored.canonicalBytes() == #"{"incident":-3,"seq":12,"at":1700000100,"recordedAt":1700000105,"actor":"Anna \"AdV\"\u2028","role":null,"outsideRole":true,"kind":"note"}"# + "\n" + #"{"text":"x"}"#)
        let zero = StoredEvent(incident: 1, seq: 1, recordedAt: 0, event: Event(at: -60, actor: nil, role: "comms-lead", outsideRole: false, .note(text: "", step: nil)), hash: "")
        #expect(zero.canonicalBytes(data: "{}") == #"{"incident":1,"seq":1,"at":-60,"recordedAt":0,"actor":null,"role":"comms-lead","outsideRole":false,"kind":"note"}"# + "\n{}")
        // Integers at the ends of their range and at the width of one and two digits.
        let wide = StoredEvent(incident: Int.min, seq: Int.max, recordedAt: 100, event: Event(at: 99, actor: "", role: "", outsideRole: false, .note(text: "", step: nil)), hash: "")
        #expect(wide.canonicalBytes(data: "{}") == #"{"incident":-9223372036854775808,"seq":9223372036854775807,"at":99,"recordedAt":100,"actor":"","role":"","outsideRole":false,"kind":"note"}"# + "\n{}")
    }

    /// Problems in both halves of the pass (which read incidents side by side) come in the order of the list, after
    /// those of the whole file; counts are of both halves.
    @Test func problemsComeInTheOrderOfTheIncidentsWhateverHalfFoundThem() async throws {
        defer { folder.remove() }
        let path = folder.path("fb.sqlite")
        let store = try SQLiteStore(path: path, create: true)
        for _ in 1...5 {
            let number = try await openIncident(store)
            try await record(store, number, .note(text: "one"), by: "anna", at: 1_100)
        }
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "DROP TRIGGER event_append_only_update")
            for number in [4, 1, 2, 5] { try db.execute(sql: "UPDATE event SET data = CAST(? AS BLOB) WHERE incident = ? AND seq = 5", arguments: [#"{"text":"two"}"#, number]) }
        }
        let report = try await store.verify(nil)
        #expect(report.problems == [
            "the trigger 'event_append_only_update' that keeps events append-only is missing",
            "INC-1: event 5 (note) does not match its hash: it was changed after it was recorded",
            "INC-2: event 5 (note) does not match its hash: it was changed after it was recorded",
            "INC-4: event 5 (note) does not match its hash: it was changed after it was recorded",
            "INC-5: event 5 (note) does not match its hash: it was changed after it was recorded",
        ])
        #expect(report.checkedIncidents == 5)
        #expect(report.checkedEvents == 25)
    }

    /// A column of another type than the store writes, or text that is not valid UTF-8, is read as GRDB reads it, and
    /// verify says what it said before it read rows as bytes: data or an actor rewritten as TEXT with the same bytes
    /// still verify; data that is not UTF-8 does not.
    @Test func rowsOfOtherColumnTypesVerifyAsTheyAreRead() async throws {
        defer { folder.remove() }
        let path = folder.path("fb.sqlite")
        let store = try SQLiteStore(path: path, create: true)
        let number = try await openIncident(store)
        try await record(store, number, .note(text: "one"), by: "anna", at: 1_100)
        try await record(store, number, .note(text: "two"), by: "anna", at: 1_200)
        let second = try await openIncident(store)
        try await record(store, second, .note(text: "one"), by: "anna", at: 1_100)
        let third = try await openIncident(store)
        try await record(store, third, .note(text: "one"), by: "anna", at: 1_100)
        let fourth = try await openIncident(store)
        try await record(store, fourth, .note(text: "one"), by: "anna", at: 1_100)
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "DROP TRIGGER event_append_only_update")
            try db.execute(sql: "UPDATE event SET data = CAST(data AS TEXT) WHERE incident = 1 AND seq = 4")
            try db.execute(sql: "UPDATE event SET actor = CAST(actor AS TEXT) WHERE incident = 1 AND seq = 5")
            try db.execute(sql: "UPDATE event SET data = x'7b2274657874223a22ff227d' WHERE incident = 2 AND seq = 5")
            // A NUL added to text: read up to the NUL, the row would still match its hash.
            try db.execute(sql: "UPDATE event SET kind = kind || char(0) WHERE incident = 3 AND seq = 5")
            try db.execute(sql: "UPDATE event SET data = CAST(data AS TEXT) || char(0) WHERE incident = 4 AND seq = 5")
        }
        let types = try await queue.read { db in try String.fetchAll(db, sql: "SELECT typeof(data) || ' ' || typeof(actor) FROM event WHERE incident = 1 AND seq IN (4, 5) ORDER BY seq") }
        #expect(types == ["text blob", "blob text"])
        let report = try await store.verify(nil)
        #expect(report.problems == [
            "the trigger 'event_append_only_update' that keeps events append-only is missing",
            "INC-2: event 5 (note) does not match its hash: it was changed after it was recorded",
            "INC-3: event 5 cannot be read",
            "INC-4: event 5 cannot be read",
        ])
    }

    /// An incident's row deleted (the sqlite3 shell does not enforce foreign keys) leaves its events behind: `verify` names
    /// them, below, between and above the incidents left and for an exercise's number, and counts rows under an incident
    /// that is not a number wherever they sort. The events of an incident whose row cannot be read are its own, not
    /// left behind. The same in ranges side by side (a pool) and in one pass (a queue), and each incident on its own.
    @Test func eventsWhoseIncidentIsGoneAreNamed() async throws {
        defer { folder.remove() }
        let path = folder.path("fb.sqlite")
        let store = try SQLiteStore(path: path, create: true)
        for _ in 1...7 {
            let number = try await openIncident(store)
            try await record(store, number, .note(text: "one"), by: "anna", at: 1_100)
        }
        try await record(store, 3, .note(text: "two"), by: "anna", at: 1_200)
        #expect(try await store.verify(nil).problems == [])
        var configuration = Configuration()
        configuration.foreignKeysEnabled = false
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        try await queue.write { db in
            try db.execute(sql: "DELETE FROM incident WHERE number IN (1, 3, 6)")
            try db.execute(sql: "UPDATE incident SET last_seq = 'x' WHERE number = 5")
            for incident in ["4.5", "-2", "-2", "'x'", "x'00'"] {
                let seq = try Int.fetchOne(db, sql: "SELECT count(*) + 1 FROM event WHERE incident = \(incident)")!
                try db.execute(sql: "INSERT INTO event (incident, seq, at, recorded_at, kind, data, hash) VALUES (\(incident), \(seq), 0, 0, 'note', x'7b7d', 'h')")
            }
        }
        let counts = try await queue.read { db in try Int.fetchAll(db, sql: "SELECT count(*) FROM event WHERE incident IN (1, 3, 6) GROUP BY incident ORDER BY incident") }
        #expect(counts == [5, 6, 5])
        let problems = [
            "INC-1: 5 events are stored for it, but it has no incident row (deleted, or never made)",
            "INC-3: 6 events are stored for it, but it has no incident row (deleted, or never made)",
            "INC-5: its stored 'playbook_hash', 'last_seq' or 'last_hash' cannot be read",
            "INC-6: 5 events are stored for it, but it has no incident row (deleted, or never made)",
            "EX-2: 2 events are stored for it, but it has no incident row (deleted, or never made)",
            "3 events are stored under an incident that is not a number",
        ]
        let report = try await store.verify(nil)
        #expect(report.problems == problems)
        #expect(report.checkedIncidents == 4 && report.checkedEvents == 15)
        let onePass = try await SQLiteStore(writer: queue).verify(nil)
        #expect(onePass.problems == problems)
        #expect(onePass.checkedIncidents == 4 && onePass.checkedEvents == 15)
        for number in [2, 4, 7] { #expect(try await store.verify(number).problems == []) }
    }

    /// A page of the event table the pass cannot read: `verify` says what SQLite's own check found, where the pass alone
    /// would only stop.
    @Test func aDamagedPageIsReportedBySQLitesCheck() async throws {
        defer { folder.remove() }
        let path = folder.path("fb.sqlite")
        let store = try SQLiteStore(path: path, create: true)
        for _ in 1...3 {
            let number = try await openIncident(store)
            for k in 0..<60 { try await record(store, number, .note(text: String(repeating: "x", count: 100) + "\(k)"), by: "anna", at: 1_100 + k) }
        }
        let queue = try DatabaseQueue(path: path)
        let (page, size) = try await queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
            let pages = try Int.fetchAll(db, sql: "SELECT pageno FROM dbstat WHERE name = 'event' AND pagetype = 'leaf' ORDER BY pageno")
            return (pages[pages.count / 2], try Int.fetchOne(db, sql: "PRAGMA page_size")!)
        }
        try queue.close()
        let file = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try file.seek(toOffset: UInt64((page - 1) * size))
        try file.write(contentsOf: Data(repeating: 0xFF, count: 64))
        try file.close()
        let problems = try await store.verify(nil).problems
        #expect(problems == [
            "SQLite integrity check failed: *** in database main ***; Page \(page): btreeInitPage() returns error code 11; it stopped at damage it cannot read past",
            "the incidents could not all be read: the file is damaged where SQLite's check says",
        ])
    }

    @Test func deletedEventIsAGapForVerify() async throws {
        defer { folder.remove() }
        let path = folder.path("fb.sqlite")
        let store = try SQLiteStore(path: path, create: true)
        let number = try await openIncident(store)
        try await record(store, number, .note(text: "one"), by: "anna", at: 1_100)
        try await record(store, number, .note(text: "two"), by: "anna", at: 1_200)
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "DROP TRIGGER event_append_only_delete")
            try db.execute(sql: "DELETE FROM event WHERE incident = 1 AND seq = 5")
        }
        let problems = try await store.verify(1).problems
        #expect(problems == [
            "the trigger 'event_append_only_delete' that keeps events append-only is missing",
            "INC-1: event 5 is missing (the next stored is 6)",
        ])
    }

    @Test func missingDatabaseIsNotCreatedForReads() async throws {
        defer { folder.remove() }
        let path = folder.path("absent.sqlite")
        #expect(throws: StoreError.missingDatabase(path: path)) { try SQLiteStore(path: path, create: false) }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func corruptFileIsRefusedClearly() async throws {
        defer { folder.remove() }
        let path = folder.path("garbage.sqlite")
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: path))
        #expect(throws: StoreError.notADatabase(path: path)) { try SQLiteStore(path: path, create: false) }
    }

    @Test func databaseFromANewerFirebreakIsRefused() async throws {
        defer { folder.remove() }
        let path = folder.path("fb.sqlite")
        _ = try SQLiteStore(path: path, create: true)
        let queue = try DatabaseQueue(path: path)
        try await queue.write { try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v9-from-the-future')") }
        #expect(throws: StoreError.newerDatabase(path: path)) { try SQLiteStore(path: path, create: false) }
    }

    /// A database file made by the first schema (committed next to this test) still opens and verifies.
    @Test func firstSchemaDatabaseOpensWithTheCurrentMigrator() async throws {
        defer { folder.remove() }
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/schema-v1.sqlite")
        let copy = folder.path("v1.sqlite")
        try FileManager.default.copyItem(atPath: fixture.path, toPath: copy)
        let store = try SQLiteStore(path: copy, create: false)
        let record = try #require(try await store.incident(1))
        #expect(record.title == "Presenter insults a contestant")
        #expect(try await store.verify(nil).isClean)
        #expect(try await store.events(of: 1).collect().count == record.lastSeq)
    }

    /// A file is a pool: a read runs while another connection holds the write lock, and sees the
    /// last committed state.
    @Test func readsDoNotQueueBehindAWriter() async throws {
        defer { folder.remove() }
        let path = folder.path("fb.sqlite")
        let store = try SQLiteStore(path: path, create: true)
        #expect(store.writer is DatabasePool)
        let number = try await openIncident(store)
        var configuration = Configuration()
        configuration.allowsUnsafeTransactions = true
        let other = try DatabaseQueue(path: path, configuration: configuration)
        // Another writer holds the write lock, with a change not yet committed.
        try await other.writeWithoutTransaction { db in
            try db.execute(sql: "BEGIN IMMEDIATE")
            try db.execute(sql: "DROP TRIGGER playbook_immutable")
        }
        let started = ContinuousClock.now
        let read = try await store.incident(number)
        #expect(read?.lastSeq == 4)
        #expect(ContinuousClock.now - started < .seconds(1))
        try await other.writeWithoutTransaction { db in try db.execute(sql: "ROLLBACK") }
    }

    /// A store over an injected connection: an in-memory `DatabaseQueue` gets the same schema.
    @Test func anInjectedWriterIsMigrated() async throws {
        let store = try SQLiteStore(writer: try DatabaseQueue())
        let number = try await openIncident(store)
        #expect(try await store.verify(number) == VerifyReport(checkedIncidents: 1, checkedEvents: 4, problems: []))
    }
}
