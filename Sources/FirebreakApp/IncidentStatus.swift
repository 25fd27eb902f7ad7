import FirebreakCore
import FirebreakStore

/// The `status` use case: an incident as it stands at the workspace's clock, with what has fallen due
/// since the last stored event folded in (not stored: reading never writes), its statements and
/// informs as the log tells them, and what is waiting. Words and layout are the front end's.
public struct IncidentStatus: Sendable {
    public let record: IncidentRecord
    public let playbook: Playbook
    public let engine: Engine
    /// The stored incident with the time-driven events that have fallen due by ``now``.
    public let incident: Incident
    public let now: Int
    /// The time-driven events that have fallen due by ``now`` and are not stored yet.
    public let pending: [Event]
    /// Who has been informed, from the log.
    public let informs: [InformRecord]
    /// Updates missed since the last publication to their audience: still to be made.
    public let missedUpdates: [(audience: String, due: Int)]

    /// The roles `person` holds or deputises, in the playbook's order.
    public func roles(of person: String) -> [String] {
        playbook.roles.map(\.id).filter { incident.assignments[$0] == person || incident.deputies(of: $0).contains(person) }
    }

    /// A statement not published yet: the approver roles still to approve (with holders) and what its checks find.
    public struct WaitingStatement: Sendable {
        public var id: String
        public var audience: String
        public var version: Int
        public var missing: [(role: String, holder: String?)]
        public var findings: [TextFinding]
    }

    /// Unpublished statements, in the order they were drafted.
    public var waitingStatements: [WaitingStatement] {
        guard let comms = incident.comms else { return [] }
        return comms.statements.indices.compactMap { s in
            let statement = comms.statements[s]
            guard !statement.isPublished else { return nil }
            let id = StatementID.name(s)
            let audience = playbook.audiences[statement.audience]
            let missing = engine.approverHolders(of: s, incident).filter { role in
                !statement.approvedBy.contains(playbook.tables.roleIndex[role.role] ?? -1)
            }
            return WaitingStatement(
                id: id, audience: audience.id, version: statement.version, missing: missing, findings: TextCheck.findings(statement.text, avoid: audience.avoid))
        }
    }

    /// Per audience with an update due: when.
    public var nextUpdates: [(audience: String, due: Int)] {
        guard let comms = incident.comms, !incident.isClosed else { return [] }
        return comms.nextUpdate.indices.compactMap { a in comms.nextUpdate[a] >= 0 ? (playbook.audiences[a].id, comms.nextUpdate[a]) : nil }
    }

    /// The state's timer that has not fired yet: when, and where it moves the incident.
    public var nextTimer: (at: Int, target: State)? {
        guard !incident.isClosed, let timer = playbook.states[incident.state].timers.first else { return nil }
        return (incident.enteredAt + timer.after, playbook.states[timer.target])
    }

    /// A step as `status` lists it.
    public struct Row: Sendable {
        public var index: Int
        public var step: Step
        public var progress: StepProgress
        public var person: String?
        public var deadline: Int?
        /// The steps it still waits for (its open `needs`), by id.
        public var waitsFor: [String]
    }

    /// Which steps a table shows: the current state's, those carried from states left, or the standing duties.
    public enum Group: Sendable { case state, carried, duties }

    /// The steps of `group`: overdue open steps first, then open ones by deadline, then settled ones. With
    /// `mine`, only that person's open steps (in the roles they hold or deputise).
    public func rows(_ group: Group, mine: String? = nil) -> [Row] {
        let all = allRows(group)
        guard let mine else { return all }
        let roles = Set(roles(of: mine))
        return all.filter { $0.progress.isOpen && roles.contains($0.step.owner) }
    }

