// Internal: libyaml's C names stay out of this module's interface, so a client that also links
// another copy of libyaml (the Benchmarks package links Yams as a baseline) sees no clash.
internal import CLibYAML
import FirebreakCore

/// A YAML node with its position, as the loaders read it.
///
/// Built straight from the events of Debian's libyaml (module `CLibYAML`): no tags, no resolver, no
/// class per event, so reading a file costs little more than libyaml's own scanning. Aliases are
/// replaced by the node they name; the style of collections is kept, so a flow mapping
/// (`{ ... }`) is known as one.
enum Node: Sendable {
    case scalar(Scalar)
    case mapping(Mapping)
    case sequence(Sequence)

    struct Mark: Sendable, Equatable {
        var line: Int
        var column: Int
    }

    struct Scalar: Sendable {
        enum Style: Sendable { case plain, singleQuoted, doubleQuoted, literal, folded }
        var string: String
        var style: Style
        var mark: Mark
    }

    struct Mapping: Sendable, RandomAccessCollection {
        /// Keys and values, alternating, as the events came.
        var nodes: [Node]
        var isFlow: Bool
        var mark: Mark
        var startIndex: Int { 0 }
        var endIndex: Int { nodes.count / 2 }
        subscript(position: Int) -> (key: Node, value: Node) { (nodes[2 * position], nodes[2 * position + 1]) }
    }

    struct Sequence: Sendable, RandomAccessCollection {
        var nodes: [Node]
        var isFlow: Bool
        var mark: Mark
        var startIndex: Int { 0 }
        var endIndex: Int { nodes.count }
        subscript(position: Int) -> Node { nodes[position] }
    }

    /// The text of a scalar; `nil` for a collection.
    var string: String? {
        if case .scalar(let scalar) = self { scalar.string } else { nil }
    }

    /// The value of a mapping's key; `nil` when absent or not a mapping.
    subscript(key: String) -> Node? {
        guard case .mapping(let mapping) = self else { return nil }
        return mapping.first { $0.key.string == key }?.value
    }

    var mark: Mark {
        switch self {
        case .scalar(let scalar): scalar.mark
        case .mapping(let mapping): mapping.mark
        case .sequence(let sequence): sequence.mark
        }
    }
}

/// YAML text read once, to be loaded as a playbook or a scenario (a caller that must first tell
/// which does not read it twice).
public struct YAMLSource: Sendable {
    let root: Result<Node?, Diagnostic>
    /// Keys given twice in a mapping, each at its later occurrence (which the tree leaves out, so the rest of the
    /// file is checked as if it were not there): reported with everything else the file has wrong.
    let duplicateKeys: [Diagnostic]
    let text: String

    public init(_ text: String) {
        self.text = text
        (root, duplicateKeys) = YAMLText.compose(text)
    }

    /// The problems found in reading the YAML itself, when there is no tree to check further (a syntax error):
    /// that error and any key given twice before it, in order.
    var unreadable: [Diagnostic]? {
        guard case .failure(let error) = root else { return nil }
        return (duplicateKeys + [error]).sortedByLocation()
    }

    /// Whether this is a scenario rather than a playbook: it names a `playbook` or has `injects`.
    /// Text that is not valid YAML is judged by its lines.
    public var isScenario: Bool {
        guard case .success(let node) = root else {
            return text.contains("\ninjects:") || text.hasPrefix("injects:") || text.contains("\nplaybook:") || text.hasPrefix("playbook:")
        }
        return node?["playbook"] != nil || node?["injects"] != nil
    }
}

/// Turns YAML text into a ``Node`` tree, or one positioned diagnostic.
enum YAMLText {
    /// Deeper nesting is refused: no playbook or scenario needs it, and it keeps a hostile file
    /// from exhausting the stack when the tree is freed. Aliases count with the depth of what they name.
    static let maximumDepth = 64
    /// Aliases may repeat at most this many nodes in all, so a small file cannot stand for a huge tree.
    static let maximumAliasedNodes = 100_000

