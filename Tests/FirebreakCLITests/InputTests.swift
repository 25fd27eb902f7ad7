import FirebreakTestSupport
import Foundation
import Testing

/// What comes from outside before any command logic: files with a byte-order mark, files with
/// thousands of problems, arguments that are not UTF-8, the environment.
@Suite struct InputTests {
    static let bom = "\u{FEFF}"

    /// A byte-order mark at the start of a playbook or scenario file is accepted, and positions
    /// (and the caret under line 1) are counted from after it.
    @Test func aByteOrderMarkIsAcceptedInPlaybooksAndScenarios() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let playbooks = folder.path("Playbooks")
        try FileManager.default.createDirectory(atPath: playbooks, withIntermediateDirectories: true)
        let playbook = try Fixtures.shippedPlaybookText("online-discussion.yaml")
        try (Self.bom + playbook).write(toFile: folder.path("Playbooks/online-discussion.yaml"), atomically: true, encoding: .utf8)
        let scenario = try String(
            contentsOf: Fixtures.packageRoot.appendingPathComponent("Scenarios/heated-thread.yaml"), encoding: .utf8)
        let scenarioPath = folder.path("heated-thread.yaml")
        try (Self.bom + scenario).write(toFile: scenarioPath, atomically: true, encoding: .utf8)
        let env = ["FIREBREAK_PLAYBOOKS": playbooks, "FIREBREAK_DB": folder.path("fb.sqlite"), "FIREBREAK_USER": "anna"]

        let check = try Firebreak.run(["playbook", "check", playbooks, scenarioPath], environment: env)
        #expect(check.stderr == "")
        #expect(check.stdout == "checked 2 files: 0 errors, 0 warnings\n")
        #expect(check.status == 0)
        #expect(try Firebreak.run(["open", "online-discussion", "--title", "BOM"], environment: env).stdout.hasPrefix("INC-1"))
        #expect(try Firebreak.run(["drill", "run", scenarioPath], environment: env).status == 0)

        let broken = folder.path("broken.yaml")
        try (Self.bom + playbook.replacingOccurrences(of: "firebreak: 1\n", with: "firebreak: 2\n"))
            .write(toFile: broken, atomically: true, encoding: .utf8)
        let result = try Firebreak.run(["playbook", "check", broken], environment: env)
        #expect(result.status == 65)
        #expect(result.stderr.hasPrefix("""
            \(broken):1:12: error: unsupported format version 2; this Firebreak reads 'firebreak: 1'
            firebreak: 2
                       ^

            """))
    }

    /// Thousands of problems in one file: the first 100 are printed, then one line says how many
    /// more there were; a file over the size limit is one error, whatever it holds.
    @Test func diagnosticsAreCappedAtAHundredPerFile() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        var text = "firebreak: 1\nid: big\ntitle: Big\n"
        var keys = 0
        while text.utf8.count < 3 << 20 {
            text += "unknown\(keys): x\n"
            keys += 1
        }
        let path = folder.path("big.yaml")
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        let output = try Firebreak.run(["playbook", "check", path])
        #expect(output.status == 65)
        let headers = output.stderr.split(separator: "\n").filter { $0.hasPrefix("\(path):") }
        #expect(headers.count == 101)
        // 4 missing keys, then the unknown keys: the rest are counted.
        #expect(headers.last == "\(path): \(keys + 4 - 100) more not shown (\(keys + 4 - 100) errors, 0 warnings); the first 100 are above")
        #expect(output.stderr.hasSuffix("firebreak: error: checked 1 file: \(keys + 4) errors, 0 warnings\n"))
        #expect(output.stderr.utf8.count < 32 << 10)

        let huge = folder.path("huge.yaml")
        try String(repeating: "unknown-key: x\n", count: (8 << 20) / 15).write(toFile: huge, atomically: false, encoding: .utf8)
        let refused = try Firebreak.run(["playbook", "check", huge])
        #expect(refused.stderr == """
            \(huge):1:1: error: '\(huge)' is larger than 4 MiB; a playbook or scenario is a small text file
            firebreak: error: checked 1 file: 1 error, 0 warnings

            """)
    }

    /// The shell can pass bytes that are not UTF-8; they are refused with the argument's position
    /// (counted after the program's name), never stored as U+FFFD.
    @Test func anArgumentThatIsNotUTF8IsRefusedNamingItsPosition() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        #expect(try box.run("open", "offensive-post", "--title", "Bytes").status == 0)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", #"exec "$FB" note INC-1 "caf$(printf '\351')""#]
        var env = ProcessInfo.processInfo.environment
        env.merge(box.env("anna")) { $1 }
        env["FB"] = Firebreak.binary.path
        process.environment = env
        let result = try process.runCollecting()
        #expect(result.status == 64)
        #expect(result.stdout == "")
        #expect(result.stderr == "firebreak: error: argument 3 is not valid UTF-8 text; give every argument in UTF-8\n")
        let timeline = try box.run("timeline", "INC-1", "--json")
        #expect(!timeline.stdout.contains("\"note\""))
    }

    /// With neither `--db`, `FIREBREAK_DB` nor `XDG_DATA_HOME`, the database is under `$HOME`.
    @Test func theDefaultDatabaseIsUnderHOME() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let result = try Firebreak.run(["list"], environment: ["HOME": folder.url.path, "XDG_DATA_HOME": ""])
        #expect(result.status == 66)
        #expect(result.stderr == "firebreak: error: no incident database at '\(folder.path(".local/share/firebreak/firebreak.sqlite"))'; open an incident first, or give --db PATH\n")
        let xdg = try Firebreak.run(["list"], environment: ["HOME": folder.url.path, "XDG_DATA_HOME": folder.path("data")])
        #expect(xdg.stderr.contains("'\(folder.path("data/firebreak/firebreak.sqlite"))'"))
    }
}
