/// A 1-based line and column in a source file.
public struct SourceLocation: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.line, lhs.column) < (rhs.line, rhs.column)
    }

    public var description: String { "\(line):\(column)" }
}

/// A value together with the place in the source it was read from.
public struct Located<Value: Sendable & Equatable>: Sendable, Equatable {
    public var value: Value
    public var location: SourceLocation

    public init(_ value: Value, at location: SourceLocation) {
        self.value = value
        self.location = location
    }
}

/// One problem found in a playbook or scenario file.
///
/// Rendered as `FILE:LINE:COLUMN: error: MESSAGE`.
public struct Diagnostic: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable, Equatable {
        case error
        case warning
    }

    public var severity: Severity
    public var location: SourceLocation
    public var message: String

    public init(_ severity: Severity, at location: SourceLocation, _ message: String) {
        self.severity = severity
        self.location = location
        self.message = message
    }

    public static func error(_ message: String, at location: SourceLocation) -> Diagnostic {
        Diagnostic(.error, at: location, message)
    }

    public static func warning(_ message: String, at location: SourceLocation) -> Diagnostic {
        Diagnostic(.warning, at: location, message)
    }

    public var description: String { "\(location): \(severity.rawValue): \(message)" }
}

extension Array where Element == Diagnostic {
    /// Whether any diagnostic is an error (warnings do not stop a file from loading).
    public var hasErrors: Bool { contains { $0.severity == .error } }

    /// Diagnostics in file order; stable for equal positions.
    public func sortedByLocation() -> [Diagnostic] {
        enumerated().sorted { a, b in
            a.element.location == b.element.location ? a.offset < b.offset : a.element.location < b.element.location
        }.map(\.element)
    }
}

/// Identifier rules shared by every id in the formats.
public enum Identifier {
    /// Whether `text` matches `^[a-z0-9][a-z0-9-]*$`.
    public static func isValid(_ text: String) -> Bool {
        var first = true
        for byte in text.utf8 {
            let ok = (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || (!first && byte == 0x2D)
            if !ok { return false }
            first = false
        }
        return !first
    }

    /// The candidate closest to `word` by edit distance, when it is close enough to be a likely typo.
    public static func suggestion(for word: String, among candidates: some Sequence<String>) -> String? {
        var best: (String, Int)?
        let length = word.count
        for candidate in candidates {
            let limit = max(1, (min(length, candidate.count) + 2) / 3)
            // The distance is at least the difference in length: most words need no comparing.
            if abs(length - candidate.count) > limit { continue }
            let distance = editDistance(word, candidate)
            if distance <= limit, distance < (best?.1 ?? .max) { best = (candidate, distance) }
        }
        if let best { return best.0 }
        // A short form of one id: `comms` for `comms-lead`, `lead` for `comms-lead` (one whole part, only one such id).
        guard length >= 3 else { return nil }
        let parts = candidates.filter { $0.split(separator: "-").contains { $0 == word } }
        return parts.count == 1 ? parts[0] : nil
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var beforePrevious = Array(0...b.count)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = Swift.min(current[j], beforePrevious[j - 2] + 1)
                }
            }
            (beforePrevious, previous, current) = (previous, current, beforePrevious)
        }
        return previous[b.count]
    }
}

/// Quotes a list of names the way messages show them: `'a', 'b'`.
public func quotedList(_ names: some Sequence<String>) -> String {
    let parts = names.map { "'\($0)'" }
    return parts.isEmpty ? "none" : parts.joined(separator: ", ")
}
