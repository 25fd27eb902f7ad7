import FirebreakTestSupport
import Foundation
import GRDB
import Testing

/// The statement and inform commands on ``Fixtures/leakedPhoto``, as a new user would use them.
@Suite struct StatementCommandTests {
    /// A sandbox with the leaked-photo playbook in its own folder, and INC-1 opened at 21:00 UTC by anna
    /// (comms-lead) with noor as legal, marieke as director and ben as account manager.
    func opened() throws -> Sandbox {
        let box = try Sandbox()
        let folder = box.folder.path("playbooks")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Fixtures.leakedPhoto.write(toFile: folder + "/leaked-photo.yaml", atomically: true, encoding: .utf8)
        let result = try run(box, "open", "leaked-photo", "--title", "Photo from a client shoot leaked", "--assign", "legal=noor",
                             "--assign", "director=marieke", "--assign", "account=ben", at: "21:00")
        #expect(result.stdout == "INC-1\n", "\(result.stderr)")
        return box
    }

    @discardableResult
    func run(_ box: Sandbox, _ arguments: String..., as person: String = "anna", at time: String) throws -> CommandResult {
        var env = box.env(person, now: "2026-05-16T\(time):00Z")
        env["FIREBREAK_PLAYBOOKS"] = box.folder.path("playbooks")
        return try Firebreak.run(arguments, environment: env)
    }

    /// An inform recorded by mistake is retracted like a note: it stays in the log, marked, and no
    /// longer counts as telling anyone.
    @Test func aRetractedInformNoLongerCounts() throws {
        let box = try opened()
        defer { box.cleanup() }
        let informed = try run(box, "inform", "INC-1", "the-works-council", "--via", "e-mail", at: "21:05")
        #expect(informed.status == 0, "\(informed.stderr)")
        // Recorded as given; the step that informs the client stays open, and the note says so.
        #expect(informed.stderr == "firebreak: note: no open step informs 'the-works-council'; the open steps that inform someone: client (tell-client)\n")
        let seq = try #require(informed.stdout.firstMatch(of: /#(\d+)/).map { String($0.1) })
        #expect(try run(box, "status", "INC-1", at: "21:06").stdout.contains("the-works-council"))
        let retracted = try run(box, "retract", "INC-1", seq, "--reason", "That was the client's works council", at: "21:07")
        #expect(retracted.status == 0, "\(retracted.stderr)")
        let status = try run(box, "status", "INC-1", "--json", at: "21:08").stdout
        let object = try #require(try JSONSerialization.jsonObject(with: Data(status.utf8)) as? [String: Any])
        #expect((object["informed"] as? [Any])?.isEmpty == true, "\(status)")
        #expect(try run(box, "timeline", "INC-1", at: "21:08").stdout.contains("informed the-works-council via e-mail [retracted]"))
    }

