import FirebreakTestSupport
import Foundation
import GRDB
import Testing

/// The 1.1 `status` (titles, what each step waits for, the next timer, unassigned roles, duties,
/// statements), titles in `timeline`, Dutch output, `EX-N` exercise ids and shell completions.
@Suite struct StatusCommandTests {
    /// A small playbook of its own, so shipped content can change without changing these outputs.
    static func playbook(_ language: String) -> String {
        let dutch = language == "nl"
        return """
            firebreak: 1
            id: night-post
            language: \(language)
            title: \(dutch ? "Een post 's nachts" : "A post at night")
            severity: high
            roles:
              comms-lead: { title: Comms lead, escalates-to: director }
              social: { title: Social, escalates-to: comms-lead }
              legal: { title: Legal }
              director: { title: Director }
            commander: comms-lead
            audiences:
              press: { title: \(dutch ? "Pers" : "Press"), approvers: [legal], cadence: 1h }
            duties:
              - { id: monitor, title: \(dutch ? "Houd het bereik bij" : "Monitor the reach"), owner: social, due: 45m }
            start: triage
            states:
              triage:
                title: \(dutch ? "Inschatten" : "Triage")
                steps:
                  - id: capture
                    title: \(dutch ? "Leg de post vast" : "Capture the post")
                    owner: social
                    due: 15m
                    guidance: \(dutch ? "Schermafbeelding met accountnaam en tijd." : "A screenshot with the account name and the time.")
                  - id: assess
                    title: \(dutch ? "Is dit een incident?" : "Is this an incident?")
                    owner: comms-lead
                    needs: [capture]
                    due: 30m
                    choices: { escalate: escalate, dismiss: dismiss }
                on:
                  escalate: respond
                  dismiss: closed
                after:
                  1h: respond
              respond:
                title: \(dutch ? "Reageren" : "Respond")
                steps:
                  - id: holding
                    title: \(dutch ? "Publiceer een holding statement" : "Publish a holding statement")
                    owner: comms-lead
                    due: 30m
                    statement: press
                    template: |
                      We know about the post.
                      More at [time].
                on:
                  resolved: { to: closed, when: all-done }
              closed:
                title: \(dutch ? "Gesloten" : "Closed")
                final: true

            """
    }

    /// A sandbox with the playbook in both languages, `en/` and `nl/`.
    func sandbox() throws -> Sandbox {
        let box = try Sandbox()
        for language in ["en", "nl"] {
            try FileManager.default.createDirectory(atPath: box.folder.path(language), withIntermediateDirectories: true)
            try Self.playbook(language).write(toFile: box.folder.path("\(language)/night-post.yaml"), atomically: true, encoding: .utf8)
        }
        return box
    }

    func run(_ box: Sandbox, _ language: String, _ arguments: String..., as person: String = "anna", at time: String) throws -> CommandResult {
        try Firebreak.run(["--playbooks", box.folder.path(language)] + arguments, environment: box.env(person, now: "2026-05-16T\(time):00+02:00"))
    }

