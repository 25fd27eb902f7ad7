import FirebreakTestSupport
import Foundation
import Testing

/// What only a PostgreSQL store shows: concurrent writer processes, tampering behind the triggers,
/// URLs and passwords. Runs on the tests' throwaway server; skipped (with the reason) only when
/// PostgreSQL is not installed.
@Suite(.serialized, .enabled(if: PostgresServer.binaries != nil, Comment(rawValue: PostgresServer.skipReason)))
struct PostgresCommandTests {
    /// 8 processes each record 6 notes on one incident at once: exactly 48, gapless, verify clean (the timeline's view of
    /// ``PostgresRobustnessTests/eightWritersOfAHundredNotesEach()``, which writes more).
    @Test func eightWriterProcessesRecordEveryNote() throws {
        let box = try Sandbox(.postgres)
        defer { box.cleanup() }
        #expect(try box.run("open", "offensive-post", "--title", "Busy").status == 0)
        let script = """
            for i in $(seq 1 6); do "$FB" note INC-1 "writer $W note $i" || echo "FAILED $W $i" >&2; done
            """
        var processes: [(Process, Pipe)] = []
        for writer in 1...8 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", script]
            var env = ProcessInfo.processInfo.environment
            env.merge(box.env("writer\(writer)")) { $1 }
            env["FB"] = Firebreak.binary.path
            env["W"] = "\(writer)"
            env["FIREBREAK_PLAYBOOKS"] = Fixtures.packageRoot.appendingPathComponent("Playbooks").path
            process.environment = env
            let err = Pipe()
            process.standardError = err
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            processes.append((process, err))
        }
        var stderr = ""
        for (process, err) in processes {
            stderr += String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
        }
        #expect(stderr == "")
        let timeline = try box.run("timeline", "INC-1", "--json")
        let events = try #require(try JSONSerialization.jsonObject(with: Data(timeline.stdout.utf8)) as? [[String: Any]])
        let stored = events.filter { $0["stored"] as? Bool == true }
        #expect(stored.filter { $0["kind"] as? String == "note" }.count == 48)
        #expect(stored.compactMap { $0["seq"] as? Int } == Array(1...stored.count))
        let verify = try box.run("verify")
        #expect(verify.status == 0)
        #expect(verify.stderr == "")
    }

    /// The triggers refuse changes to events; with them dropped and a note rewritten, verify names the event and the trigger.
    @Test func tamperingBehindTheTriggersIsNamedByVerify() throws {
        let box = try Sandbox(.postgres)
        defer { box.cleanup() }
        #expect(try box.run("open", "offensive-post", "--title", "Tamper").status == 0)
        #expect(try box.run("note", "INC-1", "The employee apologised").status == 0)
        let server = try PostgresServer.server()
        let database = PostgresServer.databaseName(box.db)
        let seq = try #require(Int(try server.psql(database, "SELECT seq FROM event WHERE kind = 'note'").stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        let refused = try server.psql(database, "UPDATE event SET data = convert_to('{\"text\":\"x\"}', 'UTF8') WHERE seq = \(seq)")
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("events are append-only"))
        #expect(try server.psql(database, "DELETE FROM event WHERE seq = \(seq)").status != 0)
        #expect(try server.psql(database, "TRUNCATE event CASCADE").status != 0)
        #expect(try box.run("verify").status == 0)
        try server.psql(database, """
            DROP TRIGGER event_append_only_update ON event;
            UPDATE event SET data = convert_to('{"text":"Nothing happened"}', 'UTF8') WHERE incident = 1 AND seq = \(seq);
            """)
        let verify = try box.run("verify")
        #expect(verify.status == 1)
        #expect(verify.stderr == """
            firebreak: error: the trigger 'event_append_only_update' that keeps events append-only is missing or disabled
            firebreak: error: INC-1: event \(seq) (note) does not match its hash: it was changed after it was recorded

            """)
    }

    /// A database of 1.0 (whose check allowed positive incident numbers only) opens, is migrated
    /// (`pg-v2-exercise-series`) and takes exercises in their own series; real incidents stay gapless.
    @Test func anOlderDatabaseIsMigratedForTheExerciseSeries() throws {
        let box = try Sandbox(.postgres)
        defer { box.cleanup() }
        #expect(try box.run("open", "offensive-post", "--title", "Real one").stdout == "INC-1\n")
        let server = try PostgresServer.server()
        let database = PostgresServer.databaseName(box.db)
        // Back to the 1.0 schema.
        let reverted = try server.psql(database, """
            DELETE FROM firebreak_migrations WHERE identifier = 'pg-v2-exercise-series';
            ALTER TABLE incident DROP CONSTRAINT incident_number_check;
            ALTER TABLE incident ADD CONSTRAINT incident_number_check CHECK (number > 0);
            """)
        #expect(reverted.status == 0, "\(reverted.stderr)")
        #expect(try box.run("status", "INC-1").status == 0)
        #expect(try server.psql(database, "SELECT identifier FROM firebreak_migrations ORDER BY identifier").stdout
            == "pg-v1-incidents-and-events\npg-v2-exercise-series\n")
        #expect(try box.run("drill", "run", "song-contest-tweet", "--record").stderr == "recorded as EX-1 (an exercise)\n")
        #expect(try box.run("open", "offensive-post", "--title", "Real two").stdout == "INC-2\n")
        #expect(try server.psql(database, "SELECT number FROM incident ORDER BY number").stdout == "-1\n1\n2\n")
        // Only an exercise has a negative number: the check refuses a real incident there.
        #expect(try server.psql(database, "UPDATE incident SET is_exercise = false WHERE number = -1").stderr.contains("incident_number_check"))
        let verify = try box.run("verify")
        #expect(verify.stdout.hasPrefix("ok: 3 incidents, "), "\(verify.stderr)")
    }

    /// A URL's password is used but never printed; a server that is not there is named, exit 75.
    @Test func anUnreachableServerIsNamedWithoutItsPassword() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        var env = box.env()
        env["FIREBREAK_DB"] = "postgresql://anna:s3cret@127.0.0.1:1/incidents?sslmode=disable"
        let result = try Firebreak.run(["list"], environment: env)
        #expect(result.status == 75)
        #expect(result.stderr == "firebreak: error: the database server postgresql://anna@127.0.0.1:1/incidents?sslmode=disable is unavailable: it cannot be reached\n")
        env["FIREBREAK_DB"] = "postgresql://anna:s3cret@127.0.0.1:1/incidents?sslmode=sometimes"
        let bad = try Firebreak.run(["list"], environment: env)
        #expect(bad.status == 74)
        #expect(bad.stderr == "firebreak: error: cannot open the database 'postgresql://anna:***@127.0.0.1:1/incidents?sslmode=sometimes': sslmode 'sometimes' is not one of disable, allow, prefer, require, verify-ca, verify-full\n")
    }
}
