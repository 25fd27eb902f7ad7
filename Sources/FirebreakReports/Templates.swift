/// The built-in report layouts, as Mustache templates. Every value they receive is already
/// escaped for the layout's format (Markdown or HTML, see ``Markup``), so they use `{{{triple}}}`
/// braces. A user's `--template` gets the same data as the Markdown layout.
public enum ReportTemplates {
    /// Where the streamed timeline rows go in the built-in layout.
    public static let timelineMarker = "{{{timelineRows}}}"

    public static let postMortem = """
        # {{{reference}}}: {{{title}}}

        *{{{intro}}}* {{{introRest}}}

        | {{{t.heading.facts}}} | {{{t.heading.value}}} |
        |---|---|
        {{#facts}}
        | {{{name}}} | {{{value}}} |
        {{/facts}}

        ## {{{t.heading.keyMetrics}}}

        | {{{t.heading.metric}}} | {{{t.heading.value}}} |
        |---|---|
        {{#metrics}}
        | {{{name}}} | {{{value}}} |
        {{/metrics}}

        ## {{{t.heading.timeline}}}

        {{{timelineIntro}}}

        | {{{t.column.time}}} | {{{t.column.offset}}} | {{{t.column.who}}} | {{{t.column.what}}} |
        |---|---|---|---|
        {{{timelineRows}}}

        ## {{{t.heading.steps}}}

        | {{{t.column.state}}} | {{{t.column.round}}} | {{{t.column.step}}} | {{{t.column.owner}}} | {{{t.column.person}}} | {{{t.column.deadline}}} | {{{t.column.done}}} | {{{t.column.result}}} |
        |---|---|---|---|---|---|---|---|
        {{#steps}}
        | {{{state}}} | {{{round}}} | {{{step}}} | {{{owner}}} | {{{person}}} | {{{deadline}}} | {{{doneAt}}} | {{{result}}} |
        {{/steps}}
        {{#hasDuties}}

        ## {{{t.heading.duties}}}

        {{{t.duties.intro}}}

        | {{{t.column.duty}}} | {{{t.column.owner}}} | {{{t.column.person}}} | {{{t.column.deadline}}} | {{{t.column.done}}} | {{{t.column.result}}} |
        |---|---|---|---|---|---|
        {{#duties}}
        | {{{step}}} | {{{owner}}} | {{{person}}} | {{{deadline}}} | {{{doneAt}}} | {{{result}}} |
        {{/duties}}
        {{/hasDuties}}

        ## {{{t.heading.decisions}}}

        {{#hasDecisions}}
        | {{{t.column.time}}} | {{{t.column.step}}} | {{{t.column.choice}}} | {{{t.column.who}}} | {{{t.column.note}}} |
        |---|---|---|---|---|
        {{#decisions}}
        | {{{time}}} | {{{step}}} | {{{choice}}} | {{{who}}} | {{{note}}} |
        {{/decisions}}
        {{/hasDecisions}}
        {{^hasDecisions}}
        {{{t.decisions.none}}}
        {{/hasDecisions}}
        {{#hasCommunications}}

        ## {{{t.heading.communications}}}

        {{{communications}}}
        {{/hasCommunications}}

        ## {{{t.heading.statesOverTime}}}

        ```mermaid
        {{{gantt}}}
        ```
        {{#hasReach}}

        ## {{{t.heading.reach}}}

        {{{t.reach.intro}}}

        ```mermaid
        {{{reachMermaid}}}
        ```
        {{/hasReach}}
        {{#exercise}}

        ## {{{t.heading.exercise}}}

        ### {{{t.heading.objectives}}}

        | {{{t.column.inject}}} | {{{t.column.objective}}} | {{{t.column.deadline}}} | {{{t.column.result}}} | {{{t.column.when}}} |
        |---|---|---|---|---|
        {{#objectives}}
        | {{{inject}}} | {{{objective}}} | {{{deadline}}} | {{{result}}} | {{{when}}} |
        {{/objectives}}

        ### {{{t.heading.strengths}}}

        {{#strengths}}
        - {{{.}}}
        {{/strengths}}
        {{^strengths}}
        - {{{t.strengths.none}}}
        {{/strengths}}

        ### {{{t.heading.areasForImprovement}}}

        {{#improvements}}
        - {{{.}}}
        {{/improvements}}
        {{^improvements}}
        - {{{t.improvements.none}}}
        {{/improvements}}

        ### {{{t.heading.improvementPlan}}}

        | {{{t.column.areaForImprovement}}} | {{{t.column.correctiveAction}}} | {{{t.column.owner}}} | {{{t.column.due}}} |
        |---|---|---|---|
        |   |   |   |   |
        |   |   |   |   |
        {{/exercise}}

        ## {{{t.heading.summary}}}

        {{{t.prompt.summary}}}

        ## {{{t.heading.wentWell}}}

        {{{t.prompt.wentWell}}}

        ## {{{t.heading.wentWrong}}}

        {{{t.prompt.wentWrong}}}

        ## {{{t.heading.lucky}}}

        {{{t.prompt.lucky}}}

        ## {{{t.heading.surprised}}}

        {{{t.prompt.surprised}}}

        {{^exercise}}
        ## {{{t.heading.actionItems}}}

        | {{{t.column.action}}} | {{{t.column.owner}}} | {{{t.column.due}}} |
        |---|---|---|
        |   |   |   |
        |   |   |   |
        {{/exercise}}

        """

