/// What an exercise is scored on, by index, gathered from the engine's events as they happen
/// (or from a recorded exercise's events, replayed): when each step was first done and each state
/// first entered, whether each step was on time in every round it was active, and the close.
///
/// The one place that says what these facts are; ``Scorer`` reads expectations against them.
public struct ExerciseFacts: Sendable, Equatable {
    /// Per step (global index): when it was first done (`Int.max`: never).
    public private(set) var firstDone: [Int]
    /// Per state: when it was first entered (`Int.max`: never).
    public private(set) var firstEntered: [Int]
    /// Per step: 1 on time in every round it was active, 0 late or not done in some round, -1 never active.
    public private(set) var onTime: [Int8]
    public private(set) var closedAt: Int?
    /// Per audience: when a statement to it was first published (`Int.max`: never), and every publication in order.
    public private(set) var firstPublished: [Int]
    public private(set) var publications: [[Int]]
    /// Per inform name (the playbook's `informs` ids, then any more the scenario names): when first informed.
    public private(set) var firstInformed: [Int]
    /// Per step: done on time in its active (or last active) copy.
    var current: [Bool]
    /// Per step: a copy is active and not yet scored.
    var live: [Bool]

    public init(tables: PlaybookTables, informNames: Int? = nil) {
        firstPublished = [Int](repeating: .max, count: tables.audienceNames.count)
        publications = [[Int]](repeating: [], count: tables.audienceNames.count)
        firstInformed = [Int](repeating: .max, count: informNames ?? tables.informNames.count)
        firstDone = [Int](repeating: .max, count: tables.stepCount)
        firstEntered = [Int](repeating: .max, count: tables.isFinal.count)
        onTime = [Int8](repeating: -1, count: tables.stepCount)
        current = [Bool](repeating: false, count: tables.stepCount)
        live = [Bool](repeating: false, count: tables.stepCount)
    }

    /// Back to no facts, keeping the buffers.
    public mutating func reset() {
        for g in firstDone.indices {
            firstDone[g] = .max
            onTime[g] = -1
            live[g] = false
        }
        for s in firstEntered.indices { firstEntered[s] = .max }
        for a in firstPublished.indices {
            firstPublished[a] = .max
            publications[a].removeAll(keepingCapacity: true)
        }
        for w in firstInformed.indices { firstInformed[w] = .max }
        closedAt = nil
    }

    /// Becomes `other` (facts of the same playbook), keeping the buffers.
    mutating func become(_ other: ExerciseFacts) {
        firstDone.become(other.firstDone)
        firstEntered.become(other.firstEntered)
        onTime.become(other.onTime)
        closedAt = other.closedAt
        firstPublished.become(other.firstPublished)
        if publications.count == other.publications.count {
            for a in publications.indices { publications[a].become(other.publications[a]) }
        } else {
            publications = other.publications
        }
        firstInformed.become(other.firstInformed)
        current.become(other.current)
        live.become(other.live)
    }

    @inline(__always)
    public mutating func record(_ event: EngineEvent, incident: Incident, tables: PlaybookTables) {
        switch event.body {
        case .opened:
            for g in tables.duties {
                current[g] = false
                live[g] = true
            }
        case let .entered(target, from, _, _):
            guard target >= 0 else { return }
            // The round left is scored, but for its steps still active as carried ones.
            if from >= 0 {
                for g in tables.steps(of: Int(from)) where live[g] && !(tables.stepCarry[g] && incident.carriedIndex(of: g) != nil) { score(g) }
            }
            for g in tables.steps(of: Int(target)) where !incident.isDeferred(g, tables) {
                if live[g] { score(g) }
                current[g] = false
                live[g] = true
            }
            if firstEntered[Int(target)] == .max { firstEntered[Int(target)] = event.at }
        case let .done(step, _, _):
            guard step >= 0 else { return }
            let g = Int(step)
            current[g] = incident.deadline(of: g, tables).map { event.at <= $0 } ?? true
            if firstDone[g] == .max { firstDone[g] = event.at }
        case .closed:
            if closedAt == nil { closedAt = event.at }
        case let .retracted(_, step, reopen):
            if reopen, step >= 0 { current[Int(step)] = false }
        case let .published(_, _, audience):
            guard audience >= 0, Int(audience) < firstPublished.count else { return }
            if firstPublished[Int(audience)] == .max { firstPublished[Int(audience)] = event.at }
            publications[Int(audience)].append(event.at)
        case let .informed(who):
            guard who >= 0, Int(who) < firstInformed.count else { return }
            if firstInformed[Int(who)] == .max { firstInformed[Int(who)] = event.at }
        default:
            break
        }
    }

