/// A scenario and its playbook compiled to integer tables, for Monte Carlo runs.
///
/// `drill run` plays an exercise through the ``Engine`` and keeps every event, refusal and
/// reason. `drill stats` needs only what each of many thousands of runs comes to — which
/// expectations were met, which steps were on time, when the incident closed — so it plays
/// the same rules on this compiled form: every id is resolved to an index once, every check
/// that cannot change during a run is made once, and a run touches no string, dictionary or
/// event. The tests hold it equal to ``Simulator`` run for run, on every shipped scenario and
/// on generated scenarios: a change to the exercise rules is made in both.
///
/// Steps have one global index (playbook order); the steps of state `s` are
/// `firstStep[s]..<firstStep[s + 1]`.
final class ExerciseKernel: Sendable {
    /// A transition: where it goes and which steps it needs settled. A top-level `all-done`
    /// transition needs the non-optional steps of whichever state it is taken from.
    struct Route: Sendable {
        var target: Int32
        var required: [Int32]
        var allDone: Bool
    }

    /// A scripted action with everything static resolved. `never`: refused whatever happens
    /// (an unknown step, a wrong choice, an event with no transition from the step's state).
    enum Move: Sendable {
        case done(step: Int32, route: Int32)  // route -1: the step fires no event
        case skip(step: Int32)
        case fire(event: Int32)
        case always
        case never
    }

    // The playbook.
    let start: Int32
    let firstStep: [Int32]
    let stepState: [Int32]
    let stepDue: [Int]  // -1: no deadline
    let needs: [[Int32]]
    let isFinal: [Bool]
    let timerAfter: [Int]  // -1: no timer
    let timerTarget: [Int32]
    let routes: [Route]
    /// Per state, the routes of its own `on` by event; per event, the route of the top-level `on` (-1 none).
    /// Events are numbered in the order the playbook names them; an event it does not name cannot fire.
    let ownRoutes: [[(event: Int32, route: Int32)]]
    let globalRoutes: [Int32]
    let nonOptional: [[Int32]]
    let stateCount: Int

    // The scenario.
    let end: Int
    let injectAt: [Int]  // in delivery order
    let injectFire: [Int32]  // event, -1 none (or not in the playbook)
    /// Contingencies in deadline order: when, which expectation, the event it fires (-1 none).
    let deadlineAt: [Int]
    let deadlineExpectation: [Int32]
    let deadlineFire: [Int32]
    /// Expectations in file order: a step (done) or a state (entered), and the deadline.
    let expectationIsState: [Bool]
    let expectationTarget: [Int32]
    let expectationDeadline: [Int]
    let actionAt: [Int]
    let moves: [Move]

