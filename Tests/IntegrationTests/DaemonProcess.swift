import Foundation
import Testing

/// The built `smartnationd` running in a process of its own, as an operator runs it: its threads are
/// not the test process's, so tests running beside it cannot slow its answers down.
final class DaemonProcess {
    /// The daemon's base URL, from the line it prints once it listens.
    let baseURL: String
    /// Where its standard error (its log) goes.
    let logURL: URL
    private let process: Process
    private var exitStatuses: AsyncStream<Int32>.Iterator

    /// Starts `smartnationd` with `arguments` (on `127.0.0.1:0`, its data in `directory`) and
    /// `environment` over this process's, and waits until it says where it listens.
    init(directory: URL, arguments: [String] = [], environment: [String: String] = [:]) async throws {
        let outputURL = directory.appendingPathComponent("smartnationd.stdout")
        logURL = directory.appendingPathComponent("smartnationd.stderr")
        for url in [outputURL, logURL] {
            try #require(FileManager.default.createFile(atPath: url.path, contents: nil))
        }
        let process = Process()
        process.executableURL = builtProductURL("smartnationd")
        process.arguments = ["--data-dir", directory.appendingPathComponent("data").path, "--http", "127.0.0.1:0"] + arguments
        // A sealing key as an operator supplies one; a test may override it.
        process.environment = ProcessInfo.processInfo.environment.merging(freshSealingKey()) { $1 }.merging(environment) { $1 }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: outputURL)
        process.standardError = try FileHandle(forWritingTo: logURL)
        let exited = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { exited.continuation.yield($0.terminationStatus) }
        exitStatuses = exited.stream.makeAsyncIterator()
        try process.run()
        self.process = process
        do {
            baseURL = try await Self.listeningURL(printedIn: outputURL, by: process)
        } catch {
            process.terminate()
            throw error
        }
    }

    /// The URL in the first line the daemon prints, once it has printed it.
    private static func listeningURL(printedIn outputURL: URL, by process: Process) async throws -> String {
        func firstLine() throws -> Substring? {
            let text = String(decoding: try Data(contentsOf: outputURL), as: UTF8.self)
            return text.firstIndex(of: "\n").map { text[..<$0] }
        }
        let printed = try await eventually { try firstLine() != nil || !process.isRunning }
        let line = try #require(try firstLine(), "smartnationd printed where it listens (waited until it did or exited: \(printed))")
        try #require(line.hasPrefix("smartnationd listening on http://127.0.0.1:"), "\(line)")
        return String(line.split(separator: " ")[3])
    }

    /// Sends SIGINT, as Ctrl-C does, and returns the daemon's exit status once it has exited.
    func interrupt() async -> Int32? {
        process.interrupt()
        return await exitStatuses.next()
    }

    /// Everything the daemon has logged so far.
    func log() throws -> String {
        String(decoding: try Data(contentsOf: logURL), as: UTF8.self)
    }

    deinit {
        if process.isRunning { process.terminate() }
    }
}
