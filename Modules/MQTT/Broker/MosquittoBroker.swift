import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A Mosquitto broker process this program starts and owns: the daemon's embedded default when no
/// broker is configured, and every MQTT test's private broker.
///
/// `start` writes `mosquitto.conf` into its directory (a listener on 127.0.0.1 only, anonymous
/// access, no persistence, a log file beside it, and a per-client queue of 100,000 messages so a
/// slow consumer is not silently cut short at Mosquitto's default of 1,000), launches the
/// executable, and returns once the port accepts TCP connections.
public final class MosquittoBroker: Sendable {
    /// Where `start` looks for the executable when it is not on `PATH`.
    public static let executableFallbacks = [
        "/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto", "/opt/homebrew/sbin/mosquitto",
    ]
    /// How many QoS 1 messages the broker queues per client before it drops (Mosquitto's default is 1,000).
    public static let queuedMessageCountMax = 100_000
    /// How long `stop` waits after SIGTERM before it sends SIGKILL.
    public static let stopGracePeriod: Duration = .seconds(5)

    /// The port the broker listens on, on 127.0.0.1.
    public let port: Int
    /// The directory holding the configuration, the log and the process's output.
    public let directory: URL
    private let process: Process
    private let exitMonitor: ProcessExitMonitor
    private let logger: Logger

    /// The broker's URL, `mqtt://127.0.0.1:<port>`, for `MQTTBrokerURL(parsing:)`.
    public var url: String { "mqtt://127.0.0.1:\(port)" }
    /// The configuration file `start` wrote.
    public var configurationFile: URL { BrokerFiles(directory: directory).configuration }
    /// The broker's log file.
    public var logFile: URL { BrokerFiles(directory: directory).log }
    /// The process's standard output and error (Mosquitto writes there before it reads its configuration).
    public var outputFile: URL { BrokerFiles(directory: directory).output }
    /// Whether the broker process is still running.
    public var isRunning: Bool { exitMonitor.status == nil }
    /// The broker's process identifier.
    public var processIdentifier: Int32 { process.processIdentifier }

    private init(port: Int, directory: URL, process: Process, exitMonitor: ProcessExitMonitor, logger: Logger) {
        self.port = port
        self.directory = directory
        self.process = process
        self.exitMonitor = exitMonitor
        self.logger = logger
    }

    deinit {
        if isRunning {
            kill(process.processIdentifier, SIGTERM)
        }
    }

