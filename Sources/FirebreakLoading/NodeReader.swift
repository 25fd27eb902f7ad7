import FirebreakCore

/// Reads YAML nodes into typed values, collecting positioned diagnostics instead of throwing.
struct NodeReader {
    var diagnostics: [Diagnostic] = []
    /// Diagnostics after this many say what is wrong without looking for a suggestion.
    static let detailedLimit = 1_000

    func isFlow(_ node: Node) -> Bool {
        if case .mapping(let mapping) = node { mapping.isFlow } else { false }
    }

    static func location(_ node: Node) -> SourceLocation {
        SourceLocation(line: max(1, node.mark.line), column: max(1, node.mark.column))
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
        entries.reserveCapacity(mapping.count)
        var present = [Bool](repeating: false, count: allowed.count)
        var previousKey: String?
        /// Whether the previous key was itself a piece of a value cut at a comma: then `previousKey`
        /// still names the key whose value was cut, and further pieces belong to it too.
        var inCutValue = false
        var known: String?  // the list of allowed keys, written once for however many unknown keys
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode else {
                error("a key in \(what) must be a plain name, not \(Self.describe(keyNode))", keyNode)
                continue
            }
            let key = scalar.string
            if let index = allowed.firstIndex(of: key) {
                entries.append((key, keyNode, value))
                present[index] = true
            } else {
                var message = "unknown key '\(key)' in \(what)"
                if isFlow(node), Self.isNull(value), let previous = previousKey, inCutValue || key.contains(" ") || !Identifier.isValid(key) {
                    message += "; it looks like the rest of the value of '\(previous)', cut at a comma: quote that value"
                    error(message, keyNode)
                    inCutValue = true
                    continue
                } else if diagnostics.count >= Self.detailedLimit {
                    // Past what anyone reads (the command line prints 100 per file), no suggestions:
                    // a file of a hundred thousand unknown keys must not cost seconds.
                } else if let suggestion = Identifier.suggestion(for: key, among: allowed) {
                    message += "; did you mean '\(suggestion)'?"
                } else {
                    if known == nil { known = quotedList(allowed) }
                    message += "; known keys are \(known!)"
                }
                error(message, keyNode)
            }
            previousKey = key
            inCutValue = false
        }
        for key in required where !(allowed.firstIndex(of: key).map { present[$0] } ?? false) {
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
