/// Facts derived from an incident's events: step rounds, states entered, decisions, milestones.
///
/// Shared by exercise scoring and post-mortem reports; a fold, so it streams over any number of events.
public struct IncidentAnalysis: Sendable, Equatable {
    /// One step in one round of its state.
    public struct StepRound: Sendable, Equatable {
        public var step: String
        public var state: String
        public var round: Int
        public var owner: String
        public var enteredAt: Int
        public var deadline: Int?
        public var doneAt: Int?
        public var skippedAt: Int?
        public var skipReason: String?
        public var choice: String?
        public var actor: String?
        public var outsideRole = false
        public var overdue = false
        /// Who held or deputised for the owner role when the step fell overdue (the holder first):
        /// the overdue and its escalation are theirs, whoever holds the role later.
        public var overdueUnder: [String] = []
        public var escalated = false
        public var isOptional = false
        /// A standing duty (its `state` is empty): active from opening to close.
        public var isDuty = false
        /// Carried: it stayed active after its state was left.
        public var carried = false

        public enum Status: String, Sendable {
            case onTime = "on-time", late, skipped, notDone = "not-done"
        }

        public var status: Status {
            if let doneAt { return deadline.map { doneAt <= $0 } ?? true ? .onTime : .late }
            if skippedAt != nil { return .skipped }
            return .notDone
        }
    }

    public struct StateVisit: Sendable, Equatable {
        public var state: String
        public var round: Int
        public var enteredAt: Int
        public var leftAt: Int?
        public var from: String?
        public var event: String?
    }

    public struct Decision: Sendable, Equatable {
        public var step: String
        public var choice: String
        public var actor: String?
        public var role: String?
        public var at: Int
        /// The note given with the decision (`done --note`).
        public var note: String? = nil
        /// Declared a mistake by `retract` (its event and the state it entered stand).
        public var retracted = false
        var seq = 0
    }

    public var steps: [StepRound] = []
    /// Everyone who held a role or deputised for it during the incident, in the order they were given it.
    public var roleHolders: [(role: String, person: String, deputy: Bool, at: Int)] = []
    public var visits: [StateVisit] = []
    public var decisions: [Decision] = []
    /// milestone name → first time reached.
    public var milestones: [(name: String, step: String, at: Int)] = []
    /// The seq of the `done` each milestone came from, by name: a retraction of it takes the milestone back.
    private var milestoneSeq: [String: Int] = [:]
    /// The row each `done` or `skip` settled, by its seq: a retraction unsettles that row, whatever round is current.
    private var settledRow: [Int: Int] = [:]
    /// The scored facts (when each step was first done, each state first entered), as exercises keep them.
    public private(set) var facts: ExerciseFacts
    public var openedAt: Int?
    public var beganAt: Int?
    public var closedAt: Int?
    public var forcedClose: (reason: String, actor: String?)?
    /// The first move by a person after opening (done, skipped, fired, note).
    public var firstActionAt: Int?
    public var overdueCount = 0
    public var escalationCount = 0
    public var eventCount = 0
    /// What later entries say about earlier ones (retracted, superseded), by seq: for marking the timeline.
    public private(set) var marks = LogMarks()
    /// Statements, informs and missed updates.
    public var communications = CommunicationsLog()

    /// Reach over time, from the exercise's injects that carry a `reach` (in the order they came).
    public var reach: [(at: Int, reach: Int)] = []
    /// The names informs are counted under in ``facts`` (see ``ExerciseFacts/informNames(_:_:)``).
    public let informNames: [String]

    let playbook: Playbook
    /// Made once: it compiles the playbook's statement texts, which is too costly per event.
    let engine: Engine
    /// Per step (global index): the row in ``steps`` of its latest copy, -1 before the first. Which copy
    /// is active is the incident's to say (``Incident/progress(of:_:)``); this only finds its row.
    var row: [Int]
    /// The incident as folded so far, for the facts.
    var incident: Incident?

    /// `scenario`: the exercise's, so that informs are counted under its names too.
    public init(playbook: Playbook, scenario: Scenario? = nil) {
        self.playbook = playbook
        self.engine = Engine(playbook: playbook)
        self.informNames = ExerciseFacts.informNames(playbook, scenario)
        self.facts = ExerciseFacts(tables: playbook.tables, informNames: informNames.count)
        self.row = [Int](repeating: -1, count: playbook.tables.stepCount)
    }

