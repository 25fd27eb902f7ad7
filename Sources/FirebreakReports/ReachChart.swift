import FirebreakCore

/// Reach over time in an exercise, with the team's publications and state changes marked: the data of
/// the chart, drawn as a Mermaid `xychart-beta` in Markdown and as an inline SVG in HTML.
///
/// Reach is a step function: the last `reach` an inject gave, 0 before the first.
public struct ReachChart: Sendable, Equatable {
    public struct Mark: Sendable, Equatable {
        public enum Kind: Sendable, Equatable { case publication, state }
        public var at: Int
        public var kind: Kind
        /// `S1 (press)` for a publication, `→ distance` for a state entered (ids only).
        public var label: String
    }

    /// T+0 of the chart.
    public var start: Int
    /// The end of the exercise (its close, else its last event).
    public var end: Int
    public var points: [(at: Int, reach: Int)]
    public var marks: [Mark]

    public static func == (lhs: ReachChart, rhs: ReachChart) -> Bool {
        lhs.start == rhs.start && lhs.end == rhs.end && lhs.marks == rhs.marks
            && lhs.points.map(\.at) == rhs.points.map(\.at) && lhs.points.map(\.reach) == rhs.points.map(\.reach)
    }

    /// Reach at a moment.
    public func reach(at moment: Int) -> Int {
        points.last { $0.at <= moment }?.reach ?? 0
    }

    public var maximum: Int { points.map(\.reach).max() ?? 0 }

    /// An id as it may appear in a chart: playbook ids are lower-case words with hyphens; anything else
    /// (never in a checked playbook) is left out rather than escaped into Mermaid's syntax.
    static func safe(_ id: String) -> String? {
        id.isEmpty || !id.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }) ? nil : id
    }

    // MARK: Markdown

    /// The Mermaid block's body: one category per moment that matters (reach changes, publications, states
    /// entered), labelled with its offset and marks; a line of reach; a bar of reach at each publication.
    public func mermaid(title: String, axis: String) -> String {
        var moments = Set(points.map(\.at)).union(marks.map(\.at))
        moments.insert(start)
        let sorted = moments.filter { $0 >= start }.sorted()
        let labels = sorted.map { moment -> String in
            let marked = marks.filter { $0.at == moment }.map(\.label)
            return "\"" + ([DurationText.clock(moment - start)] + marked).joined(separator: " ") + "\""
        }
        let line = sorted.map { "\(reach(at: $0))" }
        let bar = sorted.map { moment in marks.contains { $0.at == moment && $0.kind == .publication } ? "\(reach(at: moment))" : "0" }
        return [
            "xychart-beta",
            "    title \"\(title)\"",
            "    x-axis [\(labels.joined(separator: ", "))]",
            "    y-axis \"\(axis)\" 0 --> \(max(1, maximum))",
            "    bar [\(bar.joined(separator: ", "))]",
            "    line [\(line.joined(separator: ", "))]",
        ].joined(separator: "\n")
    }

    // MARK: HTML

    /// The chart as an SVG drawing: reach as a stepped line over time, publications as dashed vertical lines
    /// labelled above the plot, states entered as dotted ones labelled below it.
    public func svg(title: String, axis: String) -> String {
        let width = 720, height = 340
        let left = 70.0, right = Double(width) - 20, top = 40.0, bottom = Double(height) - 70
        let span = max(end, points.last?.at ?? end, marks.last?.at ?? end)
        let x = SVG.Scale(from: Double(start)...Double(max(span, start + 60)), to: left, right)
        let yTop = SVG.niceCeiling(Double(maximum))
        let y = SVG.Scale(from: 0...yTop, to: bottom, top)
        var out = [SVG.open(width: width, height: height, label: title)]
        out.append(SVG.text(title, x: left, y: 18, size: 14, class: "chart-title"))
        // Axes and gridlines.
        for fraction in [0.0, 0.5, 1.0] {
            let value = yTop * fraction
            out.append(SVG.line(x1: left, y1: y(value), x2: right, y2: y(value), stroke: fraction == 0 ? "#444" : "#ddd", class: fraction == 0 ? "axis" : "grid"))
            out.append(SVG.text(Self.count(value), x: left - 6, y: y(value) + 4, anchor: .end))
        }
        out.append(SVG.line(x1: left, y1: top, x2: left, y2: bottom, stroke: "#444", class: "axis"))
        out.append(SVG.text(axis, x: 12, y: top - 8))
        out.append(SVG.text(DurationText.clock(0), x: left, y: bottom + 16, anchor: .middle))
        out.append(SVG.text(DurationText.clock(span - start), x: right, y: bottom + 16, anchor: .middle))
        // Marks: publications above, states below, each with its moment in a tooltip; a label close to the
        // one before it of its kind goes one line further out, so labels do not overlap.
        var lastLabel: [ReachChart.Mark.Kind: (x: Double, line: Int)] = [:]
        for mark in marks where mark.at >= start {
            let position = x(Double(mark.at))
            let when = DurationText.clock(mark.at - start)
            let line = lastLabel[mark.kind].map { position - $0.x < 80 ? ($0.line + 1) % 2 : 0 } ?? 0
            lastLabel[mark.kind] = (position, line)
            switch mark.kind {
            case .publication:
                out.append(SVG.line(x1: position, y1: top, x2: position, y2: bottom, stroke: "#c0392b", width: 1.5, dash: "5 3", class: "publication", title: "\(when) \(mark.label)"))
                out.append(SVG.text(mark.label, x: position, y: top - 6 - 12 * Double(line), anchor: .middle, fill: "#c0392b", class: "publication-label"))
            case .state:
                out.append(SVG.line(x1: position, y1: top, x2: position, y2: bottom, stroke: "#2c6fbb", dash: "2 3", class: "state", title: "\(when) \(mark.label)"))
                out.append(SVG.text(mark.label, x: position, y: bottom + 32 + 13 * Double(line), anchor: .middle, fill: "#2c6fbb", class: "state-label"))
            }
        }
        // Reach, stepped: flat until the next value, then straight up or down.
        var line: [(x: Double, y: Double)] = [(x(Double(start)), y(0))]
        var last = 0
        for point in points where point.at >= start {
            line.append((x(Double(point.at)), y(Double(last))))
            line.append((x(Double(point.at)), y(Double(point.reach))))
            last = point.reach
        }
        line.append((x(Double(span)), y(Double(last))))
        out.append(SVG.polyline(line, stroke: "#222", width: 2, class: "reach"))
        for point in points where point.at >= start {
            out.append("<circle class=\"reach-point\" cx=\"\(SVG.number(x(Double(point.at))))\" cy=\"\(SVG.number(y(Double(point.reach))))\" r=\"3\" fill=\"#222\"><title>\(DurationText.clock(point.at - start)): \(point.reach)</title></circle>")
        }
        out.append(SVG.close)
        return out.joined(separator: "\n")
    }

    /// 12000 → `12k`, 2500000 → `2.5M`: short labels for the axis.
    static func count(_ value: Double) -> String {
        if value >= 1_000_000 { return SVG.number(value / 1_000_000) + "M" }
        if value >= 10_000 { return SVG.number(value / 1000) + "k" }
        return SVG.number(value)
    }
}

