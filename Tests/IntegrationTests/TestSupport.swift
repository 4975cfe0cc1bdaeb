import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Logging
import MQTT
import SmartNationCore
import Testing

/// A fresh directory under the system temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("smartnation-it-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}

let testLogger: Logger = {
    var logger = Logger(label: "integration-tests")
    logger.logLevel = .warning
    return logger
}()

/// Polls `condition` every 50 ms until it holds or `timeout` passes; returns whether it held.
func eventually(timeout: Duration = .seconds(15), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    while clock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}

/// A plain HTTP GET on loopback, returning status and body.
func httpGet(_ url: String) async throws -> (status: Int, body: String) {
    try await send(HTTPClientRequest(url: url))
}

/// Sends `request`, returning status and body.
func send(_ request: HTTPClientRequest) async throws -> (status: Int, body: String) {
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
    let body = try await response.body.collect(upTo: 16 << 20)
    return (Int(response.status.code), String(buffer: body))
}

/// The directory SwiftPM put this build's executables in (`.build/debug` for `swift test`).
func builtProductURL(_ name: String) -> URL {
    let candidates = [
        Bundle.main.bundleURL.deletingLastPathComponent(), Bundle.main.bundleURL,
        URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".build/debug"),
    ]
    for directory in candidates where FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent(name).path) {
        return directory.appendingPathComponent(name)
    }
    return candidates.last!.appendingPathComponent(name)
}

/// A fresh `SMARTNATION_IDENTITY_SECRET_KEY`, as an operator supplies one to a daemon without demo data.
func freshSealingKey() -> [String: String] {
    ["SMARTNATION_IDENTITY_SECRET_KEY": Data((0..<32).map { _ in UInt8.random(in: .min ... .max) }).base64EncodedString()]
}