    init(scenario: Scenario, playbook: Playbook) {
        var events: [String: Int32] = [:]
        for event in playbook.states.flatMap({ $0.transitions.map(\.event) }) + playbook.globalTransitions.map(\.event) where events[event] == nil {
            events[event] = Int32(events.count)
        }
        func number(_ event: String) -> Int32 { events[event] ?? -1 }
        var firstStep: [Int32] = []
        var stepState: [Int32] = []
        var stepDue: [Int] = []
        var needs: [[Int32]] = []
        for (s, state) in playbook.states.enumerated() {
            let base = Int32(stepState.count)
            firstStep.append(base)
            for step in state.steps {
                stepState.append(Int32(s))
                stepDue.append(step.due ?? -1)
                needs.append(step.needs.map { base + Int32($0) })
            }
        }
        firstStep.append(Int32(stepState.count))
        self.start = Int32(playbook.start)
        self.firstStep = firstStep
        self.stepState = stepState
        self.stepDue = stepDue
        self.needs = needs
        self.isFinal = playbook.states.map(\.isFinal)
        self.timerAfter = playbook.states.map { $0.timers.first?.after ?? -1 }
        self.timerTarget = playbook.states.map { Int32($0.timers.first?.target ?? -1) }
        self.stateCount = playbook.states.count
        self.end = scenario.end

        // Intern every event a run can fire, then resolve each from every state, as `Engine.refusal(firing:)` does.
        let order = Array(scenario.injects.indices).sorted { (scenario.injects[$0].at, $0) < (scenario.injects[$1].at, $1) }
        self.injectAt = order.map { scenario.injects[$0].at }
        self.injectFire = order.map { scenario.injects[$0].fire.map(number) ?? -1 }
        var deadlines: [(at: Int, expectation: Int32, fire: Int32)] = []
        var isState: [Bool] = []
        var targets: [Int32] = []
        var due: [Int] = []
        for inject in scenario.injects {
            for expectation in inject.expectations {
                let index = Int32(isState.count)
                switch expectation.condition {
                case .done(let step):
                    isState.append(false)
                    targets.append(playbook.stepLocations[step].map { firstStep[$0.state] + Int32($0.index) } ?? -1)
                case .state(let state):
                    isState.append(true)
                    targets.append(playbook.stateIndex[state].map(Int32.init) ?? -1)
                }
                due.append(inject.at + expectation.within)
                if let contingency = expectation.contingency {
                    deadlines.append((inject.at + expectation.within, index, contingency.fire.map(number) ?? -1))
                }
            }
        }
        deadlines.sort { ($0.at, $0.expectation) < ($1.at, $1.expectation) }
        self.deadlineAt = deadlines.map(\.at)
        self.deadlineExpectation = deadlines.map(\.expectation)
        self.deadlineFire = deadlines.map(\.fire)
        self.expectationIsState = isState
        self.expectationTarget = targets
        self.expectationDeadline = due
        self.actionAt = scenario.actions.map(\.at)

        var moves: [Move] = []
        var doneEvents: [Int: String] = [:]  // action → the event its choice fires
        for (a, action) in scenario.actions.enumerated() {
            switch action.move {
            case let .done(stepID, choice):
                guard let location = playbook.stepLocations[stepID] else { moves.append(.never); continue }
                let step = playbook.states[location.state].steps[location.index]
                let global = firstStep[location.state] + Int32(location.index)
                switch (step.choices, choice) {
                case (nil, nil):
                    moves.append(.done(step: global, route: -1))
                case (.some(let choices), .some(let option)) where choices.options.contains(option):
                    if let event = choices.event(for: option) {
                        doneEvents[a] = event
                        moves.append(.done(step: global, route: -2))  // resolved below
                    } else {
                        moves.append(.done(step: global, route: -1))
                    }
                default:
                    moves.append(.never)
                }
            case let .skip(stepID, reason):
                guard let location = playbook.stepLocations[stepID], !reason.isEmpty else { moves.append(.never); continue }
                moves.append(.skip(step: firstStep[location.state] + Int32(location.index)))
            case let .fire(event):
                let id = number(event)
                moves.append(id < 0 ? .never : .fire(event: id))
            case let .note(text):
                moves.append(text.isEmpty ? .never : .always)
            }
        }

        var routes: [Route] = []
        func route(_ transition: Transition, from state: Int?) -> Int32 {
            let local: [Int]
            var allDone = false
            switch (transition.guardCondition, state) {
            case (.always, _): local = []
            case (.allDone, let s?): local = playbook.states[s].steps.indices.filter { !playbook.states[s].steps[$0].isOptional }
            case (.allDone, nil):
                local = []
                allDone = true
            case (.steps(let indices), _): local = indices
            }
            let base = state.map { firstStep[$0] } ?? 0
            routes.append(Route(target: Int32(transition.target), required: local.map { base + Int32($0) }, allDone: allDone))
            return Int32(routes.count - 1)
        }
        let isFinal = playbook.states.map(\.isFinal)
        let ownRoutes = playbook.states.indices.map { s in
            playbook.states[s].transitions.map { (events[$0.event]!, route($0, from: s)) }
        }
        var globalRoutes = [Int32](repeating: -1, count: events.count)
        for transition in playbook.globalTransitions where globalRoutes[Int(events[transition.event]!)] < 0 {
            globalRoutes[Int(events[transition.event]!)] = route(transition, from: nil)
        }
        self.ownRoutes = ownRoutes
        self.globalRoutes = globalRoutes
        self.nonOptional = playbook.states.indices.map { s in
            playbook.states[s].steps.indices.filter { !playbook.states[s].steps[$0].isOptional }.map { firstStep[s] + Int32($0) }
        }
        self.routes = routes
        // A decision's event is taken from its step's state (the step must be active): resolve it now.
        for (a, event) in doneEvents {
            guard case let .done(step, _) = moves[a] else { continue }
            let found = Self.route(
                Int(number(event)), from: Int(stepState[Int(step)]), isFinal: isFinal, ownRoutes: ownRoutes, globalRoutes: globalRoutes)
            moves[a] = found < 0 ? .never : .done(step: step, route: Int32(found))
        }
        self.moves = moves
    }

    /// The route `event` takes from `state`, as `Playbook.transition(for:from:)`: none from a final
    /// state, the state's own `on` first, then the top-level one. -1: the event is not possible.
    func route(_ event: Int, from state: Int) -> Int {
        Self.route(event, from: state, isFinal: isFinal, ownRoutes: ownRoutes, globalRoutes: globalRoutes)
    }