    /// Scores the steps still active (the current round, carried steps, duties); call once when the exercise stops.
    public mutating func finish(_ tables: PlaybookTables) {
        for g in live.indices where live[g] { score(g) }
    }

    @inline(__always)
    mutating func score(_ g: Int) {
        let ok: Int8 = current[g] ? 1 : 0
        onTime[g] = onTime[g] == -1 ? ok : min(onTime[g], ok)
        live[g] = false
    }

    /// The facts of a recorded history.
    public static func of(_ events: some Sequence<Event>, playbook: Playbook) -> ExerciseFacts {
        let engine = Engine(playbook: playbook)
        var facts = ExerciseFacts(tables: playbook.tables)
        var incident: Incident?
        for event in events {
            if incident == nil { incident = engine.replay([event]) } else { engine.fold(event, into: &incident!) }
            if let (compact, _) = playbook.engineEvent(event), let incident { facts.record(compact, incident: incident, tables: playbook.tables) }
        }
        facts.finish(playbook.tables)
        return facts
    }
}

extension ExerciseFacts {
    /// The names informs are counted under in an exercise of `scenario`: the playbook's `informs` ids,
    /// then the other names the scenario's `informed` expectations use, then those of its `inform`
    /// actions, each once in file order. The one list ``Simulator`` and ``IncidentAnalysis`` both count by,
    /// so an `informed:` expectation for a name no step uses is scored the same in a run and in its report.
    public static func informNames(_ playbook: Playbook, _ scenario: Scenario?) -> [String] {
        var names = playbook.tables.informNames
        guard let scenario else { return names }
        for inject in scenario.injects {
            for case .informed(let who) in inject.expectations.map(\.condition) where !names.contains(who) { names.append(who) }
        }
        for action in scenario.actions {
            if case .inform(let who, _) = action.move, !names.contains(who) { names.append(who) }
        }
        return names
    }
}

/// An expectation with its names resolved and its deadline worked out.
public struct ScoredExpectation: Sendable, Equatable {
    public enum Condition: Sendable, Equatable {
        case done(step: Int32)
        case entered(state: Int32)
        case never(state: Int32)
        case before(step: Int32, other: Int32)
        case published(audience: Int32)
        /// An index among the inform names (see ``ExerciseFacts/firstInformed``).
        case informed(who: Int32)
    }

    public var condition: Condition
    /// Seconds from T+0; `Int.max` for what is scored at the end (`never`, `before`).
    public var deadline: Int
    /// When its inject came.
    public var injectAt: Int

    /// `informNames`: the names informs are counted under (default: the playbook's `informs` ids).
    public init(_ expectation: Expectation, injectAt: Int, playbook: Playbook, informNames: [String]? = nil) {
        self.injectAt = injectAt
        switch expectation.condition {
        case .done(let step):
            condition = .done(step: playbook.tables.stepIndex[step] ?? -1)
        case .state(let state):
            condition = .entered(state: playbook.stateIndex[state].map(Int32.init) ?? -1)
        case .never(let state):
            condition = .never(state: playbook.stateIndex[state].map(Int32.init) ?? -1)
        case let .before(step, other):
            condition = .before(step: playbook.tables.stepIndex[step] ?? -1, other: playbook.tables.stepIndex[other] ?? -1)
        case .published(let audience):
            condition = .published(audience: playbook.tables.audienceIndex[audience] ?? -1)
        case .informed(let who):
            condition = .informed(who: (informNames ?? playbook.tables.informNames).firstIndex(of: who).map(Int32.init) ?? -1)
        }
        deadline = expectation.condition.isScoredAtEnd ? .max : injectAt + expectation.within
    }
}

