import FirebreakCore
import Foundation

/// Where the application layer gets "now" and the local zone from: the command line's clock reads
/// the environment (`FIREBREAK_NOW`, `TZ`); a test passes a fixed one.
public protocol Clock: Sendable {
    /// Now, in seconds since 1970 (UTC).
    func now() -> Int
    /// The zone local times (`--at 21:40`) are read in and shown in.
    var zone: TimeZone { get }
}

/// The clock of a process: the system's time unless `FIREBREAK_NOW` fixes it (reproducible demos
/// and scripts), and the zone `TZ` names, else the system's.
public struct SystemClock: Clock {
    public let environment: [String: String]

    public init(environment: [String: String]) { self.environment = environment }

    public func now() -> Int {
        if let fixed = environment["FIREBREAK_NOW"], let clock = WallClock.parse(fixed) { return clock.seconds }
        return Int(Date().timeIntervalSince1970)
    }

    public var zone: TimeZone {
        if let name = environment["TZ"], !name.isEmpty, let zone = TimeZone(identifier: name.hasPrefix(":") ? String(name.dropFirst()) : name) {
            return zone
        }
        return TimeZone.current
    }
}

/// A clock that always says the same time: for tests and replays.
public struct FixedClock: Clock {
    public var seconds: Int
    public let zone: TimeZone

    public init(_ seconds: Int, zone: TimeZone = TimeZone(identifier: "UTC")!) {
        self.seconds = seconds
        self.zone = zone
    }

    public func now() -> Int { seconds }
}