    static func route(
        _ event: Int, from state: Int, isFinal: [Bool], ownRoutes: [[(event: Int32, route: Int32)]], globalRoutes: [Int32]
    ) -> Int {
        if event < 0 || isFinal[state] { return -1 }
        for own in ownRoutes[state] where Int(own.event) == event { return Int(own.route) }
        return Int(globalRoutes[event])
    }

    /// The state of one run. Made once per thread and reset for each run, so runs allocate nothing.
    struct Run {
        let kernel: ExerciseKernel
        var state = 0
        var enteredAt = 0
        var closedAt: Int?
        var status: [UInt8]  // per step of the current state: 0 open, 1 done, 2 skipped
        var overdue: [Bool]
        var doneOnTime: [Bool]
        /// Per step: 1 on time in every round it was active, 0 late or not done in some round, -1 never active.
        var onTime: [Int8]
        var firstDone: [Int]
        var firstEntered: [Int]
        var scheduled: [Int]
        var actionOrder: [Int]
        var pending: [Int] = []
        var nextAction = 0
        var nextInject = 0
        var nextDeadline = 0

        init(kernel: ExerciseKernel) {
            self.kernel = kernel
            let steps = kernel.stepState.count
            status = [UInt8](repeating: 0, count: steps)
            overdue = [Bool](repeating: false, count: steps)
            doneOnTime = [Bool](repeating: false, count: steps)
            onTime = [Int8](repeating: -1, count: steps)
            firstDone = [Int](repeating: .max, count: steps)
            firstEntered = [Int](repeating: .max, count: kernel.stateCount)
            scheduled = kernel.actionAt
            actionOrder = Array(kernel.actionAt.indices)
            pending.reserveCapacity(kernel.actionAt.count)
        }

        /// Plays the exercise with `delays[i]` (seconds) added to action i.
        mutating func play(delays: UnsafeBufferPointer<Int>) {
            for g in onTime.indices {
                onTime[g] = -1
                firstDone[g] = .max
            }
            for s in firstEntered.indices { firstEntered[s] = .max }
            for i in scheduled.indices { scheduled[i] = kernel.actionAt[i] + (i < delays.count ? max(0, delays[i]) : 0) }
            // Insertion sort by (time, file order): a handful of actions.
            for i in actionOrder.indices {
                var j = i
                while j > 0, scheduled[actionOrder[j - 1]] > scheduled[i] {
                    actionOrder[j] = actionOrder[j - 1]
                    j -= 1
                }
                actionOrder[j] = i
            }
            pending.removeAll(keepingCapacity: true)
            nextAction = 0
            nextInject = 0
            nextDeadline = 0
            closedAt = nil
            state = Int(kernel.start)
            enter(state, at: 0, settling: false)
            while !isClosed, let next = nextInstant(), next <= kernel.end {
                instant(next)
            }
            settleRound()
        }

        /// Whether expectation `e` (file order) was met by its deadline.
        func met(_ e: Int) -> Bool { isMet(e, by: kernel.expectationDeadline[e]) }

        var isClosed: Bool { closedAt != nil }

        func nextInstant() -> Int? {
            var next = Int.max
            if nextInject < kernel.injectAt.count { next = min(next, kernel.injectAt[nextInject]) }
            if nextAction < actionOrder.count { next = min(next, scheduled[actionOrder[nextAction]]) }
            if nextDeadline < kernel.deadlineAt.count { next = min(next, kernel.deadlineAt[nextDeadline]) }
            if let due = nextDue() { next = min(next, due) }
            return next == .max ? nil : next
        }

        /// One instant, in the order of ``Exercise/step(at:)``.
        mutating func instant(_ t: Int) {
            while nextInject < kernel.injectAt.count, kernel.injectAt[nextInject] == t {
                let fire = kernel.injectFire[nextInject]
                nextInject += 1
                if !isClosed, fire >= 0, self.fire(Int(fire), at: t) { retryPending(at: t) }
            }
            while nextAction < actionOrder.count, scheduled[actionOrder[nextAction]] == t {
                let index = actionOrder[nextAction]
                nextAction += 1
                guard !isClosed else { continue }
                if attempt(index, at: t) {
                    retryPending(at: t)
                } else {
                    var j = pending.count
                    pending.append(index)
                    while j > 0, pending[j - 1] > index {
                        pending[j] = pending[j - 1]
                        j -= 1
                    }
                    pending[j] = index
                }
            }
            while nextDeadline < kernel.deadlineAt.count, kernel.deadlineAt[nextDeadline] == t {
                let e = Int(kernel.deadlineExpectation[nextDeadline])
                let fire = kernel.deadlineFire[nextDeadline]
                nextDeadline += 1
                guard !isClosed, !isMet(e, by: t) else { continue }
                if fire >= 0, self.fire(Int(fire), at: t) { retryPending(at: t) }
            }
            guard !isClosed else { return }
            if advance(to: t) { retryPending(at: t) }
        }

