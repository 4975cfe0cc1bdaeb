import Foundation

/// A program that tests and benchmarks run to completion (`snadmin`, `openssl`, Python clients,
/// `wrk`), awaited without holding a thread of Swift's concurrency pool while it runs.
///
/// Servers under test and under measurement run in the same process and share that pool, which has
/// one thread per core. A runner that blocked a pool thread until its program exited could take the
/// last one a server needed: two such runs at once on two cores left an in-process daemon no thread
/// to answer on, so the program waiting for its answer timed out. The program's output goes to
/// temporary files, so no pipe fills up and nothing has to be read while it runs.
public enum ChildProcess {
    /// What a finished program printed and how it exited.
    public struct Outcome: Sendable {
        /// The exit status, or the signal number when a signal ended the program.
        public let status: Int32
        /// Everything written to standard output.
        public let standardOutput: String
        /// Everything written to standard error.
        public let standardError: String

        /// Both streams, output then error, for tools whose messages go to either.
        public var combinedOutput: String { standardOutput + standardError }
    }

    /// Runs `executable` with `arguments` to completion.
    ///
    /// - Parameters:
    ///   - environment: the program's whole environment; `nil` passes this process's on.
    ///   - currentDirectory: where the program runs; `nil` runs it in this process's directory.
    /// - Throws: when the program cannot be started or its output cannot be read back.
    public static func run(
        _ executable: URL, _ arguments: [String], environment: [String: String]? = nil, currentDirectory: URL? = nil
    ) async throws -> Outcome {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("child-process-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outputURL = scratch.appendingPathComponent("stdout")
        let errorURL = scratch.appendingPathComponent("stderr")
        let output = try emptyFile(at: outputURL)
        defer { try? output.close() }
        let error = try emptyFile(at: errorURL)
        defer { try? error.close() }

        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = error
        unblockAlarmSignal()
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        return Outcome(
            status: status, standardOutput: try String(contentsOf: outputURL, encoding: .utf8),
            standardError: try String(contentsOf: errorURL, encoding: .utf8))
    }

    /// Runs `arguments[0]`, found on the `PATH`, with the rest of `arguments`, in this process's
    /// environment with `environment` laid over it.
    public static func run(searchingPath arguments: [String], environment: [String: String] = [:]) async throws -> Outcome {
        precondition(!arguments.isEmpty, "a command needs a program to run")
        return try await run(
            URL(fileURLWithPath: "/usr/bin/env"), arguments,
            environment: ProcessInfo.processInfo.environment.merging(environment) { $1 })
    }

    private static func emptyFile(at url: URL) throws -> FileHandle {
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
        return try FileHandle(forWritingTo: url)
    }

    /// A child inherits the signal mask of the thread that starts it, and the Swift runtime's threads
    /// may block SIGALRM, which `openssl speed` times itself with.
    private static func unblockAlarmSignal() {
        var alarm = sigset_t()
        sigemptyset(&alarm)
        sigaddset(&alarm, SIGALRM)
        pthread_sigmask(SIG_UNBLOCK, &alarm, nil)
    }
}
