/// Left-aligned columns for terminal output.
enum TextTable {
    static func render(_ rows: [[String]]) -> String {
        guard let first = rows.first else { return "" }
        var widths = [Int](repeating: 0, count: first.count)
        for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        return rows.map { line($0, widths: widths) }.joined(separator: "\n")
    }

    /// One row, each cell but the last padded to its column's width: for tables written a row at a time.
    static func line(_ row: [String], widths: [Int]) -> String {
        row.enumerated().map { i, cell in
            i == row.count - 1 || i >= widths.count ? cell : cell + String(repeating: " ", count: max(0, widths[i] - cell.count))
        }.joined(separator: "  ")
    }
}
