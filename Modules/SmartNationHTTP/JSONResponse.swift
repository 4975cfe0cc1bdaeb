import HTTPTypes
import Hummingbird
import NIOCore
import SmartNationCore

/// A response whose body is `value` as JSON, not to be cached (`Cache-Control: no-store`, `Pragma:
/// no-cache`) unless `headers` says how it may be.
public func jsonResponse(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
    var fields = headers
    fields[.contentType] = "application/json; charset=utf-8"
    if fields[.cacheControl] == nil {
        fields[.cacheControl] = "no-store"
        fields[.pragma] = "no-cache"
    }
    return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: JSONWriter.bytes(of: value))))
}

/// The API's error body, `{"error":{"code":…,"message_key":…,"parameters":{…}}}`, with the
/// error's own status and only the parameters its client may see
/// (``SmartNationError/clientParameters``).
public func errorResponse(_ error: SmartNationError) -> Response {
    let body: JSONValue = .object([
        "error": .object([
            "code": .string(error.code.rawValue),
            "message_key": .string(error.messageKey),
            "parameters": .object(error.clientParameters.mapValues(JSONValue.string)),
        ])
    ])
    return jsonResponse(body, status: .init(code: error.httpStatus))
}

extension HTTPField.Name {
    /// HTTP/1.0's cache directive, which RFC 6749 §5.1 asks of every response carrying tokens beside
    /// `Cache-Control: no-store`.
    static let pragma = Self("Pragma")!
}
