import Foundation
import Hummingbird
import NIOCore
import SmartNationCore

extension Request {
    /// The largest form or JSON body a platform route reads.
    public static let platformBodyBytesMax = 64 * 1024

    /// The `application/x-www-form-urlencoded` body as name → value. OAuth forbids repeating a
    /// parameter (RFC 6749 §3.1), so a repeated name is refused, as is any other content type.
    public mutating func formParameters(context: some RequestContext) async throws(SmartNationError) -> [String: String] {
        guard headers[.contentType]?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true else {
            throw SmartNationError(.httpBodyInvalid, parameters: ["expected": "application/x-www-form-urlencoded"], httpStatus: 415)
        }
        let body = try await bodyBuffer(context: context)
        do {
            return try FormURLEncoding.parameters(body.readableBytesView)
        } catch {
            let reason = switch error {
            case .malformedEncoding: "malformed percent-encoding"
            case .repeated(let name): "parameter \(name) is repeated"
            case .tooManyParameters: "more than \(FormURLEncoding.parametersMax) parameters"
            }
            throw SmartNationError(.httpBodyInvalid, parameters: ["reason": reason])
        }
    }

    /// The JSON body decoded as `type`; a malformed body is `core.http.body_invalid` naming the problem.
    /// Reads at most `maximumBytes` (``platformBodyBytesMax`` unless a route needs more).
    public mutating func jsonBody<Value: Decodable>(
        as type: Value.Type, context: some RequestContext, maximumBytes: Int = platformBodyBytesMax
    ) async throws(SmartNationError) -> Value {
        let body = try await bodyBuffer(context: context, maximumBytes: maximumBytes)
        do {
            return try JSONDecoder().decode(Value.self, from: Data(body.readableBytesView))
        } catch {
            throw SmartNationError(.httpBodyInvalid, parameters: ["reason": "the body is not the expected JSON: \(error)"])
        }
    }

    private mutating func bodyBuffer(context: some RequestContext, maximumBytes: Int = platformBodyBytesMax) async throws(SmartNationError) -> ByteBuffer {
        do {
            return try await collectBody(upTo: maximumBytes)
        } catch {
            throw SmartNationError(.requestTooLarge, parameters: ["maximum": String(maximumBytes)], httpStatus: 413)
        }
    }
}

extension SmartNationError.Code {
    /// A request body is not of the form or JSON the route reads.
    public static let httpBodyInvalid = Self("core.http.body_invalid")
    /// A request body is larger than the daemon accepts.
    public static let requestTooLarge = Self("core.http.request_too_large")
    /// Something failed that the client cannot fix; the log has the details.
    public static let internalError = Self("core.internal")
}
