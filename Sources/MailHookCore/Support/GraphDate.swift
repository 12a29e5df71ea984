import Foundation

/// Graph and event timestamps: `Z` or an offset, with any number of fraction digits (Graph sends
/// 0, 3 or 7). Stored timestamps are `2026-01-15T09:30:00.123Z`.
///
/// Both directions are plain arithmetic on the proleptic Gregorian calendar: every bound
/// statement and every row read carries dates, and Foundation's `ISO8601DateFormatter` builds an
/// ICU formatter per call, which cost more than the rest of an acknowledgement. Forms outside
/// the fast path (other separators, leap seconds, years outside 1601…9999, where Foundation
/// switches to the Julian calendar or the arithmetic would leave four digits) go to Foundation.
public enum GraphDate {
    /// Seconds since 1970 of 1601-01-01 and of the last millisecond of 9999: the dates MailHook
    /// accepts from outside and stores. Foundation reads `300000-01-01` or a mail header's year
    /// 300000 literally; PostgreSQL refuses years past 294276 and its driver traps converting them.
    public static let storableRange: ClosedRange<TimeInterval> = -11_644_473_600...253_402_300_799.999

    /// nil for a text that is not a timestamp, and for one outside ``storableRange``.
    public static func parse(_ text: String) -> Date? {
        if let seconds = fastParse(Array(text.utf8)) { return Date(timeIntervalSince1970: seconds) }
        return foundationParse(text).flatMap { storable($0) }
    }

    /// The date when it lies within ``storableRange``.
    public static func storable(_ date: Date) -> Date? {
        storableRange.contains(date.timeIntervalSince1970) ? date : nil
    }

    /// The nearest date within ``storableRange`` (a last resort where a date must be stored).
    public static func clamped(_ date: Date) -> Date {
        let t = date.timeIntervalSince1970
        guard t.isFinite else { return Date(timeIntervalSince1970: t > 0 ? storableRange.upperBound : storableRange.lowerBound) }
        return Date(timeIntervalSince1970: min(max(t, storableRange.lowerBound), storableRange.upperBound))
    }

    /// `2026-01-15T09:30:00.123Z`: the text form MailHook stores (to the nearest millisecond).
    public static func format(_ date: Date) -> String {
        let t = date.timeIntervalSince1970
        // Years 1601 to 9999 only (and so no Int64 conversion can trap).
        guard t.isFinite, t >= storableRange.lowerBound, t < storableRange.upperBound else { return foundationFormat(date) }
        let millis = Int64((t * 1000).rounded())
        let (days, dayMillis) = floorDivide(millis, 86_400_000)
        let (year, month, day) = civil(days: days)
        let secondOfDay = dayMillis / 1000
        var out = [UInt8]()
        out.reserveCapacity(24)
        append(year, width: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        append(month, width: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        append(day, width: 2, to: &out)
        out.append(UInt8(ascii: "T"))
        append(secondOfDay / 3600, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        append(secondOfDay / 60 % 60, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        append(secondOfDay % 60, width: 2, to: &out)
        out.append(UInt8(ascii: "."))
        append(dayMillis % 1000, width: 3, to: &out)
        out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: Fast path

    /// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` → seconds since 1970, or nil for any other form.
    static func fastParse(_ b: [UInt8]) -> Double? {
        guard b.count >= 20, b.count <= 64, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t"),
              b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
              let year = digits(b, 0, 4), let month = digits(b, 5, 2), let day = digits(b, 8, 2),
              let hour = digits(b, 11, 2), let minute = digits(b, 14, 2), let second = digits(b, 17, 2),
              year >= 1601, (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year), hour < 24, minute < 60, second < 60
        else { return nil }
        var i = 19
        var fraction = 0.0
        if b[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 0.1
            let start = i
            while i < b.count, let d = digit(b[i]) {
                fraction += Double(d) * scale
                scale /= 10
                i += 1
            }
            guard i > start else { return nil }
        }
        guard i < b.count else { return nil }
        var offset: Int64 = 0
        switch b[i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard i + 1 == b.count else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard i + 6 == b.count, b[i + 3] == UInt8(ascii: ":"), let h = digits(b, i + 1, 2), let m = digits(b, i + 4, 2), h < 24, m < 60 else { return nil }
            offset = (h * 3600 + m * 60) * (b[i] == UInt8(ascii: "+") ? 1 : -1)
        default:
            return nil
        }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset
        return Double(seconds) + fraction
    }

    private static func digit(_ byte: UInt8) -> Int64? {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? Int64(byte - UInt8(ascii: "0")) : nil
    }

    private static func digits(_ b: [UInt8], _ start: Int, _ count: Int) -> Int64? {
        var value: Int64 = 0
        for i in start..<(start + count) {
            guard i < b.count, let d = digit(b[i]) else { return nil }
            value = value * 10 + d
        }
        return value
    }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date `days` after 1970-01-01 (the inverse of ``daysFromCivil(year:month:day:)``).
    static func civil(days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        let q = a / b
        let r = a % b
        return r < 0 ? (q - 1, r + b) : (q, r)
    }

    private static func append(_ value: Int64, width: Int, to out: inout [UInt8]) {
        var digits = [UInt8](repeating: UInt8(ascii: "0"), count: width)
        var v = value
        var i = width - 1
        while i >= 0 {
            digits[i] = UInt8(ascii: "0") + UInt8(v % 10)
            v /= 10
            i -= 1
        }
        out.append(contentsOf: digits)
    }

    // MARK: Foundation, for everything else

    static func foundationParse(_ text: String) -> Date? {
        var s = text
        var fraction = 0.0
        if let dot = s.firstIndex(of: ".") {
            var end = s.index(after: dot)
            while end < s.endIndex, s[end].isNumber { end = s.index(after: end) }
            fraction = Double("0" + s[dot..<end]) ?? 0
            s.removeSubrange(dot..<end)
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        guard let date = formatter.date(from: s) else { return nil }
        return date.addingTimeInterval(fraction)
    }

    static func foundationFormat(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
