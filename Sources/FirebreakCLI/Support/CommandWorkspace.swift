import FirebreakApp
import FirebreakCore
import FirebreakStore

/// The application layer as the command line sets it up: the store `--db` names, the person `--as`
/// names, the process's clock, notes to standard error.
extension Workspace {
    init(global: GlobalOptions) {
        self.init(
            location: global.databasePath, environment: global.environment, clock: Clock.system, person: global.person,
            note: { Terminal.error("firebreak: note: \($0)") })
    }

    /// Records a move and prints the events it produced, one line each.
    func recordAndPrint(_ reference: String, at atText: String? = nil, _ command: Command, readThrough lastSeq: Int? = nil) async throws(FirebreakError) {
        let (record, stored, playbook) = try await record(reference, at: atText, command, readThrough: lastSeq)
        printRecorded(stored, reference: record.reference, language: playbook.language)
    }
}
