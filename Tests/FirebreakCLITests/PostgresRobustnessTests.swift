import FirebreakTestSupport
import Foundation
import Testing

/// Writer processes against the throwaway PostgreSQL server: many at once, killed mid-write, and
/// the server stopped under them. What a writer reported as recorded is never lost, and the log
/// always verifies.
@Suite(.enabled(if: PostgresServer.binaries != nil, Comment(rawValue: PostgresServer.skipReason)))
struct PostgresRobustnessTests {
    /// `writers` shell loops of `firebreak note`, each printing `ok W I` to `acks` after a note it
    /// was told is recorded and `rc=N W I` plus the command's standard error to `failures.W` otherwise.
    static func startWriters(_ writers: Int, notes: Int, box: Sandbox, db: String? = nil, acks: String, failures: String) throws -> [Process] {
        let script = """
            for i in $(seq 1 \(notes)); do
              if "$FB" note INC-1 "writer $W note $i" 2>"$ERR.$W" >/dev/null; then echo "ok $W $i" >> "$ACKS"
              else rc=$?; { echo "rc=$rc $W $i"; cat "$ERR.$W"; } >> "$FAILURES.$W"; fi
            done
            """
        return try (1...writers).map { writer in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", script]
            var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("FIREBREAK_") }
            env.merge(box.env("writer\(writer)")) { $1 }
            env["FIREBREAK_NOW"] = nil
            if let db { env["FIREBREAK_DB"] = db }
            env["FB"] = Firebreak.binary.path
            env["W"] = "\(writer)"
            env["ACKS"] = acks
            env["FAILURES"] = failures
            env["ERR"] = box.folder.path("stderr")
            process.environment = env
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }
    }

    /// The notes of the log, as "writer W note I", and its sequence numbers.
    static func notes(_ box: Sandbox, db: String? = nil) throws -> (texts: [String], seqs: [Int]) {
        var env = box.env("anna")
        if let db { env["FIREBREAK_DB"] = db }
        let timeline = try Firebreak.run(["timeline", "INC-1", "--json"], environment: env)
        let events = try #require(try JSONSerialization.jsonObject(with: Data(timeline.stdout.utf8)) as? [[String: Any]], "\(timeline.stderr)")
        let stored = events.filter { $0["stored"] as? Bool == true }
        return (stored.filter { $0["kind"] as? String == "note" }.compactMap { $0["text"] as? String }, stored.compactMap { $0["seq"] as? Int })
    }

    static func acknowledged(_ path: String) -> [String] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map { line in
            let parts = line.split(separator: " ")
            return "writer \(parts[1]) note \(parts[2])"
        }
    }

    /// Notes per writer in ``eightWritersOfAHundredNotesEach()``: 100 with `FIREBREAK_STRESS=1`; 12 by
    /// default, as 800 processes take about 50 s on a 2-core machine, too long for every test run.
    static let notesPerWriter = ProcessInfo.processInfo.environment["FIREBREAK_STRESS"] == "1" ? 100 : 12

    /// 8 processes × 100 notes on one incident at once (× 12 unless FIREBREAK_STRESS=1): every note, gapless, verify clean.
    @Test func eightWritersOfAHundredNotesEach() throws {
        let notes = Self.notesPerWriter
        let box = try Sandbox(.postgres)
        defer { box.cleanup() }
        #expect(try box.run("open", "offensive-post", "--title", "Busy").status == 0)
        let (acks, failures) = (box.folder.path("acks"), box.folder.path("failures"))
        let writers = try Self.startWriters(8, notes: notes, box: box, acks: acks, failures: failures)
        for writer in writers { writer.waitUntilExit() }
        #expect((1...8).compactMap { try? String(contentsOfFile: "\(failures).\($0)", encoding: .utf8) } == [])
        let (texts, seqs) = try Self.notes(box)
        #expect(texts.count == 8 * notes)
        #expect(Set(texts) == Set((1...8).flatMap { w in (1...notes).map { "writer \(w) note \($0)" } }))
        #expect(seqs == Array(1...seqs.count))
        let verify = try box.run("verify")
        #expect(verify.stderr == "")
        #expect(verify.stdout == "ok: 1 incident, \(seqs.count) events verified\n")
    }

    /// Writers killed (SIGKILL) at random moments, mid-transaction included: every note a writer
    /// was told is recorded is in the log, the log is gapless and verifies, and writing goes on.
    @Test func writersKilledMidWriteLoseNothingAcknowledged() throws {
        let box = try Sandbox(.postgres)
        defer { box.cleanup() }
        #expect(try box.run("open", "offensive-post", "--title", "Killed").status == 0)
        let (acks, failures) = (box.folder.path("acks"), box.folder.path("failures"))
        let writers = try Self.startWriters(4, notes: 20, box: box, acks: acks, failures: failures)
        var generator = SeededGenerator(seed: 14)
        var killed = 0
        let started = Date()
        while writers.contains(where: \.isRunning) && Date().timeIntervalSince(started) < 20 {
            usleep(UInt32.random(in: 20_000...120_000, using: &generator))
            // Kill the `firebreak` a random writer is running now, wherever it is in its write.
            guard let writer = writers.filter(\.isRunning).randomElement(using: &generator) else { break }
            let children = (try? String(contentsOfFile: "/proc/\(writer.processIdentifier)/task/\(writer.processIdentifier)/children", encoding: .utf8)) ?? ""
            for child in children.split(separator: " ").compactMap({ Int32($0) }) where kill(child, SIGKILL) == 0 { killed += 1 }
        }
        for writer in writers { writer.waitUntilExit() }
        #expect(killed > 0)
        let (texts, seqs) = try Self.notes(box)
        let acknowledged = Self.acknowledged(acks)
        #expect(!acknowledged.isEmpty)
        #expect(Set(acknowledged).subtracting(texts).isEmpty, "acknowledged but lost: \(Set(acknowledged).subtracting(texts).sorted())")
        #expect(seqs == Array(1...seqs.count))
        #expect(try box.run("note", "INC-1", "after the kills").status == 0)
        let verify = try box.run("verify")
        #expect(verify.stderr == "")
        #expect(verify.status == 0)
    }

    /// The server stopped with `pg_ctl stop -m immediate` under 4 writers: each failed write exits 75 or
    /// 74 with one line naming the server; after a restart nothing acknowledged is lost and the log verifies.
    @Test func theServerStoppedUnderWritersFailsThemCleanly() throws {
        let server = try PostgresServer.dedicated(durable: true)
        defer { server.stop() }
        let box = try Sandbox()
        defer { box.cleanup() }
        let db = try server.newDatabase()
        var env = box.env("anna")
        env["FIREBREAK_DB"] = db
        #expect(try Firebreak.run(["open", "offensive-post", "--title", "Stopped"], environment: env).status == 0)
        let (acks, failures) = (box.folder.path("acks"), box.folder.path("failures"))
        let writers = try Self.startWriters(4, notes: 30, box: box, db: db, acks: acks, failures: failures)
        // Let them write a while, then stop the server under them.
        let started = Date()
        while Self.acknowledged(acks).count < 20 && Date().timeIntervalSince(started) < 10 { usleep(20_000) }
        #expect(try server.control(["-m", "immediate", "stop"]).status == 0)
        for writer in writers { writer.waitUntilExit() }
        let failed = (1...4).compactMap { try? String(contentsOfFile: "\(failures).\($0)", encoding: .utf8) }.joined()
        let lines = failed.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(!lines.isEmpty)
        // Each failure: its exit code, then exactly one line naming the server, without a password.
        var index = lines.startIndex
        var codes: Set<String> = []
        while index < lines.endIndex {
            let head = lines[index]
            #expect(head.hasPrefix("rc="), "\(failed)")
            codes.insert(String(head.split(separator: " ")[0]))
            let message = index + 1 < lines.endIndex ? String(lines[index + 1]) : ""
            #expect(message.hasPrefix("firebreak: error: the database server \(db) is unavailable: "), "\(message)")
            index += 2
        }
        #expect(codes.isSubset(of: ["rc=75", "rc=74"]), "\(codes)")
        try server.start()
        let (texts, seqs) = try Self.notes(box, db: db)
        let acknowledged = Self.acknowledged(acks)
        #expect(Set(acknowledged).subtracting(texts).isEmpty, "acknowledged but lost: \(Set(acknowledged).subtracting(texts).sorted())")
        #expect(seqs == Array(1...seqs.count))
        let verify = try Firebreak.run(["verify"], environment: env)
        #expect(verify.stderr == "")
        #expect(verify.status == 0)
    }
}
