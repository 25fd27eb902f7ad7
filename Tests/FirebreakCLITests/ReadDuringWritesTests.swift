import FirebreakTestSupport
import Foundation
import Testing

/// Reads while another process writes: `verify` raises no false alarm and `timeline` never repeats
/// a sequence number (a stored note and a pending overdue with one number), because every read
/// takes the log as it stood when the incident's record was read.
@Suite(.serialized) struct ReadDuringWritesTests {
    @Test func verifyAndTimelineStayConsistentWhileNotesArrive() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        #expect(try box.run("open", "offensive-post", "--title", "Busy", now: "2026-05-16T21:00:00+02:00").status == 0)
        // The writer's clock is later than the opening, so overdue steps fall due with every note.
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: "/bin/sh")
        writer.arguments = ["-c", "for i in $(seq 1 120); do \"$FB\" note INC-1 \"note $i\" >/dev/null || echo FAILED >&2; done"]
        var env = ProcessInfo.processInfo.environment
        env.merge(box.env("writer")) { $1 }
        env["FB"] = Firebreak.binary.path
        writer.environment = env
        let errors = Pipe()
        writer.standardError = errors
        try writer.run()
        var reads = 0
        while writer.isRunning {
            let verify = try box.run("verify")
            #expect(verify.status == 0, "verify during writes: \(verify.stderr)")
            let timeline = try box.run("timeline", "INC-1", "--json")
            #expect(timeline.status == 0)
            let seqs = timeline.stdout.matches(of: /"seq": (\d+)/).map { Int($0.1)! }
            #expect(seqs == Array(1...max(1, seqs.count)), "timeline numbers: \(seqs.suffix(5))")
            reads += 1
        }
        writer.waitUntilExit()
        #expect(String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) == "")
        #expect(reads >= 10, "only \(reads) reads overlapped the writes")
    }
}
