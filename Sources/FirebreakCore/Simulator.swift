/// A scenario compiled against its playbook, ready to be played on a virtual clock (seconds
/// from T+0) by the one ``Engine``.
///
/// At one instant: scheduled injects in file order; then actions in file order; then the
/// contingency injects of expectations missed at this instant; then time-driven events.
/// A refused action is recorded once and stays pending; after every later change of the
/// incident the pending actions are tried again, in file order, until none applies.
/// `drill run`, `drill play` and `drill stats` all play through ``ExerciseRun``; only the sink
/// differs (an event log, or nothing but the facts that are scored).
public final class Simulator: Sendable {
    public let scenario: Scenario
    public let playbook: Playbook
    let engine: Engine
    /// Per action (file order): who plays it and what it does, resolved once.
    let actionActors: [String]
    /// Per action: the role it is played in (authority goes by it), -1 for a role the playbook does not have.
    let actionRoles: [Int32]
    let actionCommands: [Command]
    let actionMoves: [Move]
    /// The same, where a run reads them in place (``Engine/perform(_:by:as:at:on:sink:)`` by pointer): copying a move
    /// out of an array (its texts retained and released) on every try cost more than the try.
    let moveTable: MoveTable
    /// The names informs are counted under: the playbook's `informs` ids, then the scenario's other names.
    public let informNames: [String]
    /// What every run starts from: the opened incident and its events (none depends on the delays).
    let opening: Incident
    let openingEvents: [(EngineEvent, EventWords)]
    /// The same events without their words, for a run that keeps no record.
    let openingEngineEvents: [EngineEvent]
    /// Per inject (file order): when the script has it, its window (0: none), the step it completes and
    /// the event it fires (-2 none, -1 one the playbook does not have).
    let injectAt: [Int]
    let injectWindow: [Int]
    let injectDone: [Int32]
    let injectFire: [Int32]
    /// Whether any inject has a window: only then are windows drawn, and delivery times differ per run.
    public let hasWindows: Bool
    /// Per action (file order): when the script has it.
    let actionAt: [Int]
    /// Expectations in file order, where each came from, and its `within` (deadline = delivery + within).
    let expectations: [ScoredExpectation]
    let expectationSource: [(inject: Int, index: Int)]
    let expectationWithin: [Int]
    /// Contingencies (expectation order): which expectation, how long after its missed deadline, what it
    /// completes and fires (as for injects).
    let contingencies: [(expectation: Int, after: Int, done: Int32, fire: Int32)]

    public init(scenario: Scenario, playbook: Playbook) {
        self.scenario = scenario
        self.playbook = playbook
        let engine = Engine(playbook: playbook)
        self.engine = engine
        self.actionActors = scenario.actions.map { scenario.person(for: $0.by) }
        self.actionRoles = scenario.actions.map { playbook.tables.roleIndex[$0.by] ?? -1 }
        self.actionCommands = scenario.actions.map(\.command)
        // Informs are counted under the playbook's `informs` ids, then the other names the scenario uses.
        let informNames = ExerciseFacts.informNames(playbook, scenario)
        self.actionMoves = actionCommands.map { command in
            if case let .inform(who, via, note) = command {
                return .inform(who: CheckedText(who), index: informNames.firstIndex(of: who).map(Int32.init) ?? -1, via: via, note: note)
            }
            return engine.compile(command)
        }
        self.informNames = informNames
        self.moveTable = MoveTable(actionMoves, actors: actionActors, roles: actionRoles)
        let commander = playbook.commander
        var assignments: [(role: String, person: String)] = [(commander, scenario.person(for: commander))]
        for role in playbook.roles where role.id != commander {
            assignments.append((role.id, scenario.person(for: role.id)))
        }
        // Opening cannot be refused: every role comes from the playbook.
        var opening = Collect()
        let incident = try? engine.open(
            title: scenario.title, severity: scenario.severity, opener: scenario.person(for: commander), assignments: assignments, at: 0,
            sink: &opening)
        self.opening = incident ?? engine.replay([Event(at: 0, .opened(playbook: playbook.id, title: scenario.title, severity: .medium, began: nil))])!
        self.openingEvents = opening.events
        self.openingEngineEvents = opening.events.map(\.0)
        let tables = playbook.tables
        func event(_ name: String?) -> Int32 { name.map { tables.eventIndex[$0] ?? -1 } ?? -2 }
        func step(_ name: String?) -> Int32 { name.map { tables.stepIndex[$0] ?? -1 } ?? -2 }
        self.injectAt = scenario.injects.map(\.at)
        self.injectWindow = scenario.injects.map { max(0, $0.window ?? 0) }
        self.injectDone = scenario.injects.map { step($0.done) }
        self.injectFire = scenario.injects.map { event($0.fire) }
        self.hasWindows = injectWindow.contains { $0 > 0 }
        self.actionAt = scenario.actions.map(\.at)
        var expectations: [ScoredExpectation] = []
        var sources: [(inject: Int, index: Int)] = []
        var within: [Int] = []
        var contingencies: [(expectation: Int, after: Int, done: Int32, fire: Int32)] = []
        for (i, inject) in scenario.injects.enumerated() {
            for (j, expectation) in inject.expectations.enumerated() {
                let scored = ScoredExpectation(expectation, injectAt: inject.at, playbook: playbook, informNames: informNames)
                if let contingency = expectation.contingency {
                    contingencies.append((expectations.count, contingency.after, step(contingency.done), event(contingency.fire)))
                }
                expectations.append(scored)
                sources.append((i, j))
                within.append(expectation.within)
            }
        }
        self.expectations = expectations
        self.expectationSource = sources
        self.expectationWithin = within
        self.contingencies = contingencies
    }

