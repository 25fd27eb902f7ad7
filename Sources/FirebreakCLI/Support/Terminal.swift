import FirebreakApp
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writing to the terminal: colour only on a terminal and never with `NO_COLOR`.
enum Terminal {
    static var environment: [String: String] { Console.current.environment }

    static func isTerminal(_ fd: Int32) -> Bool { Console.current.isTerminal(fd) }

    static func colourEnabled(_ fd: Int32) -> Bool {
        guard isTerminal(fd) else { return false }
        if let value = environment["NO_COLOR"], !value.isEmpty { return false }
        return environment["TERM"] != "dumb"
    }

    enum Style: String {
        case red = "31", yellow = "33", green = "32", bold = "1", dim = "2", cyan = "36"
    }

    static func paint(_ text: String, _ style: Style, fd: Int32 = 1) -> String {
        colourEnabled(fd) ? "\u{1B}[\(style.rawValue)m\(text)\u{1B}[0m" : text
    }

    /// Writes to standard error without buffering surprises.
    static func error(_ text: String) {
        Console.current.error(text.hasSuffix("\n") ? text : text + "\n")
    }

    /// Writes to standard output.
    static func out(_ text: String) {
        Console.current.out(text.hasSuffix("\n") ? text : text + "\n")
    }

    /// Writes to standard output as it is, without a line break.
    static func write(_ text: String) { Console.current.out(text) }

    /// Removes control characters (escape sequences included) from untrusted text shown on a terminal.
    static func sanitize(_ text: String) -> String { UntrustedText.sanitize(text) }

    /// One line of untrusted text: newlines shown as `⏎`.
    static func oneLine(_ text: String) -> String { UntrustedText.oneLine(text) }
}
