import FirebreakCore
import Yams

/// Reads Yams nodes into typed values, collecting positioned diagnostics instead of throwing.
struct NodeReader {
    var diagnostics: [Diagnostic] = []
    /// The source, to tell flow mappings (`{ ... }`) from block ones: Yams does not keep the style.
    let lines: [Substring]

    init(text: String) {
        lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    }

    func isFlow(_ node: Node) -> Bool {
        guard let mark = node.mark, mark.line >= 1, mark.line <= lines.count else { return false }
        let line = lines[mark.line - 1].unicodeScalars
        guard let index = line.index(line.startIndex, offsetBy: mark.column - 1, limitedBy: line.endIndex), index < line.endIndex else { return false }
        return line[index] == "{"
    }

    static func location(_ node: Node) -> SourceLocation {
        guard let mark = node.mark else { return SourceLocation(line: 1, column: 1) }
        return SourceLocation(line: mark.line, column: mark.column)
    }

    mutating func error(_ message: String, _ node: Node) {
        diagnostics.append(.error(message, at: Self.location(node)))
    }

    mutating func error(_ message: String, at location: SourceLocation) {
        diagnostics.append(.error(message, at: location))
    }

    static func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node else { return false }
        return scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    static func describe(_ node: Node) -> String {
        switch node {
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .scalar: isNull(node) ? "nothing" : "a scalar"
        case .alias: "an alias"
        }
    }

    /// The entries of a mapping, after checking keys: unknown keys (with a suggestion), missing required keys.
    mutating func mapping(
        _ node: Node, _ what: String, allowed: [String], required: [String] = []
    ) -> [(key: String, keyNode: Node, value: Node)]? {
        guard case .mapping(let mapping) = node else {
            error("\(what) must be a mapping, not \(Self.describe(node))", node)
            return nil
        }
        var entries: [(key: String, keyNode: Node, value: Node)] = []
        var present: Set<String> = []
        var previousKey: String?
        /// Whether the previous key was itself a piece of a value cut at a comma: then `previousKey`
        /// still names the key whose value was cut, and further pieces belong to it too.
        var inCutValue = false
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode else {
                error("a key in \(what) must be a plain name, not \(Self.describe(keyNode))", keyNode)
                continue
            }
            let key = scalar.string
            if allowed.contains(key) {
                entries.append((key, keyNode, value))
                present.insert(key)
            } else {
                var message = "unknown key '\(key)' in \(what)"
                if isFlow(node), Self.isNull(value), let previous = previousKey, inCutValue || key.contains(" ") || !Identifier.isValid(key) {
                    message += "; it looks like the rest of the value of '\(previous)', cut at a comma: quote that value"
                    error(message, keyNode)
                    inCutValue = true
                    continue
                } else if let suggestion = Identifier.suggestion(for: key, among: allowed) {
                    message += "; did you mean '\(suggestion)'?"
                } else {
                    message += "; known keys are \(quotedList(allowed))"
                }
                error(message, keyNode)
            }
            previousKey = key
            inCutValue = false
        }
        for key in required where !present.contains(key) {
            error("\(what) is missing required key '\(key)'", node)
        }
        return entries
    }

    /// A mapping whose keys are names (ids): ordered entries with the key's position.
    mutating func namedMapping(_ node: Node, _ what: String) -> [(key: Located<String>, value: Node)]? {
        guard case .mapping(let mapping) = node else {
            error("\(what) must be a mapping, not \(Self.describe(node))", node)
            return nil
        }
        var result: [(key: Located<String>, value: Node)] = []
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode else {
                error("a key in \(what) must be a plain name, not \(Self.describe(keyNode))", keyNode)
                continue
            }
            result.append((Located(scalar.string, at: Self.location(keyNode)), value))
        }
        return result
    }

    mutating func string(_ node: Node, _ what: String) -> String? {
        guard case .scalar(let scalar) = node else {
            error("\(what) must be text, not \(Self.describe(node))", node)
            return nil
        }
        if Self.isNull(node) {
            error("\(what) is empty; give a value", node)
            return nil
        }
        return scalar.string
    }

    /// Text with the trailing line breaks of a block scalar (`|`) removed.
    mutating func text(_ node: Node, _ what: String) -> String? {
        string(node, what).map { value in
            var value = value
            while let last = value.last, last.isNewline || last == " " { value.removeLast() }
            return value
        }
    }

    mutating func located(_ node: Node, _ what: String) -> Located<String>? {
        string(node, what).map { Located($0, at: Self.location(node)) }
    }

    mutating func bool(_ node: Node, _ what: String) -> Bool? {
        if case .scalar(let scalar) = node, scalar.style == .plain {
            if scalar.string == "true" { return true }
            if scalar.string == "false" { return false }
        }
        error("\(what) must be true or false", node)
        return nil
    }

    mutating func int(_ node: Node, _ what: String) -> Located<Int>? {
        if case .scalar(let scalar) = node, scalar.style == .plain, let value = Int(scalar.string) {
            return Located(value, at: Self.location(node))
        }
        error("\(what) must be a whole number", node)
        return nil
    }

    mutating func duration(_ text: String, at location: SourceLocation, _ what: String, allowZero: Bool = false) -> Int? {
        switch DurationText.parse(text, allowZero: allowZero) {
        case .success(let seconds): return seconds
        case .failure(.zero): error("\(what) '\(text)' is zero; give a positive duration such as '15m'", at: location)
        case .failure(.tooLarge): error("\(what) '\(text)' is too long; at most 100 years", at: location)
        case .failure(.malformed):
            error("\(what) '\(text)' is not a duration; write it as '15m', '1h30m' or '2d' (units d, h, m, s in that order)", at: location)
        }
        return nil
    }

    mutating func duration(_ node: Node, _ what: String, allowZero: Bool = false) -> Int? {
        guard let text = string(node, what) else { return nil }
        return duration(text, at: Self.location(node), what, allowZero: allowZero)
    }

    /// A list of names; a single scalar is accepted as a list of one.
    mutating func nameList(_ node: Node, _ what: String) -> [Located<String>]? {
        switch node {
        case .sequence(let sequence):
            return sequence.compactMap { located($0, "an entry of \(what)") }
        case .scalar where !Self.isNull(node):
            return located(node, what).map { [$0] }
        default:
            error("\(what) must be a list of names, not \(Self.describe(node))", node)
            return nil
        }
    }
}