    /// The compiled moves of the actions in memory of their own, written once when the simulator is made and only
    /// read afterwards (so shared by threads safely), freed with it.
    /// The actors and their roles beside them: passed where they lie, a name is not retained and released on every try.
    final class MoveTable: @unchecked Sendable {
        let moves: UnsafeMutablePointer<Move>
        let actors: UnsafeMutablePointer<String?>
        let roles: UnsafeMutablePointer<Int32>
        let count: Int

        init(_ moves: [Move], actors: [String], roles: [Int32]) {
            count = moves.count
            self.moves = .allocate(capacity: max(1, count))
            self.moves.initialize(from: moves, count: count)
            self.actors = .allocate(capacity: max(1, count))
            self.actors.initialize(from: actors.map(Optional.some), count: count)
            self.roles = .allocate(capacity: max(1, count))
            self.roles.initialize(from: roles, count: count)
        }

        deinit {
            moves.deinitialize(count: count)
            moves.deallocate()
            actors.deinitialize(count: count)
            actors.deallocate()
            roles.deallocate()
        }
    }

    /// A command with its names resolved; an inform is counted under ``informNames`` (-1 for a name not there).
    func compile(_ command: Command) -> Move {
        if case let .inform(who, via, note) = command {
            return .inform(who: CheckedText(who), index: informNames.firstIndex(of: who).map(Int32.init) ?? -1, via: via, note: note)
        }
        return engine.compile(command)
    }

    /// Keeps the opening's engine events.
    struct Collect: EngineSink {
        var events: [(EngineEvent, EventWords)] = []
        static var keepsRecord: Bool { true }
        mutating func record(_ event: EngineEvent, words: EventWords, incident: Incident, playbook: Playbook) { events.append((event, words)) }
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
        /// Why the engine last refused it.
        public var refusal: Refusal?
        public var lastRefusal: String? { refusal?.message }
    }

    /// Runs the exercise with `delays[i]` (seconds) added to action i and inject i delivered
    /// `windows[i]` after its `at` (none: at `at`, as `drill run` does), keeping every event.
    public func run(delays: [Int]? = nil, windows: [Int]? = nil) -> Outcome {
        var exercise = Exercise(self, log: ExerciseLog(playbook: playbook))
        exercise.restart(delays: delays ?? [], windows: windows)
        exercise.advance(to: scenario.end)
        return exercise.outcome()
    }

    /// Starts an exercise that is advanced step by step (a live `drill play`); scripted actions are left out.
    /// With a seed, each inject with a `window` arrives at a draw inside it, made as `drill stats` draws
    /// its run 0 with that seed (see ``MonteCarlo/windows(run:)``), so the same seed replays the session.
    public func live(seed: UInt64? = nil) -> Exercise {
        var unscripted = scenario
        unscripted.actions = []
        let simulator = Simulator(scenario: unscripted, playbook: playbook)
        var exercise = Exercise(simulator, log: ExerciseLog(playbook: playbook))
        exercise.restart(delays: [], windows: seed.map { MonteCarlo(simulator: simulator, seed: $0).windows(run: 0) })
        return exercise
    }
}

/// The record `drill run` and `drill play` keep: every event, and the facts reports are made of.
public struct ExerciseLog: EngineSink, Sendable {
    public var events: [Event] = []
    public var analysis: IncidentAnalysis

    public init(playbook: Playbook) { analysis = IncidentAnalysis(playbook: playbook) }

    public static var keepsRecord: Bool { true }

    public mutating func record(_ event: EngineEvent, words: EventWords, incident: Incident, playbook: Playbook) {
        narrate(playbook.event(event, words))
    }

    public mutating func narrate(_ event: Event) {
        events.append(event)
        analysis.add(event)
    }
}

