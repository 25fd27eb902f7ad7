/// The current state of one incident: the fold of its events.
///
/// Small and independent of history length: the timeline lives in the event log.
public struct Incident: Sendable, Equatable {
    public var title: String
    public var severity: IncidentSeverity
    public var openedAt: Int
    public var beganAt: Int?
    /// role id → person holding it.
    public var assignments: [String: String]
    /// role id → the deputies of the role, in the order they were assigned; `nil` until the first deputy
    /// (so snapshots stored before deputies existed still equal the fold of their log).
    public var deputies: [String: [String]]? = nil
    /// Index of the current state in the playbook.
    public var state: Int
    public var enteredAt: Int
    /// 1-based round of the current state (re-entering a state opens a new round).
    public var round: Int
    /// How often each state has been entered.
    public var rounds: [Int]
    /// Progress of the current state's steps, in step order.
    public var steps: [StepProgress]
    /// Progress of the playbook's standing duties, in playbook order (one round, from opening).
    public var duties: [StepProgress] = []
    /// Steps with `carry: true` left open when their state was left, by global step index; settled
    /// ones stay until the next state is entered.
    public var carried: [CarriedStep] = []
    public var closed: Closure?
    /// Number of events folded in.
    public var eventCount: Int
    /// Statements and update cadences; nil until the first statement (and so absent from older snapshots).
    public var comms: Communications? = nil

    public var isClosed: Bool {
        @inline(__always) get {
            if case .none = closed { false } else { true }
        }
    }

    public struct Closure: Sendable, Equatable, Encodable {
        public var at: Int
        public var reason: String?
        public var forced: Bool
    }

    public init(
        title: String, severity: IncidentSeverity, openedAt: Int, beganAt: Int?, assignments: [String: String], state: Int, enteredAt: Int,
        round: Int, rounds: [Int], steps: [StepProgress], duties: [StepProgress] = [], carried: [CarriedStep] = [], closed: Closure?,
        eventCount: Int
    ) {
        self.title = title
        self.severity = severity
        self.openedAt = openedAt
        self.beganAt = beganAt
        self.assignments = assignments
        self.state = state
        self.enteredAt = enteredAt
        self.round = round
        self.rounds = rounds
        self.steps = steps
        self.duties = duties
        self.carried = carried
        self.closed = closed
        self.eventCount = eventCount
    }

    /// The roles a person holds, in playbook order.
    public func roles(of person: String, in playbook: Playbook) -> [String] {
        playbook.roles.map(\.id).filter { assignments[$0] == person }
    }

    /// The deputies of a role, in the order they were assigned.
    public func deputies(of role: String) -> [String] { deputies?[role] ?? [] }

    /// Whether a person holds a role or deputises for it.
    public func acts(in role: String, _ person: String) -> Bool {
        assignments[role] == person || deputies?[role]?.contains(person) == true
    }
}

/// Where one step of the current round stands. Plain data (the choice made and the reason for a
/// skip are in the event log), so a round of steps is reset and copied without reference counting.
public struct StepProgress: Sendable, Equatable, Encodable {
    public enum Status: Sendable, Equatable, Encodable {
        case open
        case done(at: Int)
        case skipped(at: Int)
    }

    public var status: Status = .open
    public var overdue = false
    public var escalated = false

    public var isOpen: Bool { if case .open = status { true } else { false } }
    public var isSettled: Bool { !isOpen }

    /// Done at or before `deadline`: on time, even when an overdue (and its escalation) was stored
    /// before a late entry of the done (`done --at` back in time). The overdue stays in the log, superseded.
    public func isDoneOnTime(deadline: Int?) -> Bool {
        guard case .done(let at) = status else { return false }
        return deadline.map { at <= $0 } ?? true
    }

    public init() {}
}

/// A step that stays active after its state was left (`carry: true`): its global index, the round
/// of its state it was opened in, its deadline (-1: none), and which of its `needs` (bit per position)
/// were left open in that round without being carried: those stay open, so it can only be skipped.
public struct CarriedStep: Sendable, Equatable, Encodable {
    public var step: Int32
    public var round: Int32
    public var deadline: Int
    public var blockedNeeds: UInt64
    public var progress: StepProgress

    public init(step: Int32, round: Int32, deadline: Int, blockedNeeds: UInt64, progress: StepProgress) {
        self.step = step
        self.round = round
        self.deadline = deadline
        self.blockedNeeds = blockedNeeds
        self.progress = progress
    }
}

/// Snapshots stored before 1.1 have no `deputies`, `duties`, `carried` or `comms`: they read as empty (nil), and are written
/// only when there are some, so an incident without them stores what it stored before.
extension Incident: Encodable {
    enum CodingKeys: String, CodingKey {
        case title, severity, openedAt, beganAt, assignments, deputies, state, enteredAt, round, rounds, steps, duties, carried, closed, eventCount, comms
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(title, forKey: .title)
        try c.encode(severity, forKey: .severity)
        try c.encode(openedAt, forKey: .openedAt)
        try c.encodeIfPresent(beganAt, forKey: .beganAt)
        try c.encode(assignments, forKey: .assignments)
        try c.encodeIfPresent(deputies, forKey: .deputies)
        try c.encode(state, forKey: .state)
        try c.encode(enteredAt, forKey: .enteredAt)
        try c.encode(round, forKey: .round)
        try c.encode(rounds, forKey: .rounds)
        try c.encode(steps, forKey: .steps)
        if !duties.isEmpty { try c.encode(duties, forKey: .duties) }
        if !carried.isEmpty { try c.encode(carried, forKey: .carried) }
        try c.encodeIfPresent(closed, forKey: .closed)
        try c.encode(eventCount, forKey: .eventCount)
        try c.encodeIfPresent(comms, forKey: .comms)
    }
}
