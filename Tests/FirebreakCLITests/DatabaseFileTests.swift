import FirebreakTestSupport
import Foundation
import GRDB
import Testing

/// The file behind `--db`: another program's database is refused and left as it was, a new or
/// empty file becomes Firebreak's, and running out of incident numbers is said as such.
@Suite struct DatabaseFileTests {
    static let foreignSchemas: [String] = [
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes (text) VALUES ('keep me')",
        "CREATE TABLE incident (id INTEGER PRIMARY KEY, summary TEXT); INSERT INTO incident (summary) VALUES ('theirs')",
    ]

    @Test(arguments: foreignSchemas)
    func anotherProgramsDatabaseIsRefusedAndLeftUnchanged(_ schema: String) throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path("other.sqlite")
        try DatabaseQueue(path: path).write { try $0.execute(sql: schema) }
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        for arguments in [["list"], ["verify"], ["open", "offensive-post", "--title", "Mine"]] {
            let result = try Firebreak.run(["--db", path] + arguments, environment: ["FIREBREAK_USER": "anna"])
            #expect(result.status == 74, "\(arguments)")
            #expect(result.stdout == "")
            #expect(result.stderr == "firebreak: error: '\(path)' is not a Firebreak database: it holds another program's tables; it was left unchanged\n")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path) == ["other.sqlite"])
    }

    @Test func anEmptyFileBecomesAFirebreakDatabase() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path("empty.sqlite")
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        let list = try Firebreak.run(["--db", path, "list"])
        #expect(list.status == 0)
        #expect(list.stderr == "")
        let open = try Firebreak.run(["--db", path, "open", "offensive-post", "--title", "First"], environment: ["FIREBREAK_USER": "anna"])
        #expect(open.status == 0)
        #expect(open.stdout.hasPrefix("INC-1"))
    }

    /// AUTOINCREMENT at the largest number SQLite stores makes SQLite say "database or disk is
    /// full"; the user is told what happened instead, and nothing is stored.
    @Test func runningOutOfIncidentNumbersSaysSo() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        #expect(try box.run("open", "offensive-post", "--title", "First").status == 0)
        try DatabaseQueue(path: box.db).write { db in
            try db.execute(sql: "UPDATE sqlite_sequence SET seq = 9223372036854775807 WHERE name = 'incident'")
        }
        let result = try box.run("open", "offensive-post", "--title", "One too many")
        #expect(result.status == 74)
        #expect(result.stdout == "")
        #expect(result.stderr == """
            firebreak: error: could not open the incident: no incident number is left, INC-9223372036854775807 was the last one; open it in a new database (--db PATH)

            """)
        #expect(!result.stderr.contains("full"))
        #expect(try box.run("list", "--all").stdout.components(separatedBy: "\n").filter { $0.hasPrefix("INC-") }.count == 1)
    }
}

@Suite(.serialized) struct FirstUseTests {
    /// Eight processes open an incident at once on a database that does not exist yet, ten times
    /// over: every one succeeds, numbers are INC-1 to INC-8, and the file verifies.
    @Test func eightFirstOpensAtOnceAllSucceed() throws {
        for round in 1...10 {
            let folder = try TemporaryFolder()
            defer { folder.remove() }
            let db = folder.path("new/fb.sqlite")
            var processes: [(Process, Pipe, Pipe)] = []
            for writer in 1...8 {
                let process = Process()
                process.executableURL = Firebreak.binary
                process.arguments = ["open", "offensive-post", "--title", "Opener \(writer)"]
                process.currentDirectoryURL = Fixtures.packageRoot
                var env = ProcessInfo.processInfo.environment
                env["FIREBREAK_DB"] = db
                env["FIREBREAK_USER"] = "writer\(writer)"
                env["FIREBREAK_PLAYBOOKS"] = Fixtures.packageRoot.appendingPathComponent("Playbooks").path
                env["NO_COLOR"] = "1"
                env.removeValue(forKey: "FIREBREAK_NOW")
                process.environment = env
                let out = Pipe(), err = Pipe()
                process.standardOutput = out
                process.standardError = err
                processes.append((process, out, err))
            }
            for (process, _, _) in processes { try process.run() }
            var numbers: [String] = []
            var stderr = ""
            var statuses: [Int32] = []
            for (process, out, err) in processes {
                let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                stderr += String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                process.waitUntilExit()
                statuses.append(process.terminationStatus)
                numbers += stdout.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }.filter { $0.hasPrefix("INC-") }
            }
            #expect(statuses == Array(repeating: 0, count: 8), "round \(round): \(stderr)")
            #expect(stderr == "", "round \(round)")
            #expect(Set(numbers) == Set((1...8).map { "INC-\($0)" }), "round \(round): \(numbers)")
            #expect(try Firebreak.run(["verify"], environment: ["FIREBREAK_DB": db]).status == 0)
        }
    }
}
