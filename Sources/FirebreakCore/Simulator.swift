/// Runs a scenario against its playbook on a virtual clock (seconds from T+0), with the
/// same engine as real incidents.
///
/// At one instant: scheduled injects in file order; then actions in file order; then the
/// contingency injects of expectations missed at this instant; then time-driven events.
/// A refused action is recorded once and stays pending; after every later change of the
/// incident the pending actions are tried again, in file order, until none applies.
public struct Simulator: Sendable {
    public let scenario: Scenario
    public let playbook: Playbook
    let engine: Engine
    /// role → person, and the person of each scripted action, worked out once.
    let persons: [String: String]
    let actionActors: [String]
    let actionCommands: [Command]
    /// What every run starts from: the opened incident, its events folded into an analysis, the inject order
    /// and the contingency deadlines (none depends on the delays).
    let opening: (incident: Incident, events: [Event], analysis: IncidentAnalysis)
    let injectOrder: [Int]
    let deadlines: [(at: Int, inject: Int, index: Int)]

    public init(scenario: Scenario, playbook: Playbook) {
        self.scenario = scenario
        self.playbook = playbook
        self.engine = Engine(playbook: playbook)
        self.persons = Dictionary(playbook.roles.map { ($0.id, scenario.person(for: $0.id)) }, uniquingKeysWith: { a, _ in a })
        self.actionActors = scenario.actions.map { scenario.person(for: $0.by) }
        self.actionCommands = scenario.actions.map(\.command)
        let commander = playbook.commander
        var assignments: [(role: String, person: String)] = [(commander, scenario.person(for: commander))]
        for role in playbook.roles where role.id != commander {
            assignments.append((role.id, scenario.person(for: role.id)))
        }
        // Opening cannot be refused: every role comes from the playbook.
        let opened = (try? engine.open(title: scenario.title, severity: scenario.severity, opener: scenario.person(for: commander), assignments: assignments, at: 0))
            ?? (Incident(title: scenario.title, severity: .medium, openedAt: 0, beganAt: nil, assignments: [:], state: playbook.start, enteredAt: 0, round: 1, rounds: [], steps: [], closed: nil, eventCount: 0), [])
        var analysis = IncidentAnalysis(playbook: playbook)
        for event in opened.1 { analysis.add(event) }
        self.opening = (opened.0, opened.1, analysis)
        self.injectOrder = Array(scenario.injects.indices).sorted { (scenario.injects[$0].at, $0) < (scenario.injects[$1].at, $1) }
        var deadlines: [(at: Int, inject: Int, index: Int)] = []
        for (i, inject) in scenario.injects.enumerated() {
            for (j, expectation) in inject.expectations.enumerated() where expectation.contingency != nil {
                deadlines.append((inject.at + expectation.within, i, j))
            }
        }
        self.deadlines = deadlines.sorted { ($0.at, $0.inject, $0.index) < ($1.at, $1.inject, $1.index) }
    }

    /// The outcome of one run.
    public struct Outcome: Sendable {
        public var events: [Event]
        public var incident: Incident
        public var analysis: IncidentAnalysis
        public var expectations: [ExpectationResult]
        /// Per action (file order): when it was scheduled and when it applied (nil: never).
        public var actions: [ActionResult]
        /// Where the exercise stopped: the close, or `end`.
        public var stoppedAt: Int
    }

    public struct ExpectationResult: Sendable, Equatable {
        public var inject: Int
        public var index: Int
        public var expectation: Expectation
        public var deadline: Int
        public var met: Bool
        /// When the condition came true (also when late), nil when never.
        public var happenedAt: Int?
        public var contingencyDelivered: Bool
    }

    public struct ActionResult: Sendable, Equatable {
        public var action: Action
        public var scheduledAt: Int
        public var appliedAt: Int?
        /// Why the engine last refused it (kept as the typed refusal; the text is made when asked for).
        public var refusal: Refusal?
        public var lastRefusal: String? { refusal?.message }
    }

    /// Runs the exercise. `delays[i]` (seconds) postpones action i; `record` keeps the full event log.
    public func run(delays: [Int]? = nil, keepEvents: Bool = true) -> Outcome {
        var state = Exercise(simulator: self, delays: delays)
        state.keepEvents = keepEvents
        state.run()
        return state.outcome()
    }

