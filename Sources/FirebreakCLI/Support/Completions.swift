import ArgumentParser
import FirebreakApp
import FirebreakCore
import FirebreakStore
import Foundation

/// Shell completion of the names a command takes, from the database and the playbook folder:
/// incident ids, step ids, events, roles, audiences, statement ids and playbook ids.
///
/// The shell calls `firebreak ---completion …` with the words typed so far; `--db` and
/// `--playbooks` among them (or `FIREBREAK_DB`, `FIREBREAK_PLAYBOOKS`) say where to look, and the
/// incident is the first incident id among them. A completion never fails: what cannot be read
/// completes nothing.
enum Completions {
    static let incidents = CompletionKind.custom { words, _, prefix in await incidentIDs(words, prefix) }
    static let steps = CompletionKind.custom { words, _, prefix in await fromIncident(words, prefix) { view in view.steps } }
    static let events = CompletionKind.custom { words, _, prefix in await fromIncident(words, prefix) { view in view.events } }
    static let roles = CompletionKind.custom { words, _, prefix in await fromIncident(words, prefix) { view in view.roles } }
    static let audiences = CompletionKind.custom { words, _, prefix in await fromIncident(words, prefix) { view in view.audiences } }
    static let statements = CompletionKind.custom { words, _, prefix in await fromIncident(words, prefix) { view in view.statements } }
    static let playbooks = CompletionKind.custom { words, _, prefix in playbookIDs(words, prefix) }

    /// The global options as the words give them (`--db PATH`, `--db=PATH`, `--playbooks DIR`).
    static func global(_ words: [String]) -> GlobalOptions {
        var global = GlobalOptions()
        func value(_ name: String) -> String? {
            var found: String?
            for (i, word) in words.enumerated() {
                if word == name, i + 1 < words.count { found = words[i + 1] }
                if word.hasPrefix(name + "=") { found = String(word.dropFirst(name.count + 1)) }
            }
            return found
        }
        global.db = value("--db")
        global.playbooks = value("--playbooks")
        global.person = nil  // every option is set: an unparsed one cannot be read
        return global
    }

    /// The first word that is an incident id written out (`INC-7`, `EX-3`).
    static func incident(in words: [String]) -> Int? {
        for word in words.dropFirst() {
            let upper = word.uppercased()
            if upper.hasPrefix("INC-") || upper.hasPrefix("EX-"), let number = IncidentID.number(word) { return number }
        }
        return nil
    }

    static func matching(_ names: [String], _ prefix: String) -> [String] { names.filter { $0.hasPrefix(prefix) } }

    /// Every incident id in the store, real incidents first; open incidents before closed ones.
    static func incidentIDs(_ words: [String], _ prefix: String) async -> [String] {
        guard let store = try? await Workspace(global: global(words)).store(), let records = try? await store.list(includeClosed: true, exercises: true) else {
            return []
        }
        let ordered = records.filter { $0.closedAt == nil } + records.filter { $0.closedAt != nil }
        // What is typed is matched however it is cased: `inc-` completes to `INC-7`.
        return ordered.map(\.reference).filter { $0.lowercased().hasPrefix(prefix.lowercased()) }
    }

    /// The names an incident offers now.
    struct View {
        var steps: [String]
        var events: [String]
        var roles: [String]
        var audiences: [String]
        var statements: [String]
    }

    static func fromIncident(_ words: [String], _ prefix: String, _ pick: (View) -> [String]) async -> [String] {
        guard let number = incident(in: words), let view = await view(of: number, global: global(words)) else { return [] }
        return matching(pick(view), prefix)
    }

    /// Active open steps, possible events, roles, audiences and statements of an incident, as it stands now.
    static func view(of number: Int, global: GlobalOptions) async -> View? {
        guard let loaded = try? await Workspace(global: global).load(IncidentID.name(number)) else { return nil }
        let (record, playbook) = (loaded.record, loaded.playbook)
        let engine = Engine(playbook: playbook)
        var incident = record.snapshot
        engine.advance(&incident, to: Clock.now(), limit: Engine.timeDrivenLimit)
        let tables = playbook.tables
        let steps = engine.activeSteps(incident).filter { incident.progress(of: $0, tables)?.isOpen == true }.map { tables.stepIDs[$0] }
        return View(
            steps: steps, events: engine.possibleEvents(incident).map(\.event), roles: playbook.roles.map(\.id),
            audiences: playbook.audiences.map(\.id), statements: (incident.comms?.statements.indices).map { $0.map(StatementID.name) } ?? [])
    }

    /// Playbook ids: the file names of the playbook folder (reading each file is not worth a key press).
    static func playbookIDs(_ words: [String], _ prefix: String) -> [String] {
        let folder = global(words).playbookFolder
        guard let paths = try? Files.scan(folder).files else { return [] }
        let ids = Set(paths.map { (Files.fileName($0) as NSString).deletingPathExtension }.filter(Identifier.isValid))
        return matching(ids.sorted(), prefix)
    }
}