        func isMet(_ e: Int, by t: Int) -> Bool {
            let target = Int(kernel.expectationTarget[e])
            guard target >= 0 else { return false }
            let at = kernel.expectationIsState[e] ? firstEntered[target] : firstDone[target]
            return at <= t
        }

        mutating func retryPending(at t: Int) {
            if isClosed { return }
            var changed = true
            while changed, !pending.isEmpty {
                changed = false
                for position in pending.indices where attempt(pending[position], at: t) {
                    pending.remove(at: position)
                    changed = true
                    break
                }
            }
        }

        /// Plays action `index` at `t` if the engine would accept it now.
        mutating func attempt(_ index: Int, at t: Int) -> Bool {
            switch kernel.moves[index] {
            case .never:
                return false
            case .always:
                return true
            case .fire(let event):
                return fire(Int(event), at: t)
            case .skip(let step):
                guard isActive(Int(step)) else { return false }
                status[Int(step)] = 2
                return true
            case let .done(step, route):
                let g = Int(step)
                guard isActive(g), !kernel.needs[g].contains(where: { status[Int($0)] == 0 }) else { return false }
                if route >= 0, !guardHolds(Int(route), settling: g) { return false }
                status[g] = 1
                let due = kernel.stepDue[g]
                doneOnTime[g] = due < 0 || t <= enteredAt + due
                if firstDone[g] == .max { firstDone[g] = t }
                if route >= 0 { enter(Int(kernel.routes[Int(route)].target), at: t) }
                return true
            }
        }

        /// The step belongs to the current state and is still open in this round.
        func isActive(_ g: Int) -> Bool {
            Int(kernel.stepState[g]) == state && status[g] == 0
        }

        func guardHolds(_ route: Int, settling settled: Int = -1) -> Bool {
            let route = kernel.routes[route]
            let required = route.allDone ? kernel.nonOptional[state] : route.required
            return !required.contains { Int($0) != settled && status[Int($0)] == 0 }
        }

        /// Fires a numbered event from the current state, as `Engine` does when its guard holds.
        mutating func fire(_ event: Int, at t: Int) -> Bool {
            let route = kernel.route(event, from: state)
            guard route >= 0, guardHolds(route) else { return false }
            enter(Int(kernel.routes[route].target), at: t)
            return true
        }

        mutating func enter(_ target: Int, at t: Int, settling: Bool = true) {
            if settling { settleRound() }
            state = target
            enteredAt = t
            for g in Int(kernel.firstStep[target])..<Int(kernel.firstStep[target + 1]) {
                status[g] = 0
                overdue[g] = false
                doneOnTime[g] = false
            }
            if firstEntered[target] == .max { firstEntered[target] = t }
            if kernel.isFinal[target] { closedAt = t }
        }

        /// Scores the current round of the current state's steps: on time only when done by its deadline.
        mutating func settleRound() {
            for g in Int(kernel.firstStep[state])..<Int(kernel.firstStep[state + 1]) {
                let ok: Int8 = status[g] == 1 && doneOnTime[g] ? 1 : 0
                onTime[g] = onTime[g] == -1 ? ok : min(onTime[g], ok)
            }
        }

        func nextDue() -> Int? {
            if isClosed { return nil }
            var next = Int.max
            for g in Int(kernel.firstStep[state])..<Int(kernel.firstStep[state + 1]) {
                let due = kernel.stepDue[g]
                if due >= 0, status[g] == 0, !overdue[g] { next = min(next, enteredAt + due) }
            }
            if kernel.timerAfter[state] >= 0 { next = min(next, enteredAt + kernel.timerAfter[state]) }
            return next == .max ? nil : next
        }

        /// Overdue steps and timers due up to `t`, as `Engine.advance(_:to:inclusive:)`; whether any came.
        mutating func advance(to t: Int) -> Bool {
            var any = false
            while let due = nextDue(), due <= t {
                any = true
                for g in Int(kernel.firstStep[state])..<Int(kernel.firstStep[state + 1]) {
                    let stepDue = kernel.stepDue[g]
                    if stepDue >= 0, enteredAt + stepDue == due, status[g] == 0, !overdue[g] { overdue[g] = true }
                }
                if kernel.timerAfter[state] >= 0, enteredAt + kernel.timerAfter[state] == due {
                    enter(Int(kernel.timerTarget[state]), at: due)
                }
            }
            return any
        }
    }
}
