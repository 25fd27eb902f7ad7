import ArgumentParser
import FirebreakApp
import FirebreakCore
import FirebreakLoading
import FirebreakReports
import Foundation

struct PlaybookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "playbook",
        abstract: "List, show, check and draw playbooks.",
        subcommands: [List.self, Show.self, Check.self, Graph.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the playbooks: id, title, default severity, states.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Words in en or nl (default: the playbooks' language when they all have one, else en).") var lang: Language?

        func run() throws {
            let folder = global.playbookFolder
            guard Files.isDirectory(folder) else {
                throw FirebreakError.missing("playbook folder '\(folder)' does not exist; give --playbooks DIR or set FIREBREAK_PLAYBOOKS")
            }
            let playbooks = global.library.all()
            let languages = Set(playbooks.map(\.playbook.language))
            let t = Messages.for(lang ?? (languages.count == 1 ? languages.first! : .en))
            var rows = [["list.id", "list.title", "list.severity", "list.states"].map { t($0) }]
            for entry in playbooks {
                rows.append([
                    entry.playbook.id, Terminal.oneLine(entry.playbook.title), t("severity.\(entry.playbook.severity.rawValue)"), "\(entry.playbook.states.count)",
                ])
            }
            Terminal.out(TextTable.render(rows))
            let invalid = ((try? Files.yamlFiles(in: folder)) ?? []).count - playbooks.count
            if invalid > 0 {
                Terminal.error("firebreak: warning: \(invalid) file(s) in '\(folder)' did not load; run 'firebreak playbook check'")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a playbook: states, steps, owners, deadlines, transitions.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The playbook id.", completion: Completions.playbooks) var id: String

        func run() throws {
            let playbook = try global.library.load(id).playbook
            Terminal.out(PlaybookText.describe(playbook))
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "check", 
            abstract: "Check playbook and scenario files.",
            discussion: "With no path, checks the playbook folder and ./Scenarios, and their language folders (nl, en). Scenarios are checked against their playbooks; those in a language folder against the playbook folder's language folder.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Files or folders to check.") var paths: [String] = []

        func run() throws {
            var files: [String] = []
            var targets = paths
            if targets.isEmpty {
                targets = [global.playbookFolder]
                if Files.isDirectory("Scenarios") { targets.append("Scenarios") }
                // The language folders beside them (`Playbooks/nl`, `Scenarios/nl`).
                for folder in targets {
                    for language in Language.allCases {
                        let sub = (folder as NSString).appendingPathComponent(language.rawValue)
                        if Files.isDirectory(sub) { targets.append(sub) }
                    }
                }
            }
            for path in targets {
                if Files.isDirectory(path) {
                    files += try Files.yamlFiles(in: path)
                } else if FileManager.default.fileExists(atPath: path) {
                    files.append(path)
                } else {
                    throw FirebreakError.missing("no such file or folder '\(path)'")
                }
            }
            let report = FileChecker(library: global.library).check(files)
            if !report.output.isEmpty { Terminal.error(report.output) }
            let skipped = Files.skippedCount
            let summary = "checked \(files.count) file\(files.count == 1 ? "" : "s"): \(report.errors) error\(report.errors == 1 ? "" : "s"), \(report.warnings) warning\(report.warnings == 1 ? "" : "s")"
                + (skipped > 0 ? "; skipped \(skipped) that \(skipped == 1 ? "is" : "are") not a readable regular file" : "")
            if report.errors > 0 { throw FirebreakError.invalidFiles(summary) }
            Terminal.out(summary)
        }
    }

    struct Graph: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "graph", abstract: "Draw a playbook's state machine as Mermaid or Graphviz.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The playbook id.", completion: Completions.playbooks) var id: String
        @Option(help: "mermaid or dot.") var format: GraphFormat = .mermaid

        enum GraphFormat: String, ExpressibleByArgument, CaseIterable { case mermaid, dot }

        func run() throws {
            let playbook = try global.library.load(id).playbook
            switch format {
            case .mermaid: Terminal.out(PlaybookGraph.mermaid(playbook))
            case .dot: Terminal.out(PlaybookGraph.dot(playbook))
            }
        }
    }
}

/// Checks files of either kind; tells a scenario from a playbook by its `playbook` key.
struct FileChecker {
    let library: PlaybookLibrary

    struct Report {
        var output = ""
        var errors = 0
        var warnings = 0
    }

    func check(_ files: [String]) -> Report {
        var report = Report()
        var playbookIDs: [String: String] = [:]  // folder and id → first file
        for path in files {
            let text: String
            do {
                text = try Files.read(path)
            } catch {
                report.output += "\(path):1:1: error: \(error.errorDescription ?? "cannot read")\n"
                report.errors += 1
                continue
            }
            let diagnostics: [Diagnostic]
            let source = YAMLSource(text)
            if source.isScenario {
                let library = library(for: path)
                diagnostics = ScenarioLoader.load(source, fileName: Files.fileName(path), lint: true, playbooks: { id in try? library.load(id).playbook }).diagnostics
            } else {
                let result = PlaybookLoader.load(source, fileName: Files.fileName(path))
                var found = result.diagnostics
                if let id = result.id {
                    // Unique per folder: `Playbooks/nl/offensive-post.yaml` is the Dutch twin of `Playbooks/offensive-post.yaml`.
                    let key = (path as NSString).deletingLastPathComponent + "/" + id.value
                    if let first = playbookIDs[key] {
                        found.append(.error("playbook id '\(id.value)' is already used by '\(first)'; ids are unique in a playbook folder", at: id.location))
                    } else {
                        playbookIDs[key] = path
                    }
                }
                diagnostics = found.sortedByLocation()
            }
            report.output += DiagnosticPrinter.render(diagnostics, path: path, text: text)
            report.errors += diagnostics.filter { $0.severity == .error }.count
            report.warnings += diagnostics.filter { $0.severity == .warning }.count
        }
        return report
    }

    /// The playbooks a scenario is checked against: a scenario in a language folder (`Scenarios/nl`) uses the
    /// playbook folder's language folder (`Playbooks/nl`) when the playbook folder is not one already.
    func library(for scenarioPath: String) -> PlaybookLibrary {
        let folder = ((scenarioPath as NSString).deletingLastPathComponent as NSString).lastPathComponent
        guard let language = Language(rawValue: folder), Language(rawValue: (library.folder as NSString).lastPathComponent) == nil else { return library }
        let twin = (library.folder as NSString).appendingPathComponent(language.rawValue)
        return Files.isDirectory(twin) ? PlaybookLibrary(folder: twin) : library
    }
}
