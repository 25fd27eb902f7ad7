import FirebreakTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `export --output` and `drill run --report`: never over the database, anything but a regular file, or a
/// file that is not a previous report (without `--force`); all or nothing, no temporary file left behind.
@Suite struct ReportFileTests {
    func openedIncident(_ box: Sandbox) throws {
        let opened = try box.run("open", "offensive-post", "--title", "Presenter insults a contestant")
        try #require(opened.status == 0, "\(opened.stderr)")
    }

    func bytes(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    @Test func theDatabaseAndItsFilesAreRefused() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        try openedIncident(box)
        let before = try #require(bytes(box.db))
        let link = box.folder.path("hard-link.md")
        try #require(Glibc.link(box.db, link) == 0)
        let cases: [(path: String, what: String)] = [
            (box.db, "the incident database"),
            (box.db + "-wal", "the incident database's write-ahead log"),
            (box.db + "-shm", "the incident database's shared memory file"),
            (box.folder.path("sub/../fb.sqlite"), "the incident database"),
            (link, "the incident database"),
        ]
        try FileManager.default.createDirectory(atPath: box.folder.path("sub"), withIntermediateDirectories: true)
        for (path, what) in cases {
            let result = try box.run("export", "INC-1", "--output", path)
            #expect(result.status == 64, "\(path)")
            #expect(result.stderr == "firebreak: error: --output '\(path)' is \(what); give another file for the report\n")
            #expect(result.stdout == "")
        }
        #expect(bytes(box.db) == before)
        #expect(try box.run("verify").stdout == "ok: 1 incident, 3 events verified\n")
    }

