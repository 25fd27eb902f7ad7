import FirebreakTestSupport
import Foundation
import Testing

/// Standard output that cannot be written (full, or closed) is one line on standard error and
/// exit 74 — never a crash — and a command that stored something says what it stored, so a
/// script does not record it twice.
@Suite struct OutputFailureTests {
    static let commands: [[String]] = [
        ["playbook", "list"], ["playbook", "show", "offensive-post"], ["playbook", "graph", "offensive-post"],
        ["list", "--all"], ["status", "INC-1"], ["timeline", "INC-1"], ["timeline", "INC-1", "--json"],
        ["export", "INC-1"], ["verify"], ["drill", "run", "song-contest-tweet"],
        ["drill", "stats", "song-contest-tweet", "--runs", "50"],
    ]

    /// Runs the binary through a shell with standard output redirected as `redirect` says.
    func run(_ arguments: [String], redirect: String, box: Sandbox) throws -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "exec \"$FB\" \"$@\" \(redirect)", "sh"] + arguments
        var env = ProcessInfo.processInfo.environment
        env.merge(box.env("anna")) { $1 }
        env["FB"] = Firebreak.binary.path
        env["NO_COLOR"] = "1"
        process.environment = env
        process.currentDirectoryURL = Fixtures.packageRoot
        return try process.runCollecting()
    }

    @Test(arguments: [">/dev/full", ">&-"])
    func everyCommandReportsAnOutputFailure(_ redirect: String) throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        #expect(try box.run("open", "offensive-post", "--title", "T").status == 0)
        for arguments in Self.commands {
            let result = try run(arguments, redirect: redirect, box: box)
            let what = "\(arguments.joined(separator: " ")) \(redirect)"
            #expect(!result.crashed, "\(what) crashed")
            #expect(result.status == 74, "\(what) exited \(result.status): \(result.stderr)")
            #expect(result.stderr.hasPrefix("firebreak: error: ") && result.stderr.contains("could not be written"), "\(what): \(result.stderr)")
        }
    }

    @Test(arguments: [">/dev/full", ">&-"])
    func storedChangeSaysWhatWasStored(_ redirect: String) throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        let opened = try run(["open", "offensive-post", "--title", "T"], redirect: redirect, box: box)
        #expect(opened.status == 74)
        #expect(opened.stderr.hasPrefix("firebreak: error: recorded as INC-1, but the output could not be written: "))
        let noted = try run(["note", "INC-1", "written once"], redirect: redirect, box: box)
        #expect(noted.status == 74)
        #expect(noted.stderr.hasPrefix("firebreak: error: recorded as INC-1 #4, but the output could not be written: "))
        #expect(noted.stderr.split(separator: "\n").count == 1)
        for (arguments, seq) in [
            (["done", "INC-1", "capture-post"], 5), (["skip", "INC-1", "assess-post", "--reason", "r"], 6),
            (["assign", "INC-1", "hr", "hal"], 7), (["close", "INC-1", "--reason", "done"], 8),
        ] {
            let result = try run(arguments, redirect: redirect, box: box)
            #expect(result.status == 74, "\(arguments)")
            #expect(result.stderr.hasPrefix("firebreak: error: recorded as INC-1 #\(seq), but the output could not be written: "), "\(arguments): \(result.stderr)")
        }
        // Stored exactly once.
        let timeline = try box.run("timeline", "INC-1", "--json")
        #expect(timeline.stdout.components(separatedBy: "written once").count == 2)
    }
}
