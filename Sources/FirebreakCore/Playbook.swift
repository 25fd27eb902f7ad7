/// How serious an incident is.
public enum IncidentSeverity: String, Sendable, Equatable, Codable, CaseIterable {
    case low, medium, high, critical
}

/// The language of a playbook's texts, and of the reports, `status`, `timeline` and exercise
/// output made for its incidents (unless a command's `--lang` says otherwise).
public enum Language: String, Sendable, Equatable, Codable, CaseIterable {
    case en, nl
}

/// A checked playbook: the state machine for one kind of incident.
///
/// Built only by ``PlaybookChecker``, so every reference in it is known to resolve.
public struct Playbook: Sendable, Equatable {
    public var id: String
    public var title: String
    public var summary: String?
    public var severity: IncidentSeverity
    public var roles: [Role]
    public var commander: String
    public var start: Int
    public var states: [State]
    /// Transitions of the top-level `on`, available in every non-final state.
    public var globalTransitions: [Transition]
    /// Standing duties: steps active from opening to close, in one round; their `needs` index other duties.
    public var duties: [Step]
    /// Who statements are for (`audiences:`), in file order.
    public var audiences: [Audience]
    /// `language:`, English unless the file says otherwise.
    public var language: Language = .en

    public let stateIndex: [String: Int]
    public let stepLocations: [String: StepLocation]
    public let roleIndex: [String: Int]
    let globalTransitionIndex: [String: Int]
    /// The compiled form the engine works on.
    public let tables: PlaybookTables

    public init(
        id: String, title: String, summary: String?, severity: IncidentSeverity, roles: [Role], commander: String,
        start: Int, states: [State], globalTransitions: [Transition], duties: [Step] = [], audiences: [Audience] = []
    ) {
        self.id = id
        self.title = title
        self.summary = summary
        self.severity = severity
        self.roles = roles
        self.commander = commander
        self.start = start
        self.states = states
        self.globalTransitions = globalTransitions
        self.duties = duties
        self.audiences = audiences
        var stateIndex: [String: Int] = [:]
        var stepLocations: [String: StepLocation] = [:]
        for (s, state) in states.enumerated() {
            stateIndex[state.id] = s
            for (i, step) in state.steps.enumerated() { stepLocations[step.id] = StepLocation(state: s, index: i) }
        }
        self.stateIndex = stateIndex
        self.stepLocations = stepLocations
        self.roleIndex = Dictionary(roles.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        self.globalTransitionIndex = Dictionary(globalTransitions.enumerated().map { ($1.event, $0) }, uniquingKeysWith: { a, _ in a })
        self.tables = PlaybookTables(
            states: states, globalTransitions: globalTransitions, roles: roles, commander: commander, duties: duties, audiences: audiences)
    }

    public static func == (lhs: Playbook, rhs: Playbook) -> Bool {
        lhs.id == rhs.id && lhs.title == rhs.title && lhs.summary == rhs.summary && lhs.severity == rhs.severity && lhs.roles == rhs.roles
            && lhs.commander == rhs.commander && lhs.start == rhs.start && lhs.states == rhs.states && lhs.globalTransitions == rhs.globalTransitions
            && lhs.duties == rhs.duties && lhs.audiences == rhs.audiences && lhs.language == rhs.language
    }

    public struct StepLocation: Sendable, Equatable {
        public var state: Int
        public var index: Int
    }

    public func role(_ id: String) -> Role? { roleIndex[id].map { roles[$0] } }

    /// The audience with this id.
    public func audience(_ id: String) -> Audience? { audiences.first { $0.id == id } }

    public func step(_ id: String) -> (state: State, step: Step)? {
        guard let location = stepLocations[id] else { return nil }
        let state = states[location.state]
        return (state, state.steps[location.index])
    }

    /// A step of a state or a duty, by id.
    public func anyStep(_ id: String) -> Step? {
        guard let g = tables.stepIndex[id] else { return nil }
        return definition(of: Int(g))
    }

    /// The step with global index `g` (see ``PlaybookTables``): a state's step or a duty.
    public func definition(of g: Int) -> Step {
        let dutyBase = tables.dutyBase
        if g >= dutyBase { return duties[g - dutyBase] }
        let state = Int(tables.stepState[g])
        return states[state].steps[g - Int(tables.firstStep[state])]
    }

    /// Whether `id` names a standing duty.
    public func isDuty(_ id: String) -> Bool { tables.stepIndex[id].map { Int($0) >= tables.dutyBase } ?? false }

    /// The transition an event takes from a state: the state's own entry wins over the top-level `on`.
    public func transition(for event: String, from state: Int) -> Transition? {
        if states[state].isFinal { return nil }
        if let index = states[state].transitionIndex[event] { return states[state].transitions[index] }
        if let index = globalTransitionIndex[event] { return globalTransitions[index] }
        return nil
    }

    /// The events that have a transition from a state, in file order (the state's own first).
    public func events(from state: Int) -> [Transition] {
        let current = states[state]
        if current.isFinal { return [] }
        return current.transitions + globalTransitions.filter { current.transitionIndex[$0.event] == nil }
    }

    /// Every step id whose `milestone` is set, in file order.
    public var milestones: [(step: String, milestone: String)] {
        (states.flatMap(\.steps) + duties).compactMap { step in step.milestone.map { (step.id, $0) } }
    }
}

/// A role that owns steps; overdue steps escalate to `escalatesTo`.
public struct Role: Sendable, Equatable, Encodable {
    public var id: String
    public var title: String
    public var escalatesTo: String?

