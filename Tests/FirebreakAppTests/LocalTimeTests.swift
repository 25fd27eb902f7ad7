import FirebreakApp
import FirebreakCore
import FirebreakTestSupport
import Foundation
import Testing

/// `--at HH:MM` and `--at YYYY-MM-DD HH:MM` are local times: converted with the offset of that local time on
/// that day, refused when the clocks skip it, taken as the first when they pass it twice.
@Suite struct LocalTimeTests {
    static func seconds(_ iso: String) -> Int { WallClock.parse(iso)!.seconds }

    struct Case: Sendable, CustomTestStringConvertible {
        var zone: String
        var now: String
        var at: String
        /// The instant expected (ISO with the right offset), or `nil` when the time does not exist.
        var expected: String?
        var ambiguous = false
        var testDescription: String { "\(zone) \(now.prefix(10)) \(at)" }
    }

    static let cases: [Case] = [
        // Amsterdam, spring forward: 02:00 CET becomes 03:00 CEST.
        Case(zone: "Europe/Amsterdam", now: "2026-03-29T12:00:00+02:00", at: "00:30", expected: "2026-03-29T00:30:00+01:00"),
        Case(zone: "Europe/Amsterdam", now: "2026-03-29T12:00:00+02:00", at: "01:30", expected: "2026-03-29T01:30:00+01:00"),
        Case(zone: "Europe/Amsterdam", now: "2026-03-29T12:00:00+02:00", at: "01:59", expected: "2026-03-29T01:59:00+01:00"),
        Case(zone: "Europe/Amsterdam", now: "2026-03-29T12:00:00+02:00", at: "02:00", expected: nil),
        Case(zone: "Europe/Amsterdam", now: "2026-03-29T12:00:00+02:00", at: "02:30", expected: nil),
        Case(zone: "Europe/Amsterdam", now: "2026-03-29T12:00:00+02:00", at: "03:00", expected: "2026-03-29T03:00:00+02:00"),
        Case(zone: "Europe/Amsterdam", now: "2026-03-29T12:00:00+02:00", at: "03:30", expected: "2026-03-29T03:30:00+02:00"),
        // Amsterdam, fall back: 03:00 CEST becomes 02:00 CET; 02:00-02:59 happen twice.
        Case(zone: "Europe/Amsterdam", now: "2026-10-25T12:00:00+01:00", at: "01:30", expected: "2026-10-25T01:30:00+02:00"),
        Case(zone: "Europe/Amsterdam", now: "2026-10-25T12:00:00+01:00", at: "02:30", expected: "2026-10-25T02:30:00+02:00", ambiguous: true),
        Case(zone: "Europe/Amsterdam", now: "2026-10-25T12:00:00+01:00", at: "03:00", expected: "2026-10-25T03:00:00+01:00"),
        Case(zone: "Europe/Amsterdam", now: "2026-10-25T12:00:00+01:00", at: "03:30", expected: "2026-10-25T03:30:00+01:00"),
        // New York, spring forward: 02:00 EST becomes 03:00 EDT.
        Case(zone: "America/New_York", now: "2026-03-08T12:00:00-04:00", at: "01:30", expected: "2026-03-08T01:30:00-05:00"),
        Case(zone: "America/New_York", now: "2026-03-08T12:00:00-04:00", at: "02:30", expected: nil),
        Case(zone: "America/New_York", now: "2026-03-08T12:00:00-04:00", at: "03:30", expected: "2026-03-08T03:30:00-04:00"),
        Case(zone: "America/New_York", now: "2026-03-08T12:00:00-04:00", at: "05:30", expected: "2026-03-08T05:30:00-04:00"),
        // New York, fall back: 02:00 EDT becomes 01:00 EST; 01:00-01:59 happen twice.
        Case(zone: "America/New_York", now: "2026-11-01T12:00:00-05:00", at: "00:30", expected: "2026-11-01T00:30:00-04:00"),
        Case(zone: "America/New_York", now: "2026-11-01T12:00:00-05:00", at: "01:30", expected: "2026-11-01T01:30:00-04:00", ambiguous: true),
        Case(zone: "America/New_York", now: "2026-11-01T12:00:00-05:00", at: "03:30", expected: "2026-11-01T03:30:00-05:00"),
        Case(zone: "America/New_York", now: "2026-11-01T12:00:00-05:00", at: "05:30", expected: "2026-11-01T05:30:00-05:00"),
        // Just after midnight UTC, it is still the evening before in New York: HH:MM is that local day.
        Case(zone: "America/New_York", now: "2026-11-02T01:00:00Z", at: "19:06", expected: "2026-11-01T19:06:00-05:00"),
        // The form Firebreak shows, a local date and time.
        Case(zone: "Europe/Amsterdam", now: "2026-11-29T20:00:00+01:00", at: "2026-11-29 19:06", expected: "2026-11-29T19:06:00+01:00"),
        Case(zone: "Europe/Amsterdam", now: "2026-11-29T20:00:00+01:00", at: "2026-10-25 01:30", expected: "2026-10-25T01:30:00+02:00"),
        Case(zone: "Europe/Amsterdam", now: "2026-11-29T20:00:00+01:00", at: "2026-03-29 02:30", expected: nil),
        Case(zone: "America/New_York", now: "2026-11-29T20:00:00-05:00", at: "2026-03-08 05:30", expected: "2026-03-08T05:30:00-04:00"),
        // The form a Dutch status or report shows: day first.
        Case(zone: "Europe/Amsterdam", now: "2026-11-30T08:00:00+01:00", at: "30-11-2026 05:20", expected: "2026-11-30T05:20:00+01:00"),
        Case(zone: "Europe/Amsterdam", now: "2026-11-30T08:00:00+01:00", at: "25-10-2026 02:30", expected: "2026-10-25T02:30:00+02:00", ambiguous: true),
        Case(zone: "Europe/Amsterdam", now: "2026-11-30T08:00:00+01:00", at: "29-03-2026 02:30", expected: nil),
    ]

