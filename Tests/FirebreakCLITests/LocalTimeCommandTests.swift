@testable import FirebreakCLI
import FirebreakTestSupport
import Foundation
import Testing

/// `--at` local times through the command line (the rules are `LocalTime`'s, tested in FirebreakAppTests).
@Suite struct LocalTimeCommandTests {
    /// End to end: the note on standard error, the refusal as a usage error, the stored times.
    @Test func noteAtAmbiguousAndSkippedTimesInAmsterdam() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        var env = box.env("anna", now: "2026-10-25T12:00:00+01:00")
        env["TZ"] = "Europe/Amsterdam"
        let opened = try Firebreak.run(["open", "offensive-post", "--title", "x", "--at", "00:15"], environment: env)
        #expect(opened.status == 0, "\(opened.stderr)")
        let note = try Firebreak.run(["note", "INC-1", "at the first 02:30", "--at", "02:30"], environment: env)
        #expect(note.status == 0)
        #expect(note.stderr == "firebreak: note: --at '02:30' happens twice on 2026-10-25 in Europe/Amsterdam (the clocks are put back); taken as the first, 2026-10-25T02:30:00+02:00; for the second give 2026-10-25T02:30:00+01:00\n")
        let later = try Firebreak.run(["note", "INC-1", "at 03:30", "--at", "2026-10-25 03:30"], environment: env)
        #expect(later.status == 0)
        #expect(later.stderr == "")
        let timeline = try Firebreak.run(["timeline", "INC-1", "--json"], environment: env)
        let events = try #require(try JSONSerialization.jsonObject(with: Data(timeline.stdout.utf8)) as? [[String: Any]])
        #expect(events.filter { $0["kind"] as? String == "note" }.map { $0["at"] as? String } == ["2026-10-25T02:30:00+02:00", "2026-10-25T03:30:00+01:00"])
        env["FIREBREAK_NOW"] = "2026-03-29T12:00:00+02:00"
        let skipped = try Firebreak.run(["open", "offensive-post", "--title", "y", "--at", "02:30"], environment: env)
        #expect(skipped.status == 64)
        #expect(skipped.stderr == "firebreak: error: --at '02:30' does not exist on 2026-03-29 in Europe/Amsterdam: the clocks are put forward over it; give a time after the change, or an ISO 8601 time with its offset\n")
    }
}
