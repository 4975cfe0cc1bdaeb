import Hummingbird
import SmartNationCore

/// A ``SmartNationError`` a route throws answers with its own status and the platform error body
/// in any Hummingbird application, not only behind the daemon's error middleware: the `…HTTP`
/// libraries promise to be mountable in an integrator's own router.
extension SmartNationError: HTTPResponseError {
    /// The error's HTTP status.
    public var status: HTTPResponse.Status { .init(code: httpStatus) }

    /// The platform error body, `{"error":{"code","message_key","parameters"}}`.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        errorResponse(self)
    }
}
