import FirebreakApp
import FirebreakCore
import FirebreakStore
import FirebreakTestSupport
import Foundation
import Testing

/// The use cases without a command line: an in-memory store, a fixed clock, a person given.
@Suite struct WorkspaceTests {
    static let opening = WallClock.parse("2026-05-12T21:00:00Z")!.seconds

    func workspace(_ store: MemoryStore, at seconds: Int, as person: String = "anna") -> Workspace {
        Workspace(store: store, clock: FixedClock(seconds), person: person)
    }

    func openMinimal(_ store: MemoryStore) async throws -> Int {
        let playbook = try loadPlaybook(MinimalPlaybook.text)
        return try await workspace(store, at: Self.opening).open(
            playbook, text: MinimalPlaybook.text, title: "A post", severity: nil, assignments: [("boss", "bert")], at: nil, began: nil)
    }

    @Test func openRecordAndVerifyOnAnInjectedStoreWithAFixedClock() async throws {
        let store = MemoryStore()
        let number = try await openMinimal(store)
        #expect(number == 1)
        let (record, stored, _) = try await workspace(store, at: Self.opening + 600).record("INC-1", at: "-5m", .done(step: "check", choice: nil, note: nil))
        #expect(record.reference == "INC-1")
        #expect(stored.map(\.seq) == [5])
        #expect(stored.map(\.event.body) == [.done(step: "check", choice: nil, note: nil, via: nil)])
        #expect(stored.first?.event.at == Self.opening + 300)
        #expect(stored.first?.event.actor == "anna")
        let report = try await workspace(store, at: Self.opening + 600).verify(nil)
        #expect(report == VerifyReport(checkedIncidents: 1, checkedEvents: 5, problems: []))
    }

    @Test func theClockDecidesWhatIsDueAndWhatIsInTheFuture() async throws {
        let store = MemoryStore()
        _ = try await openMinimal(store)
        // Twenty minutes on, 'check' (due 15m) fell overdue: stored with the next move, at its due time.
        let (_, stored, _) = try await workspace(store, at: Self.opening + 1200).record("INC-1", at: nil, .note(text: "Still looking"))
        #expect(stored.map(\.event.kind) == [.overdue, .escalated, .note])
        #expect(stored.first?.event.at == Self.opening + 900)
        await #expect(throws: FirebreakError.usage("--at 2026-05-12T21:30:00Z is in the future; it records when something already happened")) {
            try await workspace(store, at: Self.opening + 1200).record("INC-1", at: "2026-05-12T21:30:00Z", .note(text: "Later"))
        }
    }

    @Test func statusIsTheIncidentAtTheClockWithWhatFellDueAndWritesNothing() async throws {
        let store = MemoryStore()
        _ = try await openMinimal(store)
        let status = try await workspace(store, at: Self.opening + 1200).status("INC-1")
        // 'check' (due 15m) fell overdue and was escalated: folded in, not stored.
        #expect(status.pending.map(\.kind) == [.overdue, .escalated])
        #expect(status.pending.map(\.at) == [Self.opening + 900, Self.opening + 900])
        #expect(try await store.incident(1)?.lastSeq == 4)
        #expect(status.now == Self.opening + 1200)
        let rows = status.rows(.state)
        #expect(rows.map(\.step.id) == ["check", "act"])
        #expect(rows.map(\.progress.overdue) == [true, false])
        #expect(rows.map(\.deadline) == [Self.opening + 900, Self.opening + 3600])
        #expect(rows.map(\.waitsFor) == [[], ["check"]])
        #expect(status.nextTimer?.at == Self.opening + 4 * 3600)
        #expect(status.nextTimer?.target.id == "review")
        #expect(status.roles(of: "anna") == ["lead"])
        #expect(status.roles(of: "bert") == ["boss"])
        // --mine: only the person's open steps; bert holds no role that owns a step here.
        #expect(status.rows(.state, mine: "anna").map(\.step.id) == ["check", "act"])
        #expect(status.rows(.state, mine: "bert").isEmpty)
        #expect(status.waitingStatements.isEmpty && status.informs.isEmpty && status.missedUpdates.isEmpty)
    }

    @Test func theLogWithWhatFellDueNumbersItAfterTheStoredLog() async throws {
        let store = MemoryStore()
        _ = try await openMinimal(store)
        let log = try await workspace(store, at: Self.opening + 1200).log(withDue: "INC-1")
        var seen: [(seq: Int, stored: Bool, kind: Event.Kind, recordedAt: Int)] = []
        try await log.each { item, isStored in seen.append((item.seq, isStored, item.event.kind, item.recordedAt)) }
        #expect(seen.map(\.seq) == [1, 2, 3, 4, 5, 6])
        #expect(seen.map(\.stored) == [true, true, true, true, false, false])
        #expect(seen.suffix(2).map(\.kind) == [.overdue, .escalated])
        // Not logged late: not logged at all. It fell due at 15m.
        #expect(seen.suffix(2).map(\.recordedAt) == [Self.opening + 900, Self.opening + 900])
        #expect(try await store.incident(1)?.lastSeq == 4)
    }

    @Test func verifyFoldsEachLogInTheSamePassAsItsChain() async throws {
        let store = MemoryStore()
        _ = try await openMinimal(store)
        _ = try await openMinimal(store)
        let report = try await workspace(store, at: Self.opening).verify(nil)
        #expect(report.checkedIncidents == 2)
        #expect(report.problems.isEmpty)
        await #expect(throws: FirebreakError.missing("no incident INC-9")) {
            try await workspace(store, at: Self.opening).verify("INC-9")
        }
    }
}