/// Scores expectations against an exercise's facts: the one place that says when an expectation is met.
public enum Scorer {
    /// When the expectation's condition came true (also when late); nil when it never did. For `never`,
    /// when the state was entered (it broke then); for `before`, when A was done (also when B came first).
    @inline(__always)
    public static func happened(_ expectation: ScoredExpectation, _ facts: ExerciseFacts) -> Int? {
        let at: Int
        switch expectation.condition {
        case .done(let step), .before(let step, _): at = step >= 0 ? facts.firstDone[Int(step)] : .max
        case .entered(let state), .never(let state): at = state >= 0 ? facts.firstEntered[Int(state)] : .max
        case .published(let audience): at = audience >= 0 ? facts.firstPublished[Int(audience)] : .max
        case .informed(let who): at = who >= 0 && Int(who) < facts.firstInformed.count ? facts.firstInformed[Int(who)] : .max
        }
        return at == .max ? nil : at
    }

    /// For a `published` expectation: seconds from its inject's delivery in this run (`injectAt`: the
    /// moment drawn in its window, or `inject ID now`'s, not the scripted `at`) to the first publication to
    /// its audience at or after it; nil when there was none (or for another kind of expectation).
    public static func publicationDelay(_ expectation: ScoredExpectation, _ facts: ExerciseFacts, injectAt: Int) -> Int? {
        guard case .published(let audience) = expectation.condition, audience >= 0 else { return nil }
        for at in facts.publications[Int(audience)] where at >= injectAt { return at - injectAt }
        return nil
    }

    /// Whether ``met(_:_:by:)`` can no longer change once every instant up to and including `now` has been played:
    /// the condition came true by its deadline, or the deadline is past; `never` once its state was entered; `before`
    /// once A was done, or B was done before `now` (A, done later, comes after it). Facts are only ever set once, so a
    /// run that only counts met expectations can stop when every one is settled.
    @inline(__always)
    public static func settled(_ expectation: ScoredExpectation, _ facts: ExerciseFacts, by deadline: Int, now: Int) -> Bool {
        switch expectation.condition {
        case .never(let state):
            return state < 0 || facts.firstEntered[Int(state)] != .max
        case let .before(step, other):
            return step < 0 || facts.firstDone[Int(step)] != .max || (other >= 0 && facts.firstDone[Int(other)] < now)
        case .done, .entered, .published, .informed:
            return now > deadline || happened(expectation, facts).map { $0 <= deadline } ?? false
        }
    }

    /// Met: the condition came true at or before `deadline` (earlier than the inject counts too).
    /// `never`: the state was never entered (entering the start state at T+0 counts); `before`: A is
    /// done and B was not done earlier than A (each step's earliest done, over all rounds; the same
    /// instant is met; B never done is met).
    @inline(__always)
    public static func met(_ expectation: ScoredExpectation, _ facts: ExerciseFacts, by deadline: Int? = nil) -> Bool {
        switch expectation.condition {
        case .never(let state):
            return state < 0 || facts.firstEntered[Int(state)] == .max
        case let .before(step, other):
            guard step >= 0, facts.firstDone[Int(step)] != .max else { return false }
            return other < 0 || facts.firstDone[Int(other)] >= facts.firstDone[Int(step)]
        case .done, .entered, .published, .informed:
            return happened(expectation, facts).map { $0 <= (deadline ?? expectation.deadline) } ?? false
        }
    }
}