    public static func == (lhs: IncidentAnalysis, rhs: IncidentAnalysis) -> Bool {
        lhs.steps == rhs.steps && lhs.visits == rhs.visits && lhs.decisions == rhs.decisions
            && lhs.milestones.map(\.name) == rhs.milestones.map(\.name) && lhs.milestones.map(\.at) == rhs.milestones.map(\.at)
            && lhs.closedAt == rhs.closedAt
    }

    public var finalState: String? { visits.last?.state }

    /// Feeds the next event of the log; `seq` is its number in the log (by default its position, as in a
    /// stored log, which starts at 1 with no gaps).
    public mutating func add(_ event: Event, seq: Int? = nil) {
        eventCount += 1
        let seq = seq ?? eventCount
        let superseded = marks.add(seq: seq, event)
        var compact = playbook.engineEvent(event)?.0
        if case .informed(let who, _, _) = event.body {
            // Counted under the exercise's names, which may go beyond the playbook's `informs` ids.
            compact?.body = .informed(who: informNames.firstIndex(of: who).map(Int32.init) ?? -1)
        }
        if incident == nil, case .opened = event.body {
            incident = engine.replay([event])
        } else if incident != nil {
            engine.fold(event, into: &incident!)
        }
        if let compact, let incident { facts.record(compact, incident: incident, tables: playbook.tables) }
        communications.add(event, playbook: playbook)
        switch event.body {
        case let .opened(_, _, _, began, _, _):
            openedAt = event.at
            beganAt = began
            let tables = playbook.tables
            for g in tables.duties {
                let duty = playbook.duties[g - tables.dutyBase]
                let due = tables.stepDue[g]
                row[g] = steps.count
                steps.append(StepRound(
                    step: duty.id, state: "", round: 1, owner: duty.owner, enteredAt: event.at, deadline: due >= 0 ? event.at + due : nil,
                    isOptional: duty.isOptional, isDuty: true))
            }
        case let .entered(state, from, by, round):
            if let last = visits.indices.last, visits[last].leftAt == nil { visits[last].leftAt = event.at }
            visits.append(StateVisit(state: state, round: round, enteredAt: event.at, leftAt: nil, from: from, event: by))
            let tables = playbook.tables
            guard let incident else { break }
            if tables.anyCarry {
                // The steps the engine carried out of the round just left, as the folded incident has them.
                for entry in incident.carried where entry.progress.isOpen && row[Int(entry.step)] >= 0 {
                    steps[row[Int(entry.step)]].carried = true
                }
            }
            // A new copy of each step the engine opened on entering (a step whose carried copy is still open is not opened again).
            for g in engine.activeSteps(incident) where Int(tables.stepState[g]) == incident.state && !incident.isDeferred(g, tables) {
                let step = playbook.states[incident.state].steps[g - Int(tables.firstStep[incident.state])]
                let due = tables.stepDue[g]
                row[g] = steps.count
                steps.append(StepRound(
                    step: step.id, state: state, round: round, owner: step.owner,
                    enteredAt: event.at, deadline: due >= 0 ? event.at + due : nil, isOptional: step.isOptional))
            }
        case let .done(step, choice, note, _):
            firstActionAt = min(firstActionAt ?? .max, event.at)
            if let i = currentIndex(step) {
                steps[i].doneAt = event.at
                // Done on time by a late entry: the overdue and escalation stored before it are superseded (``LogMarks``).
                if steps[i].overdue, !superseded.isEmpty {
                    overdueCount -= 1
                    if steps[i].escalated { escalationCount -= 1 }
                    steps[i].overdue = false
                    steps[i].escalated = false
                    steps[i].overdueUnder = []
                }
                steps[i].choice = choice
                steps[i].actor = event.actor
                steps[i].outsideRole = event.outsideRole
                settledRow[seq] = i
            }
            // A milestone is reached by the first done of its step that stands (one retracted no longer counts).
            if let milestone = playbook.anyStep(step)?.milestone, !milestones.contains(where: { $0.name == milestone }) {
                milestones.append((milestone, step, event.at))
                milestoneSeq[milestone] = seq
            }
            if let choice { decisions.append(Decision(step: step, choice: choice, actor: event.actor, role: event.role, at: event.at, note: note, seq: seq)) }
        case let .skipped(step, reason):
            firstActionAt = min(firstActionAt ?? .max, event.at)
            if let i = currentIndex(step) {
                steps[i].skippedAt = event.at
                steps[i].skipReason = reason
                steps[i].actor = event.actor
                steps[i].outsideRole = event.outsideRole
                settledRow[seq] = i
            }
        case .fired, .note:
            if event.actor != nil { firstActionAt = min(firstActionAt ?? .max, event.at) }
        case let .overdue(step, _):
            overdueCount += 1
            if let i = currentIndex(step) {
                steps[i].overdue = true
                if let incident {
                    let owner = steps[i].owner
                    steps[i].overdueUnder = [incident.assignments[owner]].compactMap { $0 } + incident.deputies(of: owner)
                }
            }
        case let .escalated(step, _):
            escalationCount += 1
            if let i = currentIndex(step) { steps[i].escalated = true }
        case let .closed(reason, forced):
            closedAt = event.at
            if let last = visits.indices.last, visits[last].leftAt == nil { visits[last].leftAt = event.at }
            if forced { forcedClose = (reason ?? "", event.actor) }
        case .reopened:
            closedAt = nil
            forcedClose = nil
        case let .retracted(retracted, _, _, _):
            // The done or skip no longer stands, in its own round (reopened or not): not done, and not on time.
            if let i = settledRow.removeValue(forKey: retracted) {
                steps[i].doneAt = nil
                steps[i].skippedAt = nil
                steps[i].skipReason = nil
                steps[i].choice = nil
                steps[i].actor = nil
                steps[i].outsideRole = false
            }
            if let name = milestoneSeq.first(where: { $0.value == retracted })?.key {
                milestoneSeq[name] = nil
                milestones.removeAll { $0.name == name }
            }
            for d in decisions.indices where decisions[d].seq == retracted { decisions[d].retracted = true }
        case let .assigned(role, person):
            if !roleHolders.contains(where: { $0.role == role && $0.person == person && !$0.deputy }) { roleHolders.append((role, person, false, event.at)) }
        case let .deputy(role, person):
            roleHolders.append((role, person, true, event.at))
        case .escalatedUpdate:
            escalationCount += 1
        case let .inject(_, _, _, reach?):
            self.reach.append((event.at, reach))
        case .timer, .inject, .refused, .drafted, .approved, .rejected, .published, .updateOverdue, .informed:
            break
        }
    }

