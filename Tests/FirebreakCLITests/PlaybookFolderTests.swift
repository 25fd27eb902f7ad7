import FirebreakTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The playbook folder holds only what a user put there, but not only regular files: a FIFO must not hang
/// Firebreak, a dangling link must not stand for a playbook, a huge file is not read.
@Suite struct PlaybookFolderTests {
    /// Runs firebreak under `timeout`, so a hang fails the test instead of stopping the run (exit 124).
    func run(_ arguments: [String], folder: TemporaryFolder) throws -> (stdout: String, stderr: String, status: Int32) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        process.arguments = ["-s", "KILL", "20", Firebreak.binary.path] + arguments
        process.currentDirectoryURL = folder.url
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        env["TZ"] = "UTC"
        env["FIREBREAK_DB"] = folder.path("fb.sqlite")
        env["FIREBREAK_PLAYBOOKS"] = folder.path("Playbooks")
        env["FIREBREAK_USER"] = "anna"
        env.removeValue(forKey: "FIREBREAK_NOW")
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return (String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self), process.terminationStatus)
    }

    func hostileFolder() throws -> (TemporaryFolder, String) {
        let folder = try TemporaryFolder()
        let playbooks = folder.path("Playbooks")
        try FileManager.default.createDirectory(atPath: playbooks, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: Fixtures.packageRoot.appendingPathComponent("Playbooks/offensive-post.yaml").path, toPath: playbooks + "/offensive-post.yaml")
        try #require(mkfifo(playbooks + "/zz.yaml", 0o600) == 0)
        try FileManager.default.createSymbolicLink(atPath: playbooks + "/nosuch.yaml", withDestinationPath: playbooks + "/gone.yaml")
        try FileManager.default.createDirectory(atPath: playbooks + "/folder.yml", withIntermediateDirectories: true)
        try Data(("# " + String(repeating: "x", count: 100) + "\n").utf8).repeated(50_000).write(to: URL(fileURLWithPath: playbooks + "/big.yaml"))
        let warnings = """
            firebreak: warning: skipped '\(playbooks)/big.yaml': it is larger than 4 MiB
            firebreak: warning: skipped '\(playbooks)/folder.yml': it is a folder
            firebreak: warning: skipped '\(playbooks)/nosuch.yaml': it is a symbolic link to '\(playbooks)/gone.yaml', which does not exist
            firebreak: warning: skipped '\(playbooks)/zz.yaml': it is a FIFO, not a regular file

            """
        return (folder, warnings)
    }

    @Test func listSkipsWhatIsNotARegularFileOrTooLarge() throws {
        let (folder, warnings) = try hostileFolder()
        defer { folder.remove() }
        let result = try run(["playbook", "list"], folder: folder)
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("ID              TITLE"))
        #expect(result.stdout.contains("\noffensive-post  "))
        #expect(result.stderr == warnings)
    }

    @Test func checkSkipsThemWithAWarningAndChecksTheRest() throws {
        let (folder, warnings) = try hostileFolder()
        defer { folder.remove() }
        let result = try run(["playbook", "check", folder.path("Playbooks")], folder: folder)
        #expect(result.status == 0)
        #expect(result.stderr == warnings)
        #expect(result.stdout == "checked 1 file: 0 errors, 0 warnings; skipped 4 that are not a readable regular file\n")
    }

    @Test func openAndShowFindTheirPlaybookOrSayItIsNotThere() throws {
        let (folder, warnings) = try hostileFolder()
        defer { folder.remove() }
        let playbooks = folder.path("Playbooks")
        let missing = try run(["open", "nosuch", "--title", "x"], folder: folder)
        #expect(missing.status == 66)
        #expect(missing.stderr == warnings + "firebreak: error: no playbook 'nosuch' in '\(playbooks)'; playbooks there are 'offensive-post'\n")
        let fifo = try run(["playbook", "show", "zz"], folder: folder)
        #expect(fifo.status == 65)
        #expect(fifo.stderr == "firebreak: error: '\(playbooks)/zz.yaml' is a FIFO, not a regular file\n")
        let opened = try run(["open", "offensive-post", "--title", "x"], folder: folder)
        #expect(opened.status == 0, "\(opened.stderr)")
        #expect(opened.stdout == "INC-1\n")
    }
}

extension Data {
    func repeated(_ count: Int) -> Data {
        var result = Data(capacity: self.count * count)
        for _ in 0..<count { result.append(self) }
        return result
    }
}
