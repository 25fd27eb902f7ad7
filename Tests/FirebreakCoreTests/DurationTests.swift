import FirebreakCore
import Testing

@Suite struct DurationTests {
    typealias Problem = DurationText.Problem

    @Test(arguments: [
        ("15m", 900),
        ("1h30m", 5_400),
        ("2d", 172_800),
        ("45s", 45),
        ("1d2h3m4s", 93_784),
        ("90m", 5_400),
        ("1d1s", 86_401),
        ("0d1h", 3_600),
        ("007m", 420),
        ("36500d", 36_500 * 86_400),
    ])
    func validDurationsParseToSeconds(_ text: String, _ seconds: Int) {
        #expect(DurationText.parse(text) == .success(seconds))
    }

    @Test(arguments: [
        ("", Problem.malformed),
        ("m", .malformed),
        ("15", .malformed),
        ("1h30", .malformed),
        ("30m1h", .malformed),
        ("1h1h", .malformed),
        ("1h 30m", .malformed),
        (" 15m", .malformed),
        ("15m ", .malformed),
        ("15M", .malformed),
        ("15min", .malformed),
        ("1.5h", .malformed),
        ("-5m", .malformed),
        ("+5m", .malformed),
        ("1w", .malformed),
        ("h1", .malformed),
        ("１5m", .malformed),  // a full-width digit
        ("0m", .zero),
        ("0s", .zero),
        ("0d0h0m0s", .zero),
        ("36501d", .tooLarge),
        ("36500d1s", .tooLarge),
        ("99999999999m", .tooLarge),
        ("999999999999999999999999s", .tooLarge),
    ])
    func badDurationsAreRefusedWithTheirProblem(_ text: String, _ problem: Problem) {
        #expect(DurationText.parse(text) == .failure(problem))
    }

    @Test func zeroIsAllowedOnlyWhenAsked() {
        #expect(DurationText.parse("0m", allowZero: true) == .success(0))
        #expect(DurationText.parse("", allowZero: true) == .failure(.malformed))
    }

    @Test(arguments: [
        (0, "0m"),
        (1, "1s"),
        (59, "59s"),
        (60, "1m"),
        (900, "15m"),
        (3_600, "1h"),
        (5_400, "1h30m"),
        (86_400, "1d"),
        (172_800, "2d"),
        (93_784, "1d2h3m4s"),
        (90_000, "1d1h"),
        (-900, "-15m"),
    ])
    func secondsFormatInTheSameNotation(_ seconds: Int, _ text: String) {
        #expect(DurationText.format(seconds) == text)
    }

    @Test(arguments: [1, 59, 61, 3_599, 3_601, 86_399, 86_401, 1_000_000, 36_500 * 86_400])
    func formattedDurationsParseBack(_ seconds: Int) {
        #expect(DurationText.parse(DurationText.format(seconds)) == .success(seconds))
    }

    @Test(arguments: [
        (0, "T+0:00"),
        (300, "T+0:05"),
        (3_900, "T+1:05"),
        (36_000, "T+10:00"),
        (90_000, "T+25:00"),
        (3_661, "T+1:01:01"),
        (-60, "T-0:01"),
        (-3_605, "T-1:00:05"),
    ])
    func offsetsFormatAsAClock(_ seconds: Int, _ text: String) {
        #expect(DurationText.clock(seconds) == text)
    }
}