    /// The single document of `text` (`nil` when there is none), or the first problem that stops the reading; with
    /// it, every key given twice in a mapping (left out of the tree: the first occurrence stands).
    static func compose(_ text: String) -> (Result<Node?, Diagnostic>, duplicateKeys: [Diagnostic]) {
        var text = text
        return text.withUTF8 { all in
            // A UTF-8 byte-order mark is not text: positions count from after it, as editors show them.
            let bom = all.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
            let bytes = UnsafeBufferPointer(rebasing: all[bom...])
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else {
                return (.failure(.error("cannot read YAML: out of memory", at: SourceLocation(line: 1, column: 1))), [])
            }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            yaml_parser_set_input_string(&parser, bytes.baseAddress, bytes.count)
            var composer = Composer(bytes: bytes)
            let root = composer.run(&parser)
            return (root, composer.duplicateKeys)
        }
    }

    /// One open collection while its events arrive.
    private struct Frame {
        var isMapping: Bool
        var isFlow: Bool
        var mark: Node.Mark
        var anchor: String?
        var nodes: [Node] = []  // a mapping's keys and values, alternating
        /// Levels of collections, itself included (a scalar has 0), and the nodes it holds, itself included.
        var height = 1
        var size = 1
    }

    /// A node an anchor names, with its height and size, for the limits on aliases.
    private struct Anchored {
        var node: Node
        var height: Int
        var size: Int
    }

    private struct Composer {
        let bytes: UnsafeBufferPointer<UInt8>
        var stack: [Frame] = []
        var anchors: [String: Anchored] = [:]
        var aliasedNodes = 0
        var root: Node?
        var documents = 0
        /// Each key given twice in a mapping, at its later occurrence.
        var duplicateKeys: [Diagnostic] = []

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        mutating func run(_ parser: inout yaml_parser_t) -> Result<Node?, Diagnostic> {
            var event = yaml_event_t()
            while true {
                guard yaml_parser_parse(&parser, &event) == 1 else { return .failure(problem(parser)) }
                defer { yaml_event_delete(&event) }
                let mark = Node.Mark(line: event.start_mark.line + 1, column: event.start_mark.column + 1)
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return .success(root)
                case YAML_DOCUMENT_START_EVENT:
                    documents += 1
                    if documents > 1 {
                        return .failure(.error(
                            "YAML syntax error: expected a single document in the stream: but found another document", at: location(mark)))
                    }
                case YAML_SCALAR_EVENT:
                    let scalar = event.data.scalar
                    let value = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
                    let style: Node.Scalar.Style =
                        switch scalar.style {
                        case YAML_SINGLE_QUOTED_SCALAR_STYLE: .singleQuoted
                        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: .doubleQuoted
                        case YAML_LITERAL_SCALAR_STYLE: .literal
                        case YAML_FOLDED_SCALAR_STYLE: .folded
                        default: .plain
                        }
                    add(.scalar(Node.Scalar(string: value, style: style, mark: mark)), anchor: name(scalar.anchor), height: 0, size: 1)
                case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                    guard stack.count < YAMLText.maximumDepth else {
                        return .failure(.error("YAML nested more than \(YAMLText.maximumDepth) levels deep", at: location(mark)))
                    }
                    let isMapping = event.type == YAML_MAPPING_START_EVENT
                    let isFlow =
                        isMapping
                        ? event.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE
                        : event.data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE
                    let anchor = isMapping ? name(event.data.mapping_start.anchor) : name(event.data.sequence_start.anchor)
                    stack.append(Frame(isMapping: isMapping, isFlow: isFlow, mark: mark, anchor: anchor))
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    let frame = stack.removeLast()
                    let node: Node
                    if frame.isMapping {
                        node = .mapping(Node.Mapping(nodes: withoutDuplicateKeys(frame.nodes), isFlow: frame.isFlow, mark: frame.mark))
                    } else {
                        node = .sequence(Node.Sequence(nodes: frame.nodes, isFlow: frame.isFlow, mark: frame.mark))
                    }
                    add(node, anchor: frame.anchor, height: frame.height, size: frame.size)
                case YAML_ALIAS_EVENT:
                    guard let anchor = name(event.data.alias.anchor), let anchored = anchors[anchor] else {
                        return .failure(.error("YAML syntax error: found undefined alias", at: location(mark)))
                    }
                    if stack.count + anchored.height > YAMLText.maximumDepth {
                        return .failure(.error("YAML nested more than \(YAMLText.maximumDepth) levels deep", at: location(mark)))
                    }
                    aliasedNodes += anchored.size
                    if aliasedNodes > YAMLText.maximumAliasedNodes {
                        return .failure(.error(
                            "YAML aliases repeat more than \(YAMLText.maximumAliasedNodes) nodes; write the values out instead", at: location(mark)))
                    }
                    var node = anchored.node
                    if case .scalar(var scalar) = node {
                        scalar.mark = mark  // a key or value written as an alias is found where the alias is
                        node = .scalar(scalar)
                    }
                    add(node, anchor: nil, height: anchored.height, size: anchored.size)
                default:
                    break  // stream start, document end
                }
            }
        }

