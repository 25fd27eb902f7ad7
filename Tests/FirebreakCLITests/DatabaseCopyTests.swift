@testable import FirebreakCLI
import FirebreakTestSupport
import Foundation
import GRDB
import Synchronization
import Testing

/// `firebreak db copy FROM TO`: every incident and exercise with its whole log, between any two
/// stores, keeping ids; refused without writing anything when an id is taken or the source is damaged.
@Suite struct DatabaseCopyTests {
    /// A store with a little of everything: a closed incident, an open one with notes and a statement,
    /// and a recorded exercise.
    static func fill(_ box: Sandbox) throws {
        #expect(try box.run("open", "offensive-post", "--title", "Closed one", "--assign", "social=sem").status == 0)
        #expect(try box.run("done", "INC-1", "capture-post", as: "sem").status == 0)
        #expect(try box.run("close", "INC-1", "--reason", "handled").status == 0)
        #expect(try box.run("open", "offensive-post", "--title", "Open one", "--at", "-40m").status == 0)
        #expect(try box.run("note", "INC-2", "Café owner called back — twice").status == 0)
        #expect(try box.run("drill", "run", "song-contest-tweet", "--record").status == 0)
    }

    /// What a user compares: every incident's timeline as JSON and its report, and the list.
    static func views(_ box: Sandbox) throws -> [String] {
        var views = [try box.run("list", "--all", "--exercises", "--json").stdout]
        for id in ["INC-1", "INC-2", "EX-1"] {
            views.append(try box.run("timeline", id, "--json").stdout)
            views.append(try box.run("export", id).stdout)
            views.append(try box.run("status", id, "--json").stdout)
        }
        return views
    }

    static func copy(_ from: String, _ to: String, in box: Sandbox) throws -> CommandResult {
        try box.run("db", "copy", from, to)
    }

    /// SQLite → PostgreSQL → SQLite: the same timelines, reports and list; both copies verify.
    @Test(arguments: StoreKind.tested)
    func aRoundTripKeepsEveryIncidentAsItWas(_ middle: StoreKind) throws {
        let original = try Sandbox()
        defer { original.cleanup() }
        try Self.fill(original)
        let before = try Self.views(original)
        #expect(before[0].contains("\"exercise\": true"))

        let server = try Sandbox(middle)
        defer { server.cleanup() }
        let back = try Sandbox()
        defer { back.cleanup() }
        let there = try Self.copy(original.db, server.db, in: original)
        #expect(there.stderr == "")
        #expect(there.status == 0)
        let events = try #require(there.stdout.firstMatch(of: /\((\d+) events, 1 playbook\)/)?.1)
        let serverName = server.db
        #expect(there.stdout == "copied 2 incidents and 1 exercise (\(events) events, 1 playbook) from '\(original.db)' to '\(serverName)'; the copy verifies\n")
        let returned = try Self.copy(server.db, back.db, in: original)
        #expect(returned.status == 0)
        #expect(returned.stdout == "copied 2 incidents and 1 exercise (\(events) events, 1 playbook) from '\(serverName)' to '\(back.db)'; the copy verifies\n")

        #expect(try Self.views(server) == before)
        #expect(try Self.views(back) == before)
        for box in [server, back] {
            let verify = try box.run("verify")
            #expect(verify.stdout == "ok: 3 incidents, \(events) events verified\n")
            #expect(verify.stderr == "")
        }
        // Numbers go on after the copied ones, and the copies take writes like the original.
        #expect(try back.run("open", "offensive-post", "--title", "After the copy").stdout == "INC-3\n")
        #expect(try back.run("note", "INC-2", "still going").status == 0)
        #expect(try back.run("verify").status == 0)
    }

