import FirebreakTestSupport
import Foundation
import Testing

/// `drill play` with statements, windows, `inject ID now` and the debrief; `drill run/stats --team`;
/// the playbook alone, histograms and `--svg` in `drill stats`. On ``Fixtures/leakedPhoto``.
@Suite struct DrillTeamsAndPlayTests {
    static let scenario = """
        firebreak: 1
        id: photo-night
        title: A leaked photo at night
        playbook: leaked-photo
        cast:
          comms-lead: Ann
          legal: Noor
          director: Marieke
          account: Ben
        injects:
          - id: leak
            at: 0m
            from: Instagram
            text: A photo from the shoot is online.
            expect:
              - { published: press, within: 1h }
              - { informed: client, within: 30m }
          - id: reporter
            at: 30m
            window: 1h
            from: Reporter
            text: Is this your photo?
            expect:
              - { done: follow-up, within: 2h }
        actions:
          - { at: 5m, by: comms-lead, draft: press, text: A photo from a client shoot was shared without consent. We will update by 23:00. }
          - { at: 10m, by: legal, approve: press }
          - { at: 20m, by: director, approve: press }
          - { at: 25m, by: comms-lead, publish: press }
          - { at: 28m, by: account, inform: client, via: phone }
          - { at: 2h, by: comms-lead, draft: press, text: Update. We removed the photo. }
          - { at: 2h5m, by: legal, approve: press }
          - { at: 2h10m, by: director, approve: press }
          - { at: 2h15m, by: comms-lead, publish: press }
          - { at: 2h20m, by: comms-lead, fire: contained }
        teams:
          slow:
            - { at: 50m, by: comms-lead, draft: press, text: A photo was shared. We will update by 23:00. }
            - { at: 1h30m, by: legal, approve: press }
            - { at: 1h40m, by: director, approve: press }
            - { at: 1h45m, by: comms-lead, publish: press }
            - { at: 2h, by: account, inform: client, via: phone }
        variability:
          legal: 1h
          default: 10m
        end: 6h

        """

