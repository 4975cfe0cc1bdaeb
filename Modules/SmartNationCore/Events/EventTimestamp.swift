import Foundation

/// RFC 3339 timestamps as CloudEvents write them, at microsecond precision, in UTC.
///
/// Hand-written rather than `ISO8601DateFormatter` because the bus formats one per event on hot paths,
/// and because it must accept every RFC 3339 form (any fraction length, `Z` or a numeric offset) while
/// refusing everything else.
public enum EventTimestamp {
    /// `date` rounded to whole microseconds, the precision every envelope carries.
    public static func normalized(_ date: Date) -> Date {
        Date(timeIntervalSince1970: Double(microseconds(of: date)) / 1_000_000)
    }

    /// Microseconds since the Unix epoch.
    public static func microseconds(of date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
    }

    /// Formats as `2026-11-22T08:30:00.123456Z`.
    public static func format(_ date: Date) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(27)
        append(date, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the `format(_:)` text of `date` to `bytes` without building a string: envelopes are
    /// encoded on the bus's hot paths.
    public static func append(_ date: Date, to bytes: inout [UInt8]) {
        let totalMicroseconds = microseconds(of: date)
        var seconds = time_t(totalMicroseconds.floorDivided(by: 1_000_000))
        let fraction = Int(totalMicroseconds - Int64(seconds) * 1_000_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func digits(_ value: Int, _ count: Int) {
            var divisor = 1
            for _ in 1..<count { divisor *= 10 }
            var remainder = value
            for _ in 0..<count {
                bytes.append(UInt8(ascii: "0") + UInt8(remainder / divisor % 10))
                remainder %= divisor
                divisor = max(1, divisor / 10)
            }
        }
        digits(Int(parts.tm_year) + 1900, 4)
        bytes.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mon) + 1, 2)
        bytes.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mday), 2)
        bytes.append(UInt8(ascii: "T"))
        digits(Int(parts.tm_hour), 2)
        bytes.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_min), 2)
        bytes.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_sec), 2)
        bytes.append(UInt8(ascii: "."))
        digits(fraction, 6)
        bytes.append(UInt8(ascii: "Z"))
    }

    /// Parses an RFC 3339 date-time; `nil` when `text` is not one.
    public static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20 else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let byte = bytes[index]
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t") || bytes[10] == UInt8(ascii: " "),
            bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second <= 60
        else { return nil }
        var index = 19
        var fractionMicroseconds = 0
        if bytes[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                if index - start < 6 { fractionMicroseconds = fractionMicroseconds * 10 + Int(bytes[index] - 48) }
                index += 1
            }
            guard index > start else { return nil }
            for _ in 0..<max(0, 6 - (index - start)) { fractionMicroseconds *= 10 }
        }
        guard index < bytes.count else { return nil }
        var offsetSeconds = 0
        switch bytes[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            index += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard index + 6 == bytes.count, bytes[index + 3] == UInt8(ascii: ":"),
                let offsetHours = number(index + 1..<index + 3), let offsetMinutes = number(index + 4..<index + 6),
                offsetHours < 24, offsetMinutes < 60
            else { return nil }
            offsetSeconds = (offsetHours * 3600 + offsetMinutes * 60) * (bytes[index] == UInt8(ascii: "-") ? -1 : 1)
            index += 6
        default:
            return nil
        }
        guard index == bytes.count, day <= daysInMonth(month, year: year) else { return nil }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(min(second, 59))
        let epochSeconds = Int64(timegm(&parts)) - Int64(offsetSeconds)
        return Date(timeIntervalSince1970: Double(epochSeconds * 1_000_000 + Int64(fractionMicroseconds)) / 1_000_000)
    }

    private static func daysInMonth(_ month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

extension Int64 {
    /// Division rounding toward negative infinity, for splitting timestamps before 1970.
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor < 0) ? quotient - 1 : quotient
    }
}