    /// Starts an exercise that is advanced step by step (a live `drill play`); scripted actions are left out.
    public func live() -> Exercise {
        var unscripted = scenario
        unscripted.actions = []
        return Exercise(simulator: Simulator(scenario: unscripted, playbook: playbook), delays: nil)
    }
}

/// One exercise in progress on the virtual clock.
public struct Exercise: Sendable {
    let simulator: Simulator
    var engine: Engine { simulator.engine }
    var scenario: Scenario { simulator.scenario }
    public private(set) var incident: Incident
    public private(set) var events: [Event] = []
    /// Monte Carlo runs need the analysis, not the event log.
    var keepEvents = true
    public private(set) var analysis: IncidentAnalysis
    var actions: [Simulator.ActionResult]
    var actionOrder: [Int]  // indices sorted by (scheduledAt, file order)
    var nextAction = 0
    var pending: [Int] = []
    var injectOrder: [Int]
    var nextInject = 0
    var deadlines: [(at: Int, inject: Int, index: Int)]
    var nextDeadline = 0
    var delivered: Set<Int> = []  // inject * 1024 + index of contingencies delivered
    public private(set) var now = 0

    init(simulator: Simulator, delays: [Int]?) {
        self.simulator = simulator
        let scenario = simulator.scenario
        incident = simulator.opening.incident
        events = simulator.opening.events
        analysis = simulator.opening.analysis
        actions = scenario.actions.enumerated().map { i, action in
            Simulator.ActionResult(action: action, scheduledAt: action.at + max(0, delays?[i] ?? 0))
        }
        let scheduled = actions.map(\.scheduledAt)
        actionOrder = Array(scenario.actions.indices).sorted { (scheduled[$0], $0) < (scheduled[$1], $1) }
        injectOrder = simulator.injectOrder
        deadlines = simulator.deadlines
    }

    mutating func record(_ event: Event) {
        if keepEvents { events.append(event) }
        analysis.add(event)
    }

    mutating func run() {
        advance(to: scenario.end)
    }

    /// The next instant at which something is scheduled or due, if any.
    public var nextInstant: Int? {
        var next = Int.max
        if nextInject < injectOrder.count { next = min(next, scenario.injects[injectOrder[nextInject]].at) }
        if nextAction < actionOrder.count { next = min(next, actions[actionOrder[nextAction]].scheduledAt) }
        if nextDeadline < deadlines.count { next = min(next, deadlines[nextDeadline].at) }
        if let due = engine.nextDue(incident) { next = min(next, due) }
        return next == Int.max ? nil : next
    }

    /// When the next scheduled inject arrives, if any.
    public var nextInjectAt: Int? {
        nextInject < injectOrder.count ? scenario.injects[injectOrder[nextInject]].at : nil
    }

    /// Whether the exercise is over: the incident closed or the clock reached `end`.
    public var isOver: Bool { incident.isClosed || now >= scenario.end }

    /// Moves the clock to `limit` (at most `end`), playing every instant on the way.
    public mutating func advance(to limit: Int) {
        let target = min(limit, scenario.end)
        while !incident.isClosed, let next = nextInstant, next <= target {
            now = next
            step(at: now)
        }
        if let closed = incident.closed { now = closed.at } else { now = max(now, target) }
    }

    /// A live move by a role's player at the current time; its events, or the engine's refusal.
    public mutating func act(_ command: Command, by role: String) -> Result<[Event], Refusal> {
        var produced: [Event] = []
        do {
            try engine.perform(command, by: (simulator.persons[role] ?? role), at: now, on: &incident, events: &produced)
        } catch {
            record(Event(at: now, actor: (simulator.persons[role] ?? role), role: role, .refused(action: describe(command), reason: error.message)))
            return .failure(error)
        }
        for event in produced { record(event) }
        let timed = engine.advance(&incident, to: now, inclusive: true)
        for event in timed { record(event) }
        return .success(produced + timed)
    }

    func describe(_ command: Command) -> String {
        switch command {
        case let .done(step, choice, _): choice.map { "done \(step) (\($0))" } ?? "done \(step)"
        case let .skip(step, _): "skip \(step)"
        case let .fire(event): "fire \(event)"
        case .note: "note"
        case let .assign(role, _): "assign \(role)"
        case .close: "close"
        }
    }