    /// The HTML layout: one self-contained file (no script, no external resource, styles in the file)
    /// that prints well, with the content of ``postMortem``. Its values are escaped for HTML.
    public static let html = """
        <!DOCTYPE html>
        <html lang="{{{language}}}">
        <head>
        <meta charset="utf-8">
        <meta name="generator" content="Firebreak">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{{reference}}}: {{{titleLine}}}</title>
        <style>
        body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d1d1d; line-height: 1.45; max-width: 64rem; margin: 2rem auto; padding: 0 1rem; }
        h1 { font-size: 1.6rem; }
        h2 { font-size: 1.25rem; border-bottom: 1px solid #ccc; padding-bottom: 0.2rem; margin-top: 2rem; }
        h3 { font-size: 1.05rem; }
        h1, h2, h3 { break-after: avoid; }
        table { border-collapse: collapse; width: 100%; margin: 0.5rem 0 1.2rem; font-size: 0.9rem; }
        th, td { border: 1px solid #bbb; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; overflow-wrap: break-word; }
        th { background: #eee; }
        tr { break-inside: avoid; }
        td:empty::after { content: "\\00a0"; }
        blockquote { border-left: 3px solid #bbb; margin: 0.5rem 0 1rem; padding: 0.1rem 0.9rem; }
        figure { margin: 1rem 0; }
        svg { max-width: 100%; height: auto; }
        .prompt { color: #555; }
        .blank td { height: 1.6rem; }
        @media print { body { margin: 0; max-width: none; font-size: 10pt; } h2 { margin-top: 1.2rem; } }
        </style>
        </head>
        <body>
        <h1>{{{reference}}}: {{{title}}}</h1>
        <p><em>{{{intro}}}</em> {{{introRest}}}</p>
        <table class="facts">
        <thead><tr><th>{{{t.heading.facts}}}</th><th>{{{t.heading.value}}}</th></tr></thead>
        <tbody>
        {{#facts}}
        <tr><td>{{{name}}}</td><td>{{{value}}}</td></tr>
        {{/facts}}
        </tbody>
        </table>

        <h2>{{{t.heading.keyMetrics}}}</h2>
        <table class="metrics">
        <thead><tr><th>{{{t.heading.metric}}}</th><th>{{{t.heading.value}}}</th></tr></thead>
        <tbody>
        {{#metrics}}
        <tr><td>{{{name}}}</td><td>{{{value}}}</td></tr>
        {{/metrics}}
        </tbody>
        </table>

        <h2>{{{t.heading.timeline}}}</h2>
        <p>{{{timelineIntro}}}</p>
        <table class="timeline">
        <thead><tr><th>{{{t.column.time}}}</th><th>{{{t.column.offset}}}</th><th>{{{t.column.who}}}</th><th>{{{t.column.what}}}</th></tr></thead>
        <tbody>
        {{{timelineRows}}}
        </tbody>
        </table>

        <h2>{{{t.heading.steps}}}</h2>
        <table class="steps">
        <thead><tr><th>{{{t.column.state}}}</th><th>{{{t.column.round}}}</th><th>{{{t.column.step}}}</th><th>{{{t.column.owner}}}</th><th>{{{t.column.person}}}</th><th>{{{t.column.deadline}}}</th><th>{{{t.column.done}}}</th><th>{{{t.column.result}}}</th></tr></thead>
        <tbody>
        {{#steps}}
        <tr><td>{{{state}}}</td><td>{{{round}}}</td><td>{{{step}}}</td><td>{{{owner}}}</td><td>{{{person}}}</td><td>{{{deadline}}}</td><td>{{{doneAt}}}</td><td>{{{result}}}</td></tr>
        {{/steps}}
        </tbody>
        </table>
        {{#hasDuties}}

        <h2>{{{t.heading.duties}}}</h2>
        <p>{{{t.duties.intro}}}</p>
        <table class="duties">
        <thead><tr><th>{{{t.column.duty}}}</th><th>{{{t.column.owner}}}</th><th>{{{t.column.person}}}</th><th>{{{t.column.deadline}}}</th><th>{{{t.column.done}}}</th><th>{{{t.column.result}}}</th></tr></thead>
        <tbody>
        {{#duties}}
        <tr><td>{{{step}}}</td><td>{{{owner}}}</td><td>{{{person}}}</td><td>{{{deadline}}}</td><td>{{{doneAt}}}</td><td>{{{result}}}</td></tr>
        {{/duties}}
        </tbody>
        </table>
        {{/hasDuties}}

        <h2>{{{t.heading.decisions}}}</h2>
        {{#hasDecisions}}
        <table class="decisions">
        <thead><tr><th>{{{t.column.time}}}</th><th>{{{t.column.step}}}</th><th>{{{t.column.choice}}}</th><th>{{{t.column.who}}}</th><th>{{{t.column.note}}}</th></tr></thead>
        <tbody>
        {{#decisions}}
        <tr><td>{{{time}}}</td><td>{{{step}}}</td><td>{{{choice}}}</td><td>{{{who}}}</td><td>{{{note}}}</td></tr>
        {{/decisions}}
        </tbody>
        </table>
        {{/hasDecisions}}
        {{^hasDecisions}}
        <p>{{{t.decisions.none}}}</p>
        {{/hasDecisions}}
        {{#hasCommunications}}

        <h2>{{{t.heading.communications}}}</h2>
        {{{communications}}}
        {{/hasCommunications}}

        <h2>{{{t.heading.statesOverTime}}}</h2>
        <table class="states">
        <thead><tr><th>{{{t.column.state}}}</th><th>{{{t.column.round}}}</th><th>{{{t.column.entered}}}</th><th>{{{t.column.left}}}</th><th>{{{t.column.duration}}}</th></tr></thead>
        <tbody>
        {{#visits}}
        <tr><td>{{{state}}}</td><td>{{{round}}}</td><td>{{{entered}}}</td><td>{{{left}}}</td><td>{{{duration}}}</td></tr>
        {{/visits}}
        </tbody>
        </table>
        {{#hasReach}}

        <h2>{{{t.heading.reach}}}</h2>
        <p>{{{t.reach.intro}}}</p>
        <figure class="reach">
        {{{reachSVG}}}
        </figure>
        {{/hasReach}}
        {{#exercise}}

        <h2>{{{t.heading.exercise}}}</h2>
        <h3>{{{t.heading.objectives}}}</h3>
        <table class="objectives">
        <thead><tr><th>{{{t.column.inject}}}</th><th>{{{t.column.objective}}}</th><th>{{{t.column.deadline}}}</th><th>{{{t.column.result}}}</th><th>{{{t.column.when}}}</th></tr></thead>
        <tbody>
        {{#objectives}}
        <tr><td>{{{inject}}}</td><td>{{{objective}}}</td><td>{{{deadline}}}</td><td>{{{result}}}</td><td>{{{when}}}</td></tr>
        {{/objectives}}
        </tbody>
        </table>

        <h3>{{{t.heading.strengths}}}</h3>
        <ul>
        {{#strengths}}
        <li>{{{.}}}</li>
        {{/strengths}}
        {{^strengths}}
        <li>{{{t.strengths.none}}}</li>
        {{/strengths}}
        </ul>

        <h3>{{{t.heading.areasForImprovement}}}</h3>
        <ul>
        {{#improvements}}
        <li>{{{.}}}</li>
        {{/improvements}}
        {{^improvements}}
        <li>{{{t.improvements.none}}}</li>
        {{/improvements}}
        </ul>

        <h3>{{{t.heading.improvementPlan}}}</h3>
        <table class="improvement-plan">
        <thead><tr><th>{{{t.column.areaForImprovement}}}</th><th>{{{t.column.correctiveAction}}}</th><th>{{{t.column.owner}}}</th><th>{{{t.column.due}}}</th></tr></thead>
        <tbody>
        <tr class="blank"><td></td><td></td><td></td><td></td></tr>
        <tr class="blank"><td></td><td></td><td></td><td></td></tr>
        </tbody>
        </table>
        {{/exercise}}

        <h2>{{{t.heading.summary}}}</h2>
        <p class="prompt">{{{t.prompt.summary}}}</p>

        <h2>{{{t.heading.wentWell}}}</h2>
        <p class="prompt">{{{t.prompt.wentWell}}}</p>

        <h2>{{{t.heading.wentWrong}}}</h2>
        <p class="prompt">{{{t.prompt.wentWrong}}}</p>

        <h2>{{{t.heading.lucky}}}</h2>
        <p class="prompt">{{{t.prompt.lucky}}}</p>

        <h2>{{{t.heading.surprised}}}</h2>
        <p class="prompt">{{{t.prompt.surprised}}}</p>

        {{^exercise}}
        <h2>{{{t.heading.actionItems}}}</h2>
        <table class="action-items">
        <thead><tr><th>{{{t.column.action}}}</th><th>{{{t.column.owner}}}</th><th>{{{t.column.due}}}</th></tr></thead>
        <tbody>
        <tr class="blank"><td></td><td></td><td></td></tr>
        <tr class="blank"><td></td><td></td><td></td></tr>
        </tbody>
        </table>
        {{/exercise}}
        </body>
        </html>

        """
}

