import FirebreakApp
import FirebreakCore
import Foundation

/// The command line's local time: the clock of the process's environment (`FIREBREAK_NOW`, `TZ`)
/// and ``LocalTime`` in its zone.
enum Clock {
    static var system: SystemClock {
        guard let fixed else { return SystemClock(environment: Console.current.environment) }
        var environment = Console.current.environment
        environment["FIREBREAK_NOW"] = WallClock.format(fixed, offset: 0)
        return SystemClock(environment: environment)
    }

    /// "Now" fixed for the task: a watching command draws each frame at one instant of its clock.
    @TaskLocal static var fixed: Int?

    /// The local zone: `TZ` of the console's environment when it names one, else the system's.
    static var zone: TimeZone { system.zone }

    static func now() -> Int { system.now() }

    static func offset(at seconds: Int) -> Int { LocalTime.offset(seconds, zone) }

    /// `2026-05-12T21:42:00+02:00` in the local zone.
    static func iso(_ seconds: Int) -> String { LocalTime.iso(seconds, zone) }

    /// `2026-05-12 21:42` in the local zone.
    static func short(_ seconds: Int) -> String { LocalTime.short(seconds, zone) }

    /// `21:42`, or the short date when not today.
    static func compact(_ seconds: Int, now: Int) -> String { LocalTime.compact(seconds, now: now, zone) }
}
