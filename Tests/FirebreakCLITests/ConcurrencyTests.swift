import FirebreakTestSupport
import Foundation
import GRDB
import Testing

@Suite(.serialized) struct ConcurrencyTests {
    /// 8 processes each record 10 notes on one incident at once: exactly 80 notes, no gaps, verify clean, nothing printed on error.
    /// (Each note is a whole process start of the debug binary, about 40 ms: ten a writer keeps all eight writing at once
    /// for a few hundred milliseconds, each write waiting on others'.)
    @Test func eightWritersRecordEveryNote() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        #expect(try box.run("open", "offensive-post", "--title", "Busy").status == 0)
        let script = """
            for i in $(seq 1 10); do "$FB" note INC-1 "writer $W note $i" || echo "FAILED $W $i" >&2; done
            """
        var processes: [Process] = []
        var errors: [Pipe] = []
        for writer in 1...8 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", script]
            var env = ProcessInfo.processInfo.environment
            env.merge(box.env("writer\(writer)")) { $1 }
            env["FB"] = Firebreak.binary.path
            env["W"] = "\(writer)"
            process.environment = env
            let err = Pipe()
            process.standardError = err
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            processes.append(process)
            errors.append(err)
        }
        var stderr = ""
        for (process, err) in zip(processes, errors) {
            stderr += String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
        }
        #expect(stderr == "")
        let queue = try DatabaseQueue(path: box.db)
        let (notes, seqs) = try queue.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM event WHERE kind = 'note'") ?? 0,
             try Int.fetchAll(db, sql: "SELECT seq FROM event WHERE incident = 1 ORDER BY seq"))
        }
        #expect(notes == 80)
        #expect(seqs == Array(1...seqs.count))
        let verify = try box.run("verify")
        #expect(verify.status == 0)
        #expect(verify.stderr == "")
    }

    /// Writers killed with SIGKILL at random moments: verify stays clean and every note a process reported is there.
    @Test func killedWritersLoseNothingTheyReported() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        #expect(try box.run("open", "offensive-post", "--title", "Crashy").status == 0)
        var generator = SeededGenerator(seed: 20_261_125)
        var reported: [String] = []
        var roundsWithKills = 0
        for round in 0..<8 {
            var processes: [(Process, Pipe)] = []
            for writer in 0..<3 {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/bin/sh")
                process.arguments = ["-c", "for i in $(seq 1 40); do exec_out=$(\"$FB\" note INC-1 \"r\(round) w\(writer) n$i\") && echo \"r\(round) w\(writer) n$i\"; done"]
                var env = ProcessInfo.processInfo.environment
                env.merge(box.env("w\(writer)")) { $1 }
                env["FB"] = Firebreak.binary.path
                process.environment = env
                let out = Pipe()
                process.standardOutput = out
                process.standardError = FileHandle.nullDevice
                try process.run()
                processes.append((process, out))
            }
            // Kill the firebreak children at a random moment (the shell loop goes on, then is killed too).
            usleep(UInt32.random(in: 20_000...250_000, using: &generator))
            let pkill = Process()
            pkill.executableURL = URL(fileURLWithPath: "/usr/bin/pkill")
            pkill.arguments = ["-KILL", "-f", "^\(Firebreak.binary.path) note INC-1 \"?r\(round) "]
            try pkill.run()
            pkill.waitUntilExit()
            // pkill exits 0 when it signalled at least one writer: the kills really happened.
            if pkill.terminationStatus == 0 { roundsWithKills += 1 }
            // The shells too, with SIGKILL: a shell waiting for its child defers SIGTERM and would run its loop to the end.
            for (process, _) in processes { kill(process.processIdentifier, SIGKILL) }
            for (process, out) in processes {
                let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                reported += text.split(separator: "\n").map(String.init)
                process.waitUntilExit()
            }
        }
        let verify = try box.run("verify")
        #expect(verify.status == 0, "\(verify.stderr)")
        let queue = try DatabaseQueue(path: box.db)
        let stored = Set(try queue.read { db in
            try Data.fetchAll(db, sql: "SELECT data FROM event WHERE kind = 'note'").map { String(decoding: $0, as: UTF8.self) }
        })
        for note in reported {
            #expect(stored.contains("{\"text\":\"\(note)\"}"), "reported but missing: \(note)")
        }
        #expect(!reported.isEmpty)
        #expect(roundsWithKills >= 4, "only \(roundsWithKills) of 8 rounds killed a writer")
        #expect(reported.count < 8 * 3 * 40, "no writer was cut short")
    }
}