/// Turns YAML text into a node tree, or a positioned syntax diagnostic.
enum YAMLText {
    static func compose(_ text: String) -> Result<Node?, Diagnostic> {
        do {
            // The basic resolver: every scalar stays text (no YAML 1.1 booleans for `on`, `yes`, no regex
            // matching per scalar); the readers decide what a value means.
            return .success(try Yams.compose(yaml: text, .basic))
        } catch let error as YamlError {
            return .failure(diagnostic(for: error, in: text))
        } catch {
            return .failure(.error("cannot read YAML: \(error)", at: SourceLocation(line: 1, column: 1)))
        }
    }

    static func diagnostic(for error: YamlError, in text: String) -> Diagnostic {
        func at(_ mark: Mark) -> SourceLocation { SourceLocation(line: max(1, mark.line), column: max(1, mark.column)) }
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
            let prefix = context.map { "\($0.text): " } ?? ""
            return .error("YAML syntax error: \(prefix)\(problem)", at: at(mark))
        case let .reader(problem, offset, _, _):
            let location = offset.map { lineColumn(ofUTF8Offset: $0, in: text) } ?? SourceLocation(line: 1, column: 1)
            return .error("cannot read the file: \(problem)", at: location)
        case let .duplicatedKeysInMapping(duplicates, context):
            let key = duplicates.first ?? "?"
            let location = secondOccurrence(of: key, after: context.mark, in: text) ?? at(context.mark)
            return .error("duplicate key '\(key)'; each key may appear once in a mapping", at: location)
        default:
            return .error("cannot read YAML: \(error)", at: SourceLocation(line: 1, column: 1))
        }
    }

    /// Yams points a duplicate key at its first occurrence; find the repeat in the same mapping.
    static func secondOccurrence(of key: String, after mark: Mark, in text: String) -> SourceLocation? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.unicodeScalars) }
        guard mark.line >= 1, mark.line <= lines.count else { return nil }
        let spellings = [key, "'\(key)'", "\"\(key)\""].map { Array(($0 + ":").unicodeScalars) }
        func keyAt(_ line: [Unicode.Scalar], _ column: Int) -> Bool {
            let start = column - 1
            return spellings.contains { spelling in
                start >= 0 && line.count >= start + spelling.count && Array(line[start..<start + spelling.count]) == spelling
            }
        }
        // Same line, further along (flow mappings).
        let first = lines[mark.line - 1]
        var column = mark.column + key.unicodeScalars.count
        while column <= first.count {
            if keyAt(first, column), column == 1 || [" ", "{", ","].contains(first[column - 2]) {
                return SourceLocation(line: mark.line, column: column)
            }
            column += 1
        }
        // Later lines at the same indentation (block mappings); stop where the mapping ends.
        for index in mark.line..<lines.count {
            let line = lines[index]
            var indent = line.prefix { $0 == " " || $0 == "-" }.count
            while indent > 0 && line[indent - 1] == "-" { indent -= 1 }
            let content = line.dropFirst(line.prefix { $0 == " " }.count)
            if content.isEmpty || content.first == "#" { continue }
            if keyAt(line, mark.column) { return SourceLocation(line: index + 1, column: mark.column) }
            if indent + 1 < mark.column && !(line.count >= mark.column && line[..<(mark.column - 1)].allSatisfy { $0 == " " || $0 == "-" }) {
                return nil
            }
        }
        return nil
    }

    static func lineColumn(ofUTF8Offset offset: Int, in text: String) -> SourceLocation {
        var line = 1, column = 1, index = 0
        for scalar in text.unicodeScalars {
            if index >= offset { break }
            index += String(scalar).utf8.count
            if scalar == "\n" { line += 1; column = 1 } else { column += 1 }
        }
        return SourceLocation(line: line, column: column)
    }
}
