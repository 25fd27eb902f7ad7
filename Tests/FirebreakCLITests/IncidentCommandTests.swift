import FirebreakTestSupport
import Foundation
import GRDB
import Testing

@Suite struct IncidentCommandTests {
    /// Opens INC-1 from offensive-post at 23:10 (+02:00), triggered at 23:05, with Sem as social.
    func openIncident(_ box: Sandbox) throws {
        let opened = try box.run(
            "open", "offensive-post", "--title", "Presenter insults a contestant", "--assign", "social=sem", "--assign", "hr=fatima",
            "--began", "2026-05-16T23:05:00+02:00", now: "2026-05-16T23:10:00+02:00")
        #expect(opened.status == 0)
        #expect(opened.stdout == "INC-1\n")
        #expect(opened.stderr == "")
    }

    @Test(arguments: StoreKind.tested)
    func walkAnIncidentToItsEndWithSeveralPeople(_ store: StoreKind) throws {
        let box = try Sandbox(store)
        defer { box.cleanup() }
        try openIncident(box)
        var result = try box.run("done", "INC-1", "capture-post", as: "sem", now: "2026-05-16T23:14:00+02:00")
        #expect(result.status == 0)
        #expect(result.stdout == "INC-1 #6 21:14  done 'capture-post'\n")
        result = try box.run("done", "INC-1", "holding-line", as: "sem", now: "2026-05-16T23:16:00+02:00")
        #expect(result.stdout == "INC-1 #7 21:16  done 'holding-line'\n")
        result = try box.run("done", "INC-1", "assess-post", "--choice", "escalate", now: "2026-05-16T23:20:00+02:00")
        #expect(result.stdout == """
            INC-1 #8 21:20  done 'assess-post' with choice 'escalate'
            INC-1 #9 21:20  fired 'escalate'
            INC-1 #10 21:20  entered 'distance' from 'triage' by 'escalate'

            """)
        // Status at 23:55: notify-director (due 30m after 23:20) is overdue and shown first among the phase's steps;
        // the standing duty media-line (due 30m after the opening at 23:10) is overdue too, shown apart.
        result = try box.run("status", "INC-1", now: "2026-05-16T23:55:00+02:00")
        #expect(result.status == 0)
        try expectGolden(result.stdout, "status-overdue.txt")
        // The overdue event is shown by reads but stored on the next write, with its due time.
        result = try box.run("timeline", "INC-1", "--json", now: "2026-05-16T23:55:00+02:00")
        let timeline = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        let overdue = try #require(timeline.first { $0["kind"] as? String == "overdue" && $0["step"] as? String == "notify-director" })
        #expect(overdue["stored"] as? Bool == false)
        #expect(overdue["at"] as? String == "2026-05-16T21:50:00Z")
        result = try box.run("note", "INC-1", "Director informed by phone", now: "2026-05-16T23:56:00+02:00")
        #expect(result.stdout.contains("21:50  'notify-director' overdue (due 21:50)\n"))
        #expect(result.stdout.hasSuffix("note: Director informed by phone\n"))
        // Walk to the end.
        for (person, args, time) in [
            ("anna", ["done", "INC-1", "notify-director"], "23:57"), ("ruben", ["done", "INC-1", "request-deletion"], "23:58"),
            ("ruben", ["done", "INC-1", "reach-insulted-person"], "23:58"), ("anna", ["done", "INC-1", "distancing-statement"], "23:59"), ("anna", ["fire", "INC-1", "distanced"], "23:59"),
        ] {
            let r = try Firebreak.run(args, environment: box.env(person, now: "2026-05-16T\(time):00+02:00"))
            #expect(r.status == 0, "\(args): \(r.stderr)")
        }
        result = try box.run("status", "INC-1", "--json", now: "2026-05-17T00:00:00+02:00")
        let status = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(status["state"] as? String == "consequences")
        // Ruben does not hold 'editor' (the owner of request-deletion): marked outside his role.
        result = try box.run("timeline", "INC-1", now: "2026-05-17T00:00:00+02:00")
        #expect(result.stdout.contains("ruben [outside role]"))
        result = try box.run("close", "INC-1", "--reason", "Handled by the broadcaster's board", now: "2026-05-17T00:01:00+02:00")
        #expect(result.status == 0)
        #expect(result.stdout.hasSuffix("force-closed: Handled by the broadcaster's board\n"))
        result = try box.run("list", now: "2026-05-17T00:02:00+02:00")
        #expect(result.stdout == "no open incidents\n")
        result = try box.run("list", "--all", "--json", now: "2026-05-17T00:02:00+02:00")
        #expect(result.stdout.contains("\"closed\": true"))
        result = try box.run("verify")
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("ok: 1 incident, "))
    }

    @Test(arguments: StoreKind.tested, [
        (["done", "INC-1", "capture-post", "--choice", "x"], 1, "firebreak: error: step 'capture-post' is not a decision; it takes no choice\n"),
        (["done", "INC-1", "assess-post", "--choice", "escalate"], 1, "firebreak: error: step 'assess-post' needs 'capture-post', 'holding-line' done or skipped first\n"),
        (["fire", "INC-1", "resolved"], 1, "firebreak: error: event 'resolved' is not possible in state 'triage'; possible events are 'escalate', 'dismiss', 'story-published'\n"),
        (["done", "INC-1", "lessons-learned"], 1, "firebreak: error: step 'lessons-learned' belongs to state 'aftercare', but the incident is in state 'triage'; active steps are 'capture-post', 'holding-line', 'assess-post', 'media-line', 'monitor-reach'\n"),
        (["status", "INC-9"], 66, "firebreak: error: no incident INC-9 in '%DB%'\n"),
        (["status", "nine"], 64, "firebreak: error: 'nine' is not an incident id; incident ids look like INC-7, recorded exercises EX-3\n"),
        (["note", "INC-1", "x", "--at", "tomorrow"], 64, "firebreak: error: --at 'tomorrow' is not a time; use ISO 8601 (2026-05-12T21:42:00+02:00), HH:MM today, YYYY-MM-DD HH:MM or DD-MM-YYYY HH:MM local, or -15m\n"),
        (["note", "INC-1", "x", "--at", "2026-05-16T23:40:00+02:00"], 64, "firebreak: error: --at 2026-05-16T21:40:00Z is in the future; it records when something already happened\n"),
        (["note", "INC-1", "x", "--at", "-1h"], 64, "firebreak: error: --at 2026-05-16T20:30:00Z is before the incident began (--began 2026-05-16T21:05:00Z); nothing of it can have happened earlier\n"),
        (["open", "offensive-post", "--title", "x", "--began", "2026-05-16T23:40:00+02:00"], 64, "firebreak: error: --began 2026-05-16T21:40:00Z is in the future; it records when something already happened\n"),
        (["open", "offensive-post", "--title", "x", "--at", "2026-05-16T23:20:00+02:00", "--began", "2026-05-16T23:25:00+02:00"], 64,
         "firebreak: error: --began 2026-05-16T21:25:00Z is after the incident was opened (2026-05-16T21:20:00Z); it is when the trigger happened\n"),
    ] as [([String], Int32, String)])
    func refusalsAndMisuseHaveTheirExitCodeAndOneLine(store: StoreKind, testCase: ([String], Int32, String)) throws {
        let (arguments, status, message) = testCase
        let box = try Sandbox(store)
        defer { box.cleanup() }
        try openIncident(box)
        let result = try Firebreak.run(arguments, environment: box.env("anna"))
        #expect(result.status == status)
        #expect(result.stderr == message.replacingOccurrences(of: "%DB%", with: box.db))
        #expect(result.stdout == "")
    }

    @Test(arguments: StoreKind.tested)
    func onlyTheCommanderMayCloseOrAssign(_ store: StoreKind) throws {
        let box = try Sandbox(store)
        defer { box.cleanup() }
        try openIncident(box)
        var result = try box.run("close", "INC-1", "--reason", "done", as: "sem")
        #expect(result.status == 1)
        #expect(result.stderr == "firebreak: error: only the commander ('comms-lead', held by 'anna') may force-close the incident; 'sem' does not hold that role\n")
        result = try box.run("assign", "INC-1", "legal", "joost", as: "sem")
        #expect(result.status == 1)
        result = try box.run("assign", "INC-1", "comms-lead", "marieke", as: "anna")
        #expect(result.status == 0)
        result = try box.run("close", "INC-1", "--reason", "done", as: "anna")
        #expect(result.status == 1)
        result = try box.run("close", "INC-1", "--reason", "done", as: "marieke")
        #expect(result.status == 0)
    }

    @Test(arguments: StoreKind.tested)
    func openerGivesCommandAwayWithAssign(_ store: StoreKind) throws {
        let box = try Sandbox(store)
        defer { box.cleanup() }
        let result = try box.run("open", "offensive-post", "--title", "T", "--assign", "comms-lead=marieke", as: "anna")
        #expect(result.status == 0)
        let status = try box.run("status", "INC-1", "--json")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        #expect((json["assignments"] as? [String: String])?["comms-lead"] == "marieke")
    }

    @Test(arguments: StoreKind.tested)
    func backdatedMoveKeepsBothTimes(_ store: StoreKind) throws {
        let box = try Sandbox(store)
        defer { box.cleanup() }
        try openIncident(box)
        try box.run("done", "INC-1", "capture-post", "--at", "-15m", as: "sem", now: "2026-05-16T23:40:00+02:00")
        let result = try box.run("timeline", "INC-1", "--json", now: "2026-05-16T23:40:00+02:00")
        let timeline = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        let done = try #require(timeline.first { $0["kind"] as? String == "done" })
        #expect(done["at"] as? String == "2026-05-16T21:25:00Z")
        #expect(done["recordedAt"] as? String == "2026-05-16T21:40:00Z")
        #expect(done["seq"] as? Int == 6)
        #expect(done["step"] as? String == "capture-post")
        #expect(done["actor"] as? String == "sem")
        #expect(done["role"] as? String == "social")
    }

    @Test func readOnlyAndCorruptDatabasesGetOneLine() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        try Data(repeating: 0x42, count: 4096).write(to: URL(fileURLWithPath: box.db))
        let result = try box.run("list")
        #expect(result.status == 74)
        #expect(result.stderr == "firebreak: error: '\(box.db)' is not a Firebreak database, or it is corrupt\n")
    }
}

@Suite struct VerifyCommandTests {
    /// Changing the projection (the snapshot `status` reads) behind Firebreak's back is found too.
    @Test func changedProjectionIsNamed() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        #expect(try box.run("open", "offensive-post", "--title", "T").status == 0)
        #expect(try box.run("done", "INC-1", "capture-post").status == 0)
        let queue = try DatabaseQueue(path: box.db)
        try queue.write { db in
            let snapshot = try Data.fetchOne(db, sql: "SELECT snapshot FROM incident WHERE number = 1")!
            let text = String(decoding: snapshot, as: UTF8.self).replacingOccurrences(of: "\"round\":1", with: "\"round\":2")
            try db.execute(sql: "UPDATE incident SET snapshot = ? WHERE number = 1", arguments: [Data(text.utf8)])
        }
        let result = try box.run("verify")
        #expect(result.status == 1)
        #expect(result.stderr == "firebreak: error: INC-1: its stored state does not match the fold of its events (the projection was changed)\n")
    }
}

@Suite struct CompiledPlaybookTests {
    /// Reads use the compiled copy stored beside the playbook's text; `verify` checks the two agree.
    @Test func changedCompiledCopyIsNamedByVerify() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        #expect(try box.run("open", "offensive-post", "--title", "T").status == 0)
        #expect(try box.run("verify").status == 0)
        let queue = try DatabaseQueue(path: box.db)
        let compiled = try queue.read { try Data.fetchOne($0, sql: "SELECT compiled FROM playbook") }
        let text = String(decoding: try #require(compiled), as: UTF8.self)
        #expect(text.contains("\"commander\":\"comms-lead\""))
        try queue.write { db in
            try db.execute(sql: "DROP TRIGGER playbook_immutable")
            try db.execute(sql: "UPDATE playbook SET compiled = ?", arguments: [Data(text.replacingOccurrences(of: "Triage", with: "Tampered").utf8)])
        }
        let status = try box.run("status", "INC-1")
        #expect(status.stdout.contains("Tampered"))
        let result = try box.run("verify")
        #expect(result.status == 1)
        #expect(result.stderr == "firebreak: error: INC-1: the compiled copy of its playbook does not match the playbook's text\n")
    }
}

@Suite struct RunawayTimerCommandTests {
    /// `open --at -1d` on a playbook whose timers loop every second would write 170,000+ events in
    /// one transaction; it is refused (exit 1) and nothing is stored.
    @Test func openingADayAgoOnLoopingTimersIsRefused() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        let folder = box.folder.path("Playbooks")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Fixtures.loopingTimers.write(toFile: folder + "/looping.yaml", atomically: true, encoding: .utf8)
        var env = box.env("anna")
        env["FIREBREAK_PLAYBOOKS"] = folder
        let result = try Firebreak.run(["open", "looping", "--title", "Loop", "--at", "-1d"], environment: env)
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("firebreak: error: more than 10000 time-driven events (timers, overdue steps) fall due before this moment"))
        #expect(!FileManager.default.fileExists(atPath: box.db))
    }
}
