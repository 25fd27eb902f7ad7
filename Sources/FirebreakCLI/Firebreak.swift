import ArgumentParser
import FirebreakApp
import Foundation

/// The `firebreak` command: incident response for reputational incidents.
public struct Firebreak: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "firebreak",
        abstract: "Incident response for reputational incidents: playbooks, incidents, tabletop exercises.",
        version: "1.0.0",
        subcommands: [
            PlaybookCommand.self, Open.self, ListIncidents.self, Status.self, Assign.self, Done.self, Skip.self, Fire.self,
            Note.self, Close.self, Reopen.self, Retract.self, StatementCommand.self, Inform.self, Timeline.self, Verify.self, Export.self, Drill.self,
            DatabaseCommand.self, Watch.self,
        ]
    )

    @OptionGroup public var global: GlobalOptions

    public init() {}

    /// Runs the command line in this process and exits with the code of its outcome.
    public static func runMain() async -> Never {
        // A closed pipe on standard output is an error to report, not a signal that kills us mid-write.
        signal(SIGPIPE, SIG_IGN)
        guard let arguments = processArguments() else { Foundation.exit(64) }
        Foundation.exit(await main(arguments))
    }

    /// The arguments as the shell gave them; an argument that is not UTF-8 is refused (exit 64)
    /// before Swift would turn its bytes into U+FFFD and store something the user did not write.
    static func processArguments() -> [String]? {
        var arguments: [String] = []
        for index in 1..<Int(CommandLine.argc) {
            guard let pointer = CommandLine.unsafeArgv[index], let argument = String(validatingCString: pointer) else {
                Console.current.error("firebreak: error: argument \(index) is not valid UTF-8 text; give every argument in UTF-8\n")
                return nil
            }
            arguments.append(argument)
        }
        return arguments
    }

    /// Runs one command line against ``Console/current`` and returns its exit code: what the binary
    /// does, callable in-process (tests, another front end).
    public static func main(_ arguments: [String]) async -> Int32 {
        let console = Console.current
        var code: Int32
        do {
            var command = try await asyncParseAsRoot(arguments)
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
            code = 0
        } catch let error as FirebreakError {
            if case .failed = error {} else { Terminal.error("firebreak: error: \(Terminal.oneLine(error.errorDescription ?? ""))") }
            code = error.exitCode
        } catch {
            code = exitCode(for: error).rawValue
            let message = Self.message(for: error).split(separator: "\n").first.map(String.init) ?? ""
            let line = Terminal.oneLine(message.hasPrefix("Error: ") ? String(message.dropFirst(7)) : message)
            if code == 0 {
                // --help, --version and the like.
                let text = fullMessage(for: error)
                if !text.isEmpty { Terminal.out(text) }
            } else if code == ExitCode.validationFailure.rawValue {
                // A usage error: one line, saying where to read more.
                var command: any ParsableCommand.Type = Firebreak.self
                var path = "firebreak"
                for argument in arguments {
                    guard let sub = command.configuration.subcommands.first(where: { $0._commandName == argument }) else { continue }
                    command = sub
                    path += " " + argument
                }
                Terminal.error("firebreak: error: \(line); see '\(path) --help'")
            } else {
                Terminal.error("firebreak: error: \(line.isEmpty ? "\(type(of: error))" : line)")
            }
        }
        if let failure = console.failedOutput {
            let stored = console.lastRecorded.map { "\($0), but " } ?? ""
            console.error("firebreak: error: \(stored)the output could not be written: \(failure)\n")
            return 74
        }
        return code
    }
}

/// Options every command takes: where the database and playbooks are, and who is acting.
public struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The incident database (or FIREBREAK_DB).", valueName: "path"))
    public var db: String?

    @Option(name: .long, help: ArgumentHelp("The playbook folder (or FIREBREAK_PLAYBOOKS); default ./Playbooks.", valueName: "dir"))
    public var playbooks: String?

    @Option(name: .customLong("as"), help: ArgumentHelp("The person acting (or FIREBREAK_USER, else the login name).", valueName: "person"))
    public var person: String?

    public init() {}

    var environment: [String: String] { Console.current.environment }

    var playbookFolder: String {
        playbooks ?? environment["FIREBREAK_PLAYBOOKS"].flatMap { $0.isEmpty ? nil : $0 } ?? "Playbooks"
    }

    var library: PlaybookLibrary { PlaybookLibrary(folder: playbookFolder) }

    var databasePath: String {
        if let db { return db }
        if let value = environment["FIREBREAK_DB"], !value.isEmpty { return value }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        let base = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (home as NSString).appendingPathComponent(".local/share")
        return ((base as NSString).appendingPathComponent("firebreak") as NSString).appendingPathComponent("firebreak.sqlite")
    }

    func actor() throws(FirebreakError) -> String {
        try Workspace.actor(given: person, environment: environment)
    }
}
