import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The team's hook: a shell command `watch` runs with each event it stored as one line of JSON on
/// standard input, so a team plugs in its own SMS, Slack or Teams script without Firebreak making
/// network calls of its own.
///
/// Deliveries queue in order and run on a task of their own: a slow, failing or hanging hook never
/// holds up recording (a thread of its own, so it needs nothing of the shared pool). Each run may take ``timeout`` seconds, then it is stopped (SIGTERM to its
/// process group, SIGKILL a moment later); a run that fails or is stopped is reported on standard
/// error and tried again, ``attempts`` runs in all, with a growing pause between them. The hook's
/// own output goes to standard error, so `watch`'s standard output stays the log of what it stored.
final class Hook: @unchecked Sendable {
    let command: String
    let timeout: Double
    let attempts: Int
    /// The pause before the second run; doubled before each later one.
    let retryDelay: Double
    private let console: Console
    private let queue = NSCondition()
    /// Guarded by `queue`.
    private var pending: [Delivery] = []
    private var closed = false
    private var finished: [CheckedContinuation<Void, Never>] = []
    private var idle = false

    struct Delivery: Sendable {
        var line: String
        /// What the line is, for messages: `INC-7 #12`.
        var label: String
    }

    /// Starts the hook's worker: a thread of its own (not a task of the shared pool, which other
    /// work may hold), that runs deliveries one at a time, in order.
    init(command: String, timeout: Double, attempts: Int, retryDelay: Double = 1) {
        self.command = command
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.retryDelay = retryDelay
        console = Console.current
        // A hook that exits without reading its input must not kill us with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        Thread.detachNewThread { [self] in work() }
    }

    /// Queues one line for the hook; returns at once.
    func send(_ line: String, label: String) {
        queue.lock()
        pending.append(Delivery(line: line, label: label))
        queue.signal()
        queue.unlock()
    }

    /// Waits for every delivery queued so far to end (each is bounded by its runs' timeouts).
    func finish() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.lock()
            closed = true
            if idle {
                queue.unlock()
                continuation.resume()
                return
            }
            finished.append(continuation)
            queue.signal()
            queue.unlock()
        }
    }

    private func work() {
        while true {
            queue.lock()
            while pending.isEmpty && !closed { queue.wait() }
            if pending.isEmpty {
                idle = true
                let waiting = finished
                finished = []
                queue.unlock()
                for continuation in waiting { continuation.resume() }
                return
            }
            let delivery = pending.removeFirst()
            queue.unlock()
            Self.deliver(delivery, command: command, timeout: timeout, attempts: attempts, retryDelay: retryDelay, console: console)
        }
    }

    /// How one run ended.
    enum Outcome: Equatable {
        case succeeded
        case exited(Int32)
        case signalled(Int32)
        case timedOut
        case cannotRun(String)

        var text: String {
            switch self {
            case .succeeded: "it succeeded"
            case .exited(let code): "it exited with \(code)"
            case .signalled(let signal): "it was killed by signal \(signal)"
            case .timedOut: "it was still running after its time was up, and was stopped"
            case .cannotRun(let reason): "it could not be started: \(reason)"
            }
        }
    }

    static func deliver(_ delivery: Delivery, command: String, timeout: Double, attempts: Int, retryDelay: Double, console: Console) {
        var pause = retryDelay
        for attempt in 1...attempts {
            let outcome = run(command, input: delivery.line + "\n", timeout: timeout, environment: console.environment)
            if outcome == .succeeded { return }
            if attempt < attempts {
                console.error("firebreak: warning: the hook failed on \(delivery.label) (\(outcome.text)); run \(attempt) of \(attempts), trying again in \(format(pause)) s\n")
                Thread.sleep(forTimeInterval: pause)
                pause *= 2
            } else {
                console.error("firebreak: error: the hook failed on \(delivery.label) (\(outcome.text)); gave up after \(attempts) run\(attempts == 1 ? "" : "s") (the event is stored)\n")
            }
        }
    }

    static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }

    /// Runs `/bin/sh -c command` in a process group of its own, `input` on its standard input (written
    /// without blocking, so a hook that never reads cannot hold us), its output to our standard error,
    /// stopped once `timeout` seconds have passed.
    static func run(_ command: String, input: String, timeout: Double, environment: [String: String]) -> Outcome {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return .cannotRun(String(cString: strerror(errno))) }
        let (readEnd, writeEnd) = (fds[0], fds[1])
        // Neither end leaks into other programs started meanwhile (the hook gets the read end as its input).
        _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(writeEnd, F_SETFD, FD_CLOEXEC)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, readEnd, 0)
        posix_spawn_file_actions_adddup2(&actions, 2, 1)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for number in [SIGPIPE, SIGINT, SIGTERM] { sigaddset(&defaults, number) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        let words: [String] = ["/bin/sh", "-c", command]
        let argv = words.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, envp)
        close(readEnd)
        guard spawned == 0 else {
            close(writeEnd)
            return .cannotRun(String(cString: strerror(spawned)))
        }
        _ = fcntl(writeEnd, F_SETFL, fcntl(writeEnd, F_GETFL) | O_NONBLOCK)
        let bytes = Array(input.utf8)
        var written = 0
        var inputOpen = true
        let deadline = ContinuousClock.now + .seconds(timeout)
        var stopping: ContinuousClock.Instant?
        var status: Int32 = 0
        while true {
            if inputOpen {
                while written < bytes.count {
                    let n = bytes.withUnsafeBufferPointer { write(writeEnd, $0.baseAddress! + written, bytes.count - written) }
                    if n > 0 { written += n } else { break }
                }
                // All written, or the hook closed its input (EPIPE): either way it gets end of input.
                if written == bytes.count || (errno != EAGAIN && errno != EINTR) {
                    close(writeEnd)
                    inputOpen = false
                }
            }
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { break }
            if reaped < 0 && errno != EINTR { break }
            let now = ContinuousClock.now
            if stopping == nil, now >= deadline {
                kill(-pid, SIGTERM)
                stopping = now
            } else if let stopping, now - stopping >= .milliseconds(500) {
                kill(-pid, SIGKILL)
            }
            usleep(10_000)
        }
        if inputOpen { close(writeEnd) }
        if stopping != nil { return .timedOut }
        if status & 0x7f == 0 {
            let code = (status >> 8) & 0xff
            return code == 0 ? .succeeded : .exited(code)
        }
        return .signalled(status & 0x7f)
    }
}