    private func allRows(_ group: Group) -> [Row] {
        let tables = playbook.tables
        let steps: [Int]
        switch group {
        case .state: steps = tables.steps(of: incident.state).filter { !incident.isDeferred($0, tables) }
        case .carried: steps = incident.carried.filter(\.progress.isOpen).map { Int($0.step) }
        case .duties: steps = Array(tables.duties)
        }
        let rows = steps.compactMap { g -> Row? in
            guard let progress = incident.progress(of: g, tables) else { return nil }
            let step = playbook.definition(of: g)
            return Row(
                index: g, step: step, progress: progress, person: incident.assignments[step.owner], deadline: incident.deadline(of: g, tables),
                waitsFor: engine.openNeeds(of: g, in: incident).map { tables.stepIDs[$0] })
        }
        func rank(_ row: Row) -> Int { row.progress.isOpen ? (row.progress.overdue ? 0 : 1) : 2 }
        return rows.enumerated().sorted { a, b in
            let (ra, rb) = (rank(a.element), rank(b.element))
            if ra != rb { return ra < rb }
            let (da, db) = (a.element.deadline ?? .max, b.element.deadline ?? .max)
            return da != db && ra < 2 ? da < db : a.offset < b.offset
        }.map(\.element)
    }
}

extension Workspace {
    /// The incident `reference` as it stands now (``clock``): see ``IncidentStatus``.
    public func status(_ reference: String) async throws(FirebreakError) -> IncidentStatus {
        let (store, record, playbook) = try await load(reference)
        let now = clock.now()
        let engine = Engine(playbook: playbook)
        var current = record.snapshot
        let pending = engine.advance(&current, to: now, limit: Engine.timeDrivenLimit)
        var log = try await Self.communications(record, store: store, playbook: playbook)
        for (i, event) in pending.enumerated() { log.add(event, seq: record.lastSeq + 1 + i, playbook: playbook) }
        let missed = log.missedUpdates.filter { missed in
            !log.statements.contains { $0.audience == missed.audience && ($0.published?.at ?? .min) > missed.due }
        }
        return IncidentStatus(
            record: record, playbook: playbook, engine: engine, incident: current, now: now, pending: pending, informs: log.informs, missedUpdates: missed)
    }

    /// The statements and informs of an incident's stored log, read as a stream of only the kinds they are made of
    /// (a long log is mostly notes, which are not read).
    public static func communications(_ record: IncidentRecord, store: any IncidentStore, playbook: Playbook) async throws(FirebreakError) -> CommunicationsLog {
        var log = CommunicationsLog()
        do {
            for try await item in store.events(of: record.number, through: record.lastSeq, kinds: CommunicationsLog.kinds) {
                log.add(item.event, seq: item.seq, playbook: playbook)
            }
        } catch {
            throw translate(error)
        }
        return log
    }
}

/// The `timeline` and `export` use case: an incident's log as it stood when its record was read, and after
/// it what has fallen due by ``now`` and is not stored yet (an overdue, an escalation, a timer), numbered
/// after the stored log, as `status` counts it. The stored log is read a page at a time: memory does not
/// grow with it.
public struct IncidentLog: Sendable {
    public let store: any IncidentStore
    public let record: IncidentRecord
    public let playbook: Playbook
    public let now: Int
    /// The time-driven events fallen due by ``now`` and not stored: `recordedAt` is when each fell due, `hash` empty.
    public let pending: [StoredEvent]

    /// Each stored event, then each pending one; `isStored` tells them apart.
    public func each(_ body: (_ item: StoredEvent, _ isStored: Bool) throws -> Void) async throws {
        do {
            for try await item in store.events(of: record.number, through: record.lastSeq) { try body(item, true) }
        } catch let error as StoreError {
            throw Workspace.translate(error)
        }
        for item in pending { try body(item, false) }
    }
}

extension Workspace {
    /// The log of incident `reference` with what has fallen due by now (``clock``): see ``IncidentLog``.
    public func log(withDue reference: String) async throws(FirebreakError) -> IncidentLog {
        let (store, record, playbook) = try await load(reference)
        let now = clock.now()
        var current = record.snapshot
        let pending = Engine(playbook: playbook).advance(&current, to: now, limit: Engine.timeDrivenLimit).enumerated().map { index, event in
            StoredEvent(incident: record.number, seq: record.lastSeq + 1 + index, recordedAt: event.at, event: event, hash: "")
        }
        return IncidentLog(store: store, record: record, playbook: playbook, now: now, pending: pending)
    }
}
