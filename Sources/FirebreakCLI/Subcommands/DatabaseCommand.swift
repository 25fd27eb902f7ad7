import ArgumentParser
import FirebreakApp
import FirebreakCore
import FirebreakPostgres
import FirebreakStore
import Foundation

/// `firebreak db …`: whole stores.
struct DatabaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db", abstract: "Work on whole stores: copy every incident from one to another.", subcommands: [CopyDatabase.self])
}

/// `firebreak db copy FROM TO`: every incident and exercise with its whole log and stored playbook,
/// from one store to another (an SQLite file or a PostgreSQL URL each), keeping their ids.
///
/// Nothing is overwritten: when an id of the source exists in the target, the copy is refused
/// (exit 1) and nothing is written. The source is verified before anything is written (a log that
/// does not verify is not copied: exit 74), the copy is written in one transaction, and then verified
/// in the target, incident by incident, against the source's last hashes.
struct CopyDatabase: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy every incident with its whole log and stored playbook to another store, keeping ids; the copy is verified.",
        discussion: """
            FROM and TO are each an SQLite file or a postgres:// (postgresql://) URL. TO is created when it is a file \
            that does not exist. An id that already exists in TO is refused (exit 1) and nothing is copied.
            """)
    @Argument(help: ArgumentHelp("The store to copy from: an SQLite file or a postgres:// URL.", valueName: "from")) var from: String
    @Argument(help: ArgumentHelp("The store to copy into (a new SQLite file is created).", valueName: "to")) var to: String

    func run() async throws {
        if !PostgresURL.isURL(from), !FileManager.default.fileExists(atPath: from) {
            throw FirebreakError.missing("no incident database at '\(Terminal.oneLine(from))' to copy from")
        }
        let source = try await Workspace.store(from, create: false, environment: Console.current.environment)
        let sourceName = Terminal.oneLine(source.location)
        let numbers: [Int]
        do { numbers = try await source.incidentNumbers() } catch { throw Workspace.translate(error) }
        if numbers.isEmpty {
            Terminal.out("nothing to copy: '\(sourceName)' holds no incidents")
            return
        }

        // Read and verify every log before writing anything: a damaged source is not copied at all.
        let reading = ProgressBar("verifying", total: numbers.count)
        var logs: [VerifiedLog] = []
        var projection = ProjectionCheck()
        do throws(StoreError) {
            for (index, number) in numbers.enumerated() {
                // What `verify` checks (the chain, and the stored state against the fold of the log) …
                if let problem = try await source.verify(number, inspector: &projection).problems.first {
                    throw StoreError.unverified(incident: number, problem: problem)
                }
                guard let record = try await source.incident(number) else { continue }
                guard let playbook = try await source.playbook(hash: record.playbookHash) else {
                    throw StoreError.unverified(incident: number, problem: "\(record.reference): its playbook text is missing")
                }
                // … and the log as read for the copy, checked again link by link.
                let events = try await source.events(of: number, through: record.lastSeq).collect()
                logs.append(try VerifiedLog(record: record, playbook: playbook, events: events))
                reading.update(index + 1)
            }
        } catch {
            reading.finish()
            if case .unverified(_, let problem) = error {
                throw FirebreakError.io(
                    "'\(sourceName)' does not verify: \(Terminal.oneLine(problem)); nothing was copied (run 'firebreak --db \(Terminal.oneLine(from)) verify')")
            }
            throw Workspace.translate(error)
        }
        reading.finish()

        // The target is opened (a new file made) only for a source that verifies.
        let target = try await Workspace.store(to, create: true, environment: Console.current.environment)
        let targetName = Terminal.oneLine(target.location)
        let existing: Set<Int>
        do { existing = Set(try await target.incidentNumbers()) } catch { throw Workspace.translate(error) }
        if let refusal = Self.refusal(numbers.filter(existing.contains), target: targetName) { throw refusal }
        let writing = ProgressBar("copying", total: logs.count)
        do {
            try await target.importLogs(logs) { writing.update($0) }
        } catch {
            writing.finish()
            if case .numbersTaken(let taken) = error, let refusal = Self.refusal(taken, target: targetName) { throw refusal }
            throw Workspace.translate(error)
        }
        writing.finish()

        // The copy, read back from the target, must verify and end where the source's logs end.
        var report = VerifyReport()
        var copyProjection = ProjectionCheck()
        do throws(StoreError) {
            for log in logs {
                let number = log.record.number
                let checked = try await target.verify(number, inspector: &copyProjection)
                report.checkedEvents += checked.checkedEvents
                report.problems += checked.problems
                guard let copied = try await target.incident(number) else {
                    report.problems.append("\(log.record.reference) is missing")
                    continue
                }
                if copied.lastSeq != log.record.lastSeq || copied.lastHash != log.record.lastHash {
                    report.problems.append("\(log.record.reference) does not end with the source's last event")
                }
            }
        } catch {
            throw Workspace.translate(error)
        }
        if let problem = report.problems.first {
            throw FirebreakError.io("the copy in '\(targetName)' does not verify: \(Terminal.oneLine(problem)); run 'firebreak --db \(Terminal.oneLine(to)) verify'")
        }
        let exercises = logs.filter(\.record.isExercise).count
        let incidents = logs.count - exercises
        let what = [incidents > 0 || exercises == 0 ? Self.count(incidents, "incident") : nil, exercises > 0 ? Self.count(exercises, "exercise") : nil]
            .compactMap { $0 }.joined(separator: " and ")
        let playbookCount = Set(logs.map(\.record.playbookHash)).count
        Terminal.out(
            "copied \(what) (\(Self.count(report.checkedEvents, "event")), \(Self.count(playbookCount, "playbook"))) from '\(sourceName)' to '\(targetName)'; the copy verifies")
    }

    static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

    /// The refusal for ids that exist in the target already, when there are any.
    static func refusal(_ taken: [Int], target: String) -> FirebreakError? {
        guard !taken.isEmpty else { return nil }
        let shown = taken.prefix(20).map { IncidentID.name($0) }.joined(separator: ", ") + (taken.count > 20 ? " and \(taken.count - 20) more" : "")
        return .refused(
            "\(shown) exist\(taken.count == 1 ? "s" : "") already in '\(target)'; nothing was copied (db copy never overwrites an incident: copy into a new database)")
    }
}