/// The record of a Monte Carlo run: nothing beyond the facts that are scored.
public struct NoLog: EngineSink, Sendable {
    public init() {}
    public static var keepsRecord: Bool { false }
    @inline(__always) public mutating func record(_ event: EngineEvent, words: EventWords, incident: Incident, playbook: Playbook) {}
}

/// A live or scripted exercise that keeps every event.
public typealias Exercise = ExerciseRun<ExerciseLog>

/// One exercise in progress on the virtual clock: the one scheduler of exercises.
///
/// `Log` is what is kept besides the scored ``ExerciseFacts``. A run can be restarted with new
/// delays, reusing its buffers, so Monte Carlo runs allocate next to nothing.
public struct ExerciseRun<Log: EngineSink & Sendable>: Sendable {
    let simulator: Simulator
    // Stored, not computed: a computed copy of the engine (playbook and tables) would cost a retain per array on every call.
    let engine: Engine
    /// The simulator's ``Simulator/MoveTable``, which it keeps alive: read through a class, each try would retain it.
    /// Written once before any run and only read (as the table is), so safe to share.
    nonisolated(unsafe) let moves: UnsafeMutablePointer<Move>
    nonisolated(unsafe) let actors: UnsafeMutablePointer<String?>
    nonisolated(unsafe) let roles: UnsafeMutablePointer<Int32>
    public var scenario: Scenario { simulator.scenario }
    public private(set) var incident: Incident
    /// What is kept of the run: the scored facts and the log.
    var recorder: Recorder<Log>
    public var facts: ExerciseFacts {
        @inline(__always) get { recorder.facts }
    }
    public var log: Log { recorder.log }
    var scheduled: [Int]
    var actionOrder: [Int]  // indices sorted by (scheduled time, file order)
    var appliedAt: [Int]  // -1: not applied
    var refusals: [Refusal?]  // kept only when the log keeps a record
    var pending: [Int] = []
    var nextAction = 0
    var nextInject = 0
    var nextDeadline = 0
    var delivered: [Bool]  // per expectation: its contingency was delivered
    /// This run's delivery time of each inject (file order), and the injects in delivery order.
    var injectAt: [Int]
    var injectOrder: [Int]
    /// This run's deadline of each expectation (file order): delivery + within.
    public private(set) var deadline: [Int]
    /// This run's delivery time of each contingency (deadline + after), and the contingencies in that order.
    var contingencyAt: [Int]
    var contingencyOrder: [Int]
    public private(set) var now = 0
    var narratedLimit = false
    /// When the next time-driven event is due (``Engine/nextDue(_:)``), worked out when the recorder had counted
    /// `dueCount` events that can change it (``Recorder/dueChanges``): the incident changes only by events, so it holds
    /// while no such event is added (-1: not worked out).
    var due: Int?
    var dueCount = -1
    /// The first expectation (file order) not yet known to be settled: every one before it is (settling is for good:
    /// a first done, entry or publication never moves, and time only goes on).
    var unsettled = 0

    public init(_ simulator: Simulator, log: Log) {
        self.simulator = simulator
        self.engine = simulator.engine
        moves = simulator.moveTable.moves
        actors = simulator.moveTable.actors
        roles = simulator.moveTable.roles
        incident = simulator.opening
        recorder = Recorder(
            facts: ExerciseFacts(tables: simulator.playbook.tables, informNames: simulator.informNames.count), log: log, tables: simulator.playbook.tables)
        let count = simulator.actionMoves.count
        scheduled = [Int](repeating: 0, count: count)
        actionOrder = Array(0..<count)
        appliedAt = [Int](repeating: -1, count: count)
        refusals = Log.keepsRecord ? [Refusal?](repeating: nil, count: count) : []
        pending.reserveCapacity(count)
        delivered = [Bool](repeating: false, count: simulator.expectations.count)
        injectAt = simulator.injectAt
        injectOrder = Array(simulator.injectAt.indices)
        deadline = simulator.expectations.map(\.deadline)
        contingencyAt = simulator.contingencies.map { simulator.expectations[$0.expectation].deadline + $0.after }
        contingencyOrder = Array(simulator.contingencies.indices)
        schedule(windows: nil)
    }

    /// Works out when each inject arrives (`at`, plus `windows[i]` when given), the deadlines measured
    /// from those moments, and the order in which injects and contingencies come.
    mutating func schedule(windows: UnsafeBufferPointer<Int>?) {
        for i in injectAt.indices {
            injectAt[i] = simulator.injectAt[i] + (windows.map { i < $0.count ? min(max(0, $0[i]), simulator.injectWindow[i]) : 0 } ?? 0)
        }
        for e in deadline.indices where simulator.expectations[e].deadline != .max {
            deadline[e] = injectAt[simulator.expectationSource[e].inject] + simulator.expectationWithin[e]
        }
        for c in contingencyAt.indices {
            let plan = simulator.contingencies[c]
            contingencyAt[c] = deadline[plan.expectation] + plan.after
        }
        // Insertion sorts by (time, file order): a handful of entries, nearly sorted.
        Self.sort(&injectOrder, by: injectAt)
        Self.sort(&contingencyOrder, by: contingencyAt)
    }