    /// The row of a step's active copy (a duty, a carried step, or one of the current round), as the
    /// folded incident finds it (``Incident/progress(of:_:)``); nil when the step is not active.
    func currentIndex(_ step: String) -> Int? {
        guard let incident, let g = playbook.tables.stepIndex[step].map(Int.init), incident.progress(of: g, playbook.tables) != nil, row[g] >= 0 else { return nil }
        return row[g]
    }

    /// Deadlines met: steps done on time out of steps with a deadline that were done, late or left open
    /// (not those that stopped being active before their deadline: ``endedBeforeDeadline(_:)``).
    public var deadlinesMet: (met: Int, total: Int) {
        let counted = steps.filter {
            $0.deadline != nil && $0.status != .skipped && !($0.isOptional && $0.status == .notDone) && !endedBeforeDeadline($0)
        }
        return (counted.filter { $0.status == .onTime }.count, counted.count)
    }

    /// Whether a step left undone stopped being active before its deadline: its state was left (a
    /// carried step or a duty: the incident closed) while the deadline was still ahead. Nobody could
    /// miss that deadline, so it is not counted as missed.
    public func endedBeforeDeadline(_ round: StepRound) -> Bool {
        guard round.doneAt == nil, round.skippedAt == nil, let deadline = round.deadline else { return false }
        let end = round.isDuty || round.carried ? closedAt : visits.first { $0.state == round.state && $0.round == round.round }?.leftAt
        return end.map { $0 < deadline } ?? false
    }

    /// Whether a step not done is still open at `now`: the incident is open, the step still active (a
    /// duty, carried, or of the state the incident is in) and its deadline still ahead. A report made
    /// then counts it as open, not as missed.
    public func isStillOpen(_ round: StepRound, at now: Int) -> Bool {
        guard closedAt == nil, round.doneAt == nil, round.skippedAt == nil, let deadline = round.deadline, deadline > now else { return false }
        if round.isDuty || round.carried { return true }
        return visits.last.map { $0.state == round.state && $0.round == round.round && $0.leftAt == nil } ?? false
    }

    /// ``deadlinesMet`` at `now`, with how many of the counted deadlines are still ahead of open steps.
    public func deadlines(at now: Int) -> (met: Int, open: Int, total: Int) {
        let (met, total) = deadlinesMet
        return (met, steps.filter { !$0.isOptional && isStillOpen($0, at: now) }.count, total)
    }
}