    mutating func step(at t: Int) {
        // 1. Scheduled injects.
        while nextInject < injectOrder.count, scenario.injects[injectOrder[nextInject]].at == t {
            let inject = scenario.injects[injectOrder[nextInject]]
            nextInject += 1
            guard !incident.isClosed else { continue }
            deliver(id: inject.id, from: inject.from, text: inject.text, fire: inject.fire, at: t)
        }
        // 2. Actions.
        while nextAction < actionOrder.count, actions[actionOrder[nextAction]].scheduledAt == t {
            let index = actionOrder[nextAction]
            nextAction += 1
            guard !incident.isClosed else { continue }
            if attempt(index, at: t, firstTry: true) {
                retryPending(at: t)
            } else {
                pending.append(index)
                pending.sort()
            }
        }
        // 3. Contingency injects of expectations missed now.
        while nextDeadline < deadlines.count, deadlines[nextDeadline].at == t {
            let (_, i, j) = deadlines[nextDeadline]
            nextDeadline += 1
            guard !incident.isClosed else { continue }
            let inject = scenario.injects[i]
            let expectation = inject.expectations[j]
            if !isMet(expectation, deadline: t), let contingency = expectation.contingency {
                delivered.insert(i * 1024 + j)
                deliver(id: inject.id, from: contingency.from, text: contingency.text, fire: contingency.fire, at: t)
            }
        }
        // 4. Time-driven events.
        guard !incident.isClosed else { return }
        let timed = engine.advance(&incident, to: t, inclusive: true)
        if !timed.isEmpty {
            for event in timed { record(event) }
            retryPending(at: t)
        }
    }

    mutating func deliver(id: String?, from: String?, text: String, fire: String?, at t: Int) {
        record(Event(at: t, actor: from, .inject(id: id, from: from, text: text)))
        guard let fire else { return }
        var produced: [Event] = []
        do {
            try engine.perform(.fire(event: fire), by: from ?? "inject", at: t, on: &incident, events: &produced)
            for var event in produced {
                event.actor = nil  // the world, not a player
                event.role = nil
                record(event)
            }
            retryPending(at: t)
        } catch {
            record(Event(at: t, .refused(action: "inject fires '\(fire)'", reason: error.message)))
        }
    }

    /// Tries action `index` at `t`; records its events or (on the first try) its refusal.
    mutating func attempt(_ index: Int, at t: Int, firstTry: Bool) -> Bool {
        let action = actions[index].action
        var produced: [Event] = []
        do {
            try engine.perform(simulator.actionCommands[index], by: simulator.actionActors[index], at: t, on: &incident, events: &produced)
            for event in produced { record(event) }
            actions[index].appliedAt = t
            actions[index].refusal = nil
            return true
        } catch {
            actions[index].refusal = error
            if firstTry && keepEvents {
                record(Event(at: t, actor: simulator.actionActors[index], role: action.by, .refused(action: action.summary, reason: error.message)))
            }
            return false
        }
    }

    mutating func retryPending(at t: Int) {
        // After the close nothing more is played; a pending action keeps the reason it was refused for.
        if incident.isClosed { return }
        var changed = true
        while changed, !pending.isEmpty {
            changed = false
            for (position, index) in pending.enumerated() where attempt(index, at: t, firstTry: false) {
                pending.remove(at: position)
                changed = true
                break
            }
        }
    }

    func isMet(_ expectation: Expectation, deadline: Int) -> Bool {
        happened(expectation).map { $0 <= deadline } ?? false
    }

    func happened(_ expectation: Expectation) -> Int? {
        switch expectation.condition {
        case .done(let step): analysis.firstDone[step]
        case .state(let state): analysis.firstEntered[state]
        }
    }

    public func outcome() -> Simulator.Outcome {
        var results: [Simulator.ExpectationResult] = []
        for (i, inject) in scenario.injects.enumerated() {
            for (j, expectation) in inject.expectations.enumerated() {
                let deadline = inject.at + expectation.within
                let at = happened(expectation)
                results.append(Simulator.ExpectationResult(
                    inject: i, index: j, expectation: expectation, deadline: deadline, met: at.map { $0 <= deadline } ?? false,
                    happenedAt: at, contingencyDelivered: delivered.contains(i * 1024 + j)))
            }
        }
        return Simulator.Outcome(events: events, incident: incident, analysis: analysis, expectations: results, actions: actions, stoppedAt: now)
    }
}
