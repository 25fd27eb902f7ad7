import Foundation

/// Runs the built `firebreak` binary, as a user would, and captures what it prints.
public struct CommandResult: Sendable, Equatable {
    public var stdout: String
    public var stderr: String
    public var status: Int32
    /// The process died of a signal (a trap or crash) instead of exiting.
    public var crashed = false

    public init(stdout: String, stderr: String, status: Int32, crashed: Bool = false) {
        self.stdout = stdout
        self.stderr = stderr
        self.status = status
        self.crashed = crashed
    }
}

public enum Firebreak {
    /// The folder holding the built products (next to the test bundle).
    public static let productsFolder: URL = {
        if let bundle = Bundle.allBundles.first(where: { $0.bundlePath.hasSuffix(".xctest") }) {
            return bundle.bundleURL.deletingLastPathComponent()
        }
        return Bundle.main.bundleURL
    }()

    public static var binary: URL {
        let candidate = productsFolder.appendingPathComponent("firebreak")
        if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
        return Fixtures.packageRoot.appendingPathComponent(".build/debug/firebreak")
    }

    /// Runs `firebreak arguments` in `directory` (default: the package root, where Playbooks/ and Scenarios/ are).
    @discardableResult
    public static func run(
        _ arguments: [String], environment: [String: String] = [:], input: String? = nil, directory: URL? = nil
    ) throws -> CommandResult {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = directory ?? Fixtures.packageRoot
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        env.removeValue(forKey: "FIREBREAK_DB")
        env.removeValue(forKey: "FIREBREAK_PLAYBOOKS")
        env.removeValue(forKey: "FIREBREAK_NOW")
        env["TZ"] = "UTC"
        for (key, value) in environment { env[key] = value }
        process.environment = env
        return try process.runCollecting(input: input)
    }
}

extension Process {
    /// Runs the process with `input` on its standard input and returns what it printed and how it
    /// ended. Both pipes are read to the end before waiting, so a large output cannot block the child.
    public func runCollecting(input: String? = nil) throws -> CommandResult {
        let out = Pipe(), err = Pipe(), inPipe = Pipe()
        standardOutput = out
        standardError = err
        standardInput = inPipe
        try run()
        if let input { inPipe.fileHandleForWriting.write(Data(input.utf8)) }
        try inPipe.fileHandleForWriting.close()
        let group = DispatchGroup()
        nonisolated(unsafe) var errData = Data()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        waitUntilExit()
        return CommandResult(
            stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self),
            status: terminationStatus, crashed: terminationReason == .uncaughtSignal)
    }
}

/// A fresh temporary folder per test.
public struct TemporaryFolder: Sendable {
    public let url: URL

    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("firebreak-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    public func remove() { try? FileManager.default.removeItem(at: url) }
}