/// Limits on a user's `--template`, checked before it is parsed and before it is rendered, so a hostile
/// or mistaken template is one clear error instead of a crash (deep nesting exhausts the parser's stack),
/// a hang or gigabytes of output (a list section inside another repeats it per item).
public enum TemplateLimits {
    /// The largest template text, in bytes.
    public static let maximumSize = 256 * 1024
    public static let maximumSizeText = "256 KiB"
    /// The deepest nesting of sections (`#`, `^`, `$`, `<`).
    public static let maximumDepth = 16
    /// The largest report a template may write, in bytes (an upper bound is computed before rendering).
    public static let maximumOutput = 64 << 20
    public static let maximumOutputText = "64 MiB"

    /// The first problem of the template's text: too large, nested too deep, or a `timeline` section
    /// inside a `timeline` section; `nil` when there is none. Syntax errors are left to the parser.
    public static func problem(in template: String) -> String? {
        if template.utf8.count > maximumSize {
            return "the template is larger than \(maximumSizeText); a report template is a small text file"
        }
        var problem: String?
        _ = scan(template) { event, sections, position in
            guard problem == nil, case .open(let name) = event else { return }
            if sections.count > maximumDepth {
                let (line, column) = position()
                problem = "the template nests sections more than \(maximumDepth) deep at line \(line), column \(column)"
            } else if name == "timeline", sections.dropLast().contains("timeline") {
                let (line, column) = position()
                problem = "the template has a 'timeline' section inside a 'timeline' section at line \(line), column \(column); the timeline can be listed, not repeated per event"
            }
        }
        return problem
    }