    @inline(__always)
    static func sort(_ order: inout [Int], by time: [Int]) {
        for i in order.indices {
            var j = i
            while j > 0, time[order[j - 1]] > time[i] {
                order[j] = order[j - 1]
                j -= 1
            }
            order[j] = i
        }
    }

    /// Starts again from T+0 with `delays[i]` (seconds, at least 0) added to action i, and inject i
    /// delivered `windows[i]` after its `at` (within its window); the log is kept as it is.
    public mutating func restart(delays: [Int], windows: [Int]? = nil) {
        delays.withUnsafeBufferPointer { delays in
            if let windows {
                windows.withUnsafeBufferPointer { restart(delays: delays, windows: $0) }
            } else {
                restart(delays: delays, windows: nil)
            }
        }
    }

    mutating func restart(delays: UnsafeBufferPointer<Int>, windows: UnsafeBufferPointer<Int>?) {
        for i in scheduled.indices { scheduled[i] = simulator.actionAt[i] + (i < delays.count ? max(0, delays[i]) : 0) }
        Self.sort(&actionOrder, by: scheduled)
        if simulator.hasWindows { schedule(windows: windows) }
        for i in appliedAt.indices { appliedAt[i] = -1 }
        for i in refusals.indices { refusals[i] = nil }
        for i in delivered.indices { delivered[i] = false }
        pending.removeAll(keepingCapacity: true)
        narratedLimit = false
        nextAction = 0
        nextInject = 0
        nextDeadline = 0
        now = 0
        dueCount = -1
        unsettled = 0
        // A run that keeps no record keeps the statement buffers of the last run, emptied: no statements, no update due,
        // which the engine reads exactly as none (the opening has none).
        var kept: Communications?
        if !Log.keepsRecord, simulator.opening.comms == nil {
            kept = incident.comms
            incident.comms = nil
        }
        incident.restore(simulator.opening)
        if kept != nil {
            incident.comms = kept
            kept = nil
            incident.comms!.statements.removeAll(keepingCapacity: true)
            for a in incident.comms!.nextUpdate.indices { incident.comms!.nextUpdate[a] = -1 }
        }
        recorder.facts.reset()
        if Log.keepsRecord {
            for (event, words) in simulator.openingEvents { recorder.record(event, words: words, incident: incident, playbook: simulator.playbook) }
        } else {
            for event in simulator.openingEngineEvents { recorder.record(event, words: .none, incident: incident, playbook: simulator.playbook) }
        }
    }

    /// The next instant at which something is scheduled or due, if any. Inlined into the loop that
    /// calls it: a call would copy the whole run to pass it.
    @inline(__always)
    mutating func nextInstantDue() -> Int? {
        var next = Int.max
        if nextInject < injectOrder.count { next = min(next, injectAt[injectOrder[nextInject]]) }
        if nextAction < actionOrder.count { next = min(next, scheduled[actionOrder[nextAction]]) }
        if nextDeadline < contingencyOrder.count { next = min(next, contingencyAt[contingencyOrder[nextDeadline]]) }
        if let due = timeDue() { next = min(next, due) }
        return next == Int.max ? nil : next
    }

    /// ``Engine/nextDue(_:)`` of the incident as it stands, worked out again only when it changed.
    @inline(__always)
    mutating func timeDue() -> Int? {
        if dueCount != recorder.dueChanges {
            due = engine.nextDue(incident)
            dueCount = recorder.dueChanges
        }
        return due
    }

    /// Delivers inject `index` (file order) now instead of at its time: a facilitator's `inject ID now`.
    /// Its expectations (and their contingencies) are measured from now. False when it was delivered
    /// already, or the exercise is over.
    public mutating func deliverNow(inject index: Int) -> Bool {
        guard !isOver, let position = injectOrder[nextInject...].firstIndex(of: index) else { return false }
        injectOrder.remove(at: position)
        injectOrder.insert(index, at: nextInject)
        injectAt[index] = now
        for e in deadline.indices where simulator.expectationSource[e].inject == index && simulator.expectations[e].deadline != .max {
            deadline[e] = now + simulator.expectationWithin[e]
        }
        for c in contingencyAt.indices where simulator.expectationSource[simulator.contingencies[c].expectation].inject == index {
            contingencyAt[c] = deadline[simulator.contingencies[c].expectation] + simulator.contingencies[c].after
        }
        // Only contingencies still to come move (all later than now: their inject had not come); by (time, file order).
        var rest = Array(contingencyOrder[nextDeadline...])
        rest.sort { contingencyAt[$0] != contingencyAt[$1] ? contingencyAt[$0] < contingencyAt[$1] : $0 < $1 }
        contingencyOrder.replaceSubrange(nextDeadline..., with: rest)
        // Everything up to now has been played: playing this instant again delivers the inject and what it brings due now.
        instant(now)
        return true
    }

