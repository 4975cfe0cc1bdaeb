import Foundation
import Synchronization

/// Time-ordered event identifiers: UUID version 7 (RFC 9562) in lower-case text form.
///
/// The first 48 bits are the Unix time in milliseconds; the next 12 bits count events created in the
/// same millisecond by this process, so identifiers made by one process sort in creation order even
/// within a millisecond (RFC 9562 §6.2, method 1). The remaining 62 bits are random.
public enum EventID {
    private struct State {
        var millisecond: UInt64 = 0
        var counter: UInt16 = 0
    }

    private static let state = Mutex(State())

    /// A new identifier for an event created at `date`.
    public static func make(at date: Date = Date()) -> String {
        let wallMillisecond = UInt64(max(0, date.timeIntervalSince1970 * 1000))
        let (millisecond, counter) = state.withLock { state -> (UInt64, UInt16) in
            if wallMillisecond > state.millisecond {
                state.millisecond = wallMillisecond
                state.counter = 0
            } else if state.counter < 0x0FFF {
                state.counter += 1
            } else {
                state.millisecond += 1
                state.counter = 0
            }
            return (state.millisecond, state.counter)
        }
        var generator = SystemRandomNumberGenerator()
        let random = generator.next() as UInt64
        let high = (millisecond & 0xFFFF_FFFF_FFFF) << 16 | 0x7000 | UInt64(counter)
        let low = (random & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        return format(high: high, low: low)
    }

    /// Whether `text` is a UUID in the canonical 8-4-4-4-12 hexadecimal form (any version).
    public static func isUUID(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 36 else { return false }
        for (index, byte) in bytes.enumerated() {
            if [8, 13, 18, 23].contains(index) {
                guard byte == UInt8(ascii: "-") else { return false }
            } else {
                guard byte.hexDigitValue != nil else { return false }
            }
        }
        return true
    }

    /// The millisecond timestamp of a version 7 identifier, or `nil` for anything else.
    public static func millisecondsSinceEpoch(of identifier: String) -> UInt64? {
        guard isUUID(identifier) else { return nil }
        let hex = identifier.utf8.filter { $0 != UInt8(ascii: "-") }
        guard hex[12].hexDigitValue == 7 else { return nil }
        return hex[0..<12].reduce(UInt64(0)) { $0 << 4 | UInt64($1.hexDigitValue!) }
    }

    private static func format(high: UInt64, low: UInt64) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var output = [UInt8](repeating: UInt8(ascii: "-"), count: 36)
        var position = 0
        for nibbleIndex in 0..<32 {
            if [8, 12, 16, 20].contains(nibbleIndex) { position += 1 }
            let word = nibbleIndex < 16 ? high : low
            let shift = UInt64(60 - 4 * (nibbleIndex % 16))
            output[position] = digits[Int((word >> shift) & 0xF)]
            position += 1
        }
        return String(decoding: output, as: UTF8.self)
    }
}
