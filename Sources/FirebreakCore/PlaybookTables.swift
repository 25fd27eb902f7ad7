/// A checked playbook compiled to integer tables: what the ``Engine`` works on.
///
/// Every step has one global index in playbook order; the steps of state `s` are
/// `firstStep[s]..<firstStep[s + 1]`, so the step at position `k` of its state is
/// `firstStep[s] + k`. The standing duties follow the states' steps: duty `k` is `dutyBase + k`
/// (its `stepState` is -1). Every event the playbook names has an index (in the order the
/// playbook first names it), and every `on` entry is resolved once into a ``Route``.
/// Strings stay at the edges: the engine touches none while it decides.
public final class PlaybookTables: Sendable {
    /// A transition with its target and guard resolved.
    public struct Route: Sendable, Equatable {
        public var target: Int32
        /// Global indices of the steps the guard needs settled.
        public var required: [Int32]
        /// A top-level `all-done`: the non-optional steps of whichever state it is taken from.
        public var allDone: Bool
        /// The roles whose holder or deputy may fire it: its `by`, else the commander when it enters a final
        /// state; empty when anyone may.
        public var by: [Int32] = []
        /// Whether `by` comes from the playbook (not the commander-only rule of final transitions).
        public var byGiven = false
    }

    public let stepCount: Int
    public let firstStep: [Int32]
    public let stepState: [Int32]
    /// Seconds after entering the state; -1 for no deadline.
    public let stepDue: [Int]
    public let stepNeeds: [[Int32]]
    public let stepOwner: [Int32]
    /// The role an overdue step escalates to; -1 for none.
    public let stepEscalation: [Int32]
    /// Per role: the role it escalates to; -1 for none.
    public let roleEscalation: [Int32]
    public let stepOptional: [Bool]
    /// Per step: `carry: true`, it stays active when its state is left.
    public let stepCarry: [Bool]
    /// The global index of the first duty (= the number of states' steps); duties run to `stepCount`.
    public let dutyBase: Int
    /// Whether any step carries: when none does, nothing is ever carried.
    public let anyCarry: Bool
    /// Per step: the event index each option fires (-1: the option fires none); empty when not a decision.
    public let optionEvents: [[Int32]]
    public let isFinal: [Bool]
    /// The first timer of each state: seconds (-1: none) and target.
    public let timerAfter: [Int]
    public let timerTarget: [Int32]
    public let routes: [Route]
    /// Per state, its own `on` entries: (event, route).
    public let ownRoutes: [[(event: Int32, route: Int32)]]
    /// Per event, the route of the top-level `on`; -1 for none.
    public let globalRoutes: [Int32]
    public let nonOptional: [[Int32]]
    public let eventNames: [String]
    public let eventIndex: [String: Int32]
    public let commander: Int32
    /// Names, for the edges: step ids in global order, each decision's options, role ids.
    public let stepIDs: [String]
    /// Step id → global index, duties included.
    public let stepIndex: [String: Int32]
    public let optionNames: [[String]]
    public let roleNames: [String]
    public let roleIndex: [String: Int32]
    /// Per step: the audience whose publication completes it (`statement:`), -1 none.
    public let stepStatement: [Int32]
    /// Per step: the index in ``informNames`` of its `informs:`, -1 none.
    public let stepInforms: [Int32]
    /// The `informs:` ids of the playbook, in the order first named.
    public let informNames: [String]
    public let audienceNames: [String]
    public let audienceIndex: [String: Int32]
    /// Per audience: its approver roles, and its cadence in seconds (-1: none).
    public let audienceApprovers: [[Int32]]
    /// ``audienceApprovers`` in one array: audience a's are `approverRoles[approverStart[a]..<approverStart[a + 1]]`
    /// (read without retaining an inner array, as the engine does on every try to publish or approve).
    let approverStart: [Int]
    let approverRoles: [Int32]
    public let audienceCadence: [Int]
    /// The role an overdue update escalates to: the commander role's `escalates-to` (-1: none).
    public let updateEscalation: Int32

