import Synchronization

/// libqrencode's choice of mask, made on bit rows. libqrencode scores each of the eight masks
/// module by module (the penalty rules N1 to N4 of ISO/IEC 18004), which took 90% of its time
/// for a ticket's version-13 symbol. This scores them exactly as libqrencode 4 does, 64 modules
/// at a time where the rules allow, so the symbol is the one libqrencode would have made.
struct MaskChoice {
    static let words = 3 // 177 modules, the widest symbol, fit in three 64-bit words.

    /// The symbol libqrencode encoded with mask 0, one byte per module: bit 0 dark, bit 7 set for
    /// modules that are not data (and so are never masked), bit 2 for format information.
    let width: Int
    private let base: [UInt64], data: [UInt64], baseColumns: [UInt64], dataColumns: [UInt64]

    init(maskZeroFrame frame: UnsafeBufferPointer<UInt8>, width: Int) {
        self.width = width
        var base = [UInt64](repeating: 0, count: width * Self.words), data = base, baseColumns = base, dataColumns = base
        for y in 0..<width {
            for x in 0..<width {
                let module = frame[y * width + x]
                let isData = module & 0x80 == 0
                // Undo mask 0 on data modules: the unmasked frame libqrencode scores from.
                let dark = (module & 1 == 1) != (isData && (x + y) & 1 == 0)
                if dark {
                    base[y * Self.words + x / 64] |= 1 << UInt64(x % 64)
                    baseColumns[x * Self.words + y / 64] |= 1 << UInt64(y % 64)
                }
                if isData {
                    data[y * Self.words + x / 64] |= 1 << UInt64(x % 64)
                    dataColumns[x * Self.words + y / 64] |= 1 << UInt64(y % 64)
                }
            }
        }
        self.base = base
        self.data = data
        self.baseColumns = baseColumns
        self.dataColumns = dataColumns
    }

    /// The mask with the lowest penalty (the first of equals, as libqrencode) and its modules.
    func best() -> (mask: Int, modules: [Bool]) {
        let layout = Layout.of(width: width)
        var bestMask = 0, bestDemerit = Int.max, bestRows: [UInt64] = []
        var runs = [Int](repeating: 0, count: width + 2)
        for mask in 0..<8 {
            let rows = masked(base, data, layout.patternRows[mask], layout.formatPositionRows, layout.formatRows[mask])
            let columns = masked(baseColumns, dataColumns, layout.patternColumns[mask], layout.formatPositionColumns,
                                 layout.formatColumns[mask])
            let squares = width * width
            let blacks = rows.reduce(0) { $0 + $1.nonzeroBitCount }
            let ratio = (200 * blacks + squares) / squares / 2
            var demerit = (abs(ratio - 50) / 5) * 10
            demerit += sameSquares(rows) * 3
            for line in 0..<width {
                demerit += runPenalty(rows, line, &runs)
                demerit += runPenalty(columns, line, &runs)
            }
            if demerit < bestDemerit {
                bestDemerit = demerit
                bestMask = mask
                bestRows = rows
            }
        }
        var modules = [Bool](repeating: false, count: width * width)
        for y in 0..<width {
            for x in 0..<width { modules[y * width + x] = bestRows[y * Self.words + x / 64] >> UInt64(x % 64) & 1 == 1 }
        }
        return (bestMask, modules)
    }

    private func masked(_ base: [UInt64], _ data: [UInt64], _ pattern: [UInt64], _ formatPositions: [UInt64],
                        _ format: [UInt64]) -> [UInt64] {
        var result = base
        for index in result.indices {
            result[index] = ((base[index] ^ (pattern[index] & data[index])) & ~formatPositions[index]) | format[index]
        }
        return result
    }

    /// N2: 2x2 blocks of one colour, counted on each row with the row above.
    private func sameSquares(_ rows: [UInt64]) -> Int {
        var count = 0
        for y in 1..<width {
            var carryUpper: UInt64 = 0, carryLower: UInt64 = 0
            for word in 0..<Self.words {
                let upper = rows[(y - 1) * Self.words + word], lower = rows[y * Self.words + word]
                // Bit x of a shifted row holds module x - 1.
                let upperLeft = upper << 1 | carryUpper, lowerLeft = lower << 1 | carryLower
                carryUpper = upper >> 63
                carryLower = lower >> 63
                let same = ~(upper ^ upperLeft) & ~(lower ^ lowerLeft) & ~(upper ^ lower)
                count += (same & validFromOne(word)).nonzeroBitCount
            }
        }
        return count
    }

    /// Bits of modules 1 ..< width in word `word`.
    private func validFromOne(_ word: Int) -> UInt64 {
        let low = word * 64, high = min(width, low + 64)
        guard high > low else { return 0 }
        let count = high - low
        var bits: UInt64 = count == 64 ? ~0 : (1 << UInt64(count)) - 1
        if word == 0 { bits &= ~1 }
        return bits
    }

