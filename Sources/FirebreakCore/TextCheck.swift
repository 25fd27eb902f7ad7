/// Something in a statement's text that a team should look at before it goes out.
public struct TextFinding: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        /// A `[...]` left from a template: publication is refused.
        case placeholder
        /// A word that presents a guess as fact: a warning.
        case speculation
        /// One of the audience's `avoid` words: a warning.
        case avoid
    }

    public var kind: Kind
    /// The placeholder or the words, as written in the text.
    public var text: String
    /// 1-based line of the text where it starts.
    public var line: Int

    public init(_ kind: Kind, _ text: String, line: Int) {
        self.kind = kind
        self.text = text
        self.line = line
    }
}

/// The checks made on every statement text (at each draft, revision and publication): the one place
/// that says what a placeholder is and which words are warned about. The words are in ``WordLists``.
public enum TextCheck {
    /// Everything found in `text`, in text order: placeholders, speculation, and the `avoid` words given.
    public static func findings(_ text: String, avoid: [String] = []) -> [TextFinding] {
        var found = placeholders(text).map { TextFinding(.placeholder, $0.text, line: $0.line) }
        let tokens = words(text)
        var phrases: [(words: [Substring], kind: TextFinding.Kind)] = []
        for (_, list) in WordLists.speculation { for phrase in list { phrases.append((split(phrase), .speculation)) } }
        for phrase in avoid { phrases.append((split(phrase), .avoid)) }
        var matches: [(start: Int, finding: TextFinding)] = []
        for (phrase, kind) in phrases where !phrase.isEmpty {
            var i = 0
            while i + phrase.count <= tokens.count {
                if (0..<phrase.count).allSatisfy({ tokens[i + $0].lower == phrase[$0] }) {
                    let first = tokens[i]
                    let last = tokens[i + phrase.count - 1]
                    let written = String(text[first.range.lowerBound..<last.range.upperBound])
                    if !matches.contains(where: { $0.start == i && $0.finding.kind == kind }) {
                        matches.append((i, TextFinding(kind, written, line: first.line)))
                    }
                    i += phrase.count
                } else {
                    i += 1
                }
            }
        }
        matches.sort { $0.start < $1.start }
        found += matches.map(\.finding)
        return found.enumerated().sorted { ($0.element.line, $0.offset) < ($1.element.line, $1.offset) }.map(\.element)
    }

    /// The `[...]` placeholders of `text`: square brackets around 1 to 40 characters with no bracket inside.
    public static func placeholders(_ text: String) -> [(text: String, line: Int)] {
        // Every draft of every Monte Carlo run comes here: most texts have no bracket at all, and
        // most others are ASCII, where a character is a byte (but "\r\n", one character).
        var copy = text
        let ascii = copy.withUTF8 { bytes -> [(text: String, line: Int)]? in
            guard bytes.contains(0x5B) else { return [] }
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
            return asciiPlaceholders(bytes)
        }
        return ascii ?? characterPlaceholders(text)
    }

    /// ``placeholders(_:)`` of an ASCII text, byte by byte.
    static func asciiPlaceholders(_ bytes: UnsafeBufferPointer<UInt8>) -> [(text: String, line: Int)] {
        // Character.isNewline in ASCII: \n, \v, \f, \r.
        func isNewline(_ byte: UInt8) -> Bool { (0x0A...0x0D).contains(byte) }
        var result: [(String, Int)] = []
        var line = 1
        var index = 0
        let count = bytes.count
        while index < count {
            let c = bytes[index]
            if c == 0x5B {
                var end = index + 1
                var length = 0
                var lines = 0
                while end < count, bytes[end] != 0x5D, bytes[end] != 0x5B, length <= 40 {
                    if isNewline(bytes[end]) { lines += 1 }
                    length += 1
                    end += bytes[end] == 0x0D && end + 1 < count && bytes[end + 1] == 0x0A ? 2 : 1
                }
                if end < count, bytes[end] == 0x5D, (1...40).contains(length) {
                    result.append((String(decoding: UnsafeBufferPointer(rebasing: bytes[index...end]), as: UTF8.self), line))
                    line += lines
                    index = end + 1
                    continue
                }
            }
            if isNewline(c) { line += 1 }
            index += c == 0x0D && index + 1 < count && bytes[index + 1] == 0x0A ? 2 : 1
        }
        return result
    }

    /// ``placeholders(_:)`` of any text, character by character.
    static func characterPlaceholders(_ text: String) -> [(text: String, line: Int)] {
        var result: [(String, Int)] = []
        var line = 1
        var index = text.startIndex
        while index < text.endIndex {
            let c = text[index]
            if c == "[" {
                var end = text.index(after: index)
                var count = 0
                var lines = 0
                while end < text.endIndex, text[end] != "]", text[end] != "[", count <= 40 {
                    if text[end].isNewline { lines += 1 }
                    count += 1
                    end = text.index(after: end)
                }
                if end < text.endIndex, text[end] == "]", (1...40).contains(count) {
                    result.append((String(text[index...end]), line))
                    line += lines
                    index = text.index(after: end)
                    continue
                }
            }
            if c.isNewline { line += 1 }
            index = text.index(after: index)
        }
        return result
    }

    /// Whether `text` still has a placeholder.
    public static func hasPlaceholder(_ text: String) -> Bool { !placeholders(text).isEmpty }

    struct Word {
        var range: Range<String.Index>
        var lower: Substring
        var line: Int
    }

    /// The words of a text: runs of letters, digits and apostrophes inside a word.
    static func words(_ text: String) -> [Word] {
        var result: [Word] = []
        var line = 1
        var start: String.Index?
        var index = text.startIndex
        func close(at end: String.Index) {
            guard let s = start else { return }
            var e = end
            while e > s, text[text.index(before: e)] == "'" || text[text.index(before: e)] == "’" { e = text.index(before: e) }
            if e > s { result.append(Word(range: s..<e, lower: Substring(text[s..<e].lowercased().replacingApostrophes()), line: line)) }
            start = nil
        }
        while index < text.endIndex {
            let c = text[index]
            if c.isLetter || c.isNumber || ((c == "'" || c == "’") && start != nil) {
                if start == nil { start = index }
            } else {
                close(at: index)
                if c.isNewline { line += 1 }
            }
            index = text.index(after: index)
        }
        close(at: text.endIndex)
        return result
    }

    static func split(_ phrase: String) -> [Substring] {
        words(phrase).map(\.lower)
    }
}

extension String {
    fileprivate func replacingApostrophes() -> String {
        contains("’") ? String(map { $0 == "’" ? "'" : $0 }) : self
    }
}
