import Foundation
import Synchronization

/// A throwaway PostgreSQL server for the tests: one per test process, started on first use
/// (initdb into a temporary folder, loopback only, a free port, no fsync), each test in a
/// database of its own, and stopped when the process exits (and by a watchdog, should the test
/// process die without exiting). Tests that need it are skipped only when no PostgreSQL
/// binaries are installed (`scripts/setup` installs Debian's).
public final class PostgresServer: Sendable {
    /// The folder of `initdb`, `pg_ctl` and `psql`, when PostgreSQL is installed.
    public static let binaries: String? = {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        for version in versions.sorted(by: { (Int($0) ?? 0) > (Int($1) ?? 0) }) {
            let bin = "\(root)/\(version)/bin"
            if FileManager.default.isExecutableFile(atPath: "\(bin)/initdb") && FileManager.default.isExecutableFile(atPath: "\(bin)/pg_ctl") {
                return bin
            }
        }
        return nil
    }()

    /// Why PostgreSQL tests are skipped, when they are.
    public static let skipReason = "no PostgreSQL binaries in /usr/lib/postgresql/*/bin; run scripts/setup (Debian's postgresql) to run the PostgreSQL tests"

    public let port: Int
    public let folder: String
    let bin: String
    /// The server's options, for starting it again after a test stopped it.
    let options: String
    public static let user = "fb"

    /// The shared server, started on first use; a failure to start is an error of the tests, not a skip.
    public static let shared: Result<PostgresServer, ServerError> = {
        guard let bin = binaries else { return .failure(ServerError(message: "no PostgreSQL binaries")) }
        do { return .success(try PostgresServer(bin: bin)) } catch let error as ServerError { return .failure(error) } catch {
            return .failure(ServerError(message: "\(error)"))
        }
    }()

    public struct ServerError: Error, CustomStringConvertible, Sendable {
        public let message: String
        public var description: String { message }
    }

    public static func server() throws -> PostgresServer { try shared.get() }