extension PostMortem {
    /// The reach chart of an exercise whose injects gave reach; nil otherwise.
    public var reachChart: ReachChart? {
        guard !analysis.reach.isEmpty else { return nil }
        let start = exercise?.base ?? analysis.openedAt ?? analysis.reach[0].at
        var marks: [ReachChart.Mark] = []
        for statement in analysis.communications.statements {
            guard let published = statement.published else { continue }
            let label = [ReachChart.safe(statement.id), ReachChart.safe(statement.audience).map { "(\($0))" }].compactMap { $0 }.joined(separator: " ")
            marks.append(ReachChart.Mark(at: published.at, kind: .publication, label: label))
        }
        for visit in analysis.visits.dropFirst() {
            marks.append(ReachChart.Mark(at: visit.enteredAt, kind: .state, label: "→ " + (ReachChart.safe(visit.state) ?? "?")))
        }
        // Stable order: by time, publications before states at the same moment.
        marks = marks.enumerated().sorted { a, b in
            (a.element.at, a.element.kind == .publication ? 0 : 1, a.offset) < (b.element.at, b.element.kind == .publication ? 0 : 1, b.offset)
        }.map(\.element)
        let end = analysis.closedAt ?? exercise.map { $0.base + $0.scenario.end }
            ?? max(analysis.visits.last?.enteredAt ?? start, analysis.reach.last?.at ?? start, marks.last?.at ?? start)
        return ReachChart(start: start, end: end, points: analysis.reach, marks: marks)
    }
}