    /// An upper bound of the size of what `template` writes with `context`, in bytes: every list section
    /// repeated as often as the longest list of that name, every variable as long as the longest value of
    /// that name (six times that when escaped). The problem when it exceeds ``maximumOutput``.
    public static func outputProblem(in template: String, context: [String: Any]) -> String? {
        let bound = outputBound(of: template, context: context)
        guard bound > Double(maximumOutput) else { return nil }
        let mib = Int((bound / 1_048_576).rounded(.up))
        return "the template could write up to \(mib) MiB for this report (a list section inside another repeats it per item); a report is at most \(maximumOutputText)"
    }

    /// The upper bound ``outputProblem(in:context:)`` holds against ``maximumOutput``, in bytes.
    public static func outputBound(of template: String, context: [String: Any]) -> Double {
        var lists: [String: Int] = [:], values: [String: Int] = [:]
        func note(_ key: String, _ size: Int) { values[key] = max(values[key] ?? 0, size) }
        // A list or an object used as a variable renders as its description: bounded by its parts, each
        // string twice its length (escapes) plus quotes, each entry with room for its separators.
        @discardableResult
        func measure(_ value: Any, key: String) -> Int {
            var size: Int
            switch value {
            case let text as String:
                note(key, text.utf8.count)
                return 2 * text.utf8.count + 2
            case let dictionary as [String: Any]:
                size = 2
                for (k, v) in dictionary { size += 2 * k.utf8.count + 6 + measure(v, key: k) }
                note(".", size)
            case let array as [Any]:
                lists[key] = max(lists[key] ?? 0, array.count)
                size = 2
                for element in array { size += 2 + measure(element, key: ".") }
            default:
                size = "\(value)".utf8.count
            }
            note(key, size)
            return size
        }
        measure(context, key: ".")
        return scan(template, lists: lists, values: values) { _, _, _ in }
    }

