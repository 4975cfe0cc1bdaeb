import Foundation
import Hummingbird
import Logging
import NIOCore
import SmartNationCore

/// Turns errors into the API's error body, `{"error":{"code":…,"message_key":…,"parameters":{…}}}`,
/// and refuses bodies larger than the configured limit before any route reads them.
///
/// A ``SmartNationError`` answers with its own status and code. Hummingbird's own errors (404, 405 …)
/// keep their status under the code `core.http.<status>`. Anything else is an internal error: the
/// client gets `core.internal` and nothing more; the details go to the log.
struct ErrorResponseMiddleware<Context: RequestContext>: RouterMiddleware {
    let maximumBodyByteCount: Int
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maximumBodyByteCount {
            return Self.response(SmartNationError(
                .requestTooLarge, parameters: ["maximum": String(maximumBodyByteCount)], httpStatus: 413))
        }
        do {
            return try await next(request, context)
        } catch let error as SmartNationError {
            return Self.response(error)
        } catch let error as any HTTPResponseError {
            return Self.response(SmartNationError(.init("core.http.\(error.status.code)"), httpStatus: error.status.code))
        } catch {
            logger.error("unhandled error", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            return Self.response(SmartNationError(.internalError, httpStatus: 500))
        }
    }

    static func response(_ error: SmartNationError) -> Response {
        let body: JSONValue = .object([
            "error": .object([
                "code": .string(error.code.rawValue),
                "message_key": .string(error.messageKey),
                "parameters": .object(error.parameters.mapValues(JSONValue.string)),
            ])
        ])
        return jsonResponse(body, status: .init(code: error.httpStatus))
    }
}

/// A response whose body is `value` as JSON.
func jsonResponse(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
    Response(
        status: status,
        headers: [.contentType: "application/json; charset=utf-8"],
        body: ResponseBody(byteBuffer: ByteBuffer(bytes: JSONWriter.bytes(of: value)))
    )
}

extension SmartNationError.Code {
    /// A request body is larger than the daemon accepts.
    public static let requestTooLarge = Self("core.http.request_too_large")
    /// Something failed that the client cannot fix; the log has the details.
    public static let internalError = Self("core.internal")
}
