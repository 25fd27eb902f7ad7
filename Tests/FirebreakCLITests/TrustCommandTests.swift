import FirebreakTestSupport
import Foundation
import Testing

/// The 1.1 rules on the command line: who may fire what, deputies, taking over command,
/// reopening, retracting, and `--at` down to `--began`.
@Suite struct TrustCommandTests {
    /// INC-1 from offensive-post, opened by anna (commander) at 23:10 (+02:00), triggered at 23:05; dirk is director.
    func openIncident(_ box: Sandbox) throws {
        let opened = try box.run(
            "open", "offensive-post", "--title", "Presenter insults a contestant", "--assign", "social=sem", "--assign", "director=dirk",
            "--began", "2026-05-16T23:05:00+02:00", now: "2026-05-16T23:10:00+02:00")
        #expect(opened.status == 0)
        #expect(opened.stdout == "INC-1\n")
    }

    @Test func aDecisionsEventIsRefusedToFireNamingTheCommandThatDecidesIt() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        try openIncident(box)
        let result = try box.run("fire", "INC-1", "dismiss", as: "intern", now: "2026-05-16T23:12:00+02:00")
        #expect(result.status == 1)
        #expect(result.stdout == "")
        #expect(result.stderr == "firebreak: error: 'dismiss' is decided by step 'assess-post' (owner comms-lead): firebreak done INC-1 assess-post --choice dismiss\n")
    }

    @Test func onlyTheCommanderOrADeputyClosesByAnEvent() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        try openIncident(box)
        try box.run("skip", "INC-1", "assess-post", "--reason", "Obviously a joke account", now: "2026-05-16T23:12:00+02:00")
        var result = try box.run("fire", "INC-1", "dismiss", as: "Random Intern", now: "2026-05-16T23:13:00+02:00")
        #expect(result.status == 1)
        #expect(result.stderr == "firebreak: error: 'dismiss' closes the incident, so only the commander ('comms-lead') or a deputy may fire it; 'Random Intern' is neither: ask 'anna'\n")
        result = try box.run("assign", "INC-1", "comms-lead", "pat", "--deputy", now: "2026-05-16T23:14:00+02:00")
        #expect(result.status == 0)
        #expect(result.stdout == "INC-1 #7 21:14  made pat a deputy of role 'comms-lead'\n")
        result = try box.run("fire", "INC-1", "dismiss", as: "pat", now: "2026-05-16T23:15:00+02:00")
        #expect(result.status == 0)
        #expect(result.stdout == """
            INC-1 #8 21:15  fired 'dismiss'
            INC-1 #9 21:15  entered 'closed' from 'triage' by 'dismiss'
            INC-1 #10 21:15  closed

            """)
        result = try box.run("timeline", "INC-1", now: "2026-05-16T23:16:00+02:00")
        #expect(result.stdout.contains("pat (comms-lead)   fired 'dismiss'"))
        #expect(try box.run("verify").status == 0)
    }

    @Test func theDirectorTakesOverCommandWhenTheCommanderIsUnreachable() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        try openIncident(box)
        var result = try box.run("assign", "INC-1", "comms-lead", "sem", as: "sem", now: "2026-05-16T23:12:00+02:00")
        #expect(result.status == 1)
        #expect(result.stderr == "firebreak: error: only the commander ('comms-lead', held by 'anna') may assign roles (and the holder of 'director' ('dirk') the commander role); 'sem' does not hold that role\n")
        result = try box.run("assign", "INC-1", "comms-lead", "ruben", as: "dirk", now: "2026-05-16T23:12:00+02:00")
        #expect(result.status == 0)
        #expect(result.stdout == "INC-1 #6 21:12  assigned role 'comms-lead' to ruben\n")
        result = try box.run("timeline", "INC-1", "--json", now: "2026-05-16T23:13:00+02:00")
        let timeline = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        #expect(timeline.last?["role"] as? String == "director")
        #expect(timeline.last?["actor"] as? String == "dirk")
    }

    @Test func aClosedIncidentIsReopenedInTheStateItClosedFrom() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        try openIncident(box)
        var result = try box.run("reopen", "INC-1", "--reason", "More posts", now: "2026-05-16T23:12:00+02:00")
        #expect(result.status == 1)
        #expect(result.stderr == "firebreak: error: the incident is open; only a closed incident can be reopened\n")
        try box.run("done", "INC-1", "capture-post", as: "sem", now: "2026-05-16T23:12:00+02:00")
        try box.run("done", "INC-1", "holding-line", as: "sem", now: "2026-05-16T23:12:00+02:00")
        result = try box.run("done", "INC-1", "assess-post", "--choice", "dismiss", now: "2026-05-16T23:13:00+02:00")
        #expect(result.stdout.hasSuffix("closed\n"))
        result = try box.run("reopen", "INC-1", "--reason", "More posts", as: "sem", now: "2026-05-16T23:20:00+02:00")
        #expect(result.status == 1)
        #expect(result.stderr == "firebreak: error: only the commander ('comms-lead', held by 'anna') may reopen the incident (as may the holder of 'director' ('dirk')); 'sem' does not hold that role\n")
        result = try box.run("reopen", "INC-1", "--reason", "The presenter posted again", as: "dirk", now: "2026-05-16T23:20:00+02:00")
        #expect(result.status == 0)
        #expect(result.stdout == """
            INC-1 #12 21:20  reopened: The presenter posted again
            INC-1 #13 21:20  entered 'triage' (round 2)

            """)
        result = try box.run("status", "INC-1", "--json", now: "2026-05-16T23:21:00+02:00")
        let status = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(status["state"] as? String == "triage")
        #expect(status["round"] as? Int == 2)
        #expect(status["closed"] as? Bool == false)
        #expect(try box.run("verify").status == 0)
    }

    @Test func aForceClosedIncidentReopensInTheStateItWasClosedIn() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        try openIncident(box)
        try box.run("close", "INC-1", "--reason", "Parody", now: "2026-05-16T23:12:00+02:00")
        let result = try box.run("reopen", "INC-1", "--reason", "Not a parody", now: "2026-05-16T23:14:00+02:00")
        #expect(result.stdout == """
            INC-1 #7 21:14  reopened: Not a parody
            INC-1 #8 21:14  entered 'triage' (round 2)

            """)
    }

    @Test func aRetractedDoneOpensItsStepAgainAndStaysInTheLog() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        try openIncident(box)
        var result = try box.run("done", "INC-1", "capture-post", as: "ruben", now: "2026-05-16T23:12:00+02:00")
        #expect(result.stdout == "INC-1 #6 21:12  done 'capture-post'  [outside role]\n")
        result = try box.run("retract", "INC-1", "6", "--reason", "Wrong incident", as: "sem", now: "2026-05-16T23:13:00+02:00")
        #expect(result.status == 1)
        #expect(result.stderr == "firebreak: error: only 'ruben', who recorded entry #6, or the commander ('comms-lead', held by 'anna') or a deputy may retract it; 'sem' is neither\n")
        result = try box.run("retract", "INC-1", "#6", "--reason", "Wrong incident", as: "ruben", now: "2026-05-16T23:13:00+02:00")
        #expect(result.status == 0)
        #expect(result.stdout == "INC-1 #7 21:13  retracted #6: Wrong incident (step 'capture-post' is open again)\n")
        result = try box.run("status", "INC-1", "--json", now: "2026-05-16T23:14:00+02:00")
        let status = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let steps = try #require(status["steps"] as? [[String: Any]])
        #expect(steps.first { $0["id"] as? String == "capture-post" }?["status"] as? String == "open")
        result = try box.run("retract", "INC-1", "6", "--reason", "Again", now: "2026-05-16T23:14:00+02:00")
        #expect(result.status == 1)
        #expect(result.stderr == "firebreak: error: entry #6 is already retracted\n")
        result = try box.run("retract", "INC-1", "5", "--reason", "No", now: "2026-05-16T23:14:00+02:00")
        #expect(result.stderr == "firebreak: error: entry #5 is 'entered', which cannot be retracted; a note, inform, done or skip can\n")
        result = try box.run("retract", "INC-1", "99", "--reason", "No", now: "2026-05-16T23:14:00+02:00")
        #expect(result.status == 64)
        #expect(result.stderr == "firebreak: error: INC-1 has no entry #99; its entries are #1 to #7\n")
        result = try box.run("timeline", "INC-1", now: "2026-05-16T23:14:00+02:00")
        // The original stays in the log, marked retracted.
        #expect(result.stdout.contains("  done Capture the post before it is deleted (screenshot, URL, time, reach) (capture-post) [retracted]\n"))
        #expect(result.stdout.contains("  retracted #6: Wrong incident (step Capture the post before it is deleted (screenshot, URL, time, reach) (capture-post) is open again)\n"))
        #expect(try box.run("verify").status == 0)
    }

    @Test func aRetractedNoteIsMarkedAndTheCommanderMayRetractAnyonesEntry() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        try openIncident(box)
        try box.run("note", "INC-1", "The presenter was fired", as: "sem", now: "2026-05-16T23:12:00+02:00")
        let result = try box.run("retract", "INC-1", "6", "--reason", "A rumour, not a fact", now: "2026-05-16T23:13:00+02:00")
        #expect(result.status == 0)
        #expect(result.stdout == "INC-1 #7 21:13  retracted #6: A rumour, not a fact\n")
    }

    @Test func atMayGoBackToBeganButNotBefore() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        try openIncident(box)
        // The screenshot was taken at 23:06, before the incident was opened at 23:10.
        var result = try box.run("done", "INC-1", "capture-post", "--at", "2026-05-16T23:06:00+02:00", as: "sem", now: "2026-05-16T23:12:00+02:00")
        #expect(result.status == 0)
        #expect(result.stdout == "INC-1 #6 21:06  done 'capture-post'\n")
        result = try box.run("note", "INC-1", "x", "--at", "2026-05-16T23:04:00+02:00", now: "2026-05-16T23:12:00+02:00")
        #expect(result.status == 64)
        #expect(result.stderr == "firebreak: error: --at 2026-05-16T21:04:00Z is before the incident began (--began 2026-05-16T21:05:00Z); nothing of it can have happened earlier\n")
        #expect(try box.run("verify").status == 0)
    }

    @Test func withoutBeganAtStopsAtTheOpening() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        try box.run("open", "offensive-post", "--title", "Rude post", now: "2026-05-16T23:10:00+02:00")
        let result = try box.run("note", "INC-1", "x", "--at", "2026-05-16T23:09:00+02:00", now: "2026-05-16T23:12:00+02:00")
        #expect(result.status == 64)
        #expect(result.stderr == "firebreak: error: --at 2026-05-16T21:09:00Z is before the incident opened (2026-05-16T21:10:00Z)\n")
    }

    @Test func aReportAttributesAnOverdueToWhoeverHeldTheRoleThenAndListsEveryHolder() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        try openIncident(box)
        // capture-post (social, due 23:25) falls overdue under sem and his deputy lou; kim takes over and does it late.
        try box.run("assign", "INC-1", "social", "lou", "--deputy", now: "2026-05-16T23:20:00+02:00")
        try box.run("assign", "INC-1", "social", "kim", now: "2026-05-16T23:30:00+02:00")
        try box.run("done", "INC-1", "capture-post", as: "kim", now: "2026-05-16T23:31:00+02:00")
        let result = try box.run("export", "INC-1", now: "2026-05-16T23:32:00+02:00")
        #expect(result.status == 0)
        #expect(result.stdout.contains("| Triage (triage) | 1 | Capture the post before it is deleted (screenshot, URL, time, reach) (capture-post) | social | kim; overdue under sem, lou | 2026-05-16 21:25:00 | 2026-05-16 21:31:00 | **late** |"))
        #expect(result.stdout.contains("| People | comms-lead: anna; social: sem, then kim (deputy lou); director: dirk |"))
        let json = try box.run("export", "INC-1", "--format", "json", now: "2026-05-16T23:32:00+02:00")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let steps = try #require(report["steps"] as? [[String: Any]])
        #expect(steps.first { $0["step"] as? String == "capture-post" }?["overdueUnder"] as? [String] == ["sem", "lou"])
        let holders = try #require(report["roleHolders"] as? [[String: Any]])
        #expect(holders.map { "\($0["role"]!)=\($0["person"]!)\($0["deputy"] as? Bool == true ? " (deputy)" : "")" }
            == ["comms-lead=anna", "social=sem", "director=dirk", "social=lou (deputy)", "social=kim"])
    }
}