    /// An id that exists in the target is refused (exit 1, every such id named) and nothing is
    /// copied, not even the incidents whose ids are free.
    @Test(arguments: StoreKind.tested)
    func takenIdsAreRefusedAndNothingIsCopied(_ kind: StoreKind) throws {
        let source = try Sandbox()
        defer { source.cleanup() }
        try Self.fill(source)
        let target = try Sandbox(kind)
        defer { target.cleanup() }
        #expect(try target.run("open", "offensive-post", "--title", "Theirs").status == 0)
        #expect(try target.run("open", "offensive-post", "--title", "Theirs too").status == 0)
        let before = try target.run("list", "--all", "--exercises", "--json").stdout
        let timeline = try target.run("timeline", "INC-1", "--json").stdout
        let verified = try target.run("verify").stdout
        #expect(verified.hasPrefix("ok: 2 incidents, "))
        let refused = try Self.copy(source.db, target.db, in: source)
        #expect(refused.status == 1)
        #expect(refused.stdout == "")
        #expect(refused.stderr == """
            firebreak: error: INC-1, INC-2 exist already in '\(target.db)'; nothing was copied (db copy never overwrites an incident: copy into a new database)

            """)
        #expect(try target.run("list", "--all", "--exercises", "--json").stdout == before)
        #expect(try target.run("timeline", "INC-1", "--json").stdout == timeline)
        #expect(try target.run("status", "INC-3").status == 66)
        #expect(try target.run("verify").stdout == verified)
    }

    /// A source whose log does not verify is not copied: exit 74, the problem named, and the target is not even made.
    @Test func aDamagedSourceIsRefused() throws {
        let source = try Sandbox()
        defer { source.cleanup() }
        try Self.fill(source)
        let queue = try DatabaseQueue(path: source.db)
        try queue.write { db in
            try db.execute(sql: "DROP TRIGGER event_append_only_update")
            try db.execute(sql: "UPDATE event SET data = CAST('{\"text\":\"Nobody called\"}' AS BLOB) WHERE incident = 2 AND kind = 'note'")
            try db.execute(sql: "CREATE TRIGGER event_append_only_update BEFORE UPDATE ON event BEGIN SELECT RAISE(ABORT, 'events are append-only'); END")
        }
        try queue.close()
        let target = source.folder.path("copy.sqlite")
        let refused = try Self.copy(source.db, target, in: source)
        #expect(refused.status == 74)
        #expect(refused.stdout == "")
        let seq = try #require(refused.stderr.firstMatch(of: /event (\d+) \(note\)/)?.1)
        #expect(refused.stderr == """
            firebreak: error: '\(source.db)' does not verify: INC-2: event \(seq) (note) does not match its hash: it was changed after it was recorded; nothing was copied (run 'firebreak --db \(source.db) verify')

            """)
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    /// A changed projection (the incident row, not the log) is damage too: named, nothing copied.
    @Test func aSourceWithAChangedProjectionIsRefused() throws {
        let source = try Sandbox()
        defer { source.cleanup() }
        try Self.fill(source)
        let queue = try DatabaseQueue(path: source.db)
        try queue.write { db in try db.execute(sql: "UPDATE incident SET severity = 'low' WHERE number = 1") }
        try queue.close()
        let target = source.folder.path("copy.sqlite")
        let refused = try Self.copy(source.db, target, in: source)
        #expect(refused.status == 74)
        #expect(refused.stderr == """
            firebreak: error: '\(source.db)' does not verify: INC-1: its stored 'severity' does not match its log (the incident row was changed); nothing was copied (run 'firebreak --db \(source.db) verify')

            """)
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    @Test func aMissingSourceOrAnEmptyOneIsSaid() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        let missing = try Self.copy(box.folder.path("none.sqlite"), box.folder.path("copy.sqlite"), in: box)
        #expect(missing.status == 66)
        #expect(missing.stderr == "firebreak: error: no incident database at '\(box.folder.path("none.sqlite"))' to copy from\n")
        #expect(try box.run("open", "offensive-post", "--title", "x").status == 0)
        let queue = try DatabaseQueue(path: box.folder.path("empty.sqlite"))
        try queue.close()
        let empty = try Self.copy(box.folder.path("empty.sqlite"), box.db, in: box)
        #expect(empty.status == 0)
        #expect(empty.stdout == "nothing to copy: '\(box.folder.path("empty.sqlite"))' holds no incidents\n")
    }

    /// The progress bar is drawn on standard error only when it is a terminal.
    @Test func theProgressBarIsDrawnOnlyOnATerminal() throws {
        let source = try Sandbox()
        defer { source.cleanup() }
        #expect(try source.run("open", "offensive-post", "--title", "One").status == 0)
        #expect(try source.run("open", "offensive-post", "--title", "Two").status == 0)
        for terminal in [false, true] {
            let target = source.folder.path("copy-\(terminal).sqlite")
            let capture = Console.Capture()
            let console = Console(
                environment: ["TZ": "UTC", "NO_COLOR": "1", "FIREBREAK_NOW": source.now], terminals: terminal ? [2] : [],
                out: { text in capture.outText.withLock { $0 += text } }, error: { text in capture.errorText.withLock { $0 += text } })
            let status = Console.$current.withValue(console) { BlockingRun.run { await FirebreakCLI.Firebreak.main(["db", "copy", source.db, target]) } }
            #expect(status == 0)
            let bar = { (label: String, done: Int) in "\r\(label)  [" + String(repeating: "#", count: done * 15) + String(repeating: "·", count: 30 - done * 15) + "]  \(done)/2" }
            #expect(capture.error == (terminal ? bar("verifying", 1) + bar("verifying", 2) + "\r\u{1B}[K" + bar("copying", 1) + bar("copying", 2) + "\r\u{1B}[K" : ""))
            #expect(capture.out.hasPrefix("copied 2 incidents ("))
        }
    }
}
