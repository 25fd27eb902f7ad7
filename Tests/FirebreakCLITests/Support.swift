@testable import FirebreakCLI
import FirebreakTestSupport
import Foundation
import Testing

/// The stores the incident command tests run against: SQLite, and PostgreSQL on the tests'
/// throwaway server when PostgreSQL is installed (else `PostgresAvailabilityTests` shows as skipped).
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    var testDescription: String { rawValue }

    static let tested: [StoreKind] = PostgresServer.binaries == nil ? [.sqlite] : allCases
}

/// A fresh database per test and a fixed clock, so outputs are exact.
struct Sandbox {
    let folder: TemporaryFolder
    var now = "2026-05-16T23:30:00+02:00"
    /// What `--db` is: the SQLite file in the folder, or a new database on the test server.
    let db: String

    init(_ kind: StoreKind = .sqlite) throws {
        folder = try TemporaryFolder()
        switch kind {
        case .sqlite: db = folder.path("fb.sqlite")
        case .postgres: db = try PostgresServer.server().newDatabase()
        }
    }

    func env(_ person: String? = nil, now: String? = nil) -> [String: String] {
        var env = ["FIREBREAK_DB": db, "FIREBREAK_NOW": now ?? self.now]
        if let person { env["FIREBREAK_USER"] = person }
        return env
    }

    @discardableResult
    func run(_ arguments: String..., as person: String? = "anna", now: String? = nil, input: String? = nil) throws -> CommandResult {
        try Firebreak.run(arguments, environment: env(person, now: now), input: input)
    }

    func cleanup() { folder.remove() }
}

/// Compares with a golden file next to the tests; `FIREBREAK_RECORD=1` re-records it.
func expectGolden(_ text: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/\(name)")
    if ProcessInfo.processInfo.environment["FIREBREAK_RECORD"] == "1" || !FileManager.default.fileExists(atPath: url.path) {
        try text.write(to: url, atomically: true, encoding: .utf8)
        if ProcessInfo.processInfo.environment["FIREBREAK_RECORD"] != "1" {
            Issue.record("recorded missing golden file \(name); run again", sourceLocation: sourceLocation)
        }
        return
    }
    let expected = try String(contentsOf: url, encoding: .utf8)
    #expect(text == expected, "output differs from Golden/\(name); FIREBREAK_RECORD=1 re-records", sourceLocation: sourceLocation)
}

/// Runs `firebreak` commands for the tests of this module: in-process by default (parsing and
/// running the command against a captured ``Console``, as the binary would), or the built binary
/// where a real process matters (`runBinary`: signals, concurrency, closed streams, another folder).
enum Firebreak {
    @discardableResult
    static func run(
        _ arguments: [String], environment: [String: String] = [:], input: String? = nil, directory: URL? = nil
    ) throws -> CommandResult {
        if let directory, directory.standardizedFileURL != Fixtures.packageRoot.standardizedFileURL {
            return try runBinary(arguments, environment: environment, input: input, directory: directory)
        }
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("FIREBREAK_") }
        env["NO_COLOR"] = "1"
        env["TZ"] = "UTC"
        for (key, value) in environment { env[key] = value }
        let capture = Console.Capture()
        let console = Console.capturing(environment: env, input: input, into: capture)
        let status = Console.$current.withValue(console) { BlockingRun.run { await FirebreakCLI.Firebreak.main(arguments) } }
        return CommandResult(stdout: capture.out, stderr: capture.error, status: status)
    }

    /// The built binary.
    static var binary: URL { FirebreakTestSupport.Firebreak.binary }

    @discardableResult
    static func runBinary(
        _ arguments: [String], environment: [String: String] = [:], input: String? = nil, directory: URL? = nil
    ) throws -> CommandResult {
        try FirebreakTestSupport.Firebreak.run(arguments, environment: environment, input: input, directory: directory)
    }
}

/// Runs async code to completion on the calling thread, so the many synchronous CLI tests can run
/// the async command line in-process. The work is a task that prefers an executor the calling
/// thread drains itself: it never waits for a thread of the shared pool (which parallel tests,
/// each blocked here, could all be holding) and inherits the caller's task-locals (the ``Console``).
enum BlockingRun {
    final class ThreadExecutor: TaskExecutor, @unchecked Sendable {
        private let condition = NSCondition()
        private var jobs: [UnownedJob] = []
        private var finished = false

        func enqueue(_ job: consuming ExecutorJob) {
            let job = UnownedJob(job)
            condition.lock()
            jobs.append(job)
            condition.signal()
            condition.unlock()
        }

        func finish() {
            condition.lock()
            finished = true
            condition.signal()
            condition.unlock()
        }

        /// Runs jobs on this thread until ``finish()``.
        func drain() {
            while true {
                condition.lock()
                while jobs.isEmpty && !finished { condition.wait() }
                if jobs.isEmpty {
                    condition.unlock()
                    return
                }
                let job = jobs.removeFirst()
                condition.unlock()
                job.runSynchronously(on: asUnownedTaskExecutor())
            }
        }
    }

    final class Box<T>: @unchecked Sendable { var value: T?; init() {} }

    static func run<T>(_ body: @escaping @Sendable () async -> T) -> T {
        let executor = ThreadExecutor()
        let box = Box<T>()
        Task(executorPreference: executor) {
            box.value = await body()
            executor.finish()
        }
        executor.drain()
        return box.value!
    }
}

/// Sleeps without holding a thread of the tests' pool (as many threads as cores: two here), so other tests run meanwhile.
func pause(_ seconds: Double) async {
    try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
}

/// Runs blocking work that mostly waits (a command waiting on another's lock) on a thread of its own, so the
/// tests' pool goes on running other tests meanwhile.
func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}