    /// N1 and N3 of one row (or column), from its runs as libqrencode lists them: a leading -1
    /// when the line starts dark, so dark runs sit at odd indices.
    private func runPenalty(_ lines: [UInt64], _ line: Int, _ runs: inout [Int]) -> Int {
        let offset = line * Self.words
        var head = 0
        let firstDark = lines[offset] & 1 == 1
        if firstDark {
            runs[0] = -1
            head = 1
        }
        var start = 0
        var carry: UInt64 = lines[offset] & 1
        for word in 0..<Self.words {
            let bits = lines[offset + word]
            var changes = (bits ^ (bits << 1 | carry)) & validFromOne(word)
            carry = bits >> 63
            while changes != 0 {
                let position = word * 64 + changes.trailingZeroBitCount
                runs[head] = position - start
                head += 1
                start = position
                changes &= changes - 1
            }
        }
        runs[head] = width - start
        let length = head + 1

        var demerit = 0
        for index in 0..<length {
            let run = runs[index]
            if run >= 5 { demerit += 3 + (run - 5) }
            if index & 1 == 1, index >= 3, index < length - 2, run % 3 == 0 {
                let fact = run / 3
                if runs[index - 2] == fact, runs[index - 1] == fact, runs[index + 1] == fact, runs[index + 2] == fact {
                    if index == 3 || runs[index - 3] >= 4 * fact {
                        demerit += 40
                    } else if index + 4 >= length || runs[index + 3] >= 4 * fact {
                        demerit += 40
                    }
                }
            }
        }
        return demerit
    }

    /// What depends only on the width: the eight mask patterns and where the format information
    /// goes, in row and in column form. Computed once per width.
    struct Layout: Sendable {
        let patternRows: [[UInt64]], patternColumns: [[UInt64]]
        let formatPositionRows: [UInt64], formatPositionColumns: [UInt64]
        let formatRows: [[UInt64]], formatColumns: [[UInt64]]

        private static let cache = Mutex<[Int: Layout]>([:])

        static func of(width: Int) -> Layout {
            if let layout = cache.withLock({ $0[width] }) { return layout }
            let layout = Layout(width: width)
            cache.withLock { $0[width] = layout }
            return layout
        }

        /// Format information at error correction M for masks 0 to 7 (ISO/IEC 18004 table C.1).
        static let formatM: [UInt32] = [0x5412, 0x5125, 0x5E7C, 0x5B4B, 0x45F9, 0x40CE, 0x4F97, 0x4AA0]

        /// libqrencode's mask conditions: a data module is flipped where the condition is true.
        static func flips(_ mask: Int, x: Int, y: Int) -> Bool {
            switch mask {
            case 0: (x + y) & 1 == 0
            case 1: y & 1 == 0
            case 2: x % 3 == 0
            case 3: (x + y) % 3 == 0
            case 4: ((y / 2) + (x / 3)) & 1 == 0
            case 5: ((x * y) & 1) + (x * y) % 3 == 0
            case 6: (((x * y) & 1) + (x * y) % 3) & 1 == 0
            default: (((x * y) % 3) + ((x + y) & 1)) & 1 == 0
            }
        }

        /// The 30 modules of the format information, bit by bit, as libqrencode writes them.
        static func formatModules(width: Int) -> [(bit: Int, x: Int, y: Int)] {
            var modules: [(Int, Int, Int)] = []
            for i in 0..<8 {
                modules.append((i, width - 1 - i, 8))
                modules.append((i, 8, i < 6 ? i : i + 1))
            }
            for i in 0..<7 {
                modules.append((8 + i, 8, width - 7 + i))
                modules.append((8 + i, i == 0 ? 7 : 6 - i, 8))
            }
            return modules
        }

        private init(width: Int) {
            let size = width * MaskChoice.words
            func set(_ bits: inout [UInt64], line: Int, at position: Int) {
                bits[line * MaskChoice.words + position / 64] |= 1 << UInt64(position % 64)
            }
            var patternRows: [[UInt64]] = [], patternColumns: [[UInt64]] = []
            for mask in 0..<8 {
                var rows = [UInt64](repeating: 0, count: size), columns = rows
                for y in 0..<width {
                    for x in 0..<width where Self.flips(mask, x: x, y: y) {
                        set(&rows, line: y, at: x)
                        set(&columns, line: x, at: y)
                    }
                }
                patternRows.append(rows)
                patternColumns.append(columns)
            }
            var positionRows = [UInt64](repeating: 0, count: size), positionColumns = positionRows
            var formatRows: [[UInt64]] = [], formatColumns: [[UInt64]] = []
            let modules = Self.formatModules(width: width)
            for module in modules {
                set(&positionRows, line: module.y, at: module.x)
                set(&positionColumns, line: module.x, at: module.y)
            }
            for mask in 0..<8 {
                var rows = [UInt64](repeating: 0, count: size), columns = rows
                for module in modules where Self.formatM[mask] >> UInt32(module.bit) & 1 == 1 {
                    set(&rows, line: module.y, at: module.x)
                    set(&columns, line: module.x, at: module.y)
                }
                formatRows.append(rows)
                formatColumns.append(columns)
            }
            self.patternRows = patternRows
            self.patternColumns = patternColumns
            formatPositionRows = positionRows
            formatPositionColumns = positionColumns
            self.formatRows = formatRows
            self.formatColumns = formatColumns
        }
    }
}