    enum Event { case open(String), close }

    /// Walks the tags of a Mustache template (following `{{=<% %>=}}` changes of delimiters), calling
    /// `visit` on every section opened or closed with the names of the open sections (the new one included),
    /// and returns the output bound for the given list lengths and value sizes.
    @discardableResult
    static func scan(
        _ template: String, lists: [String: Int] = [:], values: [String: Int] = [:],
        visit: (Event, [String], () -> (line: Int, column: Int)) -> Void
    ) -> Double {
        let bytes = Array(template.utf8)
        var open = Array("{{".utf8), close = Array("}}".utf8)
        var sections: [String] = []
        var sizes: [Double] = [0]
        var index = 0
        func matches(_ token: [UInt8], at i: Int) -> Bool {
            i + token.count <= bytes.count && bytes[i..<(i + token.count)].elementsEqual(token)
        }
        func position(_ offset: Int) -> () -> (line: Int, column: Int) {
            {
                let before = bytes[..<offset]
                let line = before.reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
                let start = before.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
                return (line, String(decoding: bytes[start..<offset], as: UTF8.self).count + 1)
            }
        }
        /// `exercise.objectives` → `objectives`; `reversed(timeline)` → `timeline`.
        func key(_ raw: String) -> String {
            var name = String(raw.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
            if let open = name.lastIndex(of: "("), let close = name[open...].firstIndex(of: ")") {
                name = String(name[name.index(after: open)..<close])
            }
            if name != ".", let dot = name.lastIndex(of: ".") { name = String(name[name.index(after: dot)...]) }
            return name
        }
        while index < bytes.count {
            guard matches(open, at: index) else {
                sizes[sizes.count - 1] += 1
                index += 1
                continue
            }
            let tagStart = index
            var body = index + open.count
            var end = close
            if open == Array("{{".utf8), body < bytes.count, bytes[body] == UInt8(ascii: "{") {
                end = Array("}}}".utf8)
            }
            var cursor = body
            while cursor < bytes.count, !matches(end, at: cursor) { cursor += 1 }
            guard cursor < bytes.count else { break }  // unclosed tag: the parser reports it
            if end.count == 3 { body += 1 }
            if bytes[body..<cursor].contains(0x0A) || (body..<cursor).contains(where: { matches(open, at: $0) }) {
                // Not one tag: count the delimiter as text and read on from just after it.
                sizes[sizes.count - 1] += Double(open.count)
                index = tagStart + open.count
                continue
            }
            let content = String(decoding: bytes[body..<cursor], as: UTF8.self)
            index = cursor + end.count
            let sigil = content.first
            let name = key(String(content.dropFirst()))
            switch sigil {
            case "#", "^", "$", "<":
                sections.append(sigil == "#" ? name : "\(sigil!)\(name)")
                sizes.append(0)
                visit(.open(name), sections.map { $0.hasPrefix("^") || $0.hasPrefix("$") || $0.hasPrefix("<") ? "" : $0 }, position(tagStart))
            case "/":
                guard let section = sections.popLast(), sizes.count > 1 else { continue }
                let inner = sizes.removeLast()
                let repeats = section.hasPrefix("^") || section.hasPrefix("$") || section.hasPrefix("<") ? 1 : Double(max(1, lists[section] ?? 1))
                sizes[sizes.count - 1] += inner * repeats
                visit(.close, sections, position(tagStart))
            case "=":
                let parts = content.dropFirst().dropLast().split(separator: " ", omittingEmptySubsequences: true)
                if parts.count == 2 {
                    open = Array(parts[0].utf8)
                    close = Array(parts[1].utf8)
                }
            case "!", ">": break
            case "&": sizes[sizes.count - 1] += Double(values[name] ?? 0)
            default:
                if end.count == 3 {
                    sizes[sizes.count - 1] += Double(values[key(content)] ?? 0)
                } else {
                    sizes[sizes.count - 1] += 6 * Double(values[key(content)] ?? 0)
                }
            }
        }
        // Sections left open: count what they hold, as the parser will refuse them anyway.
        return sizes.reduce(0, +)
    }
}
