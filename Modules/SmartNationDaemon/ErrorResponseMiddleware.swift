import Foundation
import Hummingbird
import Logging
import NIOCore
import SmartNationCore
import SmartNationHTTP

/// Turns errors into the API's error body, `{"error":{"code":…,"message_key":…,"parameters":{…}}}`,
/// and refuses bodies larger than the configured limit before any route reads them.
///
/// A ``SmartNationError`` answers with its own status and code. Hummingbird's own errors (404, 405 …)
/// keep their status under the code `core.http.<status>`. Anything else is an internal error: the
/// client gets `core.internal` and nothing more; the details go to the log, as a server failure's
/// `reason` does (``SmartNationError/clientParameters``).
struct ErrorResponseMiddleware<Context: RequestContext>: RouterMiddleware {
    let maximumBodyByteCount: Int
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maximumBodyByteCount {
            return errorResponse(SmartNationError(
                .requestTooLarge, parameters: ["maximum": String(maximumBodyByteCount)], httpStatus: 413))
        }
        do {
            return try await next(request, context)
        } catch let error as SmartNationError {
            if error.httpStatus >= 500 {
                logger.error("request failed", metadata: ["error": "\(error)", "at": "\(error.file):\(error.line)", "path": "\(request.uri.path)"])
            }
            return errorResponse(error)
        } catch let error as any HTTPResponseError {
            return errorResponse(SmartNationError(.init("core.http.\(error.status.code)"), httpStatus: error.status.code))
        } catch {
            logger.error("unhandled error", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            return errorResponse(SmartNationError(.internalError, httpStatus: 500))
        }
    }

    static func response(_ error: SmartNationError) -> Response {
        errorResponse(error)
    }
}
