import Foundation

/// A tool the benchmark runs (`openssl speed`, `wrk`), awaited without holding a thread: the server
/// under measurement shares this process's threads.
enum Command {
    /// Runs `arguments` through `/usr/bin/env` to completion; its exit status and its standard output
    /// and error together.
    static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> (status: Int32, output: String) {
        let outputFile = FileManager.default.temporaryDirectory.appendingPathComponent("smartnation-bench-output-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: outputFile.path, contents: nil) else {
            throw BenchmarkFailure(reason: "cannot create \(outputFile.path)")
        }
        defer { try? FileManager.default.removeItem(at: outputFile) }
        let output = try FileHandle(forWritingTo: outputFile)
        defer { try? output.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = output
        process.standardError = output
        // A child inherits the signal mask of the thread that starts it, and the Swift runtime's
        // threads may block SIGALRM, which `openssl speed` times itself with.
        var alarm = sigset_t()
        sigemptyset(&alarm)
        sigaddset(&alarm, SIGALRM)
        pthread_sigmask(SIG_UNBLOCK, &alarm, nil)
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            process.terminationHandler = { _ in continuation.resume() }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: BenchmarkFailure(reason: "cannot run \(arguments[0]) (make bench installs it): \(error)"))
            }
        }
        return (process.terminationStatus, String(decoding: try Data(contentsOf: outputFile), as: UTF8.self))
    }
}

/// The middle value of `values` (the upper middle of an even count).
func median(_ values: [Double]) -> Double {
    precondition(!values.isEmpty, "a median needs a value")
    return values.sorted()[values.count / 2]
}
