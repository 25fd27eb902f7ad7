/// A small, fast, seedable generator (SplitMix64).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The generator of run `index` for seed `seed`: depends on the two alone.
    public static func forRun(seed: UInt64, index: Int) -> SplitMix64 {
        var mixer = SplitMix64(seed: seed ^ 0x5DEE_CE66_D1CE_4E5B)
        let a = mixer.next()
        var second = SplitMix64(seed: a ^ (UInt64(truncatingIfNeeded: index) &* 0xD1B5_4A32_D192_ED03))
        _ = second.next()
        return second
    }
}

/// Monte Carlo runs of a scenario: each action delayed by a uniform draw from
/// `[0, variability of its role]`; run i uses a generator seeded by (seed, i) alone, so the
/// result does not depend on how runs are spread over threads.
///
/// Runs are played by the same scheduler and engine as `drill run`, with a sink that keeps only
/// the scored facts, so a run allocates next to nothing and touches no string.
public struct MonteCarlo: Sendable {
    public let simulator: Simulator
    public let seed: UInt64

    public let stepIDs: [String]
    /// Per action: the largest delay of its role, and the role.
    let limits: [Int]
    let roles: [String]

    public init(simulator: Simulator, seed: UInt64) {
        self.simulator = simulator
        self.seed = seed
        stepIDs = simulator.playbook.tables.stepIDs
        limits = simulator.scenario.actions.map { simulator.scenario.variability(for: $0.by) }
        roles = simulator.scenario.actions.map(\.by)
    }

    /// The compact result of one run.
    public struct RunResult: Sendable, Equatable {
        public var met: [Bool]
        /// Per step id (in playbook order): 1 on time in every round it was active, 0 late or not done, -1 never active.
        public var stepOnTime: [Int8]
        public var closedAt: Int?
    }

    /// The delays of run `index`, one per action.
    public func delays(run index: Int, zeroing role: String? = nil) -> [Int] {
        var delays = [Int](repeating: 0, count: limits.count)
        delays.withUnsafeMutableBufferPointer { draw(run: index, zeroing: role.map { role in roles.map { $0 == role } }, into: $0) }
        return delays
    }

    /// Draws run `index`'s delays, then (when the scenario has windows) where in its window each inject
    /// arrives, from the run's own generator; `zeroed[i]` true sets action i's delay to zero (its draw is
    /// still made). Windows are drawn after the delays, so a scenario without windows draws as before.
    func draw(run index: Int, zeroing zeroed: [Bool]?, into delays: UnsafeMutableBufferPointer<Int>, windows: UnsafeMutableBufferPointer<Int>? = nil) {
        var generator = SplitMix64.forRun(seed: seed, index: index)
        for i in limits.indices {
            let limit = limits[i]
            let draw = limit > 0 ? Int(generator.next() % UInt64(limit + 1)) : 0
            delays[i] = zeroed?[i] == true ? 0 : draw
        }
        guard let windows, simulator.hasWindows else { return }
        for i in windows.indices {
            let window = simulator.injectWindow[i]
            windows[i] = window > 0 ? Int(generator.next() % UInt64(window + 1)) : 0
        }
    }

    /// Where in its window each inject arrives in run `index` (seconds after its `at`).
    public func windows(run index: Int) -> [Int] {
        var delays = [Int](repeating: 0, count: limits.count)
        var windows = [Int](repeating: 0, count: simulator.injectAt.count)
        delays.withUnsafeMutableBufferPointer { d in windows.withUnsafeMutableBufferPointer { draw(run: index, zeroing: nil, into: d, windows: $0) } }
        return windows
    }

    /// Run `index`, with `role`'s delays set to zero when given.
    public func run(_ index: Int, zeroing role: String? = nil) -> RunResult {
        var runner = Runner(self, zeroing: role)
        runner.play(index)
        let facts = runner.exercise.facts
        return RunResult(
            met: simulator.expectations.indices.map { runner.exercise.met($0) }, stepOnTime: facts.onTime, closedAt: facts.closedAt)
    }

    /// Counts over many runs: what a summary is made of. Adding runs in any order gives the same tally.
    public struct Tally: Sendable, Equatable {
        public var runs = 0
        /// Per expectation (file order), the runs that met it.
        public var met: [Int]
        /// Per step (playbook order), the runs in which it was active, and those in which it was on time in every round.
        public var active: [Int]
        public var onTime: [Int]
        /// When each run that closed closed, sorted.
        public var closeTimes: [Int] = []
        /// When each run that published a statement (to any audience) first published one, sorted.
        public var firstPublications: [Int] = []
        /// Per expectation: for a `published` one, each run's time from its inject to the first publication at or after it
        /// (runs with none leave nothing); empty for other kinds. Sorted when summarised.
        public var publicationDelays: [[Int]]

        public init(expectations: Int, steps: Int) {
            publicationDelays = [[Int]](repeating: [], count: expectations)
            met = [Int](repeating: 0, count: expectations)
            active = [Int](repeating: 0, count: steps)
            onTime = [Int](repeating: 0, count: steps)
        }

