import FirebreakTestSupport
import Foundation
import GRDB
import Testing

/// Stored data is input: every stored field, damaged in turn, gives a clear error (exit 74, one
/// line that says to run `verify`) or is named by `verify` — never a trap, never the stored value.
@Suite struct DamageTests {
    struct Damage: Sendable, CustomStringConvertible {
        var name: String
        var sql: String
        /// `verify` names it (false where nothing in the log says what the field should be).
        var verifyNames = true
        var description: String { name }
    }

    static let sentinel = "SENTINEL-7f3"

    static let damages: [Damage] = [
        Damage(name: "incident.title as a number", sql: "UPDATE incident SET title = 42"),
        Damage(name: "incident.title changed", sql: "UPDATE incident SET title = CAST('\(sentinel)' AS BLOB)"),
        Damage(name: "incident.severity unknown", sql: "UPDATE incident SET severity = '\(sentinel)'"),
        Damage(name: "incident.severity changed", sql: "UPDATE incident SET severity = 'low'"),
        Damage(name: "incident.state changed", sql: "UPDATE incident SET state = 'recover'"),
        Damage(name: "incident.opened_at as text", sql: "UPDATE incident SET opened_at = '\(sentinel)'"),
        Damage(name: "incident.opened_at changed", sql: "UPDATE incident SET opened_at = opened_at - 60"),
        Damage(name: "incident.closed_at as text", sql: "UPDATE incident SET closed_at = '\(sentinel)'"),
        Damage(name: "incident.closed_at set", sql: "UPDATE incident SET closed_at = opened_at"),
        Damage(name: "incident.last_seq as text", sql: "UPDATE incident SET last_seq = '\(sentinel)'"),
        Damage(name: "incident.last_seq changed", sql: "UPDATE incident SET last_seq = last_seq + 1"),
        Damage(name: "incident.last_hash changed", sql: "UPDATE incident SET last_hash = '\(sentinel)'"),
        Damage(name: "incident.playbook_id changed", sql: "UPDATE incident SET playbook_id = 'other'"),
        Damage(name: "incident.is_exercise as text", sql: "UPDATE incident SET is_exercise = '\(sentinel)'"),
        Damage(name: "incident.snapshot not JSON", sql: "UPDATE incident SET snapshot = CAST('\(sentinel)' AS BLOB)"),
        Damage(name: "incident.snapshot state out of range",
               sql: "UPDATE incident SET snapshot = CAST(replace(CAST(snapshot AS TEXT), '\"state\":0', '\"state\":99') AS BLOB)"),
        Damage(name: "incident.snapshot steps cut",
               sql: "UPDATE incident SET snapshot = CAST(replace(CAST(snapshot AS TEXT), '\"steps\":[', '\"steps\":[],\"x\":[') AS BLOB)"),
        Damage(name: "event.at as text", sql: "UPDATE event SET at = '\(sentinel)' WHERE seq = 5"),
        Damage(name: "event.recorded_at as text", sql: "UPDATE event SET recorded_at = '\(sentinel)' WHERE seq = 5"),
        Damage(name: "event.kind unknown", sql: "UPDATE event SET kind = '\(sentinel)' WHERE seq = 5"),
        Damage(name: "event.data not JSON", sql: "UPDATE event SET data = CAST('\(sentinel)' AS BLOB) WHERE seq = 5"),
        Damage(name: "event.outside_role as text", sql: "UPDATE event SET outside_role = '\(sentinel)' WHERE seq = 5"),
        Damage(name: "event.hash changed", sql: "UPDATE event SET hash = '\(sentinel)' WHERE seq = 5"),
        Damage(name: "event.actor changed", sql: "UPDATE event SET actor = CAST('\(sentinel)' AS BLOB) WHERE seq = 5"),
        Damage(name: "playbook.compiled not JSON", sql: "UPDATE playbook SET compiled = CAST('\(sentinel)' AS BLOB)"),
        Damage(name: "playbook.compiled with a state out of range",
               sql: "UPDATE playbook SET compiled = CAST(replace(CAST(compiled AS TEXT), '\"start\":0', '\"start\":99') AS BLOB)"),
        Damage(name: "playbook.text changed", sql: "UPDATE playbook SET text = CAST('\(sentinel)' AS BLOB), compiled = NULL"),
    ]

    /// One incident with a few moves, made once and copied for each damage.
    static let template: String = {
        let box = try! Sandbox()
        _ = try! box.run("open", "offensive-post", "--title", "Damaged", "--assign", "social=sem")
        _ = try! box.run("done", "INC-1", "capture-post", as: "sem")
        _ = try! box.run("note", "INC-1", "a note")
        return box.db
    }()