        /// Adds a finished node to the open collection, or makes it the root.
        mutating func add(_ node: Node, anchor: String?, height: Int, size: Int) {
            if let anchor { anchors[anchor] = Anchored(node: node, height: height, size: size) }
            if stack.isEmpty {
                root = node
            } else {
                stack[stack.count - 1].nodes.append(node)
                stack[stack.count - 1].height = max(stack[stack.count - 1].height, height + 1)
                stack[stack.count - 1].size += size
            }
        }

        /// A mapping's keys and values without the later occurrences of a key given twice, each of which is recorded in
        /// ``duplicateKeys``: the first occurrence stands, so the rest is checked as if the repeat were not there.
        mutating func withoutDuplicateKeys(_ nodes: [Node]) -> [Node] {
            guard nodes.count > 2 else { return nodes }
            // Mappings here hold a handful of keys: comparing with those before beats hashing; large ones use a set.
            let small = nodes.count <= 48
            var seen: Set<String> = []
            var repeated: [Int] = []
            var i = 0
            while i < nodes.count {
                if case .scalar(let key) = nodes[i] {
                    let again = small
                        ? stride(from: 0, to: i, by: 2).contains { if case .scalar(let earlier) = nodes[$0] { earlier.string == key.string } else { false } }
                        : !seen.insert(key.string).inserted
                    if again {
                        repeated.append(i)
                        duplicateKeys.append(.error("duplicate key '\(key.string)'; each key may appear once in a mapping", at: location(key.mark)))
                    }
                }
                i += 2
            }
            guard !repeated.isEmpty else { return nodes }
            var kept: [Node] = []
            kept.reserveCapacity(nodes.count - 2 * repeated.count)
            var next = 0
            for k in stride(from: 0, to: nodes.count, by: 2) {
                if next < repeated.count, repeated[next] == k {
                    next += 1
                    continue
                }
                kept.append(nodes[k])
                if k + 1 < nodes.count { kept.append(nodes[k + 1]) }
            }
            return kept
        }

        func name(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
            pointer.map { String(cString: UnsafePointer($0)) }
        }

        func location(_ mark: Node.Mark) -> SourceLocation {
            SourceLocation(line: max(1, mark.line), column: max(1, mark.column))
        }

        /// libyaml's error as one diagnostic.
        func problem(_ parser: yaml_parser_t) -> Diagnostic {
            let problem = parser.problem.map { String(cString: $0) } ?? "unknown problem"
            switch parser.error {
            case YAML_READER_ERROR:
                return .error("cannot read the file: \(problem)", at: lineColumn(ofByte: parser.problem_offset))
            case YAML_SCANNER_ERROR, YAML_PARSER_ERROR:
                let context = parser.context.map { String(cString: $0) + ": " } ?? ""
                let mark = Node.Mark(line: parser.problem_mark.line + 1, column: parser.problem_mark.column + 1)
                if problem.hasPrefix("Maximum nesting level reached") {
                    // libyaml after 0.2.5 (not Debian's, but the copy inside Yams) has a limit of its own,
                    // 1,000 levels, looked for ahead of its events; its message names a C function.
                    return .error("YAML nested more than \(YAMLText.maximumDepth) levels deep", at: location(mark))
                }
                return .error("YAML syntax error: \(context)\(problem)", at: location(mark))
            default:
                return .error("cannot read YAML: \(problem)", at: SourceLocation(line: 1, column: 1))
            }
        }

        /// Line and column (in characters) of a byte offset.
        func lineColumn(ofByte offset: Int) -> SourceLocation {
            var line = 1
            var column = 1
            var index = 0
            while index < min(offset, bytes.count) {
                if bytes[index] == 0x0A {
                    line += 1
                    column = 1
                } else if bytes[index] & 0xC0 != 0x80 {
                    column += 1
                }
                index += 1
            }
            return SourceLocation(line: line, column: column)
        }
    }
}