    init(
        states: [State], globalTransitions: [Transition], roles: [Role], commander: String, duties: [Step] = [], audiences: [Audience] = []
    ) {
        let roleIndex = Dictionary(roles.enumerated().map { ($1.id, Int32($0)) }, uniquingKeysWith: { a, _ in a })
        var eventNames: [String] = []
        var eventIndex: [String: Int32] = [:]
        func number(_ event: String) -> Int32 {
            if let index = eventIndex[event] { return index }
            eventIndex[event] = Int32(eventNames.count)
            eventNames.append(event)
            return Int32(eventNames.count - 1)
        }
        for state in states { for transition in state.transitions { _ = number(transition.event) } }
        for transition in globalTransitions { _ = number(transition.event) }

        var firstStep: [Int32] = []
        var stepState: [Int32] = []
        var stepDue: [Int] = []
        var stepNeeds: [[Int32]] = []
        var stepOwner: [Int32] = []
        var stepEscalation: [Int32] = []
        var stepOptional: [Bool] = []
        var stepCarry: [Bool] = []
        var optionEvents: [[Int32]] = []
        func add(_ step: Step, state: Int32, base: Int32) {
            stepState.append(state)
            stepDue.append(step.due ?? -1)
            stepNeeds.append(step.needs.map { base &+ Int32(clamping: $0) })
            let owner = roleIndex[step.owner] ?? -1
            stepOwner.append(owner)
            let escalation: Int32
            switch step.escalate {
            case .role(let role)?: escalation = roleIndex[role] ?? -1
            case .never?: escalation = -1
            case nil: escalation = roles.first { $0.id == step.owner }?.escalatesTo.flatMap { roleIndex[$0] } ?? -1
            }
            stepEscalation.append(escalation)
            stepOptional.append(step.isOptional)
            stepCarry.append(step.carry)
            switch step.choices {
            case .events(let pairs)?: optionEvents.append(pairs.map { eventIndex[$0.event] ?? -1 })
            case .options(let options)?: optionEvents.append([Int32](repeating: -1, count: options.count))
            case nil: optionEvents.append([])
            }
        }
        for (s, state) in states.enumerated() {
            let base = Int32(stepState.count)
            firstStep.append(base)
            for step in state.steps { add(step, state: Int32(s), base: base) }
        }
        firstStep.append(Int32(stepState.count))
        let dutyBase = stepState.count
        for duty in duties { add(duty, state: -1, base: Int32(dutyBase)) }

        var routes: [Route] = []
        func route(_ transition: Transition, from state: Int?) -> Int32 {
            var required: [Int32] = []
            var allDone = false
            switch (transition.guardCondition, state) {
            case (.always, _): break
            case (.allDone, let s?):
                required = states[s].steps.indices.filter { !states[s].steps[$0].isOptional }.map { firstStep[s] + Int32($0) }
            case (.allDone, nil): allDone = true
            case (.steps(let indices), let s): required = indices.map { (s.map { firstStep[$0] } ?? 0) &+ Int32(clamping: $0) }
            }
            var by: [Int32] = []
            if let roles = transition.by {
                by = roles.map { roleIndex[$0] ?? -1 }
            } else if states.indices.contains(transition.target), states[transition.target].isFinal, let commander = roleIndex[commander] {
                by = [commander]
            }
            routes.append(Route(
                target: Int32(clamping: transition.target), required: required, allDone: allDone, by: by, byGiven: transition.by != nil))
            return Int32(routes.count - 1)
        }
        let ownRoutes = states.indices.map { s in states[s].transitions.map { (eventIndex[$0.event]!, route($0, from: s)) } }
        var globalRoutes = [Int32](repeating: -1, count: eventNames.count)
        for transition in globalTransitions where globalRoutes[Int(eventIndex[transition.event]!)] < 0 {
            globalRoutes[Int(eventIndex[transition.event]!)] = route(transition, from: nil)
        }

        self.stepCount = stepState.count
        self.firstStep = firstStep
        self.stepState = stepState
        self.stepDue = stepDue
        self.stepNeeds = stepNeeds
        self.stepOwner = stepOwner
        self.stepEscalation = stepEscalation
        self.roleEscalation = roles.map { $0.escalatesTo.flatMap { roleIndex[$0] } ?? -1 }
        self.stepOptional = stepOptional
        self.stepCarry = stepCarry
        self.dutyBase = dutyBase
        self.anyCarry = stepCarry.contains(true)
        self.optionEvents = optionEvents
        self.isFinal = states.map(\.isFinal)
        self.timerAfter = states.map { $0.timers.first?.after ?? -1 }
        self.timerTarget = states.map { Int32(clamping: $0.timers.first?.target ?? -1) }
        self.routes = routes
        self.ownRoutes = ownRoutes
        self.globalRoutes = globalRoutes
        self.nonOptional = states.indices.map { s in
            states[s].steps.indices.filter { !states[s].steps[$0].isOptional }.map { firstStep[s] + Int32($0) }
        }
        self.eventNames = eventNames
        self.eventIndex = eventIndex
        self.commander = roleIndex[commander] ?? -1
        let all = states.flatMap(\.steps) + duties
        self.stepIDs = all.map(\.id)
        self.stepIndex = Dictionary(all.enumerated().map { ($1.id, Int32($0)) }, uniquingKeysWith: { a, _ in a })
        self.optionNames = all.map { $0.choices?.options ?? [] }
        self.roleNames = roles.map(\.id)
        self.roleIndex = roleIndex
        let audienceIndex = Dictionary(audiences.enumerated().map { ($1.id, Int32($0)) }, uniquingKeysWith: { a, _ in a })
        var informNames: [String] = []
        var stepStatement: [Int32] = []
        var stepInforms: [Int32] = []
        for step in all {
            stepStatement.append(step.statement.flatMap { audienceIndex[$0] } ?? -1)
            if let who = step.informs {
                if let index = informNames.firstIndex(of: who) {
                    stepInforms.append(Int32(index))
                } else {
                    informNames.append(who)
                    stepInforms.append(Int32(informNames.count - 1))
                }
            } else {
                stepInforms.append(-1)
            }
        }
        self.stepStatement = stepStatement
        self.stepInforms = stepInforms
        self.informNames = informNames
        self.audienceNames = audiences.map(\.id)
        self.audienceIndex = audienceIndex
        self.audienceApprovers = audiences.map { $0.approvers.compactMap { roleIndex[$0] } }
        self.approverRoles = audienceApprovers.flatMap { $0 }
        self.approverStart = audienceApprovers.reduce(into: [0]) { $0.append($0.last! + $1.count) }
        self.audienceCadence = audiences.map { $0.cadence ?? -1 }
        self.updateEscalation = roles.first { $0.id == commander }?.escalatesTo.flatMap { roleIndex[$0] } ?? -1
    }

    /// The route `event` takes from `state`: none from a final state, the state's own `on`
    /// first, then the top-level one. -1: the event is not possible there.
    @inline(__always)
    public func route(_ event: Int32, from state: Int) -> Int {
        if event < 0 || isFinal[state] { return -1 }
        for own in ownRoutes[state] where own.event == event { return Int(own.route) }
        return Int(globalRoutes[Int(event)])
    }

    /// The steps of a state, as global indices.
    @inline(__always)
    public func steps(of state: Int) -> Range<Int> { Int(firstStep[state])..<Int(firstStep[state + 1]) }

    /// The duties, as global indices.
    @inline(__always)
    public var duties: Range<Int> { dutyBase..<stepCount }

    /// The global steps a route's guard needs settled, taken from `state`.
    @inline(__always)
    public func required(_ route: Int, from state: Int) -> [Int32] {
        routes[route].allDone ? nonOptional[state] : routes[route].required
    }
}

extension PlaybookTables {
    /// Where audience `a`'s approver roles lie in ``approverRoles``.
    @inline(__always)
    func approvers(of a: Int) -> Range<Int> { approverStart[a]..<approverStart[a + 1] }
}