        /// Expectations met, summed over runs and expectations.
        public var totalMet: Int { met.reduce(0, +) }

        public mutating func merge(_ other: Tally) {
            runs += other.runs
            for i in met.indices { met[i] += other.met[i] }
            for i in publicationDelays.indices { publicationDelays[i] += other.publicationDelays[i] }
            for i in active.indices {
                active[i] += other.active[i]
                onTime[i] += other.onTime[i]
            }
            closeTimes = Self.merged(closeTimes, other.closeTimes)
            firstPublications = Self.merged(firstPublications, other.firstPublications)
        }

        /// Two sorted lists as one, in one pass.
        static func merged(_ a: [Int], _ b: [Int]) -> [Int] {
            var merged: [Int] = []
            merged.reserveCapacity(a.count + b.count)
            var i = 0
            var j = 0
            while i < a.count || j < b.count {
                if j == b.count || (i < a.count && a[i] <= b[j]) {
                    merged.append(a[i])
                    i += 1
                } else {
                    merged.append(b[j])
                    j += 1
                }
            }
            return merged
        }
    }

    /// Plays `runs` (with `role`'s delays zeroed when given, or every action's with `withoutDelays`: the
    /// playbook itself, with the team acting at its scripted times) and counts what they come to.
    /// `metOnly`: count only the runs and the expectations met (all the delay costs and the playbook's own
    /// figures are made of), each run played only until those are settled; the rest of the tally stays empty.
    public func tally(_ runs: Range<Int>, zeroing role: String? = nil, withoutDelays: Bool = false, metOnly: Bool = false) -> Tally {
        var runner = Runner(self, zeroing: role, all: withoutDelays)
        var tally = Tally(expectations: simulator.expectations.count, steps: stepIDs.count)
        if withoutDelays, !simulator.hasWindows, let first = runs.first {
            // Nothing is drawn that matters: every run is the same run, played once and counted for each.
            runner.play(first, untilSettled: metOnly)
            for _ in runs {
                if metOnly { runner.exercise.countMet(into: &tally) } else { runner.exercise.count(into: &tally) }
            }
        } else if metOnly {
            for index in runs {
                runner.play(index, untilSettled: true)
                runner.exercise.countMet(into: &tally)
            }
        } else {
            for index in runs {
                runner.play(index)
                runner.exercise.count(into: &tally)
            }
        }
        tally.closeTimes.sort()
        tally.firstPublications.sort()
        return tally
    }

    /// Plays `runs` as ``tally(_:zeroing:withoutDelays:metOnly:)`` plays them, and counts each again for each of
    /// `undelayed` (per action, whether its delay is taken away: a role's actions, or all), as `metOnly` counts:
    /// `zeroed[k]` is what `tally(runs, zeroing: role, metOnly: true)` gives for the k-th.
    ///
    /// An undelayed run is the run itself until the first moment one of its undelayed actions would have come
    /// without its delay; it is played on from a copy of the run taken then (``ExerciseRun/playToEnd(forks:fork:)``),
    /// not from T+0. For a role that acts late, most of its run is not played twice.
    public func tally(_ runs: Range<Int>, undelayed: [[Bool]]) -> (base: Tally, zeroed: [Tally]) {
        var runner = Runner(self, zeroing: nil)
        // Where each undelayed run is played on: a copy of the run at that moment, in buffers reused from run to run.
        var copy = ExerciseRun(simulator, log: NoLog())
        var base = Tally(expectations: simulator.expectations.count, steps: stepIDs.count)
        var zeroed = undelayed.map { _ in Tally(expectations: simulator.expectations.count, steps: stepIDs.count) }
        var forks: [(at: Int, index: Int)] = []
        forks.reserveCapacity(undelayed.count)
        let actionAt = simulator.actionAt
        for index in runs {
            runner.draw(index)
            forks.removeAll(keepingCapacity: true)
            for (k, marks) in undelayed.enumerated() {
                var at = Int.max
                for i in marks.indices where marks[i] && runner.delays[i] > 0 { at = min(at, actionAt[i]) }
                forks.append((at, k))
            }
            forks.sort { $0.at != $1.at ? $0.at < $1.at : $0.index < $1.index }
            runner.exercise.playToEnd(forks: forks) { run, k in
                copy.playOn(from: run, undelayed: undelayed[k], countingMetInto: &zeroed[k])
            }
            runner.exercise.count(into: &base)
        }
        base.closeTimes.sort()
        base.firstPublications.sort()
        return (base, zeroed)
    }

    /// Per action, whether it is `role`'s.
    public func actions(of role: String) -> [Bool] { roles.map { $0 == role } }

    /// Plays runs one after another on one thread, reusing its buffers.
    struct Runner {
        let carlo: MonteCarlo
        let zeroed: [Bool]?
        var delays: [Int]
        var windows: [Int]
        var exercise: ExerciseRun<NoLog>

