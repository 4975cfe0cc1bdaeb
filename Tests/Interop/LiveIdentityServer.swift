import AsyncHTTPClient
import Foundation
import Hummingbird
import Identity
import IdentityHTTP
import Logging
import MQTT
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import SmartNationHTTP

/// The identity platform served by a real Hummingbird server on a free loopback port, over a fresh
/// data directory: what a third-party client talks to in an interop test. The issuer is the
/// server's own base URL, so every endpoint the discovery document names is reachable.
struct LiveIdentityServer: Sendable {
    static let adminToken = "interop-operator-token-0123456789"

    let issuer: String
    let platform: IdentityPlatform

    /// Runs `body` against a started server (against a closed port if it failed to start);
    /// stops the server and deletes its data afterwards, whether `body` returns or throws.
    static func withServer<Result: Sendable>(_ body: @Sendable (LiveIdentityServer) async throws -> Result) async throws -> Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("openid-interop-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let port = try LoopbackPort.findFree()
        let issuer = "http://127.0.0.1:\(port)"
        let platform = try await IdentityPlatform.open(in: directory, sealer: .random(), issuer: issuer)
        let router = Router(context: SmartNationRequestContext.self)
        IdentityRoutes(platform: platform, adminToken: adminToken).add(to: router)
        let (running, runningContinuation) = AsyncStream<Void>.makeStream()
        var logger = Logger(label: "interop.identity")
        logger.logLevel = .warning
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)),
            onServerRunning: { _ in runningContinuation.finish() }, logger: logger)
        let services = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { runningContinuation.finish() }
                try await services.run()
            }
            for await _ in running {}
            do {
                let result = try await body(LiveIdentityServer(issuer: issuer, platform: platform))
                await services.triggerGracefulShutdown()
                return result
            } catch {
                await services.triggerGracefulShutdown()
                throw error
            }
        }
    }

    /// Sends a request to the server; returns the status and the body as text.
    func send(_ method: HTTPMethod, _ path: String, headers: [(String, String)] = [], body: String? = nil) async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: issuer + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let collected = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: collected))
    }

    /// Registers a client through the operators' HTTP API; returns its `client_id`.
    func registerClient(_ registration: [String: Any]) async throws -> String {
        let body = String(decoding: try JSONSerialization.data(withJSONObject: registration), as: UTF8.self)
        let (status, text) = try await send(
            .POST, "/admin/identity/clients",
            headers: [("Authorization", "Bearer \(Self.adminToken)"), ("Content-Type", "application/json")], body: body)
        guard status == 201, let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              let clientID = object["client_id"] as? String else {
            throw InteropFailure("client registration answered \(status): \(text)")
        }
        return clientID
    }
}

/// A step of an interop test that did not go as the test needs.
struct InteropFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
