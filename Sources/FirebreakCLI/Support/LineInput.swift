import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a read of the facilitator's input gave.
enum LineEvent: Equatable {
    case line(String)
    /// The time given ran out before a whole line came (`drill play --clock`).
    case timeout
    /// End of input (Ctrl-D on an empty line, a closed pipe).
    case end
    /// Ctrl-C at the prompt.
    case interrupt
}

/// The facilitator's lines for `drill play`: from the console (in-process tests), from a pipe or
/// file with a time limit, or from a terminal with line editing, history and completion.
protocol LineInput {
    /// The next line; with `timeout` (seconds), ``LineEvent/timeout`` when none came in time.
    /// Text typed before a timeout is kept for the next read.
    mutating func read(prompt: String, timeout: Double?) -> LineEvent
    /// Shows output while a line may be half typed (the editor redraws it below).
    mutating func show(_ text: String)
    /// Gives the terminal back as it was.
    mutating func close()
}

/// The console's lines, as in-process tests give them; no time limit (a read waits for a line).
struct ConsoleLines: LineInput {
    let interactive: Bool

    mutating func read(prompt: String, timeout: Double?) -> LineEvent {
        if interactive { Terminal.write(prompt) }
        return Console.current.readLine().map(LineEvent.line) ?? .end
    }

    mutating func show(_ text: String) { Terminal.out(text) }
    mutating func close() {}
}

/// Standard input that is not a terminal (a pipe, a file), read with `poll` so a read can time out.
struct PipeLines: LineInput {
    let fd: Int32
    private var pending: [UInt8] = []
    private var ended = false

    init(fd: Int32 = 0) { self.fd = fd }

    mutating func read(prompt: String, timeout: Double?) -> LineEvent {
        let deadline = timeout.map { Date().timeIntervalSince1970 + $0 }
        while true {
            if let newline = pending.firstIndex(of: 10) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                return .line(line)
            }
            if ended {
                guard !pending.isEmpty else { return .end }
                defer { pending = [] }
                return .line(String(decoding: pending, as: UTF8.self))
            }
            let left = deadline.map { max(0, $0 - Date().timeIntervalSince1970) }
            switch waitForInput(fd, seconds: left) {
            case .timeout: return .timeout
            case .ready:
                var buffer = [UInt8](repeating: 0, count: 4096)
                let count = Foundation.read(fd, &buffer, buffer.count)
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { ended = true } else { pending += buffer[..<count] }
            }
        }
    }

    mutating func show(_ text: String) { Terminal.out(text) }
    mutating func close() {}
}

enum Readiness { case ready, timeout }

/// Waits until `fd` can be read (or is closed), or `seconds` have passed (nil: no limit).
func waitForInput(_ fd: Int32, seconds: Double?) -> Readiness {
    var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    while true {
        let milliseconds = seconds.map { Int32(min($0 * 1000, Double(Int32.max)).rounded(.up)) } ?? -1
        let result = poll(&descriptor, 1, milliseconds)
        if result < 0 && errno == EINTR { continue }
        return result == 0 ? .timeout : .ready
    }
}

/// A key as the line editor sees it.
enum Key: Equatable {
    case text(String)
    case enter, backspace, delete, left, right, home, end, up, down, tab
    case killLine  // Ctrl-U
    case endOfInput  // Ctrl-D
    case interrupt  // Ctrl-C
    case ignored

    /// The keys in `bytes`, and how many bytes of an incomplete sequence at its end were left.
    static func parse(_ bytes: [UInt8]) -> (keys: [Key], rest: [UInt8]) {
        var keys: [Key] = []
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            switch byte {
            case 13, 10: keys.append(.enter); i += 1
            case 127, 8: keys.append(.backspace); i += 1
            case 9: keys.append(.tab); i += 1
            case 1: keys.append(.home); i += 1
            case 5: keys.append(.end); i += 1
            case 21: keys.append(.killLine); i += 1
            case 4: keys.append(.endOfInput); i += 1
            case 3: keys.append(.interrupt); i += 1
            case 27:
                // ESC [ X, ESC O X, ESC [ 3 ~ (delete), ESC [ 1 ~ / 4 ~ (home, end)
                guard i + 2 < bytes.count else { return (keys, Array(bytes[i...])) }
                let kind = bytes[i + 1], code = bytes[i + 2]
                if kind == UInt8(ascii: "[") || kind == UInt8(ascii: "O") {
                    switch code {
                    case UInt8(ascii: "A"): keys.append(.up); i += 3
                    case UInt8(ascii: "B"): keys.append(.down); i += 3
                    case UInt8(ascii: "C"): keys.append(.right); i += 3
                    case UInt8(ascii: "D"): keys.append(.left); i += 3
                    case UInt8(ascii: "H"): keys.append(.home); i += 3
                    case UInt8(ascii: "F"): keys.append(.end); i += 3
                    case UInt8(ascii: "0")...UInt8(ascii: "9"):
                        guard let tilde = bytes[(i + 2)...].firstIndex(of: UInt8(ascii: "~")) else {
                            return (keys, Array(bytes[i...]))
                        }
                        switch bytes[i + 2] {
                        case UInt8(ascii: "3"): keys.append(.delete)
                        case UInt8(ascii: "1"), UInt8(ascii: "7"): keys.append(.home)
                        case UInt8(ascii: "4"), UInt8(ascii: "8"): keys.append(.end)
                        default: keys.append(.ignored)
                        }
                        i = tilde + 1
                    default: keys.append(.ignored); i += 3
                    }
                } else {
                    keys.append(.ignored)
                    i += 2
                }
            case 0..<32: keys.append(.ignored); i += 1
            default:
                // One UTF-8 character; an incomplete one waits for its next bytes.
                let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
                guard i + length <= bytes.count else { return (keys, Array(bytes[i...])) }
                keys.append(.text(String(decoding: bytes[i..<(i + length)], as: UTF8.self)))
                i += length
            }
        }
        return (keys, [])
    }
}

