import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SmartNationCore

/// A typed client for the daemon's HTTP API, used by `snadmin` and the citizen app.
///
/// Every client finds the daemon the same way: `--server URL`, else `SMARTNATION_SERVER`, else
/// ``defaultServerURL``.
public struct DaemonClient: Sendable {
    /// The address a daemon started with the embedded defaults listens on.
    public static let defaultServerURL = "http://127.0.0.1:8080"
    /// The environment variable that names the daemon.
    public static let serverEnvironmentVariable = "SMARTNATION_SERVER"
    /// The largest response body read.
    public static let maximumResponseByteCount = 4 << 20

    /// The daemon's base URL, without a trailing slash.
    public let serverURL: String
    private let timeout: Duration

    /// Chooses the daemon's URL: the flag, else the environment, else the default.
    public static func resolveServerURL(flag: String?, environment: [String: String]) -> String {
        flag ?? environment[serverEnvironmentVariable] ?? defaultServerURL
    }

    /// Creates a client for the daemon at `serverURL` (`http://` or `https://`).
    public init(serverURL: String, timeout: Duration = .seconds(5)) throws(SmartNationError) {
        guard let components = URLComponents(string: serverURL), ["http", "https"].contains(components.scheme ?? ""),
            components.host?.isEmpty == false
        else {
            throw SmartNationError(
                .clientInvalidServerURL,
                parameters: ["url": serverURL, "expected": "an http:// or https:// URL such as \(Self.defaultServerURL)"])
        }
        self.serverURL = serverURL.hasSuffix("/") ? String(serverURL.dropLast()) : serverURL
        self.timeout = timeout
    }

    /// Asks `GET /readyz` whether the daemon is ready; a not-ready daemon is a report, not an error.
    public func readiness() async throws(SmartNationError) -> ReadinessReport {
        let (status, body) = try await get("/readyz")
        guard status == 200 || status == 503 else {
            throw SmartNationError(.clientUnexpectedResponse, parameters: ["path": "/readyz", "status": String(status)])
        }
        do {
            return try JSONDecoder().decode(ReadinessReport.self, from: Data(body))
        } catch {
            throw SmartNationError(.clientUnexpectedResponse, parameters: ["path": "/readyz", "reason": "\(error)"])
        }
    }

    private func get(_ path: String) async throws(SmartNationError) -> (status: Int, body: [UInt8]) {
        var request = HTTPClientRequest(url: serverURL + path)
        request.headers.add(name: "Accept", value: "application/json")
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .nanoseconds(timeout.nanoseconds))
            let body = try await response.body.collect(upTo: Self.maximumResponseByteCount)
            return (Int(response.status.code), Array(buffer: body))
        } catch {
            throw SmartNationError(
                .clientUnreachable, parameters: ["url": serverURL, "reason": "\(error)"], httpStatus: 503)
        }
    }
}

extension Duration {
    fileprivate var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}

extension SmartNationError.Code {
    /// The server URL given to a client is not an http(s) URL.
    public static let clientInvalidServerURL = Self("client.invalid_server_url")
    /// The daemon could not be reached.
    public static let clientUnreachable = Self("client.unreachable")
    /// The daemon answered something the client does not understand.
    public static let clientUnexpectedResponse = Self("client.unexpected_response")
}
