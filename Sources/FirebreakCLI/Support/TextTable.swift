import FirebreakApp
/// Left-aligned columns for terminal output.
enum TextTable {
    static func render(_ rows: [[String]]) -> String {
        guard let first = rows.first else { return "" }
        var widths = [Int](repeating: 0, count: first.count)
        for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        var out = ""
        for (index, row) in rows.enumerated() {
            if index > 0 { out += "\n" }
            append(row, widths: widths, to: &out)
        }
        return out
    }

    /// One row, each cell but the last padded to its column's width: for tables written a row at a time.
    static func line(_ row: [String], widths: [Int]) -> String {
        var out = ""
        append(row, widths: widths, to: &out)
        return out
    }

    static func append(_ row: [String], widths: [Int], to out: inout String) {
        for (i, cell) in row.enumerated() {
            if i > 0 { out += "  " }
            out += cell
            if i < row.count - 1, i < widths.count {
                for _ in 0..<max(0, widths[i] - cell.count) { out += " " }
            }
        }
    }
}
