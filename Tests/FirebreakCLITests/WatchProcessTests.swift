import FirebreakTestSupport
import Foundation
import Testing

/// The built binary, running: its standard output and error read as they come.
final class RunningBinary: @unchecked Sendable {
    let process: Process
    private let out = Buffer()
    private let err = Buffer()

    final class Buffer: @unchecked Sendable {
        private let lock = NSLock()
        private var data = Data()
        func append(_ more: Data) { lock.withLock { data.append(more) } }
        var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
    }

    init(_ arguments: [String], environment: [String: String]) throws {
        let process = Process()
        process.executableURL = Firebreak.binary
        process.arguments = arguments
        process.currentDirectoryURL = Fixtures.packageRoot
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("FIREBREAK_") }
        env["NO_COLOR"] = "1"
        env["TZ"] = "UTC"
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let outPipe = Pipe(), errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = FileHandle.nullDevice
        self.process = process
        for (pipe, buffer) in [(outPipe, out), (errPipe, err)] {
            let handle = pipe.fileHandleForReading
            Thread.detachNewThread {
                while true {
                    let data = handle.availableData
                    if data.isEmpty { return }
                    buffer.append(data)
                }
            }
        }
        try process.run()
    }

    var stdout: String { out.text }
    var stderr: String { err.text }

    /// Waits until `condition` holds of standard output, at most `seconds`: on a thread of its own, in real time, so that
    /// the tests' pool (as many threads as cores) runs other tests meanwhile.
    @discardableResult
    func wait(upTo seconds: Double = 10, until condition: @escaping @Sendable (String) -> Bool) async -> Bool {
        (try? await offThePool { self.waitHere(upTo: seconds, until: condition) }) ?? condition(stdout)
    }

    /// Sends a signal and waits for the exit (killing it after `seconds`), on a thread of its own; its exit status.
    func stop(_ signal: Int32 = SIGINT, waiting seconds: Double = 10) async -> Int32 {
        (try? await offThePool { self.stopHere(signal, waiting: seconds) }) ?? -1
    }

    func waitHere(upTo seconds: Double, until condition: (String) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition(stdout) { return true }
            usleep(20_000)
        }
        return condition(stdout)
    }

    /// Kills the process if it is still running (a test that ended early), and waits for it.
    func killIfRunning() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func stopHere(_ signal: Int32, waiting seconds: Double) -> Int32 {
        kill(process.processIdentifier, signal)
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return -1
        }
        usleep(50_000)  // the last output, read by the reader threads
        return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }
}

/// `status --watch` and `watch` as processes: real change notifications (SQLite's data version,
/// PostgreSQL's LISTEN/NOTIFY), real time and Ctrl-C.
@Suite struct WatchProcessTests {
    /// A note recorded by another process redraws the status at once; Ctrl-C ends it with exit 0.
    @Test(arguments: StoreKind.tested)
    func statusWatchRedrawsOnAnotherProcessesNoteAndStopsOnCtrlC(_ kind: StoreKind) async throws {
        let box = try Sandbox(kind)
        defer { box.cleanup() }
        #expect(try box.run("open", "offensive-post", "--title", "Watched").status == 0)
        let frame1 = try box.run("status", "INC-1").stdout
        let watcher = try RunningBinary(["status", "INC-1", "--watch"], environment: box.env("anna"))
        defer { watcher.killIfRunning() }
        #expect(await watcher.wait { $0 == frame1 }, "\(watcher.stdout)\n\(watcher.stderr)")
        #expect(try box.run("done", "INC-1", "capture-post").status == 0)
        let frame2 = try box.run("status", "INC-1").stdout
        #expect(frame2 != frame1)
        #expect(await watcher.wait { $0 == frame1 + "\n" + frame2 }, "\(watcher.stdout)")
        #expect(await watcher.stop() == 0)
        #expect(watcher.stdout == frame1 + "\n" + frame2)
        #expect(watcher.stderr == "")
    }

    /// Two watchers in real time on an incident whose step is due 2 s after it opened: the
    /// overdue is stored once, and reaches the hook once, within 2 s of falling due.
    @Test(arguments: StoreKind.tested)
    func twoWatchersGiveTheHookEachDueEventOnceInTime(_ kind: StoreKind) async throws {
        let box = try Sandbox(kind)
        defer { box.cleanup() }
        let folder = box.folder.path("playbooks")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try quickPlaybook.write(toFile: folder + "/quick.yaml", atomically: true, encoding: .utf8)
        let hooked = box.folder.path("hooked.jsonl")
        let env = ["FIREBREAK_DB": box.db, "FIREBREAK_USER": "anna", "FIREBREAK_PLAYBOOKS": folder]
        let openedAt = Date()
        let opened = try Firebreak.runBinary(["open", "quick", "--title", "Due in 2 s"], environment: env)
        #expect(opened.stdout == "INC-1\n")
        let watchers = try (1...2).map { _ in try RunningBinary(["watch", "--hook", "cat >> '\(hooked)'"], environment: env) }
        // A failed expectation ends the test early: the watchers must not outlive it.
        defer { for watcher in watchers { watcher.killIfRunning() } }
        // Watched in real time on a thread of its own (the tests' pool runs other tests meanwhile).
        let arrived = try await offThePool { () -> Date? in
            let deadline = openedAt.addingTimeInterval(8)
            while Date() < deadline {
                if let text = try? String(contentsOfFile: hooked, encoding: .utf8), !text.isEmpty { return Date() }
                usleep(20_000)
            }
            return nil
        }
        let arrival = try #require(arrived)
        // Due 2 s after opening (whole seconds): it reaches the hook within 2 s of that.
        #expect(arrival.timeIntervalSince(openedAt) < 2 + 1 + 2)
        await pause(0.5)  // a second delivery, were there one, would be here by now
        var stopped: [Int32] = []
        for watcher in watchers { stopped.append(await watcher.stop()) }
        #expect(stopped == [0, 0])
        let lines = try String(contentsOfFile: hooked, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.contains("\"incident\":\"INC-1\"") == true)
        #expect(lines.first?.contains("\"kind\":\"overdue\",\"step\":\"check\"") == true)
        #expect(watchers.map(\.stdout).filter { $0.contains("'check' overdue") }.count == 1)
        for watcher in watchers {
            #expect(watcher.stderr == "firebreak: watching '\(box.db)' with a hook; stop with Ctrl-C\n")
        }
        let timeline = try Firebreak.runBinary(["timeline", "INC-1", "--json"], environment: env).stdout
        #expect(timeline.components(separatedBy: "\"kind\": \"overdue\"").count == 2)
    }
}
