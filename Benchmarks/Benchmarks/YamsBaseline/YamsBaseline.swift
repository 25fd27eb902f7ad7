import Benchmark
import BenchmarkFixtures
import Yams

// Yams' `compose` of the playbook that FirebreakBenchmarks checks: a baseline for the row
// "Check 1000-state playbook". A binary of its own, because Yams compiles its own copy of
// libyaml into whatever links it: in one binary with Firebreak, Firebreak's calls would be
// bound to that copy instead of Debian's libyaml, and the check would not measure what ships.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .peakMemoryResident], maxDuration: .seconds(10), maxIterations: 20)

    let bigText = BenchmarkFixtures.chainPlaybook(states: 1_000)
    Benchmark("Yams compose of the same YAML (baseline: parsing alone)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try Yams.compose(yaml: bigText)) }
    }
}