    /// Starts a broker and waits until it accepts connections.
    ///
    /// - Parameters:
    ///   - directory: Created if missing; receives `mosquitto.conf`, `mosquitto.log` and `mosquitto.out`.
    ///   - port: The port to listen on; a free one when `nil`.
    ///   - executable: The `mosquitto` binary; found on `PATH` or in `executableFallbacks` when `nil`.
    ///   - additionalConfiguration: Lines appended to the configuration, e.g. `password_file …` with
    ///     `allow_anonymous false`, or `certfile`/`keyfile`/`cafile` to make the listener use TLS.
    ///     For single-valued options a later line overrides an earlier one.
    ///   - startupTimeout: How long to wait for the port to accept connections.
    ///   - logger: Receives the start and stop at info level.
    /// - Throws: `MQTTError` with code `brokerFailure` (no executable, port taken, exited early, never
    ///   listened; the log's tail is a parameter) or `systemError`.
    public static func start(
        directory: URL,
        port: Int? = nil,
        executable: String? = nil,
        additionalConfiguration: [String] = [],
        startupTimeout: Duration = .seconds(10),
        logger: Logger
    ) async throws(MQTTError) -> MosquittoBroker {
        let executablePath = try locateExecutable(executable)
        let port = try resolvePort(port)
        guard (1...65_535).contains(port), !LoopbackPort.acceptsConnections(on: port) else {
            throw MQTTError(
                .brokerFailure, parameters: ["port": "\(port)", "reason": "the port is invalid or already in use"])
        }
        let files = BrokerFiles(directory: directory)
        try files.write(
            configuration: configurationText(port: port, logFile: files.log, extraLines: additionalConfiguration))
        let exitMonitor = ProcessExitMonitor()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executablePath)
        process.arguments = ["-c", files.configuration.path]
        process.standardInput = FileHandle.nullDevice
        let output = try files.openOutput()
        process.standardOutput = output
        process.standardError = output
        process.terminationHandler = { process in
            exitMonitor.processExited(status: process.terminationStatus)
        }
        try launch(process, executable: executablePath)
        try? output.close()
        var logger = logger
        logger[metadataKey: "mosquitto.port"] = "\(port)"
        let broker = MosquittoBroker(
            port: port,
            directory: directory,
            process: process,
            exitMonitor: exitMonitor,
            logger: logger
        )
        try await broker.waitUntilListening(timeout: startupTimeout)
        logger.info("Mosquitto broker started", metadata: ["mosquitto.pid": "\(process.processIdentifier)"])
        return broker
    }

    /// Stops the broker: SIGTERM, then SIGKILL if it has not exited within `stopGracePeriod`.
    /// Returns once the process has exited.
    public func stop() async {
        guard isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        if await exitMonitor.waitForExit(timeout: Self.stopGracePeriod) == nil {
            logger.info("Mosquitto broker ignored SIGTERM; killing it")
            kill(process.processIdentifier, SIGKILL)
            _ = await exitMonitor.waitForExit(timeout: nil)
        }
        logger.info("Mosquitto broker stopped")
    }

    /// Waits until the broker process exits and returns its status: the exit code, or the signal
    /// number when a signal ended it. For a supervisor that restarts or reports a dead broker.
    public func waitUntilExit() async -> Int32 {
        guard let status = await exitMonitor.waitForExit(timeout: nil) else {
            preconditionFailure("a wait without timeout ends only with the exit")
        }
        return status
    }

    private func waitUntilListening(timeout: Duration) async throws(MQTTError) {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while !LoopbackPort.acceptsConnections(on: port) {
            if let status = exitMonitor.status {
                throw failure("mosquitto exited with status \(status) before listening")
            }
            guard ContinuousClock.now < deadline, !Task.isCancelled else {
                await stop()
                throw failure("mosquitto did not listen within \(timeout)")
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    private func failure(_ reason: String) -> MQTTError {
        let tail = [logFile, outputFile]
            .compactMap { try? String(contentsOf: $0, encoding: .utf8) }
            .joined(separator: "\n")
            .split(separator: "\n")
            .suffix(20)
            .joined(separator: "\n")
        return MQTTError(.brokerFailure, parameters: ["port": "\(port)", "reason": reason, "log": tail])
    }

    /// Launches the process with no signal blocked.
    ///
    /// A child inherits the signal mask of the thread that spawns it, and Dispatch's worker threads,
    /// where Swift concurrency runs, block SIGTERM, SIGINT and SIGHUP. Mosquitto keeps the inherited
    /// mask outside its event wait, so spawned from such a thread it would never see SIGTERM. For the
    /// instant of the spawn this thread unblocks every signal; a process-directed signal arriving
    /// then is handled here exactly as it would be on the main thread.
    private static func launch(_ process: Process, executable: String) throws(MQTTError) {
        var unblocked = sigset_t()
        var previous = sigset_t()
        sigemptyset(&unblocked)
        pthread_sigmask(SIG_SETMASK, &unblocked, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        do {
            try process.run()
        } catch {
            throw MQTTError(.brokerFailure, parameters: ["executable": executable, "reason": "\(error)"])
        }
    }

    /// The requested port, or a free one.
    private static func resolvePort(_ port: Int?) throws(MQTTError) -> Int {
        if let port { return port }
        return try LoopbackPort.findFree()
    }

    private static func locateExecutable(_ executable: String?) throws(MQTTError) -> String {
        let fileManager = FileManager.default
        if let executable {
            guard fileManager.isExecutableFile(atPath: executable) else {
                throw MQTTError(
                    .brokerFailure, parameters: ["executable": executable, "reason": "not an executable file"])
            }
            return executable
        }
        let searchPath = ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":").map(String.init) ?? []
        let candidates = searchPath.map { "\($0)/mosquitto" } + executableFallbacks
        guard let found = candidates.first(where: fileManager.isExecutableFile(atPath:)) else {
            throw MQTTError(
                .brokerFailure, parameters: ["reason": "mosquitto is neither on PATH nor in \(executableFallbacks)"])
        }
        return found
    }

    static func configurationText(port: Int, logFile: URL, extraLines: [String]) -> String {
        var lines = [
            "# Written by MosquittoBroker.start, and rewritten on every start.",
            "listener \(port) 127.0.0.1",
            "allow_anonymous true",
            "persistence false",
            "log_dest file \(logFile.path)",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_type information",
            "connection_messages true",
            "max_queued_messages \(queuedMessageCountMax)",
            "set_tcp_nodelay true",
        ]
        if geteuid() == 0 {
            // Started as root, Mosquitto switches to the user "mosquitto", who may not write here.
            lines.append("user root")
        }
        lines += extraLines
        return lines.joined(separator: "\n") + "\n"
    }
}

/// The files of one broker directory.
struct BrokerFiles {
    let directory: URL

    var configuration: URL { directory.appendingPathComponent("mosquitto.conf") }
    var log: URL { directory.appendingPathComponent("mosquitto.log") }
    var output: URL { directory.appendingPathComponent("mosquitto.out") }

    func write(configuration text: String) throws(MQTTError) {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: configuration, options: .atomic)
        } catch {
            throw MQTTError(.systemError, parameters: ["file": configuration.path, "reason": "\(error)"])
        }
    }

    func openOutput() throws(MQTTError) -> FileHandle {
        guard FileManager.default.createFile(atPath: output.path, contents: nil),
            let handle = FileHandle(forWritingAtPath: output.path)
        else {
            throw MQTTError(.systemError, parameters: ["file": output.path, "reason": "cannot create the output file"])
        }
        return handle
    }
}