    /// `status --mine`: only the acting person's open steps (roles held or deputised), with guidance
    /// and template; statements waiting for their roles' approval; a person without a role is told so.
    @Test func statusMineShowsThePersonsOpenStepsWithGuidanceAndTemplate() throws {
        let box = try sandbox()
        defer { box.cleanup() }
        #expect(try run(box, "en", "open", "night-post", "--title", "Post", "--assign", "social=sem", "--assign", "legal=lou", at: "23:10").status == 0)
        #expect(try run(box, "en", "assign", "INC-1", "social", "kim", "--deputy", at: "23:11").status == 0)
        let sem = try run(box, "en", "status", "INC-1", "--mine", as: "sem", at: "23:12")
        #expect(sem.status == 0, "\(sem.stderr)")
        #expect(sem.stdout == """
            INC-1  Post
            playbook night-post · severity high
            state: Triage (triage), entered 21:10 (2m ago)
            commander: comms-lead — anna
            for sem (social): the open steps, with guidance and template
            timer: → Respond (respond) at 22:10 (in 58m), unless the incident leaves this state first

            steps:
              open     Capture the post (capture)
                       social: sem (deputy kim) · due 21:25 (in 13m)
                       guidance:
                         A screenshot with the account name and the time.

            standing duties:
              open     Monitor the reach (monitor)
                       social: sem (deputy kim) · due 21:55 (in 43m)

            """)
        // A deputy sees the role's steps as the holder does; the commander's decision is not theirs.
        let kim = try run(box, "en", "status", "INC-1", "--mine", as: "kim", at: "23:12")
        #expect(kim.stdout == sem.stdout.replacingOccurrences(of: "for sem (social)", with: "for kim (social)"))
        let nobody = try run(box, "en", "status", "INC-1", "--mine", as: "bob", at: "23:12")
        #expect(nobody.status == 0)
        #expect(nobody.stdout.hasSuffix("commander: comms-lead — anna\nbob holds no role in INC-1; 'firebreak status INC-1' shows who does\n"))
        // In Respond: the commander's statement step with its template; legal sees the draft waiting for it.
        #expect(try run(box, "en", "done", "INC-1", "capture", as: "sem", at: "23:15").status == 0)
        #expect(try run(box, "en", "done", "INC-1", "assess", "--choice", "escalate", at: "23:16").status == 0)
        #expect(try run(box, "en", "statement", "draft", "INC-1", "press", "--text", "We know.", at: "23:17").status == 0)
        let anna = try run(box, "en", "status", "INC-1", "--mine", at: "23:18")
        #expect(anna.stdout.contains("""
            steps:
              open     Publish a holding statement (holding)
                       comms-lead: anna · due 21:46 (in 28m)
                       template:
                         We know about the post.
                         More at [time].

            """), "\(anna.stdout)")
        let lou = try run(box, "en", "status", "INC-1", "--mine", as: "lou", at: "23:18")
        #expect(lou.stdout.hasSuffix("""
            for lou (legal): the open steps, with guidance and template

            statements waiting:
              S1 to Press (press), version 1: waiting for approval from legal

            """), "\(lou.stdout)")
        let json = try run(box, "en", "status", "INC-1", "--mine", "--json", as: "sem", at: "23:12")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect((object["mine"] as? [String: Any])?["roles"] as? [String] == ["social"])
        #expect((object["steps"] as? [[String: Any]])?.map { $0["id"] as? String } == [])
        let dutch = try run(box, "en", "status", "INC-1", "--mine", "--lang", "nl", as: "bob", at: "23:18")
        #expect(dutch.stdout.hasSuffix("bob heeft geen rol in INC-1; 'firebreak status INC-1' laat zien wie wel\n"))
    }

    /// The same after a skip that was retracted: the step is open again, and the late entry on time still
    /// supersedes the overdue stored before the skip (the report counts it on time and not overdue).
    @Test func aLateEntryOnTimeAfterARetractedSkipSupersedesTheOverdue() throws {
        let box = try sandbox()
        defer { box.cleanup() }
        #expect(try run(box, "en", "open", "night-post", "--title", "Post", "--assign", "social=sem", at: "23:10").status == 0)
        #expect(try run(box, "en", "note", "INC-1", "still looking", at: "23:27").status == 0)
        let skipped = try run(box, "en", "skip", "INC-1", "capture", "--reason", "gone already", as: "sem", at: "23:28")
        #expect(skipped.status == 0, "\(skipped.stderr)")
        let seq = try #require(skipped.stdout.firstMatch(of: /#(\d+)/).map { String($0.1) })
        #expect(try run(box, "en", "retract", "INC-1", seq, "--reason", "it was still up", as: "sem", at: "23:29").status == 0)
        #expect(try run(box, "en", "done", "INC-1", "capture", "--at", "21:24", as: "sem", at: "23:30").status == 0)
        let timeline = try run(box, "en", "timeline", "INC-1", at: "23:31").stdout
        #expect(timeline.split(separator: "\n").filter { $0.hasSuffix("[superseded: done on time, logged later]") }.count == 2, "\(timeline)")
        let report = try run(box, "en", "export", "INC-1", at: "23:31").stdout
        #expect(report.contains("| Overdue steps | 0 |"), "\(report)")
        #expect(report.contains("| Escalations | 0 |"))
        #expect(report.contains("| Capture the post (capture) | social | sem | 2026-05-16 21:25:00 | 2026-05-16 21:24:00 | on time |"))
    }

    /// A step logged late as done before its deadline is on time everywhere, though an overdue and its
    /// escalation were stored before the entry: in `status` and in the report's metrics and steps.
    @Test func aLateEntryOnTimeSupersedesTheStoredOverdue() throws {
        let box = try sandbox()
        defer { box.cleanup() }
        #expect(try run(box, "en", "open", "night-post", "--title", "Post", "--assign", "social=sem", at: "23:10").status == 0)
        // 23:27: the note stores capture's overdue (due 23:25) and its escalation.
        #expect(try run(box, "en", "note", "INC-1", "still looking", at: "23:27").status == 0)
        let timeline = try run(box, "en", "timeline", "INC-1", at: "23:27").stdout
        #expect(timeline.contains("overdue (due 21:25)"), "\(timeline)")
        // The screenshot was taken at 23:24 (21:24 UTC, the zone the output is in), logged now.
        #expect(try run(box, "en", "done", "INC-1", "capture", "--at", "21:24", as: "sem", at: "23:28").status == 0)
        let status = try run(box, "en", "status", "INC-1", at: "23:29").stdout
        #expect(status.contains("""
              done     Capture the post (capture)
                       social: sem · due 21:25

            """), "\(status)")
        let json = try run(box, "en", "status", "INC-1", "--json", at: "23:29").stdout
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let capture = try #require((object["steps"] as? [[String: Any]])?.first { $0["id"] as? String == "capture" })
        #expect(capture["overdue"] as? Bool == false)
        #expect(capture["escalated"] as? Bool == false)
        // The timeline keeps the overdue and its escalation, marked as superseded; a retracted note is marked too.
        #expect(try run(box, "en", "retract", "INC-1", "7", "--reason", "wrong incident", at: "23:29").status == 0)
        let marked = try run(box, "en", "timeline", "INC-1", at: "23:29").stdout
        let lines = marked.split(separator: "\n").map(String.init)
        #expect(lines.filter { $0.hasSuffix("[superseded: done on time, logged later]") }.count == 2, "\(marked)")
        #expect(lines.contains { $0.hasPrefix("7 ") && $0.hasSuffix("note: still looking [retracted]") }, "\(marked)")
        let report = try run(box, "en", "export", "INC-1", at: "23:29").stdout
        #expect(report.contains("| Overdue steps | 0 |"), "\(report)")
        #expect(report.contains("| Escalations | 0 |"))
        #expect(report.contains("| Capture the post (capture) | social | sem | 2026-05-16 21:25:00 | 2026-05-16 21:24:00 | on time |"))
    }

    /// A standing duty is active from the opening: after a timer moved the state, it may still be logged
    /// as done at a time before that state was entered; a step of the current state may not.
    @Test func aDutyMayBeLoggedBeforeTheCurrentStateWasEntered() throws {
        let box = try sandbox()
        defer { box.cleanup() }
        #expect(try run(box, "en", "open", "night-post", "--title", "Post", "--assign", "social=sem", at: "21:00").status == 0)
        // 22:00 local (20:00 UTC, the zone of --at here): the timer moves the incident to Respond.
        let duty = try run(box, "en", "done", "INC-1", "monitor", "--at", "19:50", as: "sem", at: "22:10")
        #expect(duty.status == 0, "\(duty.stderr)")
        let step = try run(box, "en", "done", "INC-1", "holding", "--at", "19:55", at: "22:11")
        #expect(step.status == 64)
        #expect(step.stderr.contains("is before the incident entered state 'respond'"), "\(step.stderr)")
        let timeline = try run(box, "en", "timeline", "INC-1", at: "22:12").stdout
        #expect(timeline.contains("19:50"), "\(timeline)")
    }

    /// `list` shows every opening with its date, also today's: one time format in the column.
    @Test func listShowsOpeningsInOneFormat() throws {
        let box = try sandbox()
        defer { box.cleanup() }
        #expect(try run(box, "en", "open", "night-post", "--title", "Post", at: "23:10").status == 0)
        #expect(try run(box, "en", "list", at: "23:12").stdout == """
            ID     STATE   SEVERITY  PLAYBOOK    OPENED            TITLE
            INC-1  triage  high      night-post  2026-05-16 21:10  Post

            """)
    }

    @Test func statusShowsTitlesWhatEachStepWaitsForAndTheNextTimer() throws {
        let box = try sandbox()
        defer { box.cleanup() }
        #expect(try run(box, "en", "open", "night-post", "--title", "Post about a contestant", at: "23:10").stdout == "INC-1\n")
        let status = try run(box, "en", "status", "INC-1", at: "23:12")
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout == """
            INC-1  Post about a contestant
            playbook night-post · severity high
            state: Triage (triage), entered 21:10 (2m ago)
            commander: comms-lead — anna
            roles without a person: social
            timer: → Respond (respond) at 22:10 (in 58m), unless the incident leaves this state first

            steps:
              open     Capture the post (capture)
                       social: unassigned · due 21:25 (in 13m)
              open     Is this an incident? (assess)
                       comms-lead: anna · due 21:40 (in 28m) · waits for capture

            standing duties:
              open     Monitor the reach (monitor)
                       social: unassigned · due 21:55 (in 43m)

            possible events:
              escalate → Respond (respond)  (through the decision: done INC-1 assess --choice escalate)
              dismiss → Closed (closed)  (through the decision: done INC-1 assess --choice dismiss)

            """)
        // Once capture is done, the decision shows its choices; an overdue step says by how much.
        #expect(try run(box, "en", "assign", "INC-1", "social", "sem", at: "23:13").status == 0)
        #expect(try run(box, "en", "done", "INC-1", "capture", as: "sem", at: "23:20").status == 0)
        let later = try run(box, "en", "status", "INC-1", at: "23:47")
        #expect(later.stdout == """
            INC-1  Post about a contestant
            playbook night-post · severity high
            state: Triage (triage), entered 21:10 (37m ago)
            commander: comms-lead — anna
            timer: → Respond (respond) at 22:10 (in 23m), unless the incident leaves this state first

            steps:
              OVERDUE  Is this an incident? (assess)
                       comms-lead: anna · due 21:40 (7m overdue) · escalated · choices escalate | dismiss
              done     Capture the post (capture)
                       social: sem · due 21:25

            standing duties:
              open     Monitor the reach (monitor)
                       social: sem · due 21:55 (in 8m)

            possible events:
              escalate → Respond (respond)  (through the decision: done INC-1 assess --choice escalate)
              dismiss → Closed (closed)  (through the decision: done INC-1 assess --choice dismiss)

            """)
        let json = try run(box, "en", "status", "INC-1", "--json", at: "23:12")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let timer = try #require(object["nextTimer"] as? [String: Any])
        #expect(timer["at"] as? String == "2026-05-16T22:10:00Z")
        #expect(timer["to"] as? String == "respond")
        #expect(timer["toTitle"] as? String == "Respond")
    }

    @Test func statusStatementsAndTheOneLineOutputsAreDutchForADutchPlaybook() throws {
        let box = try sandbox()
        defer { box.cleanup() }
        #expect(try run(box, "nl", "open", "night-post", "--title", "Post over een deelnemer", "--assign", "social=sem", "--assign", "legal=noor", at: "23:10").status == 0)
        var result = try run(box, "nl", "done", "INC-1", "capture", as: "sem", at: "23:14")
        #expect(result.stdout == "INC-1 #6 21:14  'capture' gedaan\n")
        result = try run(box, "nl", "done", "INC-1", "assess", "--choice", "escalate", at: "23:20")
        #expect(result.stdout == """
            INC-1 #7 21:20  'assess' gedaan met keuze 'escalate'
            INC-1 #8 21:20  gebeurtenis 'escalate'
            INC-1 #9 21:20  fase 'respond' begonnen vanuit 'triage' door 'escalate'

            """)
        result = try run(box, "nl", "statement", "draft", "INC-1", "press", "--text", "We hebben de post gezien en zoeken het uit.", at: "23:22")
        #expect(result.stdout == "S1\n")
        result = try run(box, "nl", "status", "INC-1", at: "23:30")
        #expect(result.stdout == """
            INC-1  Post over een deelnemer
            draaiboek night-post · ernst hoog
            fase: Reageren (respond), begonnen 21:20 (10 min geleden)
            incidentleider: comms-lead — anna

            stappen:
              open          Publiceer een holding statement (holding)
                            comms-lead: anna · deadline 21:50 (over 20 min)

            doorlopende taken:
              open          Houd het bereik bij (monitor)
                            social: sem · deadline 21:55 (over 25 min)

            statements die op goedkeuring wachten:
              S1 aan Pers (press), versie 1: wacht op goedkeuring van legal (noor)

            mogelijke gebeurtenissen:
              resolved → Gesloten (closed)  (wacht op holding)

            """)
        // --lang en: the same status in English.
        result = try run(box, "nl", "status", "INC-1", "--lang", "en", at: "23:30")
        #expect(result.stdout.hasPrefix("INC-1  Post over een deelnemer\nplaybook night-post · severity high\nstate: Reageren (respond), entered 21:20 (10m ago)\n"))
        result = try run(box, "nl", "statement", "approve", "INC-1", "S1", as: "noor", at: "23:31")
        #expect(result.stdout == "INC-1 #11 21:31  'legal' keurde S1 versie 1 goed\n")
        result = try run(box, "nl", "statement", "publish", "INC-1", "S1", "--channel", "website", at: "23:32")
        #expect(result.stdout == """
            INC-1 #12 21:32  S1 versie 1 gepubliceerd voor 'press' via website
            INC-1 #13 21:32  'holding' gedaan door S1 te publiceren

            """)
        result = try run(box, "nl", "inform", "INC-1", "client", "--via", "telefoon", at: "23:33")
        #expect(result.stdout == "INC-1 #14 21:33  client geïnformeerd via telefoon\n")
        result = try run(box, "nl", "status", "INC-1", at: "23:40")
        #expect(result.stdout.contains("\nvolgende update aan Pers (press) uiterlijk 22:32 (over 52 min)\n"))
        #expect(result.stdout.contains("\ngeïnformeerd:\n  client via telefoon 21:33 door anna\n"))
        // JSON is the same in both languages, a waiting statement's warnings included.
        #expect(try run(box, "nl", "statement", "draft", "INC-1", "press", "--text", "Het was [naam], waarschijnlijk.", at: "23:41").status == 0)
        let json = try run(box, "nl", "status", "INC-1", "--json", at: "23:42").stdout
        #expect(json == (try run(box, "nl", "status", "INC-1", "--json", "--lang", "en", at: "23:42").stdout))
        #expect(json.contains("S2 has placeholder '[naam]' (line 1)"), "\(json)")
    }

    @Test func timelineNamesStepsAndStatesByTitleBesideTheirIds() throws {
        let box = try sandbox()
        defer { box.cleanup() }
        #expect(try run(box, "en", "open", "night-post", "--title", "T", "--assign", "social=sem", at: "23:10").status == 0)
        #expect(try run(box, "en", "done", "INC-1", "capture", as: "sem", at: "23:14").status == 0)
        let english = try run(box, "en", "timeline", "INC-1", at: "23:50")
        #expect(english.stdout == """
            #  AT     WHO                WHAT
            1  21:10  anna (comms-lead)  opened 'T' from playbook 'night-post', severity high
            2  21:10  anna (comms-lead)  assigned role 'comms-lead' to anna
            3  21:10  anna (comms-lead)  assigned role 'social' to sem
            4  21:10  anna               entered Triage (triage)
            5  21:14  sem (social)       done Capture the post (capture)
            6  21:40  firebreak          Is this an incident? (assess) overdue (due 21:40)  [not stored yet]
            7  21:40  firebreak          Is this an incident? (assess) escalated to 'director'  [not stored yet]

            """)
        // What fell due and is not stored is said so, and not as logged late (it is not logged at all).
        // In Dutch; the incident's stored playbook is English, so its titles stay English.
        let dutch = try run(box, "nl", "timeline", "INC-1", "--lang", "nl", at: "23:50")
        #expect(dutch.stdout == """
            #  TIJD   WIE                WAT
            1  21:10  anna (comms-lead)  'T' geopend met draaiboek 'night-post', ernst hoog
            2  21:10  anna (comms-lead)  rol 'comms-lead' toegewezen aan anna
            3  21:10  anna (comms-lead)  rol 'social' toegewezen aan sem
            4  21:10  anna               fase Triage (triage) begonnen
            5  21:14  sem (social)       Capture the post (capture) gedaan
            6  21:40  firebreak          Is this an incident? (assess) te laat (deadline 21:40)  [nog niet opgeslagen]
            7  21:40  firebreak          Is this an incident? (assess) geëscaleerd naar 'director'  [nog niet opgeslagen]

            """)
    }

    @Test func recordedExercisesAreNumberedInTheirOwnSeries() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        #expect(try box.run("open", "offensive-post", "--title", "Real one").stdout == "INC-1\n")
        var result = try box.run("drill", "run", "song-contest-tweet", "--record")
        #expect(result.status == 0)
        #expect(result.stderr == "recorded as EX-1 (an exercise)\n")
        #expect(try box.run("open", "offensive-post", "--title", "Real two").stdout == "INC-2\n")
        result = try box.run("drill", "run", "song-contest-tweet", "--record")
        #expect(result.stderr == "recorded as EX-2 (an exercise)\n")
        result = try box.run("list", "--all", "--exercises", "--json")
        let ids = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]]).compactMap { $0["id"] as? String }
        #expect(ids == ["INC-1", "INC-2", "EX-1", "EX-2"])
        for arguments in [["status", "EX-1"], ["status", "ex-2"], ["timeline", "EX-1"], ["export", "EX-1"], ["verify", "EX-2"]] {
            let read = try Firebreak.run(arguments, environment: box.env("anna"))
            #expect(read.status == 0, "\(arguments): \(read.stderr)")
        }
        #expect(try box.run("status", "EX-1").stdout.hasPrefix("EX-1  "))
        #expect(try box.run("timeline", "ex-2").stdout.contains("opened 'A presenter insults"))
        result = try box.run("status", "EX-3")
        #expect(result.status == 66)
        #expect(result.stderr == "firebreak: error: no incident EX-3 in '\(box.db)'\n")
        result = try box.run("status", "EX-0")
        #expect(result.status == 64)
        #expect(result.stderr == "firebreak: error: 'EX-0' is not an incident id; incident ids look like INC-7, recorded exercises EX-3\n")
        #expect(try box.run("verify").stdout.hasPrefix("ok: 4 incidents, "))
    }

    /// An exercise recorded before 1.1 keeps its INC number; the next one takes EX-1, and real
    /// incidents go on after the highest INC number.
    @Test func anOlderDatabaseKeepsItsExerciseNumbers() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        #expect(try box.run("open", "offensive-post", "--title", "Real one").status == 0)
        #expect(try box.run("drill", "run", "song-contest-tweet", "--record").status == 0)
        // As a 1.0 database had it: the exercise under the next number of the one series.
        let queue = try DatabaseQueue(path: box.db)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA foreign_keys = OFF")
            try db.execute(sql: "DROP TRIGGER event_append_only_update")
            try db.execute(sql: "UPDATE event SET incident = 2 WHERE incident = -1")
            try db.execute(sql: "UPDATE incident SET number = 2 WHERE number = -1")
            try db.execute(sql: "UPDATE sqlite_sequence SET seq = 2 WHERE name = 'incident'")
            try db.execute(sql: "CREATE TRIGGER event_append_only_update BEFORE UPDATE ON event BEGIN SELECT RAISE(ABORT, 'events are append-only'); END")
        }
        try queue.close()
        // (Its hashes covered -1, so verify would name the move; the ids work as before.)
        #expect(try box.run("status", "INC-2").stdout.hasPrefix("INC-2  "))
        #expect(try box.run("drill", "run", "song-contest-tweet", "--record").stderr == "recorded as EX-1 (an exercise)\n")
        #expect(try box.run("open", "offensive-post", "--title", "Real two").stdout == "INC-3\n")
    }

    /// What the shell gets back from `firebreak ---completion`, as the generated scripts ask it.
    func complete(_ box: Sandbox, _ path: [String], _ argument: String, _ words: [String]) throws -> [String] {
        let typed = words.last ?? ""
        let result = try Firebreak.run(
            ["---completion"] + path + ["--", argument, "\(words.count - 1)", "\(typed.count)"] + words, environment: box.env("anna"))
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout.split(separator: "\n").map(String.init)
    }

    @Test func completionsComeFromTheDatabaseAndThePlaybookFolder() throws {
        let box = try sandbox()
        defer { box.cleanup() }
        let playbooks = ["--playbooks", box.folder.path("en")]
        #expect(try run(box, "en", "open", "night-post", "--title", "T", "--assign", "social=sem", at: "23:10").status == 0)
        #expect(try run(box, "en", "open", "night-post", "--title", "U", at: "23:11").status == 0)
        #expect(try run(box, "en", "close", "INC-2", "--reason", "dup", at: "23:12").status == 0)
        #expect(try box.run("drill", "run", "song-contest-tweet", "--record").status == 0)
        #expect(try complete(box, ["status"], "positional@0", ["firebreak", "status", ""]) == ["INC-1", "INC-2", "EX-1"])
        #expect(try complete(box, ["status"], "positional@0", ["firebreak", "status", "ex"]) == ["EX-1"])
        #expect(try complete(box, ["done"], "positional@1", ["firebreak", "done", "INC-1", ""]) == ["capture", "assess", "monitor"])
        #expect(try complete(box, ["done"], "positional@1", ["firebreak", "done", "inc-1", "a"]) == ["assess"])
        #expect(try complete(box, ["fire"], "positional@1", ["firebreak", "fire", "INC-1", ""]) == ["escalate", "dismiss"])
        #expect(try complete(box, ["assign"], "positional@1", ["firebreak", "assign", "INC-1", "l"]) == ["legal"])
        #expect(try complete(box, ["statement", "draft"], "positional@1", ["firebreak", "statement", "draft", "INC-1", ""]) == ["press"])
        #expect(try run(box, "en", "statement", "draft", "INC-1", "press", "--text", "We are looking into it.", at: "23:13").status == 0)
        #expect(try complete(box, ["statement", "approve"], "positional@1", ["firebreak", "statement", "approve", "INC-1", ""]) == ["S1"])
        #expect(try complete(box, ["open"], "positional@0", ["firebreak"] + playbooks + ["open", "n"]) == ["night-post"])
        // Nothing to read, nothing completed, and no error.
        #expect(try complete(box, ["done"], "positional@1", ["firebreak", "--db", box.folder.path("none.sqlite"), "done", "INC-1", ""]) == [])
        #expect(try complete(box, ["done"], "positional@1", ["firebreak", "done", "INC-9", ""]) == [])
    }

    /// In a process of its own: generating a script sets the argument parser's process-wide "shell being
    /// served", which would change how in-process `---completion` answers of other tests are written.
    @Test(arguments: ["bash", "zsh", "fish"])
    func theCompletionScriptsAskFirebreakForIds(_ shell: String) throws {
        let result = try Firebreak.runBinary(["--generate-completion-script", shell])
        #expect(result.status == 0)
        #expect(result.stdout.contains("---completion"))
        for command in ["status", "done", "statement", "drill"] { #expect(result.stdout.contains(command), "\(command)") }
    }
}
