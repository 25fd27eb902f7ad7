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
public struct MonteCarlo: Sendable {
    public let simulator: Simulator
    public let seed: UInt64

    public let stepIDs: [String]
    let stepPosition: [String: Int]

    public init(simulator: Simulator, seed: UInt64) {
        self.simulator = simulator
        self.seed = seed
        stepIDs = simulator.playbook.states.flatMap { $0.steps.map(\.id) }
        stepPosition = Dictionary(stepIDs.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
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
        var generator = SplitMix64.forRun(seed: seed, index: index)
        return simulator.scenario.actions.map { action in
            let limit = simulator.scenario.variability(for: action.by)
            let draw = limit > 0 ? Int(generator.next() % UInt64(limit + 1)) : 0
            return action.by == role ? 0 : draw
        }
    }

    public func run(_ index: Int, zeroing role: String? = nil) -> RunResult {
        let outcome = simulator.run(delays: delays(run: index, zeroing: role), keepEvents: false)
        var onTime = [Int8](repeating: -1, count: stepIDs.count)
        for round in outcome.analysis.steps {
            guard let i = stepPosition[round.step] else { continue }
            let ok: Int8 = round.status == .onTime ? 1 : 0
            onTime[i] = onTime[i] == -1 ? ok : min(onTime[i], ok)
        }
        return RunResult(met: outcome.expectations.map(\.met), stepOnTime: onTime, closedAt: outcome.incident.closed?.at)
    }

    /// Summary over runs.
    public struct Summary: Sendable {
        public var runs: Int
        public var expectations: [(result: Simulator.ExpectationResult, met: Int)]
        public var steps: [(id: String, active: Int, onTime: Int)]
        public var closeTimes: [Int]
        /// role → expectations missed in all runs that would have been met without that role's delays.
        public var costByRole: [(role: String, missedBecause: Int)]
    }

    /// Aggregates run results (in run order).
    public func summarize(_ results: [RunResult], costByRole: [(role: String, missedBecause: Int)] = []) -> Summary {
        let template = simulator.run(delays: [Int](repeating: 0, count: simulator.scenario.actions.count)).expectations
        var met = [Int](repeating: 0, count: template.count)
        let ids = stepIDs
        var active = [Int](repeating: 0, count: ids.count)
        var onTime = [Int](repeating: 0, count: ids.count)
        var closes: [Int] = []
        for result in results {
            for (i, m) in result.met.enumerated() where m { met[i] += 1 }
            for (i, v) in result.stepOnTime.enumerated() {
                if v >= 0 { active[i] += 1 }
                if v == 1 { onTime[i] += 1 }
            }
            if let c = result.closedAt { closes.append(c) }
        }
        closes.sort()
        return Summary(
            runs: results.count, expectations: zip(template, met).map { ($0, $1) },
            steps: ids.indices.filter { active[$0] > 0 }.map { (ids[$0], active[$0], onTime[$0]) },
            closeTimes: closes, costByRole: costByRole)
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
