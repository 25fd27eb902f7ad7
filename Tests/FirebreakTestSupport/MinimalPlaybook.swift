/// A small valid playbook, one line per element, for tests that break it one line at a time.
///
/// Line numbers (1-based) are stable: ``replacing(_:)`` swaps whole lines without adding any,
/// and ``appending(_:)`` adds lines after line 25, so positions can be read off this listing.
///
/// ```
///  1 firebreak: 1
///  2 id: minimal
///  3 title: Minimal playbook
///  4 roles:
///  5   lead: { title: Lead, escalates-to: boss }
///  6   boss: { title: Boss }
///  7 commander: lead
///  8 start: open
///  9 states:
/// 10   open:
/// 11     steps:
/// 12       - { id: check, title: Check, owner: lead, due: 15m }
/// 13       - { id: act, title: Act, owner: lead, needs: [check], due: 1h }
/// 14     on:
/// 15       resolve: { to: closed, when: all-done }
/// 16       worsen: review
/// 17     after:
/// 18       4h: review
/// 19   review:
/// 20     steps:
/// 21       - { id: brief, title: Brief the boss, owner: boss, due: 30m }
/// 22     on:
/// 23       resolve: closed
/// 24   closed:
/// 25     final: true
/// ```
public enum MinimalPlaybook {
    public static let lines: [String] = [
        "firebreak: 1",
        "id: minimal",
        "title: Minimal playbook",
        "roles:",
        "  lead: { title: Lead, escalates-to: boss }",
        "  boss: { title: Boss }",
        "commander: lead",
        "start: open",
        "states:",
        "  open:",
        "    steps:",
        "      - { id: check, title: Check, owner: lead, due: 15m }",
        "      - { id: act, title: Act, owner: lead, needs: [check], due: 1h }",
        "    on:",
        "      resolve: { to: closed, when: all-done }",
        "      worsen: review",
        "    after:",
        "      4h: review",
        "  review:",
        "    steps:",
        "      - { id: brief, title: Brief the boss, owner: boss, due: 30m }",
        "    on:",
        "      resolve: closed",
        "  closed:",
        "    final: true",
    ]

    /// The valid text.
    public static var text: String { lines.joined(separator: "\n") + "\n" }

    /// The text with whole lines replaced: `[12: "..."]` puts the new text on line 12.
    public static func replacing(_ replacements: [Int: String]) -> String {
        var lines = lines
        for (line, text) in replacements {
            precondition(!text.contains("\n"), "a replacement is one line, so line numbers stay put")
            lines[line - 1] = text
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The text with lines added at the end (line 26 onwards), after optional replacements.
    public static func appending(_ extra: [String], replacing replacements: [Int: String] = [:]) -> String {
        replacing(replacements) + extra.joined(separator: "\n") + "\n"
    }
}
