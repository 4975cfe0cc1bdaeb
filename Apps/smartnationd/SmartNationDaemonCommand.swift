import ArgumentParser
import Foundation
import Logging
import SmartNationCore
import SmartNationDaemon

/// `smartnationd`: the Smart Nation Platform daemon.
@main
struct SmartNationDaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smartnationd",
        abstract: "Run the Smart Nation Platform daemon: HTTP API, event bus, MQTT bridge, health and metrics.",
        discussion: """
            With no options the daemon keeps its data in ./data, listens on 127.0.0.1:8080 and starts its own \
            Mosquitto broker on a free loopback port. Settings come from flags, then SMARTNATION_* environment \
            variables, then the YAML file given by --config, then the defaults.

            Configuration keys (file key, environment variable, default):
            \(ConfigurationKey.all.map { "  \($0.name)  \($0.environmentVariable)  [\($0.defaultValue ?? "unset")]\n      \($0.summary)" }.joined(separator: "\n"))

            Endpoints: GET /livez, /healthz (alive), /readyz (storage and broker, 503 when not ready), /metrics (Prometheus).
            SIGINT or SIGTERM shut down gracefully. Exit status 78 means the configuration was refused.
            """
    )

    @Option(name: .long, help: ArgumentHelp("A YAML configuration file.", valueName: "file"))
    var config: String?

    @Option(name: .customLong("data-dir"), help: ArgumentHelp("The data directory (data_dir).", valueName: "dir"))
    var dataDirectory: String?

    @Option(name: .long, help: ArgumentHelp("Where the HTTP API listens (http.address).", valueName: "host:port"))
    var http: String?

    @Option(name: .customLong("log-format"), help: ArgumentHelp("text or json (log.format).", valueName: "format"))
    var logFormat: String?

    @Option(name: .customLong("log-level"), help: ArgumentHelp("trace … critical (log.level).", valueName: "level"))
    var logLevel: String?

    func run() async throws {
        let configuration: SmartNationConfiguration
        do {
            configuration = try loadConfiguration()
        } catch {
            FileHandle.standardError.write(Data("smartnationd: configuration refused: \(ErrorDescription.line(for: error))\n".utf8))
            throw ExitCode(78)
        }
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler
            switch configuration.log.format {
            case .text: handler = StreamLogHandler.standardError(label: label)
            case .json: handler = JSONLogHandler(label: label)
            }
            handler.logLevel = configuration.log.level
            return handler
        }
        let logger = Logger(label: "smartnationd")
        let broker = configuration.mqtt.url ?? "embedded mosquitto"
        let daemon = SmartNationDaemon(configuration: configuration, logger: logger) { address in
            let line = "smartnationd listening on \(address.url) (data: \(configuration.dataDirectory.path), broker: \(broker)); Ctrl-C stops it\n"
            FileHandle.standardOutput.write(Data(line.utf8))
        }
        do {
            try await daemon.run()
        } catch let error as SmartNationError {
            logger.critical("smartnationd failed", metadata: ["error": "\(ErrorDescription.line(for: error))"])
            throw ExitCode.failure
        }
    }

    private func loadConfiguration() throws(SmartNationError) -> SmartNationConfiguration {
        var loader = ConfigurationLoader()
        if let config { try loader.addFile(at: config) }
        try loader.addEnvironment(ProcessInfo.processInfo.environment)
        if let dataDirectory { try loader.addFlag("--data-dir", key: "data_dir", value: dataDirectory) }
        if let http { try loader.addFlag("--http", key: "http.address", value: http) }
        if let logFormat { try loader.addFlag("--log-format", key: "log.format", value: logFormat) }
        if let logLevel { try loader.addFlag("--log-level", key: "log.level", value: logLevel) }
        return try loader.resolve()
    }
}
