import ArgumentParser
import FirebreakApp
import FirebreakCore
import FirebreakStore
import Foundation

/// `firebreak watch`: the team's clock. Long-running (one per team is enough; more are safe), it
/// stores the time-driven events of every open incident (overdue steps, escalations, timers, missed
/// updates) when they fall due rather than when someone next types a command, prints each, and
/// passes each to the team's hook as one line of JSON.
///
/// Each due event is stored through the same engine step and the same one-writer append as every
/// command's, so it is stored exactly once however many watchers (and commands) race for it: the
/// append's lock decides who stores it, and only that watcher runs the hook for it.
struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Keep the team's clock: store overdue steps, escalations, timers and missed updates as they fall due, and pass each to a hook.",
        discussion: """
            Runs until interrupted (Ctrl-C). Every event it stores is printed, and given to the hook (--hook or \
            FIREBREAK_HOOK, run with /bin/sh -c) as one line of JSON on standard input: the fields of \
            'timeline --json' and the incident's id. A hook that fails or runs past --hook-timeout is reported on \
            standard error and tried again, --hook-attempts runs in all; it never holds up recording.
            """)
    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("Run with each stored event as one line of JSON on standard input (or FIREBREAK_HOOK).", valueName: "command"))
    var hook: String?
    @Option(help: ArgumentHelp("Seconds one run of the hook may take before it is stopped.", valueName: "seconds")) var hookTimeout: Double = 10
    @Option(help: ArgumentHelp("Runs of the hook in all for one event, when it fails.", valueName: "n")) var hookAttempts: Int = 3

    func validate() throws {
        if !(hookTimeout > 0) || hookTimeout > 86_400 { throw ValidationError("--hook-timeout must be more than 0 seconds and at most a day") }
        if hookAttempts < 1 || hookAttempts > 100 { throw ValidationError("--hook-attempts must be from 1 to 100") }
    }

    func run() async throws {
        let store = try await Workspace(global: global).store()
        let command = hook ?? Console.current.environment["FIREBREAK_HOOK"].flatMap { $0.isEmpty ? nil : $0 }
        let source = try await Watching.source(for: store)
        defer { source.close() }
        let hook = command.map { Hook(command: $0, timeout: hookTimeout, attempts: hookAttempts) }
        Terminal.error("firebreak: watching '\(Terminal.oneLine(store.location))'\(hook == nil ? " (no hook)" : " with a hook"); stop with Ctrl-C")
        do {
            try await keepTime(store, source: source, hook: hook)
        } catch {
            await hook?.finish()
            throw error
        }
        await hook?.finish()
    }

    /// Stores what falls due until interrupted.
    func keepTime(_ store: any IncidentStore, source: any WatchSource, hook: Hook?) async throws {
        // A problem with one incident (damage, a runaway timer) is reported once, and the others go on.
        var reported: [Int: String] = [:]
        while true {
            let now = source.now()
            var next: Int?
            let openIncidents: [IncidentSummary]
            do { openIncidents = try await store.list(includeClosed: false, exercises: false) } catch { throw Workspace.translate(error) }
            for summary in openIncidents {
                do throws(FirebreakError) {
                    let (record, playbook) = try await Workspace.load(summary.number, from: store)
                    guard let due = Engine(playbook: playbook).nextDue(record.snapshot) else { continue }
                    if due > now {
                        next = min(next ?? .max, due)
                        continue
                    }
                    let result = try await Workspace.recordDue(summary.number, in: store, now: { source.now() })
                    if let due = result.next { next = min(next ?? .max, due) }
                    guard let record = result.record, !result.stored.isEmpty else { continue }
                    printRecorded(result.stored, reference: record.reference, language: playbook.language)
                    for item in result.stored {
                        let line = JSONValue.object([("incident", .string(record.reference))] + Timeline.entry(item, stored: true)).rendered(pretty: false)
                        hook?.send(line, label: "\(record.reference) #\(item.seq)")
                    }
                    reported[summary.number] = nil
                } catch {
                    if case .busy = error {
                        // The server went away or the database stayed locked: the watcher cannot keep time.
                        throw error
                    }
                    let message = error.errorDescription ?? "\(error)"
                    if reported[summary.number] != message { Terminal.error("firebreak: error: \(Terminal.oneLine(message))") }
                    reported[summary.number] = message
                }
            }
            switch await source.next(due: next) {
            case .interrupted: return
            case .failed(let error): throw Workspace.translate(error)
            case .changed, .due: continue
            }
        }
    }
}