    /// Runs a program; as root, as the `postgres` user (initdb and postgres refuse to run as root).
    /// With `posix_spawn` and `waitpid`, output to a file: this runs inside a one-time initialiser
    /// that parallel tests wait for, holding every thread of the shared pool, so nothing here may
    /// wait for Dispatch (as `Process` does for its pipes and its exit).
    @discardableResult
    static func run(_ program: String, _ arguments: [String], asPostgres: Bool) throws -> CommandResult {
        var argv = [program] + arguments
        if asPostgres && getuid() == 0 { argv = ["/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"] + argv }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("fb-pg-\(UUID().uuidString)").path
        defer { unlink(out) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var environment = ProcessInfo.processInfo.environment
        environment["LC_ALL"] = "C"
        environment["PGPASSWORD"] = nil
        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArguments.forEach { free($0) }
            cEnvironment.forEach { free($0) }
        }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, cArguments, cEnvironment)
        guard spawned == 0 else { throw ServerError(message: "cannot run \(argv[0]): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        let exited = status & 0x7f == 0
        return CommandResult(stdout: text, stderr: text, status: exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), crashed: !exited)
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ServerError(message: "socket failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw ServerError(message: "no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    init(bin: String, durable: Bool = false) throws {
        self.bin = bin
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("firebreak-pg-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        if getuid() == 0 {
            let postgres = getpwnam("postgres")
            guard let postgres else { throw ServerError(message: "running as root, but there is no 'postgres' user to run the server as") }
            chown(folder, postgres.pointee.pw_uid, postgres.pointee.pw_gid)
        }
        let initdb = try Self.run("\(bin)/initdb", ["-D", "\(folder)/data", "-A", "trust", "-U", Self.user, "--no-sync", "-E", "UTF8"], asPostgres: true)
        guard initdb.status == 0 else { throw ServerError(message: "initdb failed: \(initdb.stderr)") }
        var port = 0
        var lastError = ""
        var options = ""
        for _ in 0..<5 {
            port = try Self.freePort()
            // Fast and not crash-safe, except for a test that crashes the server and counts what survived.
            let speed = durable ? "" : " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            options = "-p \(port) -k \(folder) -c listen_addresses=127.0.0.1\(speed) -c max_connections=200"
            let started = try Self.run("\(bin)/pg_ctl", ["-D", "\(folder)/data", "-o", options, "-l", "\(folder)/log", "-w", "start"], asPostgres: true)
            if started.status == 0 { lastError = ""; break }
            lastError = started.stderr + ((try? String(contentsOfFile: "\(folder)/log", encoding: .utf8)) ?? "")
        }
        guard lastError.isEmpty else { throw ServerError(message: "the test server did not start: \(lastError)") }
        self.port = port
        self.options = options
        // Stopped when the tests exit; the watchdog stops it should the test process die instead.
        let data = "\(folder)/data"
        let stop = "\(bin)/pg_ctl -D '\(data)' -m immediate stop >/dev/null 2>&1; rm -rf '\(folder)'"
        let asPostgres = getuid() == 0 ? "setpriv --reuid=postgres --regid=postgres --init-groups " : ""
        let watchdog = "(while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done; \(asPostgres)\(bin)/pg_ctl -D '\(data)' -m immediate stop; rm -rf '\(folder)') >/dev/null 2>&1 &"
        _ = try? Self.run("/bin/sh", ["-c", watchdog], asPostgres: false)
        PostgresServer.stopCommands.withLock { $0.append(asPostgres + stop) }
        _ = PostgresServer.stopAtExit
    }

    /// What stops each server started, run when the tests exit.
    static let stopCommands = Mutex<[String]>([])
    static let stopAtExit: Void = {
        atexit {
            for command in PostgresServer.stopCommands.withLock({ $0 }) { _ = try? PostgresServer.run("/bin/sh", ["-c", command], asPostgres: false) }
        }
    }()

    /// A server of its own, for a test that stops and starts it (the shared one serves tests running
    /// meanwhile); stopped by ``stop()``, or when the tests exit.
    public static func dedicated(durable: Bool = false) throws -> PostgresServer {
        guard let bin = binaries else { throw ServerError(message: "no PostgreSQL binaries") }
        return try PostgresServer(bin: bin, durable: durable)
    }

    /// Starts the server again after `pg_ctl stop`, on the same port.
    public func start() throws {
        let started = try Self.run("\(bin)/pg_ctl", ["-D", "\(folder)/data", "-o", options, "-l", "\(folder)/log", "-w", "start"], asPostgres: true)
        guard started.status == 0 else { throw ServerError(message: "the test server did not start again: \(started.stderr)") }
    }

    /// Stops the server for good and removes its folder.
    public func stop() {
        _ = try? control(["-m", "immediate", "stop"])
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// A fresh, empty database on the server; its URL.
    public func newDatabase() throws -> String {
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let made = try Self.run("\(bin)/psql", ["-h", "127.0.0.1", "-p", "\(port)", "-U", Self.user, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-qc", "CREATE DATABASE \(name)"], asPostgres: false)
        guard made.status == 0 else { throw ServerError(message: "CREATE DATABASE failed: \(made.stderr)") }
        return url(name)
    }

    public func url(_ database: String) -> String { "postgresql://\(Self.user)@127.0.0.1:\(port)/\(database)?sslmode=disable" }

    /// Runs SQL with psql on a database (tampering, in tests); what it printed.
    @discardableResult
    public func psql(_ database: String, _ sql: String) throws -> CommandResult {
        try Self.run("\(bin)/psql", ["-h", "127.0.0.1", "-p", "\(port)", "-U", Self.user, "-d", database, "-v", "ON_ERROR_STOP=1", "-qAtc", sql], asPostgres: false)
    }

    /// `pg_ctl` on the server (stop -m immediate, start again), for failure tests.
    @discardableResult
    public func control(_ arguments: [String]) throws -> CommandResult {
        try Self.run("\(bin)/pg_ctl", ["-D", "\(folder)/data"] + arguments, asPostgres: true)
    }

    /// The database name of a URL this server gave.
    public static func databaseName(_ url: String) -> String {
        let afterSlash = url.split(separator: "/").last.map(String.init) ?? ""
        return String(afterSlash.split(separator: "?").first ?? "")
    }
}