    /// When inject `index` (file order) arrives in this run, and whether it has been delivered.
    public func delivery(of index: Int) -> (at: Int, delivered: Bool) {
        (injectAt[index], injectOrder[..<nextInject].contains(index))
    }

    /// When the next scheduled inject arrives, if any.
    public var nextInjectAt: Int? {
        nextInject < injectOrder.count ? injectAt[injectOrder[nextInject]] : nil
    }

    /// Whether the exercise is over: the incident closed or the clock reached `end`.
    public var isOver: Bool { incident.isClosed || now >= simulator.scenario.end || hitEventLimit }

    /// The most events one exercise records: a playbook whose timers loop stops there instead of filling memory.
    public static var eventLimit: Int { 200_000 }

    /// Whether the exercise was stopped at ``eventLimit``.
    public var hitEventLimit: Bool { incident.eventCount >= Self.eventLimit }

    /// Moves the clock to `limit` (at most `end`), playing every instant on the way.
    public mutating func advance(to limit: Int) {
        let target = min(limit, simulator.scenario.end)
        while !incident.isClosed, !hitEventLimit, let next = nextInstantDue(), next <= target {
            now = next
            instant(now)
        }
        stopClock(at: target)
    }

    /// Where the clock stands once nothing more is due by `target`: at the close, or at `target`.
    mutating func stopClock(at target: Int) {
        if let closed = incident.closed {
            now = closed.at
        } else if hitEventLimit {
            if Log.keepsRecord, !narratedLimit {
                narratedLimit = true
                recorder.narrate(Event(at: now, .refused(
                    action: "the exercise", reason: "stopped after \(Self.eventLimit) events: the playbook's timers keep moving the incident with nobody acting")))
            }
        } else {
            now = max(now, target)
        }
    }

    /// Plays the whole exercise and scores the last round.
    mutating func playToEnd() {
        advance(to: simulator.scenario.end)
        recorder.facts.finish(simulator.playbook.tables)
    }

    /// ``playToEnd()``, handing `fork` the run for each of `forks` (sorted by `at`) as it stands before its first
    /// instant at or after `at`, or when nothing more is due; `fork` copies what it needs and must leave the run as it
    /// is (`inout` only so that the run is not copied whole to be handed on). A run with some actions undelayed from
    /// `at` on is this run until then, so it can be played on from that copy instead of from T+0.
    mutating func playToEnd(forks: [(at: Int, index: Int)], fork: (inout Self, Int) -> Void) {
        let target = simulator.scenario.end
        var f = 0
        while !incident.isClosed, !hitEventLimit, let next = nextInstantDue(), next <= target {
            while f < forks.count, forks[f].at <= next {
                fork(&self, forks[f].index)
                f += 1
            }
            now = next
            instant(now)
        }
        while f < forks.count {
            fork(&self, forks[f].index)
            f += 1
        }
        stopClock(at: target)
        recorder.facts.finish(simulator.playbook.tables)
    }

    /// Becomes `other`, a run of the same simulator, as it stands, in this run's buffers: what
    /// ``playToEnd(forks:fork:)`` hands on, copied without allocating.
    mutating func become(_ other: Self) {
        incident.become(other.incident)
        recorder.facts.become(other.recorder.facts)
        recorder.log = other.recorder.log
        recorder.dueChanges = other.recorder.dueChanges
        scheduled.become(other.scheduled)
        actionOrder.become(other.actionOrder)
        appliedAt.become(other.appliedAt)
        refusals.become(other.refusals)
        pending.become(other.pending)
        delivered.become(other.delivered)
        injectAt.become(other.injectAt)
        injectOrder.become(other.injectOrder)
        deadline.become(other.deadline)
        contingencyAt.become(other.contingencyAt)
        contingencyOrder.become(other.contingencyOrder)
        nextAction = other.nextAction
        nextInject = other.nextInject
        nextDeadline = other.nextDeadline
        now = other.now
        narratedLimit = other.narratedLimit
        due = other.due
        dueCount = other.dueCount
        unsettled = other.unsettled
    }