    @Test(arguments: damages)
    func damagedFieldIsAnErrorNeverATrap(_ damage: Damage) throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        try FileManager.default.copyItem(atPath: Self.template, toPath: box.db)
        let queue = try DatabaseQueue(path: box.db)
        try queue.write { db in
            try db.execute(sql: "DROP TRIGGER event_append_only_update; DROP TRIGGER playbook_immutable")
            try db.execute(sql: damage.sql)
            try db.execute(sql: """
                CREATE TRIGGER event_append_only_update BEFORE UPDATE ON event BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
                CREATE TRIGGER playbook_immutable BEFORE UPDATE ON playbook BEGIN SELECT RAISE(ABORT, 'stored playbooks are immutable'); END;
                """)
        }
        try queue.close()
        // verify first: a write rewrites the incident row from the snapshot.
        for arguments in [["verify"], ["verify", "INC-1"], ["status", "INC-1"], ["timeline", "INC-1"], ["list", "--all"],
                          ["export", "INC-1", "--format", "json"], ["note", "INC-1", "after the damage"]] {
            // `status` as a process, where a trap shows as a signal (it once died of SIGILL on a damaged snapshot);
            // the others in process, where a trap would stop the whole test run (failing it as surely, and cheaper).
            let result = arguments.first == "status"
                ? try Firebreak.runBinary(arguments, environment: box.env("anna")) : try Firebreak.run(arguments, environment: box.env("anna"))
            let what = "\(damage.name): \(arguments.joined(separator: " "))"
            #expect(!result.crashed, "\(what) crashed: \(result.stderr.prefix(300))")
            #expect([0, 1, 74].contains(result.status), "\(what) exited \(result.status): \(result.stderr.prefix(300))")
            #expect(!result.stderr.contains(Self.sentinel), "\(what) printed a stored value")
            if result.status == 74 {
                #expect(result.stderr.split(separator: "\n").count == 1, "\(what): \(result.stderr)")
                #expect(result.stderr.contains("firebreak verify"), "\(what): \(result.stderr)")
            }
            if arguments.first == "verify", damage.verifyNames {
                #expect(result.status != 0, "\(what) said ok")
            }
        }
    }

    /// An event row inserted behind Firebreak's back takes the next sequence number: the next write
    /// says the log is damaged (exit 74) instead of "SQLite error 1555", and verify names it.
    @Test func anInsertedEventRowIsNamedAsDamage() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        try FileManager.default.copyItem(atPath: Self.template, toPath: box.db)
        let queue = try DatabaseQueue(path: box.db)
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO event (incident, seq, at, recorded_at, actor, role, outside_role, kind, data, hash)
                SELECT incident, seq + 1, at, recorded_at, actor, role, outside_role, kind, data, hash FROM event
                WHERE incident = 1 ORDER BY seq DESC LIMIT 1
                """)
        }
        try queue.close()
        let note = try Firebreak.runBinary(["note", "INC-1", "one more"], environment: box.env("anna"))
        #expect(note.status == 74)
        #expect(note.stderr == "firebreak: error: INC-1's log is damaged: it holds events the incident does not record, so nothing more can be added; run 'firebreak verify INC-1'\n")
        let verify = try Firebreak.runBinary(["verify"], environment: box.env("anna"))
        #expect(verify.status == 1)
        #expect(verify.stderr == "firebreak: error: INC-1: event 7 (note) does not match its hash: it was changed after it was recorded\n")
    }

    /// A real incident marked as an exercise (or an exercise as real, or another scenario put in)
    /// behind Firebreak's back: verify names the field.
    @Test func exerciseFlagAndScenarioAreCoveredByTheLog() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        #expect(try box.run("open", "offensive-post", "--title", "Real").status == 0)
        #expect(try box.run("drill", "run", "song-contest-tweet", "--record").status == 0)
        #expect(try box.run("verify").status == 0)
        let queue = try DatabaseQueue(path: box.db)
        try queue.write { db in
            try db.execute(sql: "UPDATE incident SET is_exercise = 1 - is_exercise")
        }
        let flipped = try box.run("verify")
        #expect(flipped.status == 1)
        #expect(flipped.stderr.contains("INC-1: its stored 'is_exercise' does not match its log"), "\(flipped.stderr)")
        #expect(flipped.stderr.contains("EX-1: its stored 'is_exercise' does not match its log"), "\(flipped.stderr)")
        try queue.write { db in
            try db.execute(sql: "UPDATE incident SET is_exercise = 1 - is_exercise")
            try db.execute(sql: "UPDATE incident SET scenario = CAST('firebreak: 1' AS BLOB) WHERE number = -1")
        }
        let swapped = try box.run("verify")
        #expect(swapped.status == 1)
        #expect(swapped.stderr == "firebreak: error: EX-1: its stored 'scenario' does not match its log (the incident row was changed)\n")
    }
}