    public init(id: String, title: String, escalatesTo: String? = nil) {
        self.id = id
        self.title = title
        self.escalatesTo = escalatesTo
    }
}

/// Who a statement is for: its approver roles, how often it is updated, words to avoid.
public struct Audience: Sendable, Equatable, Encodable {
    public var id: String
    public var title: String
    /// Role ids; every one must approve a version before it is published.
    public var approvers: [String]
    /// Seconds: after each publication the next update is due within it.
    public var cadence: Int?
    /// Words or phrases a draft for this audience should not contain.
    public var avoid: [String]

    public init(id: String, title: String? = nil, approvers: [String] = [], cadence: Int? = nil, avoid: [String] = []) {
        self.id = id
        self.title = title ?? id
        self.approvers = approvers
        self.cadence = cadence
        self.avoid = avoid
    }
}

/// A phase of an incident.
public struct State: Sendable, Equatable {
    public var id: String
    public var title: String
    public var isFinal: Bool
    public var steps: [Step]
    public var transitions: [Transition]
    public var timers: [Timer]
    let transitionIndex: [String: Int]

    public init(id: String, title: String, isFinal: Bool, steps: [Step], transitions: [Transition], timers: [Timer]) {
        self.id = id
        self.title = title
        self.isFinal = isFinal
        self.steps = steps
        self.transitions = transitions
        self.timers = timers
        self.transitionIndex = Dictionary(transitions.enumerated().map { ($1.event, $0) }, uniquingKeysWith: { a, _ in a })
    }

    public static func == (lhs: State, rhs: State) -> Bool {
        lhs.id == rhs.id && lhs.title == rhs.title && lhs.isFinal == rhs.isFinal && lhs.steps == rhs.steps && lhs.transitions == rhs.transitions
            && lhs.timers == rhs.timers
    }
}

/// An `on` entry: an event that moves the incident to `target` when `guard` holds.
public struct Transition: Sendable, Equatable, Encodable {
    public var event: String
    public var target: Int
    public var guardCondition: Guard
    /// The roles whose holder or deputy may fire it (`by`); `nil` when the playbook does not say.
    public var by: [String]?

    public init(event: String, target: Int, guardCondition: Guard = .always, by: [String]? = nil) {
        self.event = event
        self.target = target
        self.guardCondition = guardCondition
        self.by = by
    }
}

/// When a transition may be taken.
public enum Guard: Sendable, Equatable, Encodable {
    case always
    /// Every non-optional step of the current state is done or skipped.
    case allDone
    /// These steps (indices in the current state) are done or skipped.
    case steps([Int])
}

/// An `after` entry: leave for `target` if still in the state `after` seconds after entering it.
public struct Timer: Sendable, Equatable, Encodable {
    public var after: Int
    public var target: Int

    public init(after: Int, target: Int) {
        self.after = after
        self.target = target
    }
}

/// Something that must happen while the incident is in a state.
public struct Step: Sendable, Equatable {
    public var id: String
    public var title: String
    public var owner: String
    public var due: Int?
    /// Indices, in the same state, of steps that must be done or skipped first.
    public var needs: [Int]
    public var isOptional: Bool
    public var choices: Choices?
    public var guidance: String?
    public var template: String?
    public var milestone: String?
    /// `carry: true`: stays active when its state is left, until done, skipped or the close.
    public var carry: Bool
    /// `escalate:` instead of the owner role's `escalates-to`; nil: the owner's.
    public var escalate: Escalation?
    /// `statement: AUDIENCE`: publishing a statement to that audience completes the step.
    public var statement: String?
    /// `informs: WHO`: recording that WHO was informed completes the step.
    public var informs: String?