    @Test(arguments: cases)
    func localTimesTakeTheOffsetOfThatLocalTime(_ c: Case) throws {
        let zone = try #require(TimeZone(identifier: c.zone))
        let parsed = LocalTime.parse(c.at, now: Self.seconds(c.now), zone: zone)
        guard let expected = c.expected else {
            guard case .nonexistent = parsed else {
                Issue.record("expected '\(c.at)' to be refused as skipped, got \(parsed)")
                return
            }
            return
        }
        guard case .time(let seconds, let note) = parsed else {
            Issue.record("expected \(expected), got \(parsed)")
            return
        }
        #expect(WallClock.format(seconds, offset: LocalTime.offset(seconds, zone)) == expected)
        #expect((note != nil) == c.ambiguous)
    }

    @Test func messagesNameTheTimeTheDayAndTheZone() throws {
        let amsterdam = try #require(TimeZone(identifier: "Europe/Amsterdam"))
        #expect(LocalTime.parse("02:30", now: Self.seconds("2026-03-29T12:00:00+02:00"), zone: amsterdam) == .nonexistent(
            "--at '02:30' does not exist on 2026-03-29 in Europe/Amsterdam: the clocks are put forward over it; give a time after the change, or an ISO 8601 time with its offset"))
        let newYork = try #require(TimeZone(identifier: "America/New_York"))
        #expect(LocalTime.parse("01:30", now: Self.seconds("2026-11-01T12:00:00-05:00"), zone: newYork, option: "--began") == .time(
            Self.seconds("2026-11-01T01:30:00-04:00"),
            note: "--began '01:30' happens twice on 2026-11-01 in America/New_York (the clocks are put back); taken as the first, 2026-11-01T01:30:00-04:00; for the second give 2026-11-01T01:30:00-05:00"))
        #expect(LocalTime.parse("24:00", now: 0, zone: newYork) == .invalid)
        #expect(LocalTime.parse("2026-13-01 10:00", now: 0, zone: newYork) == .invalid)
        #expect(LocalTime.parse("01-13-2026 10:00", now: 0, zone: newYork) == .invalid)
        #expect(LocalTime.parse("1-11-2026 10:00", now: 0, zone: newYork) == .invalid)
        #expect(LocalTime.parse("１２:30", now: 0, zone: newYork) == .invalid)
    }

    /// Every zone, its change days of 2026 (zones without a change: Amsterdam's change days), every minute:
    /// each local time round-trips to an instant at that local time, and is refused exactly when no instant
    /// has it. The expected instants come from the zone's transitions, not from the sampling the code uses.
    /// The zones in eight parts, run in parallel.
    static let zoneParts = (0..<8).map { part in TimeZone.knownTimeZoneIdentifiers.enumerated().filter { $0.offset % 8 == part }.map(\.element) }

    @Test func everyZoneIsChecked() {
        #expect(Set(Self.zoneParts.joined()) == Set(TimeZone.knownTimeZoneIdentifiers))
        #expect(TimeZone.knownTimeZoneIdentifiers.count > 300)
    }

    @Test(arguments: zoneParts)
    func everyZoneEveryMinuteOfTheChangeDaysRoundTripsOrIsRefused(zones: [String]) throws {
        let yearStart = Self.seconds("2026-01-01T00:00:00Z"), yearEnd = Self.seconds("2027-01-01T00:00:00Z")
        var checked = 0, refused = 0, ambiguous = 0
        for identifier in zones {
            let zone = try #require(TimeZone(identifier: identifier))
            func offset(_ t: Int) -> Int { LocalTime.offset(t, zone) }
            func transitions(from: Int, to: Int) -> [Int] {
                var result: [Int] = []
                var after = Date(timeIntervalSince1970: TimeInterval(from))
                while let next = zone.nextDaylightSavingTimeTransition(after: after), Int(next.timeIntervalSince1970) < to {
                    result.append(Int(next.timeIntervalSince1970))
                    after = next
                }
                return result
            }
            var days = Set(transitions(from: yearStart, to: yearEnd).map { t in
                let local = t + offset(t)
                return local - ((local % 86_400) + 86_400) % 86_400
            })
            if days.isEmpty { days = [Self.seconds("2026-03-29T00:00:00Z"), Self.seconds("2026-10-25T00:00:00Z")] }
            for day in days.sorted() {
                // Intervals of one offset around the day, from the zone's transitions.
                let edges = [day - 3 * 86_400] + transitions(from: day - 3 * 86_400, to: day + 4 * 86_400) + [day + 4 * 86_400]
                let intervals = zip(edges, edges.dropFirst()).map { (start: $0, end: $1, offset: offset($0)) }
                let noon = day + 12 * 3600 - offset(day + 12 * 3600)
                // Every fifth minute: every zone's changes fall on whole five minutes, and a skipped or repeated stretch lasts 30 minutes at least.
                for minute in stride(from: 0, to: 1440, by: 5) {
                    let local = day + minute * 60
                    let expected = intervals.filter { $0.start <= local - $0.offset && local - $0.offset < $0.end }.map { local - $0.offset }.sorted()
                    let text = (minute < 600 ? "0" : "") + "\(minute / 60):" + (minute % 60 < 10 ? "0" : "") + "\(minute % 60)"
                    checked += 1
                    // Plain comparisons in this loop (a million cases); an issue only when one fails.
                    switch LocalTime.parse(text, now: noon, zone: zone) {
                    case .time(let seconds, let note):
                        if seconds + offset(seconds) != local || seconds != expected.first || (note != nil) != (expected.count > 1) {
                            Issue.record("\(identifier) \(text): got \(seconds) (note: \(note != nil)), expected \(expected)")
                        }
                        if note != nil { ambiguous += 1 }
                    case .nonexistent:
                        if !expected.isEmpty { Issue.record("\(identifier) \(text): refused, but it exists: \(expected)") }
                        refused += 1
                    case .invalid:
                        Issue.record("\(identifier) \(text): not parsed")
                    }
                }
            }
        }
        #expect(checked >= zones.count * 2 * 288)
        #expect(refused > 0 && ambiguous > 0, "each part has zones that change their clocks")
    }
}