    /// Takes away the delay of each action `undelayed` marks (scheduled at its `at`). Only for a run none of whose
    /// marked, delayed actions has come yet (see ``playToEnd(forks:fork:)``): those are still ahead in the order.
    mutating func undelay(_ undelayed: [Bool]) {
        // Only actions not yet tried move (earlier); the order is sorted again from there, by (time, file order).
        var moved = false
        for position in nextAction..<actionOrder.count {
            let i = actionOrder[position]
            if undelayed[i], scheduled[i] != simulator.actionAt[i] {
                scheduled[i] = simulator.actionAt[i]
                moved = true
            }
        }
        guard moved else { return }
        for position in nextAction..<actionOrder.count {
            let i = actionOrder[position]
            var j = position
            while j > nextAction, scheduled[actionOrder[j - 1]] > scheduled[i] || (scheduled[actionOrder[j - 1]] == scheduled[i] && actionOrder[j - 1] > i) {
                actionOrder[j] = actionOrder[j - 1]
                j -= 1
            }
            actionOrder[j] = i
        }
    }

    /// Plays instants (as ``advance(to:)`` does, to `end`) only until whether each expectation is met is settled
    /// (``Scorer/settled(_:_:by:now:)``): what a run counted only for its met expectations needs. The facts beyond
    /// those (steps on time, the close) are then those of a partly played run.
    mutating func playUntilSettled() {
        let target = simulator.scenario.end
        while !incident.isClosed, !hitEventLimit, !allSettled(), let next = nextInstantDue(), next <= target {
            now = next
            instant(now)
        }
    }

    /// Whether every expectation is settled at `now`; each is looked at again only until it is.
    @inline(__always)
    mutating func allSettled() -> Bool {
        while unsettled < deadline.count {
            if !Scorer.settled(simulator.expectations[unsettled], recorder.facts, by: deadline[unsettled], now: now) { return false }
            unsettled += 1
        }
        return true
    }

