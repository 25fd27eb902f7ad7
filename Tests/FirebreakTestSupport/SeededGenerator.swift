import FirebreakCore

/// The seeded generator for reproducible test inputs: Firebreak's own SplitMix64 under a name
/// that reads well in tests. The same seed always gives the same sequence on every platform.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var base: SplitMix64

    public init(seed: UInt64) { base = SplitMix64(seed: seed) }

    public mutating func next() -> UInt64 { base.next() }
}
