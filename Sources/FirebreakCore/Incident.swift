/// The current state of one incident: the fold of its events.
///
/// Small and independent of history length: the timeline lives in the event log.
public struct Incident: Sendable, Equatable, Codable {
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

    public struct Closure: Sendable, Equatable, Codable {
        public var at: Int
        public var reason: String?
        public var forced: Bool
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
public struct StepProgress: Sendable, Equatable, Codable {
    public enum Status: Sendable, Equatable, Codable {
        case open
        case done(at: Int)
        case skipped(at: Int)
    }

    public var status: Status = .open
    public var overdue = false
    public var escalated = false

    public var isOpen: Bool { if case .open = status { true } else { false } }
    public var isSettled: Bool { !isOpen }

    public init() {}
}