    /// The note after an inform names only steps an inform could complete now: not one still waiting on its needs.
    @Test func theInformNoteLeavesOutAStepWaitingOnItsNeeds() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        let folder = box.folder.path("playbooks")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let waiting = Fixtures.leakedPhoto.replacingOccurrences(of: "informs: client }", with: "informs: client, needs: [holding-statement] }")
        #expect(waiting != Fixtures.leakedPhoto)
        try waiting.write(toFile: folder + "/leaked-photo.yaml", atomically: true, encoding: .utf8)
        #expect(try run(box, "open", "leaked-photo", "--title", "T", "--assign", "account=ben", at: "21:00").status == 0)
        let informed = try run(box, "inform", "INC-1", "client", "--via", "phone", as: "ben", at: "21:05")
        #expect(informed.stdout == "INC-1 #5 21:05  informed client via phone\n", "\(informed.stderr)")
        #expect(informed.stderr == "")
        let typo = try run(box, "inform", "INC-1", "clinet", as: "ben", at: "21:06")
        #expect(typo.status == 0)
        #expect(typo.stderr == "")
    }

    /// Retracting an inform that completed a step names the entry that keeps the step done: it stands
    /// until it is retracted itself (the spec's rule), and then the step is open again.
    @Test func retractingAnInformNamesTheStepItCompleted() throws {
        let box = try opened()
        defer { box.cleanup() }
        let informed = try run(box, "inform", "INC-1", "client", "--via", "phone", as: "ben", at: "21:05")
        #expect(informed.stdout == "INC-1 #7 21:05  informed client via phone\nINC-1 #8 21:05  done 'tell-client' by the inform\n", "\(informed.stderr)")
        let retracted = try run(box, "retract", "INC-1", "7", "--reason", "Voicemail, not the client", as: "ben", at: "21:06")
        #expect(retracted.status == 0)
        #expect(retracted.stderr == "firebreak: note: step 'tell-client' stays done by entry #8, which this inform completed; retract #8 too if nobody was told\n")
        #expect(try run(box, "retract", "INC-1", "8", "--reason", "Voicemail, not the client", as: "ben", at: "21:06").status == 0)
        let status = try run(box, "status", "INC-1", "--json", at: "21:07").stdout
        let object = try #require(try JSONSerialization.jsonObject(with: Data(status.utf8)) as? [String: Any])
        let steps = try #require(object["steps"] as? [[String: Any]])
        #expect(steps.first { $0["id"] as? String == "tell-client" }?["status"] as? String == "open")
    }

    @Test func aPressStatementFromDraftToPublicationWithAnUpdateFallingOverdue() throws {
        let box = try opened()
        defer { box.cleanup() }
        // Drafted from the template: the id on standard output, the placeholders as warnings.
        var result = try run(box, "statement", "draft", "INC-1", "press", "--from-step", "holding-statement", at: "21:05")
        #expect(result.status == 0)
        #expect(result.stdout == "S1\n")
        #expect(result.stderr == """
            firebreak: warning: S1 has placeholder '[name]' (line 1): fill it in before publishing
            firebreak: warning: S1 has placeholder '[platform]' (line 1): fill it in before publishing
            firebreak: warning: S1 has placeholder '[time]' (line 2): fill it in before publishing

            """)
        result = try run(box, "statement", "approve", "INC-1", "S1", as: "noor", at: "21:06")
        #expect(result.stdout == "INC-1 #8 21:06  'legal' approved S1 version 1\n")
        try run(box, "statement", "approve", "INC-1", "S1", as: "marieke", at: "21:07")
        result = try run(box, "statement", "publish", "INC-1", "S1", at: "21:08")
        #expect(result.status == 1)
        #expect(result.stderr == "firebreak: error: S1 still has placeholders '[name]', '[platform]', '[time]'; fill them in with 'statement revise' before publishing\n")
        // Revised: the approvals lapse; the new text gets a warning.
        result = try run(box, "statement", "revise", "INC-1", "S1", "--text", "A photo from a shoot for a client was shared without consent.\nIt was probably taken on set. We will update by 23:00.", at: "21:10")
        #expect(result.stdout == "INC-1 #10 21:10  revised S1 for 'press': version 2\n")
        #expect(result.stderr == "firebreak: warning: S1 says 'probably' (line 2): a guess presented as fact\n")
        result = try run(box, "statement", "publish", "INC-1", "S1", at: "21:11")
        #expect(result.status == 1)
        #expect(result.stderr == "firebreak: error: S1 needs approval from 'legal' (held by noor) and 'director' (held by marieke); approved by nobody yet\n")
        result = try run(box, "statement", "approve", "INC-1", "S1", as: "ben", at: "21:12")
        #expect(result.status == 1)
        #expect(result.stderr == "firebreak: error: 'ben' may not give a verdict on S1: its approvers are 'legal' (held by noor) and 'director' (held by marieke)\n")
        // The approver sees the warning of what they approve.
        result = try run(box, "statement", "approve", "INC-1", "S1", as: "noor", at: "21:15")
        #expect(result.stderr == "firebreak: warning: S1 says 'probably' (line 2): a guess presented as fact\n")
        result = try run(box, "statement", "approve", "INC-1", "S1", as: "noor", at: "21:16")
        #expect(result.status == 1)
        #expect(result.stderr == "firebreak: error: 'legal' already approved version 2 of S1; a role gives one verdict per version\n")
        // Status while the director's approval is awaited.
        result = try run(box, "status", "INC-1", at: "21:20")
        #expect(result.stdout.contains("""

            statements waiting:
              S1 to Press and media (press), version 2: waiting for approval from director (marieke)
                warning: S1 says 'probably' (line 2): a guess presented as fact

            """))
        try run(box, "statement", "approve", "INC-1", "S1", as: "marieke", at: "21:25")
        result = try run(box, "statement", "publish", "INC-1", "S1", "--channel", "website", at: "21:30")
        // tell-client falls due at this instant: the move comes first (a step done at its deadline is on time).
        #expect(result.stdout == """
            INC-1 #13 21:30  published S1 version 2 to 'press' via website
            INC-1 #14 21:30  done 'holding-statement' by publishing S1
            INC-1 #15 21:30  'tell-client' overdue (due 21:30)
            INC-1 #16 21:30  'tell-client' escalated to 'comms-lead'

            """)
        result = try run(box, "statement", "revise", "INC-1", "S1", "--text", "Changed.", at: "21:31")
        #expect(result.stderr == "firebreak: error: S1 is published and can no longer change; a further message to 'press' is a new statement ('statement draft')\n")
        result = try run(box, "status", "INC-1", at: "22:10")
        #expect(result.stdout.contains("\nnext update to Press and media (press) due 22:30 (in 20m)\n"))
        // The client is told by phone: the inform step is done.
        result = try run(box, "inform", "INC-1", "client", "--via", "phone", "--note", "Brand director, before the press", as: "ben", at: "22:12")
        #expect(result.stdout == """
            INC-1 #17 22:12  informed client via phone: Brand director, before the press
            INC-1 #18 22:12  done 'tell-client' by the inform

            """)
        // No update by 22:30: overdue at its due time, escalated to the director.
        result = try run(box, "status", "INC-1", at: "22:40")
        #expect(result.stdout.contains("\nupdate to Press and media (press) OVERDUE since 22:30 (10m ago)\n"))
        #expect(result.stdout.contains("\ninformed:\n  client via phone 22:12 by ben\n"))
        result = try run(box, "note", "INC-1", "Journalist called again", at: "22:41")
        #expect(result.stdout == """
            INC-1 #19 22:30  update to 'press' overdue (due 22:30)
            INC-1 #20 22:30  update to 'press' escalated to 'director'
            INC-1 #21 22:41  note: Journalist called again

            """)
        result = try run(box, "statement", "list", "INC-1", at: "22:42")
        #expect(result.stdout == """
            ID  AUDIENCE  VERSION  STATE      WAITING FOR  WARNINGS
            S1  press     2        published  -            1

            """)
        result = try run(box, "statement", "show", "INC-1", "S1", at: "22:42")
        try expectGolden(result.stdout, "statement-show.txt")
        result = try run(box, "export", "INC-1", at: "22:45")
        #expect(result.status == 0)
        try expectGolden(result.stdout, "export-communications.md")
        result = try run(box, "verify", "INC-1", at: "22:45")
        #expect(result.status == 0, "\(result.stderr)")
    }

    /// A move logged later with `--at` cannot be put before what it acts on: a verdict before its version's draft, a
    /// revision or publication before the verdicts it follows. Refused as a usage error (64), nothing written; in order,
    /// approvals by two roles may be logged in either order.
    @Test func aStatementMoveCannotBeDatedBeforeWhatItFollows() throws {
        let box = try opened()
        defer { box.cleanup() }
        #expect(try run(box, "statement", "draft", "INC-1", "press", "--text", "We are looking into it.", "--at", "21:15", at: "21:20").stdout == "S1\n")
        var result = try run(box, "statement", "approve", "INC-1", "S1", "--at", "21:10", as: "noor", at: "21:21")
        #expect(result.status == 64)
        #expect(result.stderr == "firebreak: error: --at 2026-05-16T21:10:00Z is before S1 version 1 was drafted (2026-05-16T21:15:00Z); it cannot have come earlier\n")
        #expect(result.stdout == "")
        result = try run(box, "statement", "approve", "INC-1", "S1", "--at", "21:18", as: "marieke", at: "21:22")
        #expect(result.stdout == "INC-1 #8 21:18  'director' approved S1 version 1\n", "\(result.stderr)")
        // Legal approved earlier than the director, and says so later: allowed.
        result = try run(box, "statement", "approve", "INC-1", "S1", "--at", "21:16", as: "noor", at: "21:23")
        #expect(result.stdout == "INC-1 #9 21:16  'legal' approved S1 version 1\n", "\(result.stderr)")
        result = try run(box, "statement", "publish", "INC-1", "S1", "--at", "21:17", at: "21:24")
        #expect(result.status == 64)
        #expect(result.stderr == "firebreak: error: --at 2026-05-16T21:17:00Z is before S1 version 1 was approved by 'director' (2026-05-16T21:18:00Z); it cannot have come earlier\n")
        result = try run(box, "statement", "revise", "INC-1", "S1", "--text", "Later.", "--at", "21:17", at: "21:24")
        #expect(result.status == 64)
        #expect(result.stderr.contains("is before S1 version 1 was approved by 'director'"))
        result = try run(box, "statement", "publish", "INC-1", "S1", "--at", "21:18", at: "21:25")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("INC-1 #10 21:18  published S1 version 1 to 'press'"), "\(result.stdout)")
        #expect(try run(box, "verify", "INC-1", at: "21:26").status == 0)
    }

    @Test func draftNeedsExactlyOneSourceAndAKnownStepTemplate() throws {
        let box = try opened()
        defer { box.cleanup() }
        var result = try run(box, "statement", "draft", "INC-1", "press", at: "21:05")
        #expect(result.status == 64)
        #expect(result.stderr == ("firebreak: error: give exactly one of --text, --file and --from-step; see 'firebreak statement draft --help'\n"))
        result = try run(box, "statement", "draft", "INC-1", "press", "--from-step", "tell-client", at: "21:05")
        #expect(result.status == 64)
        #expect(result.stderr == "firebreak: error: step 'tell-client' has no template; steps with a template are 'holding-statement'\n")
        result = try run(box, "statement", "draft", "INC-1", "pres", "--text", "Hello", at: "21:05")
        #expect(result.status == 1)
        #expect(result.stderr == "firebreak: error: no audience 'pres' in this playbook; audiences are 'press', 'client'\n")
        result = try run(box, "statement", "show", "INC-1", "S9", at: "21:05")
        #expect(result.status == 66)
        #expect(result.stderr == "firebreak: error: no statement 'S9': this incident has no statements yet; draft one with 'statement draft'\n")
        result = try run(box, "statement", "draft", "INC-1", "press", "--file", box.folder.path("missing.txt"), at: "21:05")
        #expect(result.status == 66)
    }

    /// `verify` catches a published text changed behind Firebreak's back, and an approval moved to another version.
    @Test(arguments: [("\"text\":\"Statement one.\"", "\"text\":\"Statement two.\""), ("\"version\":1,\"approver\":\"legal\"", "\"version\":2,\"approver\":\"legal\"")])
    func verifyCatchesAnEditedStatementEvent(_ edit: (String, String)) throws {
        let box = try opened()
        defer { box.cleanup() }
        try run(box, "statement", "draft", "INC-1", "press", "--text", "Statement one.", at: "21:05")
        try run(box, "statement", "approve", "INC-1", "S1", as: "noor", at: "21:06")
        try run(box, "statement", "approve", "INC-1", "S1", as: "marieke", at: "21:07")
        try run(box, "statement", "publish", "INC-1", "S1", at: "21:08")
        #expect(try run(box, "verify", at: "21:09").status == 0)
        let queue = try DatabaseQueue(path: box.db)
        try queue.write { db in
            try db.execute(sql: "DROP TRIGGER event_append_only_update")
            try db.execute(
                sql: "UPDATE event SET data = CAST(replace(CAST(data AS TEXT), ?, ?) AS BLOB) WHERE instr(CAST(data AS TEXT), ?) > 0",
                arguments: [edit.0, edit.1, edit.0])
            #expect(db.changesCount == 1)
        }
        let result = try run(box, "verify", at: "21:10")
        #expect(result.status != 0)
        #expect((result.stdout + result.stderr).contains("does not match its hash: it was changed after it was recorded"), "\(result.stdout)\(result.stderr)")
    }
}