/// The line being typed, with history and completion: pure, so every key is testable.
struct LineEditing {
    private(set) var text: [Character] = []
    private(set) var cursor = 0
    private(set) var history: [String] = []
    /// Where in the history Up/Down are (history.count: the line being typed).
    private var place = 0
    private var draft: [Character] = []

    /// The words a word can be completed to, given the words before it.
    var completions: ([String]) -> [String] = { _ in [] }

    enum Outcome: Equatable {
        case edited
        case submit(String)
        case end
        case interrupt
        /// Tab with several possible words: show them.
        case choices([String])
    }

    var line: String { String(text) }

    mutating func apply(_ key: Key) -> Outcome {
        switch key {
        case .text(let typed):
            text.insert(contentsOf: typed, at: cursor)
            cursor += typed.count
        case .enter:
            let submitted = line
            if !submitted.trimmingCharacters(in: .whitespaces).isEmpty && history.last != submitted { history.append(submitted) }
            text = []
            cursor = 0
            place = history.count
            return .submit(submitted)
        case .backspace:
            if cursor > 0 {
                text.remove(at: cursor - 1)
                cursor -= 1
            }
        case .delete:
            if cursor < text.count { text.remove(at: cursor) }
        case .left: cursor = max(0, cursor - 1)
        case .right: cursor = min(text.count, cursor + 1)
        case .home: cursor = 0
        case .end: cursor = text.count
        case .killLine:
            text.removeSubrange(..<cursor)
            cursor = 0
        case .up:
            guard place > 0 else { break }
            if place == history.count { draft = text }
            place -= 1
            text = Array(history[place])
            cursor = text.count
        case .down:
            guard place < history.count else { break }
            place += 1
            text = place == history.count ? draft : Array(history[place])
            cursor = text.count
        case .tab:
            return complete()
        case .endOfInput:
            if text.isEmpty { return .end }
            if cursor < text.count { text.remove(at: cursor) }
        case .interrupt:
            text = []
            cursor = 0
            return .interrupt
        case .ignored:
            break
        }
        return .edited
    }

    /// Completes the word before the cursor: to the one word that fits, or to the longest start the
    /// words that fit share (and shows them).
    mutating func complete() -> Outcome {
        let before = String(text[..<cursor])
        let words = before.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        let partial = before.hasSuffix(" ") || before.isEmpty ? "" : (words.last ?? "")
        let previous = partial.isEmpty ? words : Array(words.dropLast())
        let fitting = completions(previous).filter { $0.hasPrefix(partial) }
        guard !fitting.isEmpty else { return .edited }
        var common = fitting[0]
        for word in fitting.dropFirst() { common = String(common.commonPrefix(with: word)) }
        var addition = String(common.dropFirst(partial.count))
        if fitting.count == 1 { addition += " " }
        text.insert(contentsOf: addition, at: cursor)
        cursor += addition.count
        return fitting.count > 1 && addition.isEmpty ? .choices(fitting) : .edited
    }
}

/// A terminal's standard input in raw mode, edited with ``LineEditing``; the terminal is given back
/// as it was by ``close()``.
struct TerminalLines: LineInput {
    var editing = LineEditing()
    private var saved = termios()
    private var raw = false
    private var pending: [UInt8] = []
    private var prompt = ""
    private var drawn = false

    init(completions: @escaping ([String]) -> [String]) {
        editing.completions = completions
        if tcgetattr(0, &saved) == 0 {
            var settings = saved
            settings.c_lflag &= ~tcflag_t(ICANON | ECHO | ISIG)
            settings.c_iflag &= ~tcflag_t(ICRNL | IXON)
            raw = tcsetattr(0, TCSANOW, &settings) == 0
        }
    }

    /// The prompt and the line, the cursor where it is in the line.
    private mutating func redraw() {
        let line = editing.line
        let back = line.count - editing.cursor
        Terminal.write("\r\u{1B}[K" + prompt + Terminal.oneLine(line) + (back > 0 ? "\u{1B}[\(back)D" : ""))
        drawn = true
    }

    mutating func read(prompt: String, timeout: Double?) -> LineEvent {
        self.prompt = prompt
        redraw()
        let deadline = timeout.map { Date().timeIntervalSince1970 + $0 }
        while true {
            let left = deadline.map { max(0, $0 - Date().timeIntervalSince1970) }
            if waitForInput(0, seconds: left) == .timeout { return .timeout }
            var buffer = [UInt8](repeating: 0, count: 256)
            let count = Foundation.read(0, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return .end }
            let (keys, rest) = Key.parse(pending + buffer[..<count])
            pending = rest
            for key in keys {
                switch editing.apply(key) {
                case .edited: redraw()
                case .submit(let line):
                    Terminal.write("\r\u{1B}[K" + prompt + Terminal.oneLine(line) + "\n")
                    drawn = false
                    return .line(line)
                case .end:
                    Terminal.write("\n")
                    drawn = false
                    return .end
                case .interrupt:
                    Terminal.write("^C\n")
                    drawn = false
                    return .interrupt
                case .choices(let words):
                    Terminal.write("\n" + words.joined(separator: "  ") + "\n")
                    redraw()
                }
            }
        }
    }

    mutating func show(_ text: String) {
        if drawn {
            Terminal.write("\r\u{1B}[K" + text + "\n")
            redraw()
        } else {
            Terminal.out(text)
        }
    }

    mutating func close() {
        if raw { tcsetattr(0, TCSANOW, &saved) }
        raw = false
    }
}
