import FirebreakApp
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a command's input and output go and what environment it sees: the process's own for
/// the `firebreak` binary, captured for tests that run commands in-process.
///
/// Commands reach it through ``Console/current`` (a task-local), so parallel in-process runs
/// each have their own.
public final class Console: Sendable {
    /// Writes text somewhere; throws when it cannot (a closed pipe, a full disk).
    public typealias Writer = @Sendable (String) throws -> Void

    public let environment: [String: String]
    let writeOut: Writer
    let writeError: Writer
    let readInput: @Sendable () -> String?
    let terminals: Set<Int32>
    /// The first failure to write standard output: reported once the command is done (exit 74).
    let outputFailure = Mutex<String?>(nil)
    /// What the command stored, for a message when its output then fails ("recorded as INC-1 #12").
    let recorded = Mutex<String?>(nil)

    public init(
        environment: [String: String], terminals: Set<Int32> = [], readLine: @escaping @Sendable () -> String? = { nil },
        out: @escaping Writer, error: @escaping Writer
    ) {
        self.environment = environment
        self.writeOut = out
        self.writeError = error
        self.readInput = readLine
        self.terminals = terminals
    }

    /// The process's own standard streams and environment.
    public static let process = Console(
        environment: ProcessInfo.processInfo.environment,
        terminals: Set([0, 1, 2].filter { isatty($0) == 1 }),
        readLine: { Swift.readLine(strippingNewline: true) },
        out: { try writeAll(1, $0) }, error: { try writeAll(2, $0) })

    @TaskLocal public static var current: Console = .process

    func isTerminal(_ fd: Int32) -> Bool { terminals.contains(fd) }

    /// Writes to standard output; a failure is remembered and reported when the command ends.
    func out(_ text: String) {
        guard outputFailure.withLock({ $0 == nil }) else { return }
        do {
            try writeOut(text)
        } catch {
            outputFailure.withLock { $0 = $0 ?? "\(error)" }
        }
    }

    /// Writes to standard error; nothing more can be done when that fails.
    func error(_ text: String) { try? writeError(text) }

    func readLine() -> String? { readInput() }

    /// Remembers what was stored, for the message when the output then fails.
    func noteRecorded(_ what: String) { recorded.withLock { $0 = what } }

    var failedOutput: String? { outputFailure.withLock { $0 } }
    var lastRecorded: String? { recorded.withLock { $0 } }

    /// Writes all of `text` to a file descriptor with `write(2)`: an error is thrown, never a trap
    /// (FileHandle raises an Objective-C exception on a closed or full stream).
    static func writeAll(_ fd: Int32, _ text: String) throws {
        var text = text
        try text.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw OutputError(code: errno)
                }
                offset += written
            }
        }
    }

    struct OutputError: Error, CustomStringConvertible {
        var code: Int32
        var description: String { String(cString: strerror(code)) }
    }
}

extension Console {
    /// A console that keeps what is written, for in-process tests.
    public final class Capture: Sendable {
        let outText = Mutex("")
        let errorText = Mutex("")
        public init() {}
        public var out: String { outText.withLock { $0 } }
        public var error: String { errorText.withLock { $0 } }
    }

    public static func capturing(environment: [String: String], input: String? = nil, into capture: Capture) -> Console {
        let lines = Mutex((input ?? "").split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
        let hasInput = input != nil
        return Console(
            environment: environment,
            readLine: {
                guard hasInput else { return nil }
                return lines.withLock { lines in
                    guard !lines.isEmpty else { return nil }
                    let line = lines.removeFirst()
                    return lines.isEmpty && line.isEmpty ? nil : line
                }
            },
            out: { text in capture.outText.withLock { $0 += text } }, error: { text in capture.errorText.withLock { $0 += text } })
    }
}