    /// A sandbox with the leaked-photo playbook (Dutch when `dutch`) and the scenario in `scenarios/photo-night.yaml`.
    func sandbox(dutch: Bool = false) throws -> (Sandbox, [String: String], String) {
        let box = try Sandbox()
        let playbooks = box.folder.path("playbooks"), scenarios = box.folder.path("scenarios")
        for folder in [playbooks, scenarios] { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        let playbook = dutch ? Fixtures.leakedPhoto.replacingOccurrences(of: "severity: high\n", with: "severity: high\nlanguage: nl\n") : Fixtures.leakedPhoto
        try playbook.write(toFile: playbooks + "/leaked-photo.yaml", atomically: true, encoding: .utf8)
        try Self.scenario.write(toFile: scenarios + "/photo-night.yaml", atomically: true, encoding: .utf8)
        var env = box.env("facilitator")
        env["FIREBREAK_PLAYBOOKS"] = playbooks
        return (box, env, scenarios + "/photo-night.yaml")
    }

    static let session = """
        status
        draft press A photo from a client shoot was shared without consent. We will update by 23:00.
        approve press
        approve pres
        as lawyer approve press
        publish press website
        approve press director
        publish press website
        inform client via phone
        inform client by phone
        inject reportr now
        inject reporter now
        inject reporter now
        status
        wait 10m
        end

        """

    @Test func aFacilitatorPlaysStatementsInformsAnEarlyInjectAndEndsWithADebrief() throws {
        let (box, env, path) = try sandbox()
        defer { box.cleanup() }
        let result = try Firebreak.run(["drill", "play", path, "--seed", "5"], environment: env, input: Self.session)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr == "")
        let out = result.stdout
        #expect(out.hasPrefix("""
            Exercise photo-night: A leaked photo at night
            Injects with a window arrive at a moment drawn with seed 5; replay this session with --seed 5.
            Type 'help' for commands. The clock stands still until you type 'wait' or 'next'.

            """))
        for line in [
            "    T+0:00  Ann (comms-lead): drafted S1 for 'press'",
            "    T+0:00  Noor (legal): 'legal' approved S1 version 1",
            "not recorded (typo?): no audience 'pres' (did you mean 'press'?) in playbook 'leaked-photo'; audiences are 'press', 'client'",
            "not recorded (typo?): no role 'lawyer' in playbook 'leaked-photo'; roles are 'comms-lead', 'legal', 'director', 'account'",
            "refused: S1 needs approval from 'director' (held by Marieke); approved by 'legal'",
            "    T+0:00  Marieke (director): 'director' approved S1 version 1",
            "    T+0:00  Ann (comms-lead): published S1 version 1 to 'press' via website",
            "    T+0:00  Ben (account): informed client via phone",
            "error: inform WHO [via CHANNEL]",
            "not recorded (typo?): no inject 'reportr' (did you mean 'reporter'?) in scenario 'photo-night'; injects are 'leak', 'reporter'",
            ">>> T+0:00  Reporter: inject 'reporter': Is this your photo?",
            "inject 'reporter' was already delivered at T+0:00",
            "Debrief: questions for the team",
        ] {
            #expect(out.contains(line + "\n"), "missing: \(line)")
        }
        try expectGolden(out, "play-statements.txt")
        // Recorded, with the early inject at T+0 and nothing of the typos.
        let timeline = try box.run("timeline", "EX-1")
        #expect(timeline.stdout.contains("inject 'reporter'"))
        #expect(!timeline.stdout.contains("pres'") && !timeline.stdout.contains("lawyer") && !timeline.stdout.contains("reportr"))
    }

    @Test func theSameSeedReplaysTheWindowsAndQuitSkipsTheDebrief() throws {
        let (box, env, path) = try sandbox()
        defer { box.cleanup() }
        let input = "next\nnext\nquit\n"
        let first = try Firebreak.run(["drill", "play", path, "--seed", "11", "--no-record"], environment: env, input: input)
        let again = try Firebreak.run(["drill", "play", path, "--seed", "11", "--no-record"], environment: env, input: input)
        #expect(first.status == 0 && first.stdout == again.stdout)
        #expect(!first.stdout.contains("Debrief"))
        let other = try Firebreak.run(["drill", "play", path, "--seed", "12", "--no-record"], environment: env, input: input)
        // The reporter's call comes inside [0:30, 1:30], at a moment that depends on the seed.
        let moment = { (text: String) in text.split(separator: "\n").first { $0.contains("inject 'reporter'") }.map(String.init) ?? "" }
        #expect(moment(first.stdout).hasPrefix(">>> T+"))
        #expect(moment(first.stdout) != moment(other.stdout))
        try expectGolden(moment(first.stdout) + "\n" + moment(other.stdout) + "\n", "play-window-moments.txt")
        // Without --seed a seed is drawn and shown.
        let drawn = try Firebreak.run(["drill", "play", path, "--no-record"], environment: env, input: "quit\n")
        let line = try #require(drawn.stdout.split(separator: "\n").dropFirst().first)
        #expect(line.hasPrefix("Injects with a window arrive at a moment drawn with seed "))
    }

    @Test func aDutchPlaybookGivesDutchRunningLinesAndDebrief() throws {
        let (box, env, path) = try sandbox(dutch: true)
        defer { box.cleanup() }
        let result = try Firebreak.run(["drill", "play", path, "--seed", "5"], environment: env, input: Self.session)
        #expect(result.status == 0, "\(result.stderr)")
        for line in [
            "Typ 'help' voor de opdrachten. De klok staat stil tot je 'wait' of 'next' typt.",
            "niet vastgelegd (typefout?): no audience 'pres' (did you mean 'press'?) in playbook 'leaked-photo'; audiences are 'press', 'client'",
            "fout: inform WHO [via CHANNEL]",
            "Nabespreking: vragen voor het team",
            "vastgelegd als EX-1 (een oefening)",
        ] {
            #expect(result.stdout.contains(line + "\n"), "missing: \(line)")
        }
        try expectGolden(result.stdout, "play-statements.nl.txt")
        // --lang overrides the playbook's language.
        let english = try Firebreak.run(["drill", "play", path, "--seed", "5", "--lang", "en", "--no-record"], environment: env, input: "status\nend\n")
        #expect(english.stdout.contains("Debrief: questions for the team\n"))
    }

    @Test func aTeamIsPickedByNameAndAnUnknownOneListsTheTeams() throws {
        let (box, env, path) = try sandbox()
        defer { box.cleanup() }
        let unknown = try Firebreak.run(["drill", "stats", path, "--team", "fast"], environment: env)
        #expect(unknown.status == 64)
        #expect(unknown.stdout == "")
        #expect(unknown.stderr == "firebreak: error: no team 'fast' in scenario 'photo-night'; teams are 'slow'\n")
        #expect(try Firebreak.run(["drill", "run", path, "--team", "fast"], environment: env).stderr == unknown.stderr)
        let slow = try Firebreak.run(["drill", "run", path, "--team", "slow", "--json"], environment: env)
        let scripted = try Firebreak.run(["drill", "run", path, "--json"], environment: env)
        #expect(slow.status == 0 && scripted.status == 0)
        func met(_ text: String) throws -> [Bool] {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            return try #require(object["expectations"] as? [[String: Any]]).map { $0["met"] as? Bool ?? false }
        }
        #expect(try met(scripted.stdout) == [true, true, true])
        #expect(try met(slow.stdout) == [false, false, false])
        let stats = try Firebreak.run(["drill", "stats", path, "--team", "slow", "--runs", "50"], environment: env)
        #expect(stats.stdout.hasPrefix("drill stats photo-night, team slow: 50 runs, seed 1\n"))
    }

    @Test func statsShowThePlaybookAloneAndHistogramsIdenticalForAnyThreads() throws {
        let (box, env, path) = try sandbox()
        defer { box.cleanup() }
        let svgOne = box.folder.path("one.svg"), svgFour = box.folder.path("four.svg")
        let one = try Firebreak.run(
            ["drill", "stats", path, "--runs", "600", "--seed", "3", "--threads", "1", "--histogram", "--svg", svgOne], environment: env)
        let four = try Firebreak.run(
            ["drill", "stats", path, "--runs", "600", "--seed", "3", "--threads", "4", "--histogram", "--svg", svgFour], environment: env)
        #expect(one.status == 0, "\(one.stderr)")
        #expect(one.stdout == four.stdout)
        #expect(try String(contentsOfFile: svgOne, encoding: .utf8) == String(contentsOfFile: svgFour, encoding: .utf8))
        #expect(one.stdout.contains("\nThe playbook itself: expectations met with no delays (every action at its scripted time)\n"))
        #expect(one.stdout.contains("\nTime to close (600 of 600 runs closed; h:mm from T+0)\n"))
        #expect(one.stdout.contains("\nTime to the first publication (600 of 600 runs published a statement; h:mm from T+0)\n"))
        try expectGolden(one.stdout, "stats-alone-histograms.txt")
        let svg = try String(contentsOfFile: svgOne, encoding: .utf8)
        #expect(svg.hasPrefix("<svg ") && svg.contains("<!-- written by Firebreak (drill stats --svg) -->"))
        // An earlier picture is replaced; another file is not, without --force.
        #expect(try Firebreak.run(["drill", "stats", path, "--runs", "10", "--svg", svgOne], environment: env).status == 0)
        let other = box.folder.path("notes.txt")
        try "my notes".write(toFile: other, atomically: true, encoding: .utf8)
        let refused = try Firebreak.run(["drill", "stats", path, "--runs", "10", "--svg", other], environment: env)
        #expect(refused.status == 64)
        #expect(refused.stderr == "firebreak: error: --svg '\(other)' exists and is not a Firebreak report; give --force to replace it\n")
        #expect(try String(contentsOfFile: other, encoding: .utf8) == "my notes")
        // JSON: the playbook alone per expectation; histograms only when asked.
        let json = try Firebreak.run(["drill", "stats", path, "--runs", "200", "--seed", "3", "--json", "--histogram"], environment: env)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let alone = try #require(object["withoutDelays"] as? [[String: Any]])
        #expect(alone.map { $0["met"] as? Int } == [200, 200, 200])
        #expect(alone.map { $0["target"] as? String } == ["press", "client", "follow-up"])
        let histograms = try #require(object["histograms"] as? [String: Any])
        let close = try #require(histograms["timeToClose"] as? [String: Any])
        #expect(close["runsWithTime"] as? Int == 200)
        #expect((close["counts"] as? [Int])?.reduce(0, +) == 200)
        let plain = try Firebreak.run(["drill", "stats", path, "--runs", "200", "--seed", "3", "--json"], environment: env)
        #expect(!plain.stdout.contains("histograms"))
    }
}