    /// One instant: injects, actions, contingencies, then time-driven events.
    mutating func instant(_ t: Int) {
        // 1. Scheduled injects.
        while nextInject < injectOrder.count, injectAt[injectOrder[nextInject]] == t {
            let index = injectOrder[nextInject]
            nextInject += 1
            guard !incident.isClosed else { continue }
            deliver(inject: index, contingency: -1, done: simulator.injectDone[index], fire: simulator.injectFire[index], at: t)
        }
        // 2. Actions.
        while nextAction < actionOrder.count, scheduled[actionOrder[nextAction]] == t {
            let index = actionOrder[nextAction]
            nextAction += 1
            guard !incident.isClosed else { continue }
            if attempt(index, at: t, firstTry: true) {
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
        // 3. Contingency injects of expectations missed, at their deadline or `after` it: the miss is judged
        //    at the deadline (a first done or entry never moves, so judging it later gives the same answer).
        while nextDeadline < contingencyOrder.count, contingencyAt[contingencyOrder[nextDeadline]] == t {
            let plan = simulator.contingencies[contingencyOrder[nextDeadline]]
            let e = plan.expectation
            nextDeadline += 1
            guard !incident.isClosed, !Scorer.met(simulator.expectations[e], recorder.facts, by: deadline[e]) else { continue }
            delivered[e] = true
            deliver(inject: simulator.expectationSource[e].inject, contingency: simulator.expectationSource[e].index, done: plan.done, fire: plan.fire, at: t)
        }
        // 4. Time-driven events.
        guard !incident.isClosed else { return }
        var due = timeDue()
        if engine.advance(&incident, through: t, due: &due, sink: &recorder) {
            self.due = due
            dueCount = recorder.dueChanges
            retryPending(at: t)
        }
    }

    /// Delivers an inject (or the contingency of its expectation `contingency`, -1 for the inject
    /// itself): its narration, then the step it completes (done by its `from`), then its event, fired
    /// by the outside world in no role. Either refused is recorded `refused` and not tried again.
    mutating func deliver(inject index: Int, contingency: Int, done: Int32, fire: Int32, at t: Int) {
        var from: String?
        if Log.keepsRecord {
            let inject = simulator.scenario.injects[index]
            let other = contingency < 0 ? nil : inject.expectations[contingency].contingency
            from = contingency < 0 ? inject.from : other?.from
            let text = contingency < 0 ? inject.text : other?.text ?? ""
            let reach = contingency < 0 ? inject.reach : other?.reach
            recorder.narrate(Event(at: t, actor: from, .inject(id: inject.id, from: from, text: text, reach: reach)))
        }
        if done != -2 {
            do {
                try engine.perform(.done(step: done, option: -1, note: nil), by: from, at: t, on: &incident, sink: &recorder)
                retryPending(at: t)
            } catch {
                if Log.keepsRecord {
                    let inject = simulator.scenario.injects[index]
                    let named = (contingency < 0 ? inject.done : inject.expectations[contingency].contingency?.done) ?? ""
                    let reason = engine.refusal(error, for: .done(step: named), by: from, in: incident).message
                    recorder.narrate(Event(at: t, .refused(action: "inject completes '\(named)'", reason: reason)))
                }
            }
        }
        guard fire != -2 else { return }
        do {
            try engine.perform(.fire(event: fire), by: nil, at: t, on: &incident, sink: &recorder)
            retryPending(at: t)
        } catch {
            if Log.keepsRecord {
                let inject = simulator.scenario.injects[index]
                let named = (contingency < 0 ? inject.fire : inject.expectations[contingency].contingency?.fire) ?? ""
                let reason = engine.refusal(error, for: .fire(event: named), in: incident).message
                recorder.narrate(Event(at: t, .refused(action: "inject fires '\(named)'", reason: reason)))
            }
        }
    }

    /// Tries action `index` at `t`; records its events or (on the first try) its refusal.
    mutating func attempt(_ index: Int, at t: Int, firstTry: Bool) -> Bool {
        do {
            try engine.perform(
                moves + index, by: actors[index], as: roles[index], at: t, on: &incident,
                sink: &recorder)
            appliedAt[index] = t
            if Log.keepsRecord { refusals[index] = nil }
            return true
        } catch {
            if Log.keepsRecord {
                let refusal = engine.refusal(error, for: simulator.actionCommands[index], by: simulator.actionActors[index], in: incident)
                refusals[index] = refusal
                if firstTry {
                    let action = simulator.scenario.actions[index]
                    recorder.narrate(Event(at: t, actor: simulator.actionActors[index], role: action.by, .refused(action: action.summary, reason: refusal.message)))
                }
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
            for position in pending.indices where attempt(pending[position], at: t, firstTry: false) {
                pending.remove(at: position)
                changed = true
                break
            }
        }
    }

    /// Adds what this run came to into a Monte Carlo tally.
    func count(into tally: inout MonteCarlo.Tally) {
        tally.runs += 1
        let facts = recorder.facts
        for e in simulator.expectations.indices {
            if Scorer.met(simulator.expectations[e], facts, by: deadline[e]) { tally.met[e] += 1 }
            if let delay = Scorer.publicationDelay(simulator.expectations[e], facts, injectAt: injectAt[simulator.expectationSource[e].inject]) {
                tally.publicationDelays[e].append(delay)
            }
        }
        for g in facts.onTime.indices where facts.onTime[g] >= 0 {
            tally.active[g] += 1
            if facts.onTime[g] == 1 { tally.onTime[g] += 1 }
        }
        if let closedAt = facts.closedAt { tally.closeTimes.append(closedAt) }
        if let first = facts.firstPublished.min(), first != .max { tally.firstPublications.append(first) }
    }

    /// Adds only which expectations this run met into a Monte Carlo tally (see ``playUntilSettled()``).
    /// Becomes `run` with the delays of the actions `undelayed` marks taken away, plays on until every expectation
    /// is settled, and counts what it met: a counterfactual run played on from `run`.
    mutating func playOn(from run: Self, undelayed: [Bool], countingMetInto tally: inout MonteCarlo.Tally) {
        become(run)
        undelay(undelayed)
        playUntilSettled()
        countMet(into: &tally)
    }

    func countMet(into tally: inout MonteCarlo.Tally) {
        tally.runs += 1
        for e in simulator.expectations.indices where Scorer.met(simulator.expectations[e], recorder.facts, by: deadline[e]) { tally.met[e] += 1 }
    }

    /// Whether expectation `e` (file order) was met by its deadline.
    func met(_ e: Int) -> Bool { Scorer.met(simulator.expectations[e], facts, by: deadline[e]) }

    public func outcome() -> Simulator.Outcome where Log == ExerciseLog {
        var facts = facts
        facts.finish(simulator.playbook.tables)
        var results: [Simulator.ExpectationResult] = []
        for (e, expectation) in simulator.expectations.enumerated() {
            let (i, j) = simulator.expectationSource[e]
            let at = Scorer.happened(expectation, facts)
            results.append(Simulator.ExpectationResult(
                inject: i, index: j, expectation: scenario.injects[i].expectations[j], deadline: deadline[e],
                met: Scorer.met(expectation, facts, by: deadline[e]), happenedAt: at, contingencyDelivered: delivered[e]))
        }
        let actions = scenario.actions.indices.map { i in
            Simulator.ActionResult(
                action: scenario.actions[i], scheduledAt: scheduled[i], appliedAt: appliedAt[i] >= 0 ? appliedAt[i] : nil, refusal: refusals[i])
        }
        return Simulator.Outcome(
            events: log.events, incident: incident, analysis: log.analysis, expectations: results, actions: actions, stoppedAt: now)
    }
}

extension ExerciseRun where Log == ExerciseLog {
    public var events: [Event] { log.events }
    public var analysis: IncidentAnalysis { log.analysis }

    /// A live move by a role's player at the current time; its events, or the engine's refusal.
    public mutating func act(_ command: Command, by role: String) -> Result<[Event], Refusal> {
        let person = scenario.person(for: role)
        let before = log.events.count
        do {
            try engine.perform(simulator.compile(command), by: person, as: simulator.playbook.tables.roleIndex[role] ?? -1, at: now, on: &incident, sink: &recorder)
        } catch {
            let refusal = engine.refusal(error, for: command, by: person, in: incident)
            recorder.narrate(Event(at: now, actor: person, role: role, .refused(action: describe(command), reason: refusal.message)))
            return .failure(refusal)
        }
        engine.advance(&incident, to: now, inclusive: true, sink: &recorder)
        return .success(Array(log.events[before...]))
    }

    func describe(_ command: Command) -> String {
        switch command {
        case let .done(step, choice, _): choice.map { "done \(step) (\($0))" } ?? "done \(step)"
        case let .skip(step, _): "skip \(step)"
        case let .fire(event): "fire \(event)"
        case .note: "note"
        case let .assign(role, _): "assign \(role)"
        case let .deputy(role, _): "assign \(role) --deputy"
        case .close: "close"
        case .reopen: "reopen"
        case let .retract(entry, _): "retract #\(entry.seq)"
        case let .draft(audience, _): "draft \(audience)"
        case let .revise(statement, _): "revise \(statement.described)"
        case let .approve(statement, _): "approve \(statement.described)"
        case let .reject(statement, _, _): "reject \(statement.described)"
        case let .publish(statement, _): "publish \(statement.described)"
        case let .inform(who, _, _): "inform \(who)"
        }
    }
}

/// Feeds the engine's events to the scored facts and to the log.
struct Recorder<Log: EngineSink & Sendable>: EngineSink, Sendable {
    var facts: ExerciseFacts
    var log: Log
    /// The playbook's tables, held here: read from the playbook on every event, they cost a retain and a release.
    let tables: PlaybookTables

    /// How many events so far could change when the next time-driven event is due (``Engine/movesDue(_:)``).
    var dueChanges = 0

    static var keepsRecord: Bool { Log.keepsRecord }

    @inline(__always)
    mutating func record(_ event: EngineEvent, words: EventWords, incident: Incident, playbook: Playbook) {
        if Engine.movesDue(event.body) { dueChanges &+= 1 }
        facts.record(event, incident: incident, tables: tables)
        log.record(event, words: words, incident: incident, playbook: playbook)
    }

    mutating func narrate(_ event: Event) { log.narrate(event) }
}

extension Array {
    /// Becomes `other`, in this array's buffer when it has room (no allocation once it has).
    @inline(__always)
    mutating func become(_ other: [Element]) {
        if count == other.count {
            withUnsafeMutableBufferPointer { mine in
                other.withUnsafeBufferPointer { theirs in _ = mine.update(fromContentsOf: theirs) }
            }
        } else {
            removeAll(keepingCapacity: true)
            append(contentsOf: other)
        }
    }
}

extension Incident {
    /// Becomes `other` in this incident's buffers, its statements included: a copy to play on from (see
    /// ``ExerciseRun/become(_:)``) that allocates nothing once the buffers have grown.
    mutating func become(_ other: Incident) {
        let comms = self.comms
        self.comms = nil
        restore(other)
        self.comms = comms
        if let theirs = other.comms {
            if self.comms == nil {
                self.comms = theirs
            } else {
                self.comms!.statements.become(theirs.statements)
                self.comms!.nextUpdate.become(theirs.nextUpdate)
            }
        } else {
            self.comms = nil
        }
    }

    /// Becomes `other`, reusing this incident's buffers where it can.
    mutating func restore(_ other: Incident) {
        title = other.title
        severity = other.severity
        openedAt = other.openedAt
        beganAt = other.beganAt
        assignments = other.assignments
        deputies = other.deputies
        state = other.state
        enteredAt = other.enteredAt
        round = other.round
        if rounds.count == other.rounds.count {
            for i in rounds.indices { rounds[i] = other.rounds[i] }
        } else {
            rounds = other.rounds
        }
        steps.removeAll(keepingCapacity: true)
        steps.append(contentsOf: other.steps)
        duties.removeAll(keepingCapacity: true)
        duties.append(contentsOf: other.duties)
        carried.removeAll(keepingCapacity: true)
        carried.append(contentsOf: other.carried)
        closed = other.closed
        eventCount = other.eventCount
        comms = other.comms
    }
}
