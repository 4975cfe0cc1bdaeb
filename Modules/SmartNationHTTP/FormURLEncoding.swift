import SmartNationCore

/// `application/x-www-form-urlencoded` (WHATWG URL §5): OAuth requests and HTTP Basic credentials
/// (RFC 6749 §2.3.1) arrive in it. Decoded byte by byte — every token request carries a kilobyte of
/// it, and Foundation's `removingPercentEncoding` costs several times more.
public enum FormURLEncoding {
    /// The most parameters one form may carry.
    public static let parametersMax = 100

    /// Why a form was refused.
    public enum Failure: Error, Sendable, Hashable {
        /// A `%` not followed by two hexadecimal digits, or bytes that are not UTF-8 once decoded.
        case malformedEncoding
        /// A name given twice (RFC 6749 §3.1: "parameters MUST NOT be included more than once").
        case repeated(String)
        /// More than ``parametersMax`` parameters.
        case tooManyParameters
    }

    /// The name–value pairs of a form body; empty pairs (`a=1&&b=2`) are skipped.
    public static func parameters(_ body: some Collection<UInt8>) throws(Failure) -> [String: String] {
        // A request body (`ByteBufferView`) is contiguous: scanned through a buffer pointer, the
        // bytes are read without a protocol witness call each.
        let parsed = body.withContiguousStorageIfAvailable { bytes in Result { () throws(Failure) in try parameters(in: bytes) } }
        return try (parsed ?? Array(body).withUnsafeBufferPointer { bytes in Result { () throws(Failure) in try parameters(in: bytes) } }).get()
    }

    private static func parameters(in body: UnsafeBufferPointer<UInt8>) throws(Failure) -> [String: String] {
        var parameters: [String: String] = [:]
        for pair in body.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            guard parameters.count < parametersMax else { throw .tooManyParameters }
            let equals = pair.firstIndex(of: UInt8(ascii: "=")) ?? pair.endIndex
            guard let name = decode(pair[..<equals]),
                  let value = decode(equals == pair.endIndex ? pair[equals...] : pair[pair.index(after: equals)...])
            else { throw .malformedEncoding }
            guard parameters.updateValue(value, forKey: name) == nil else { throw .repeated(name) }
        }
        return parameters
    }

    /// One decoded component: `+` is a space and `%XX` a byte; `nil` when malformed or not UTF-8.
    public static func decode(_ component: some Collection<UInt8>) -> String? {
        // Most components (client assertions, codes, verifiers: base64url) escape nothing: their
        // bytes are their text, taken without a copy.
        guard component.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) else {
            return String(validatingUTF8Bytes: component)
        }
        var bytes = [UInt8]()
        bytes.reserveCapacity(component.count)
        var index = component.startIndex
        while index != component.endIndex {
            let byte = component[index]
            index = component.index(after: index)
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard index != component.endIndex, let high = component[index].hexDigitValue else { return nil }
                index = component.index(after: index)
                guard index != component.endIndex, let low = component[index].hexDigitValue else { return nil }
                index = component.index(after: index)
                bytes.append(high << 4 | low)
            default:
                bytes.append(byte)
            }
        }
        return String(validatingUTF8Bytes: bytes)
    }
}
