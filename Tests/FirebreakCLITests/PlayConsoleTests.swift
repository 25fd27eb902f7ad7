@testable import FirebreakCLI
import FirebreakCore
import FirebreakLoading
import FirebreakTestSupport
import Foundation
import Testing

/// `drill play` for a facilitator: the line editor (keys, history, completion), `wait` stopping at
/// an inject, and `--clock` letting time run by itself.
@Suite struct PlayConsoleTests {
    func type(_ text: String, into editing: inout LineEditing) {
        for key in Key.parse(Array(text.utf8)).keys { _ = editing.apply(key) }
    }

    @Test func keysAreParsedFromTheTerminalsBytes() {
        #expect(Key.parse(Array("ab\u{7F}\r".utf8)).keys == [.text("a"), .text("b"), .backspace, .enter])
        #expect(Key.parse([27, 91, 65, 27, 91, 66, 27, 91, 67, 27, 91, 68, 27, 91, 51, 126, 1, 5, 21, 4, 3, 9]).keys == [
            .up, .down, .right, .left, .delete, .home, .end, .killLine, .endOfInput, .interrupt, .tab,
        ])
        // An escape sequence or a UTF-8 character cut by a read waits for its next bytes.
        let cut = Key.parse([UInt8(ascii: "x"), 27, 91])
        #expect(cut.keys == [.text("x")])
        #expect(cut.rest == [27, 91])
        let ij = Array("ĳ".utf8)
        #expect(Key.parse([ij[0]]).rest == [ij[0]])
        #expect(Key.parse(ij).keys == [.text("ĳ")])
    }

    @Test func editingMovesTheCursorAndKeepsAHistory() {
        var editing = LineEditing()
        type("note hallo", into: &editing)
        #expect(editing.line == "note hallo")
        type("\u{1B}[D\u{1B}[D\u{7F}X", into: &editing)  // two left, backspace, X
        #expect(editing.line == "note haXlo")
        #expect(editing.cursor == 8)
        #expect(editing.apply(.enter) == .submit("note haXlo"))
        #expect(editing.line == "")
        type("status", into: &editing)
        #expect(editing.apply(.enter) == .submit("status"))
        type("wa", into: &editing)
        // Up goes back through the history; Down returns to the line being typed.
        _ = editing.apply(.up)
        #expect(editing.line == "status")
        _ = editing.apply(.up)
        #expect(editing.line == "note haXlo")
        _ = editing.apply(.up)
        #expect(editing.line == "note haXlo")
        _ = editing.apply(.down)
        _ = editing.apply(.down)
        #expect(editing.line == "wa")
        // Ctrl-U removes what is before the cursor; Ctrl-D on an empty line ends, Ctrl-C interrupts.
        _ = editing.apply(.killLine)
        #expect(editing.line == "")
        #expect(editing.apply(.endOfInput) == .end)
        type("done", into: &editing)
        #expect(editing.apply(.interrupt) == .interrupt)
        #expect(editing.line == "")
        // An empty line and a repeat are not added to the history.
        _ = editing.apply(.enter)
        type("status", into: &editing)
        _ = editing.apply(.enter)
        #expect(editing.history == ["note haXlo", "status"])
    }

    @Test func tabCompletesCommandsAndThePlaybooksNames() throws {
        let shipped = try loadPlaybook(try Fixtures.shippedPlaybookText("offensive-post.yaml"))
        let text = try String(contentsOf: Fixtures.packageRoot.appendingPathComponent("Scenarios/song-contest-tweet.yaml"), encoding: .utf8)
        let (scenario, playbook) = try loadScenario(text, playbook: shipped)
        let session = PlaySession(exercise: Simulator(scenario: scenario, playbook: playbook).live(seed: nil), scenario: scenario, playbook: playbook)
        var editing = LineEditing()
        editing.completions = { session.completions(after: $0) }
        type("do", into: &editing)
        #expect(editing.apply(.tab) == .edited)
        #expect(editing.line == "done ")
        type("capt", into: &editing)
        _ = editing.apply(.tab)
        #expect(editing.line == "done capture-post ")
        _ = editing.apply(.killLine)
        // Several words fit: the common start is completed, then Tab shows them.
        type("as social d", into: &editing)
        _ = editing.apply(.tab)
        #expect(editing.line == "as social d")
        #expect(editing.apply(.tab) == .choices(["done", "draft"]))
        _ = editing.apply(.killLine)
        type("done assess-post ", into: &editing)
        #expect(editing.apply(.tab) == .choices(["escalate", "dismiss"]) || editing.line.hasPrefix("done assess-post "))
        #expect(session.completions(after: ["done", "assess-post"]) == playbook.anyStep("assess-post")?.choices?.options)
        #expect(session.completions(after: ["inject", "tweet"]) == ["now"])
        #expect(session.completions(after: ["inject"]) == ["tweet", "reach-growing", "press-call", "contestant-team", "tabloid"])
        #expect(session.completions(after: ["fire"]) == playbook.tables.eventNames)
        #expect(session.completions(after: ["note"]) == [])
    }

    /// The console's refusals name the command as it is typed there, not the command line's form.
    @Test func refusalsUseTheConsolesOwnSyntax() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        let result = try Firebreak.run(
            ["drill", "play", "song-contest-tweet", "--no-record"], environment: box.env("facilitator"),
            input: "done capture-post\ndone holding-line\nfire escalate\ndone assess-post\nquit\n")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("'escalate' is decided by step 'assess-post' (owner comms-lead): done assess-post escalate\n"), "\(result.stdout)")
        #expect(result.stdout.contains("step 'assess-post' is a decision; type 'done assess-post CHOICE', CHOICE one of 'escalate', 'dismiss'\n"))
        #expect(!result.stdout.contains("--choice"))
    }

    /// `drill stats` speaks the playbook's language, or `--lang`'s.
    @Test func drillStatsIsDutchForADutchScenario() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        let path = Fixtures.packageRoot.appendingPathComponent("Scenarios/nl/photo-shoot-leak-night.yaml").path
        let playbooks = Fixtures.packageRoot.appendingPathComponent("Playbooks/nl").path
        let dutch = try Firebreak.run(["drill", "stats", path, "--runs", "50", "--seed", "1", "--playbooks", playbooks], environment: box.env("anna"))
        #expect(dutch.status == 0, "\(dutch.stderr)")
        for line in [
            "drill stats photo-shoot-leak-night: 50 simulaties, seed 1\n\nVerwachtingen gehaald (95%-Wilsoninterval)\n",
            "\nHet draaiboek zelf: verwachtingen gehaald zonder vertraging (elke actie op de geplande tijd)\n",
            "\nStappen op tijd (aandeel van de simulaties waarin de stap actief was)\n",
            "Vertragingen die de meeste gemiste verwachtingen kostten:\n",
        ] {
            #expect(dutch.stdout.contains(line), "missing: \(line)")
        }
        let english = try Firebreak.run(
            ["drill", "stats", path, "--runs", "50", "--seed", "1", "--lang", "en", "--playbooks", playbooks], environment: box.env("anna"))
        #expect(english.stdout.contains("\n\nExpectations met (95% Wilson interval)\n"))
    }

    /// `wait` ends at an inject that comes within it, and says so.
    @Test func waitStopsAtTheNextInject() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        let result = try Firebreak.run(
            ["drill", "play", "song-contest-tweet", "--no-record"], environment: box.env("facilitator"), input: "wait 1h\nstatus\nquit\n")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains(">>> T+0:20  Social listening: inject 'reach-growing': "))
        #expect(result.stdout.contains("the wait stopped at T+0:20: an inject came\n"))
        #expect(!result.stdout.contains(">>> T+0:45"))
    }

    /// With `--clock 60x` a minute of the exercise passes each second: an inject comes without a
    /// command typed (a real process, a pipe and real time).
    @Test func theClockRunsByItselfAndInjectsArriveWhenDue() async throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        let original = try String(contentsOf: Fixtures.packageRoot.appendingPathComponent("Scenarios/song-contest-tweet.yaml"), encoding: .utf8)
        let quick = original.replacingOccurrences(of: "  - id: reach-growing\n    at: 20m", with: "  - id: reach-growing\n    at: 2m")
        #expect(quick != original)
        let path = box.folder.path("quick.yaml")
        try quick.write(toFile: path, atomically: true, encoding: .utf8)
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("FIREBREAK_") }
        env.merge(box.env("facilitator")) { $1 }
        // In real time on a thread of its own (the tests' pool runs other tests meanwhile).
        let (text, exitStatus) = try await offThePool { [env] () throws -> (String, Int32) in
            let process = Process()
            process.executableURL = Firebreak.binary
            process.arguments = ["drill", "play", path, "--clock", "60x", "--no-record", "--playbooks", Fixtures.packageRoot.appendingPathComponent("Playbooks").path]
            process.environment = env
            let input = Pipe(), output = Pipe()
            process.standardInput = input
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            Thread.sleep(forTimeInterval: 3.5)
            input.fileHandleForWriting.write(Data("status\nquit\n".utf8))
            try input.fileHandleForWriting.close()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (text, process.terminationStatus)
        }
        #expect(exitStatus == 0)
        let inject = try #require(text.range(of: ">>> T+0:02  Social listening: inject 'reach-growing': "), "\(text)")
        let status = try #require(text.range(of: "\nT+0:0"), "\(text)")
        // The inject came before the status the facilitator asked for after 3.5 s.
        #expect(inject.lowerBound < status.lowerBound)
    }
}
