import FirebreakTestSupport
import Foundation
import Testing

@Suite struct DrillCommandTests {
    static let scenarios = [
        "song-contest-tweet", "carbon-monoxide-speculation", "prelaunch-photo", "heated-thread", "leaked-figures", "arrears-video", "adios-amigos-tweet",
    ]

    @Test(arguments: scenarios)
    func scriptedRunIsDeterministicAndMissesAnExpectation(scenario: String) throws {
        let first = try Firebreak.run(["drill", "run", scenario])
        let second = try Firebreak.run(["drill", "run", scenario])
        #expect(first.status == 0)
        #expect(first.stdout == second.stdout)
        #expect(first.stderr == "")
        let json = try Firebreak.run(["drill", "run", scenario, "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["scenario"] as? String == scenario)
        #expect(object["closed"] as? Bool == true)
        let score = try #require(object["score"] as? [String: Int])
        #expect(score["expectationsMet"]! < score["expectationsTotal"]!, "shipped scenarios are written to miss at least one expectation")
        for key in ["playbook", "finalState", "closedAtSeconds", "expectations", "steps", "pending", "timeline"] {
            #expect(object[key] != nil, "missing \(key)")
        }
        let strict = try Firebreak.run(["drill", "run", scenario, "--strict"])
        #expect(strict.status == 1)
    }

    /// The after-action report of a run that did not close measures up to where the exercise stopped, not
    /// to the wall clock (the sandbox's clock is 25 minutes after this scenario's start; its end is 8h).
    @Test func anUnclosedExercisesReportLastsUntilTheExerciseStopped() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        let scenario = Fixtures.packageRoot.appendingPathComponent("Benchmarks/python/eight-actions.yaml").path
        let report = box.folder.path("report.md")
        let result = try Firebreak.run(["drill", "run", scenario, "--report", report], environment: box.env("anna"))
        #expect(result.status == 0, "\(result.stderr)")
        let text = try String(contentsOfFile: report, encoding: .utf8)
        #expect(text.contains("\n| Duration | 8h so far |\n"), "\(text)")
    }

    @Test func songContestScoreIsAsScripted() throws {
        let result = try Firebreak.run(["drill", "run", "song-contest-tweet", "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let expectations = try #require(object["expectations"] as? [[String: Any]])
        let missed = expectations.filter { $0["met"] as? Bool == false }
        #expect(missed.count == 1)
        #expect(missed.first?["inject"] as? String == "press-call")
        #expect(missed.first?["target"] as? String == "distancing-statement")
        #expect(missed.first?["deadlineSeconds"] as? Int == 4500)
        #expect(object["closedAtSeconds"] as? Int == 72_600)
        // The contingency fired 'story-published' at the deadline: the incident entered 'escalated' then.
        let timeline = try #require(object["timeline"] as? [[String: Any]])
        let escalated = timeline.first { $0["kind"] as? String == "entered" && $0["state"] as? String == "escalated" }
        #expect(escalated?["atSeconds"] as? Int == 4500)
        #expect(escalated?["event"] as? String == "story-published")
    }

    /// Also with inject windows (prelaunch-photo, parcel-driver-post-measured), drawn from each run's own generator.
    @Test(arguments: ["song-contest-tweet", "prelaunch-photo", "parcel-driver-post-measured"])
    func statsDoNotDependOnThreads(scenario: String) throws {
        let one = try Firebreak.run(["drill", "stats", scenario, "--runs", "300", "--seed", "9", "--threads", "1", "--json"])
        let many = try Firebreak.run(["drill", "stats", scenario, "--runs", "300", "--seed", "9", "--threads", "4", "--json"])
        #expect(one.status == 0)
        #expect(one.stdout == many.stdout)
        let text = try Firebreak.run(["drill", "stats", scenario, "--runs", "300", "--seed", "9", "--threads", "1"])
        #expect(text.stdout == (try Firebreak.run(["drill", "stats", scenario, "--runs", "300", "--seed", "9", "--threads", "4"])).stdout)
        let other = try Firebreak.run(["drill", "stats", scenario, "--runs", "300", "--seed", "10", "--threads", "4", "--json"])
        #expect(other.stdout != one.stdout)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(one.stdout.utf8)) as? [String: Any])
        #expect(object["runs"] as? Int == 300)
        #expect(object["seed"] as? String == "9")
        let expectations = try #require(object["expectations"] as? [[String: Any]])
        for e in expectations {
            let share = try #require(e["share"] as? Double), low = try #require(e["low"] as? Double), high = try #require(e["high"] as? Double)
            #expect(low <= share && share <= high && 0 <= low && high <= 1)
        }
    }

    @Test func playDrivenThroughAPipe() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        let input = """
            status
            done capture-post
            done holding-line
            done assess-post escalate
            fire nothing-like-this
            done captur-post
            next
            wait 10m
            note The presenter deleted the tweet
            quit

            """
        let result = try Firebreak.run(["drill", "play", "song-contest-tweet"], environment: box.env("facilitator"), input: input)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains(">>> T+0:00  X (Twitter): inject 'tweet': "))
        #expect(result.stdout.contains("    T+0:00  Sem Bakker (social): done 'capture-post'\n"))
        #expect(result.stdout.contains("    T+0:00  Anna de Vries (comms-lead): entered 'distance' from 'triage' by 'escalate'") == false)
        #expect(result.stdout.contains("    T+0:00  Anna de Vries: entered 'distance' from 'triage' by 'escalate'\n"))
        // A name the playbook does not have is the facilitator's typo: answered, not recorded or scored.
        #expect(result.stdout.contains("not recorded (typo?): no event 'nothing-like-this' in playbook 'offensive-post'; events are "))
        #expect(result.stdout.contains("not recorded (typo?): no step 'captur-post' (did you mean 'capture-post'?) in playbook 'offensive-post'; steps are "))
        #expect(result.stdout.contains(">>> T+0:20  Social listening: inject 'reach-growing': "))
        #expect(result.stdout.contains("    T+0:30  Anna de Vries (comms-lead): note: The presenter deleted the tweet\n"))
        #expect(result.stdout.contains("\nExpectations: "))
        #expect(result.stdout.hasSuffix("recorded as EX-1 (an exercise)\n"))
        // Stopped early, the recorded exercise is closed where it stopped: no real-time timer runs on it later.
        let list = try box.run("list", "--all", "--exercises")
        #expect(list.stdout.contains("EX-1  closed (exercise)"))
        // --exercises alone lists the recorded (closed) exercise; a plain list does not.
        #expect(try box.run("list", "--exercises").stdout.contains("EX-1  closed (exercise)"))
        #expect(!(try box.run("list").stdout.contains("EX-1")))
        let timeline = try box.run("timeline", "EX-1")
        #expect(timeline.stdout.contains("force-closed: the exercise ended at T+0:30"))
        #expect(!timeline.stdout.contains("nothing-like-this") && !timeline.stdout.contains("captur-post"))
    }
}