    @Test func whatIsNotARegularFileIsRefused() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        try openedIncident(box)
        let fifo = box.folder.path("pipe.md")
        try #require(mkfifo(fifo, 0o600) == 0)
        let folder = box.folder.path("reports")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let link = box.folder.path("link.md")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: box.folder.path("elsewhere.md"))
        var cases: [(path: String, message: String)] = [
            (fifo, "is a FIFO, not a regular file; a report is written only to a regular file"),
            (folder, "is a folder; give a file name for the report"),
            (link, "is a symbolic link; give the path of a regular file"),
        ]
        let device = box.folder.path("full")
        if getuid() == 0, mknod(device, S_IFCHR | 0o600, dev_t(1 << 8 | 7)) == 0 {  // a copy of /dev/full, in our own folder
            cases.append((device, "is a character device, not a regular file; a report is written only to a regular file"))
        }
        for (path, message) in cases {
            let result = try box.run("export", "INC-1", "--output", path, "--force")
            #expect(result.status == 64, "\(path)")
            #expect(result.stderr == "firebreak: error: --output '\(path)' \(message)\n")
        }
        var info = stat()
        #expect(lstat(fifo, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO)
        #expect(lstat(link, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK)
        if cases.count == 4 { #expect(lstat(device, &info) == 0 && info.st_mode & S_IFMT == S_IFCHR) }
        #expect(!FileManager.default.fileExists(atPath: box.folder.path("elsewhere.md")))
    }

    @Test func aFileThatIsNotAReportIsReplacedOnlyWithForce() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        try openedIncident(box)
        let path = box.folder.path("notes.md")
        try "my own notes".write(toFile: path, atomically: true, encoding: .utf8)
        let refused = try box.run("export", "INC-1", "--output", path)
        #expect(refused.status == 64)
        #expect(refused.stderr == "firebreak: error: --output '\(path)' exists and is not a Firebreak report; give --force to replace it\n")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "my own notes")
        let forced = try box.run("export", "INC-1", "--output", path, "--force")
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try String(contentsOfFile: path, encoding: .utf8).hasPrefix("# INC-1: Presenter insults a contestant\n"))
        // A previous report (Markdown or JSON) and an empty file are replaced without --force.
        for format in ["json", "markdown", "json"] {
            let again = try box.run("export", "INC-1", "--output", path, "--format", format)
            #expect(again.status == 0, "\(again.stderr)")
        }
        let empty = box.folder.path("empty.md")
        #expect(FileManager.default.createFile(atPath: empty, contents: nil))
        #expect(try box.run("export", "INC-1", "--output", empty).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: box.folder.url.path).filter { $0.hasSuffix(".tmp") } == [])
    }

    @Test func aMissingFolderIsAnIOError() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        try openedIncident(box)
        let path = box.folder.path("nosuch/report.md")
        let result = try box.run("export", "INC-1", "--output", path)
        #expect(result.status == 74)
        #expect(result.stderr == "firebreak: error: cannot write --output '\(path)': folder '\(box.folder.path("nosuch"))' does not exist\n")
    }

    /// A template that cannot be parsed is named, with its line, column and what is wrong in words;
    /// nothing is written.
    @Test(arguments: [
        ("# {{title}\n", "line 1, column 10: a tag is not finished (a '{{' without its '}}', or a name with spaces or brackets)"),
        ("{{#facts}}x{{/fact}}\n", "line 1, column 15: a section is closed under another name than it was opened with ({{/name}} must match its {{#name}})"),
        ("{{#facts}}x\n", "line 2, column 1: a section is not closed (a {{#name}} or {{^name}} without its {{/name}})"),
    ])
    func aBrokenTemplateIsNamedWithWhatIsWrong(_ template: String, _ problem: String) throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        try openedIncident(box)
        let path = box.folder.path("bad.mustache")
        try template.write(toFile: path, atomically: true, encoding: .utf8)
        let output = box.folder.path("report.md")
        let result = try box.run("export", "INC-1", "--template", path, "--output", output)
        #expect(result.status == 65)
        #expect(result.stderr == "firebreak: error: the template '\(path)' cannot be used: \(problem)\n")
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test func drillRunChecksTheReportPathBeforeRecording() throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        let path = box.folder.path("nosuch/report.md")
        let result = try box.run("drill", "run", "song-contest-tweet", "--record", "--report", path)
        #expect(result.status == 74)
        #expect(result.stderr == "firebreak: error: cannot write --report '\(path)': folder '\(box.folder.path("nosuch"))' does not exist\n")
        #expect(result.stdout == "")
        #expect(!FileManager.default.fileExists(atPath: box.db), "nothing may be recorded")
        let notes = box.folder.path("notes.md")
        try "keep me".write(toFile: notes, atomically: true, encoding: .utf8)
        let refused = try box.run("drill", "run", "song-contest-tweet", "--record", "--report", notes)
        #expect(refused.status == 64)
        #expect(refused.stderr == "firebreak: error: --report '\(notes)' exists and is not a Firebreak report; give --force to replace it\n")
        #expect(!FileManager.default.fileExists(atPath: box.db), "nothing may be recorded")
    }

    /// A signal while the report is written removes the temporary file, and the process dies of that signal.
    @Test(arguments: [SIGINT, SIGTERM])
    func anInterruptedExportLeavesNoTemporaryFile(signal: Int32) throws {
        let box = try Sandbox()
        defer { box.cleanup() }
        try openedIncident(box)
        // A template slow enough to render that the signal arrives while the temporary file exists.
        let template = box.folder.path("slow.mustache")
        try ("{{#steps}}{{#metrics}}{{#facts}}{{{gantt}}}{{{value}}}{{/facts}}{{/metrics}}{{/steps}}\n").write(toFile: template, atomically: true, encoding: .utf8)
        let output = box.folder.path("report.md")
        // Spawned with no signal blocked, as from a shell (a test runner's threads block most signals,
        // and a child started by Foundation's Process inherits that mask).
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), defaults = sigset_t()
        sigemptyset(&none)
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGTERM)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var files = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&files)
        defer { posix_spawn_file_actions_destroy(&files) }
        posix_spawn_file_actions_addopen(&files, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&files, 2, "/dev/null", O_WRONLY, 0)
        var environment = ProcessInfo.processInfo.environment
        for (key, value) in box.env("anna") { environment[key] = value }
        environment["TZ"] = "UTC"
        let arguments = [Firebreak.binary.path, "export", "INC-1", "--template", template, "--output", output]
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid = pid_t()
        var status: Int32 = 0
        // On a loaded machine this test may not be scheduled while the file exists: it tries again
        // (a finished export leaves its report, which the next one replaces).
        var finished = true
        for _ in 1...5 where finished {
            try #require(posix_spawn(&pid, Firebreak.binary.path, &files, &attributes, argv, envp) == 0)
            let temporary = box.folder.path(".report.md.\(pid).tmp")
            let deadline = Date().addingTimeInterval(20)
            finished = false
            while !FileManager.default.fileExists(atPath: temporary), Date() < deadline {
                if waitpid(pid, &status, WNOHANG) == pid { finished = true; break }
                usleep(200)
            }
            if finished { try? FileManager.default.removeItem(atPath: output) }
        }
        try #require(!finished, "the export finished before it could be interrupted, five times; make the template slower")
        kill(pid, signal)
        #expect(waitpid(pid, &status, 0) == pid)
        #expect(status & 0x7f == signal, "the process dies of the signal it got")
        #expect(try FileManager.default.contentsOfDirectory(atPath: box.folder.url.path).filter { $0.hasSuffix(".tmp") } == [])
        #expect(!FileManager.default.fileExists(atPath: output))
    }
}