        init(_ carlo: MonteCarlo, zeroing role: String?, all: Bool = false) {
            self.carlo = carlo
            zeroed = all ? carlo.roles.map { _ in true } : role.map { role in carlo.roles.map { $0 == role } }
            delays = [Int](repeating: 0, count: carlo.limits.count)
            windows = [Int](repeating: 0, count: carlo.simulator.injectAt.count)
            exercise = ExerciseRun(carlo.simulator, log: NoLog())
        }

        mutating func play(_ index: Int, untilSettled: Bool = false) {
            draw(index)
            if untilSettled { exercise.playUntilSettled() } else { exercise.playToEnd() }
        }

        /// Draws run `index` and starts it, without playing it.
        mutating func draw(_ index: Int) {
            let carlo = carlo
            let zeroed = zeroed
            delays.withUnsafeMutableBufferPointer { d in windows.withUnsafeMutableBufferPointer { carlo.draw(run: index, zeroing: zeroed, into: d, windows: $0) } }
            delays.withUnsafeBufferPointer { d in windows.withUnsafeBufferPointer { exercise.restart(delays: d, windows: $0) } }
        }
    }

    /// Summary over runs.
    public struct Summary: Sendable {
        public var runs: Int
        public var expectations: [(result: Simulator.ExpectationResult, met: Int)]
        public var steps: [(id: String, active: Int, onTime: Int)]
        public var closeTimes: [Int]
        /// When each run that published first published a statement, sorted.
        public var firstPublications: [Int] = []
        /// The same runs with every action's delay zero (the playbook itself): per expectation, the runs that met it.
        public var withoutDelays: [Int]?
        /// Per expectation (file order), for a `published` one: the median time from its inject to the first
        /// publication at or after it, over the runs that had one, and how many runs had none.
        public var publication: [(median: Int?, without: Int)?]
        /// role → expectations missed in all runs that would have been met without that role's delays.
        public var costByRole: [(role: String, missedBecause: Int)]
        /// Set when ``costByRole`` was estimated: played on the first this many runs only, and scaled to ``runs``.
        public var costsEstimatedFrom: Int?
        /// Set when ``withoutDelays`` was estimated the same way (only a scenario with windows plays those runs one by one).
        public var withoutDelaysEstimatedFrom: Int?
    }

    /// With more runs than this, the counterfactual passes (the delay cost of each role and, with windows, the runs
    /// without delays) play only the first this many runs, the same whatever the threads, and scale their counts.
    public static let counterfactualRuns = 2_000

    /// `count`, counted over the first `sample` of `runs` runs, scaled to all of them (rounded to the nearest).
    public static func scaled(_ count: Int, sample: Int, runs: Int) -> Int {
        sample >= runs || sample == 0 ? count : Int((Double(count) * Double(runs) / Double(sample)).rounded())
    }

    /// The summary of a tally.
    public func summarize(_ tally: Tally, costByRole: [(role: String, missedBecause: Int)] = [], withoutDelays: Tally? = nil) -> Summary {
        let template = simulator.run(delays: [Int](repeating: 0, count: simulator.scenario.actions.count)).expectations
        var summary = Summary(
            runs: tally.runs, expectations: zip(template, tally.met).map { ($0, $1) },
            steps: stepIDs.indices.filter { tally.active[$0] > 0 }.map { (stepIDs[$0], tally.active[$0], tally.onTime[$0]) },
            closeTimes: tally.closeTimes,
            publication: simulator.expectations.indices.map { e in
                guard case .published = simulator.expectations[e].condition else { return nil }
                let delays = tally.publicationDelays[e].sorted()
                return (Statistics.quantile(delays, 0.5), tally.runs - delays.count)
            },
            costByRole: costByRole)
        summary.firstPublications = tally.firstPublications
        summary.withoutDelays = withoutDelays?.met
        return summary
    }

    /// The roles whose actions are delayed in this scenario.
    public var variableRoles: [String] {
        var roles: [String] = []
        for action in simulator.scenario.actions where simulator.scenario.variability(for: action.by) > 0 && !roles.contains(action.by) {
            roles.append(action.by)
        }
        return roles
    }
}

/// Statistics helpers.
public enum Statistics {
    /// The 95% Wilson score interval for `successes` out of `n`.
    public static func wilson(_ successes: Int, _ n: Int, z: Double = 1.959_963_984_540_054) -> (low: Double, high: Double) {
        guard n > 0 else { return (0, 1) }
        let p = Double(successes) / Double(n)
        let nn = Double(n)
        let denominator = 1 + z * z / nn
        let centre = (p + z * z / (2 * nn)) / denominator
        let margin = z * ((p * (1 - p) / nn + z * z / (4 * nn * nn)).squareRoot()) / denominator
        return (max(0, centre - margin), min(1, centre + margin))
    }

    /// The q-quantile (0...1) of sorted values, nearest rank.
    public static func quantile(_ sorted: [Int], _ q: Double) -> Int? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((q * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count - 1, max(0, rank - 1))]
    }
}