    public init(
        id: String, title: String, owner: String, due: Int? = nil, needs: [Int] = [], isOptional: Bool = false,
        choices: Choices? = nil, guidance: String? = nil, template: String? = nil, milestone: String? = nil,
        carry: Bool = false, escalate: Escalation? = nil, statement: String? = nil, informs: String? = nil
    ) {
        self.id = id
        self.title = title
        self.owner = owner
        self.due = due
        self.needs = needs
        self.isOptional = isOptional
        self.choices = choices
        self.guidance = guidance
        self.template = template
        self.milestone = milestone
        self.carry = carry
        self.escalate = escalate
        self.statement = statement
        self.informs = informs
    }
}

/// Where an overdue step escalates when it says so itself: to a role, or nowhere.
public enum Escalation: Sendable, Equatable, Encodable {
    case role(String)
    case never
}

/// A decision: options that fire events, or options that are only recorded.
public enum Choices: Sendable, Equatable {
    case events([(option: String, event: String)])
    case options([String])

    public var options: [String] {
        switch self {
        case .events(let pairs): pairs.map(\.option)
        case .options(let options): options
        }
    }

    public func event(for option: String) -> String? {
        if case .events(let pairs) = self { return pairs.first { $0.option == option }?.event }
        return nil
    }

    public static func == (lhs: Choices, rhs: Choices) -> Bool {
        switch (lhs, rhs) {
        case let (.events(a), .events(b)): a.count == b.count && zip(a, b).allSatisfy { $0 == $1 }
        case let (.options(a), .options(b)): a == b
        default: false
        }
    }
}

// MARK: Codable

/// A checked playbook can be stored in compiled form (a cache beside its text), so commands that
/// read an incident need not parse YAML. Written with `JSONEncoder`; read by ``StoredJSON`` (``init(storedJSON:)``),
/// where the derived indexes are rebuilt by the initialisers.
extension Playbook: Encodable {
    enum CodingKeys: String, CodingKey { case id, title, summary, severity, roles, commander, start, states, globalTransitions, duties, audiences, language }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(title, forKey: .title)
        try c.encodeIfPresent(summary, forKey: .summary)
        try c.encode(severity, forKey: .severity)
        try c.encode(roles, forKey: .roles)
        try c.encode(commander, forKey: .commander)
        try c.encode(start, forKey: .start)
        try c.encode(states, forKey: .states)
        try c.encode(globalTransitions, forKey: .globalTransitions)
        if !duties.isEmpty { try c.encode(duties, forKey: .duties) }
        if !audiences.isEmpty { try c.encode(audiences, forKey: .audiences) }
        if language != .en { try c.encode(language, forKey: .language) }
    }
}

extension State: Encodable {
    enum CodingKeys: String, CodingKey { case id, title, isFinal, steps, transitions, timers }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(title, forKey: .title)
        try c.encode(isFinal, forKey: .isFinal)
        try c.encode(steps, forKey: .steps)
        try c.encode(transitions, forKey: .transitions)
        try c.encode(timers, forKey: .timers)
    }
}

extension Choices: Encodable {
    enum CodingKeys: String, CodingKey { case options, events }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .events(let pairs): try c.encode(pairs.map { [$0.option, $0.event] }, forKey: .events)
        case .options(let options): try c.encode(options, forKey: .options)
        }
    }
}

/// Steps stored before 1.1 have no `carry` or `escalate`: both are written only when set.
extension Step: Encodable {
    enum CodingKeys: String, CodingKey { case id, title, owner, due, needs, isOptional, choices, guidance, template, milestone, carry, escalate, statement, informs }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(title, forKey: .title)
        try c.encode(owner, forKey: .owner)
        try c.encodeIfPresent(due, forKey: .due)
        try c.encode(needs, forKey: .needs)
        try c.encode(isOptional, forKey: .isOptional)
        try c.encodeIfPresent(choices, forKey: .choices)
        try c.encodeIfPresent(guidance, forKey: .guidance)
        try c.encodeIfPresent(template, forKey: .template)
        try c.encodeIfPresent(milestone, forKey: .milestone)
        if carry { try c.encode(carry, forKey: .carry) }
        try c.encodeIfPresent(escalate, forKey: .escalate)
        try c.encodeIfPresent(statement, forKey: .statement)
        try c.encodeIfPresent(informs, forKey: .informs)
    }
}
