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
    }

    public var steps: [StepRound] = []
    /// Everyone who held a role or deputised for it during the incident, in the order they were given it.
    public var roleHolders: [(role: String, person: String, deputy: Bool, at: Int)] = []
    public var visits: [StateVisit] = []
    public var decisions: [Decision] = []
    /// milestone name → first time reached.
    public var milestones: [(name: String, step: String, at: Int)] = []
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
    /// Statements, informs and missed updates.
    public var communications = CommunicationsLog()

    let playbook: Playbook
    var current: [Int] = []  // indices into `steps` of the current round
    var carriedRounds: [Int] = []  // indices into `steps` of carried steps still open
    var duties: [Int] = []  // indices into `steps` of the duties
    /// The incident as folded so far, for the facts.
    var incident: Incident?

    public init(playbook: Playbook) {
        self.playbook = playbook
        self.facts = ExerciseFacts(tables: playbook.tables)
    }

    public static func == (lhs: IncidentAnalysis, rhs: IncidentAnalysis) -> Bool {
        lhs.steps == rhs.steps && lhs.visits == rhs.visits && lhs.decisions == rhs.decisions
            && lhs.milestones.map(\.name) == rhs.milestones.map(\.name) && lhs.milestones.map(\.at) == rhs.milestones.map(\.at)
            && lhs.closedAt == rhs.closedAt
    }

    public var finalState: String? { visits.last?.state }

    public mutating func add(_ event: Event) {
        eventCount += 1
        let compact = playbook.engineEvent(event)?.0
        let engine = Engine(playbook: playbook)
        if incident == nil, case .opened = event.body {
            incident = engine.replay([event])
        } else if incident != nil {
            engine.fold(event, into: &incident!)
        }
        let firstTime: Bool
        if case .done(let step, _, _)? = compact?.body, step >= 0 { firstTime = facts.firstDone[Int(step)] == .max } else { firstTime = false }
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
                duties.append(steps.count)
                steps.append(StepRound(
                    step: duty.id, state: "", round: 1, owner: duty.owner, enteredAt: event.at, deadline: due >= 0 ? event.at + due : nil,
                    isOptional: duty.isOptional, isDuty: true))
            }
        case let .entered(state, from, by, round):
            if let last = visits.indices.last, visits[last].leftAt == nil { visits[last].leftAt = event.at }
            visits.append(StateVisit(state: state, round: round, enteredAt: event.at, leftAt: nil, from: from, event: by))
            let tables = playbook.tables
            if tables.anyCarry, let incident {
                // The steps the engine carried out of the round just left, as the folded incident has them.
                carriedRounds.removeAll { steps[$0].doneAt != nil || steps[$0].skippedAt != nil }
                for i in current where !carriedRounds.contains(i) {
                    if let g = tables.stepIndex[steps[i].step], let c = incident.carriedIndex(of: Int(g)), incident.carried[c].progress.isOpen {
                        steps[i].carried = true
                        carriedRounds.append(i)
                    }
                }
            }
            current = []
            if let index = playbook.stateIndex[state] {
                let count = playbook.states[index].steps.count
                for k in 0..<count {
                    let g = Int(playbook.tables.firstStep[index]) + k
                    if let incident, incident.isDeferred(g, tables) { continue }
                    let due = playbook.tables.stepDue[g]
                    current.append(steps.count)
                    steps.append(StepRound(
                        step: playbook.states[index].steps[k].id, state: state, round: round, owner: playbook.states[index].steps[k].owner,
                        enteredAt: event.at, deadline: due >= 0 ? event.at + due : nil, isOptional: playbook.states[index].steps[k].isOptional))
                }
            }
        case let .done(step, choice, _, _):
            if firstActionAt == nil { firstActionAt = event.at }
            if let i = currentIndex(step) {
                steps[i].doneAt = event.at
                steps[i].choice = choice
                steps[i].actor = event.actor
                steps[i].outsideRole = event.outsideRole
            }
            if firstTime {
                if let milestone = playbook.anyStep(step)?.milestone,
                    !milestones.contains(where: { $0.name == milestone }) {
                    milestones.append((milestone, step, event.at))
                }
            }
            if let choice { decisions.append(Decision(step: step, choice: choice, actor: event.actor, role: event.role, at: event.at)) }
        case let .skipped(step, reason):
            if firstActionAt == nil { firstActionAt = event.at }
            if let i = currentIndex(step) {
                steps[i].skippedAt = event.at
                steps[i].skipReason = reason
                steps[i].actor = event.actor
                steps[i].outsideRole = event.outsideRole
            }
        case .fired, .note:
            if firstActionAt == nil, event.actor != nil { firstActionAt = event.at }
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
        case let .retracted(_, _, step, reopened):
            if reopened, let step, let i = currentIndex(step) {
                steps[i].doneAt = nil
                steps[i].skippedAt = nil
                steps[i].skipReason = nil
                steps[i].choice = nil
                steps[i].actor = nil
                steps[i].outsideRole = false
            }
        case let .assigned(role, person):
            if !roleHolders.contains(where: { $0.role == role && $0.person == person && !$0.deputy }) { roleHolders.append((role, person, false, event.at)) }
        case let .deputy(role, person):
            roleHolders.append((role, person, true, event.at))
        case .escalatedUpdate:
            escalationCount += 1
        case .timer, .inject, .refused, .drafted, .approved, .rejected, .published, .updateOverdue, .informed:
            break
        }
    }

    /// The active copy of a step: a duty, a carried step, or one of the current round (as the engine finds it).
    func currentIndex(_ step: String) -> Int? {
        duties.first { steps[$0].step == step } ?? carriedRounds.first { steps[$0].step == step } ?? current.first { steps[$0].step == step }
    }

    /// Deadlines met: steps done on time out of steps with a deadline that were done, late or left open.
    public var deadlinesMet: (met: Int, total: Int) {
        let counted = steps.filter { $0.deadline != nil && $0.status != .skipped && !($0.isOptional && $0.status == .notDone) }
        return (counted.filter { $0.status == .onTime }.count, counted.count)
    }
}
