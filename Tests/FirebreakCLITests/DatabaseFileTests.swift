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

/// Permissions: said as what is actually wrong. Root ignores file permissions, so as root the
/// binary runs as `nobody` (through `setpriv`).
@Suite struct PermissionTests {
    func run(_ arguments: [String], db: String) throws -> CommandResult {
        let process = Process()
        var env = ProcessInfo.processInfo.environment
        env["FIREBREAK_DB"] = db
        env["FIREBREAK_USER"] = "anna"
        env["NO_COLOR"] = "1"
        env["TZ"] = "UTC"
        env.removeValue(forKey: "FIREBREAK_NOW")
        process.environment = env
        if getuid() == 0 {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", Firebreak.binary.path] + arguments
        } else {
            process.executableURL = Firebreak.binary
            process.arguments = arguments
        }
        return try process.runCollecting()
    }

    func chmod(_ mode: Int, _ path: String) throws {
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }

    @Test(.enabled(if: getuid() != 0 || FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")))
    func aReadOnlyFolderOrDatabaseCanBeReadAndWritesNameWhatIsReadOnly() throws {
        let folder = try TemporaryFolder()
        defer {
            try? chmod(0o755, folder.url.path)
            folder.remove()
        }
        let db = folder.path("fb.sqlite")
        #expect(try Firebreak.run(["open", "offensive-post", "--title", "Perms"], environment: ["FIREBREAK_DB": db, "FIREBREAK_USER": "anna"]).status == 0)
        try chmod(0o755, folder.url.path)
        if getuid() == 0 {
            for path in [folder.url.path] + (try FileManager.default.contentsOfDirectory(atPath: folder.url.path)).map(folder.path) {
                try FileManager.default.setAttributes([.ownerAccountID: 65534], ofItemAtPath: path)
            }
        }
        #expect(try run(["list"], db: db).status == 0)

        // A folder SQLite cannot create the -wal and -shm in: reads take the file as it is (nobody can
        // have written without a -wal), writes name the folder, and nothing is created there.
        try chmod(0o555, folder.url.path)
        let before = try FileManager.default.contentsOfDirectory(atPath: folder.url.path).sorted()
        let list = try run(["list"], db: db)
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.contains("INC-1"))
        for arguments in [["status", "INC-1"], ["timeline", "INC-1"], ["verify"], ["export", "INC-1", "--format", "json"]] {
            let read = try run(arguments, db: db)
            #expect(read.status == 0, "\(arguments): \(read.stderr)")
        }
        let note = try run(["note", "INC-1", "x"], db: db)
        #expect(note.status == 74)
        #expect(note.stderr == "firebreak: error: cannot open the database '\(db)': its folder '\(folder.url.path)' is not writable, and SQLite must create 'fb.sqlite-wal' and '-shm' there to write (a read opens the file as it is)\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).sorted() == before)
        try chmod(0o755, folder.url.path)

        // A read-only database: reads work, writes say the database is read-only.
        try chmod(0o444, db)
        let readOnlyList = try run(["list"], db: db)
        #expect(readOnlyList.status == 0)
        #expect(readOnlyList.stdout.contains("INC-1"))
        let readOnlyNote = try run(["note", "INC-1", "x"], db: db)
        #expect(readOnlyNote.status == 74)
        #expect(readOnlyNote.stderr == "firebreak: error: the database '\(db)' is read-only; check its permissions\n")

        // That read left a read-only -shm (SQLite gives it the database's mode); once the database is
        // writable again, the -shm is named, and removing it is enough.
        try chmod(0o600, db)
        #expect(FileManager.default.fileExists(atPath: db + "-shm"))
        let blocked = try run(["note", "INC-1", "x"], db: db)
        #expect(blocked.status == 74)
        #expect(blocked.stderr == "firebreak: error: cannot open the database '\(db)': '\(db)-shm' is read-only (left so by reading the database while the database was read-only); remove it while no firebreak is using the database\n")
        try FileManager.default.removeItem(atPath: db + "-shm")
        #expect(try run(["note", "INC-1", "x"], db: db).status == 0)
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
