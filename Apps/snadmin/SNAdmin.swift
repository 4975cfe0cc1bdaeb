import ArgumentParser
import Foundation
import SmartNationClient
import SmartNationCore

/// `snadmin`: the operators' command-line tool.
@main
struct SNAdmin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snadmin",
        abstract: "Operate a Smart Nation Platform daemon.",
        discussion: """
            The daemon is found by --server URL, else the SMARTNATION_SERVER environment variable, \
            else \(DaemonClient.defaultServerURL).
            """,
        subcommands: [Status.self]
    )
}

/// Options every subcommand that talks to the daemon shares.
struct ServerOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The daemon's base URL.", valueName: "url"))
    var server: String?

    func client() throws -> DaemonClient {
        let url = DaemonClient.resolveServerURL(flag: server, environment: ProcessInfo.processInfo.environment)
        do {
            return try DaemonClient(serverURL: url)
        } catch {
            throw ValidationError(ErrorDescription.line(for: error))
        }
    }
}

extension SNAdmin {
    /// `snadmin status`: is the daemon ready, and if not, why.
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show whether the daemon is ready, with each dependency's state.",
            discussion: """
                Calls GET /readyz. Exit status: 0 ready, 1 not ready, 2 the daemon could not be reached.
                """
        )

        @OptionGroup var server: ServerOptions

        @Flag(name: .long, help: "Print the daemon's JSON report instead of a table.")
        var json = false

        func run() async throws {
            let client = try server.client()
            let report: ReadinessReport
            do {
                report = try await client.readiness()
            } catch {
                FileHandle.standardError.write(Data("snadmin: \(ErrorDescription.line(for: error))\n".utf8))
                throw ExitCode(2)
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                print("smartnationd at \(client.serverURL): \(report.isReady ? "ready" : "NOT READY")")
                print(StatusTable.render(report))
            }
            if !report.isReady { throw ExitCode(1) }
        }
    }
}

/// Lays out a readiness report as aligned columns.
enum StatusTable {
    static func render(_ report: ReadinessReport) -> String {
        let rows = [["CHECK", "STATUS", "DETAIL"]] + report.checks.map { [$0.name, $0.status, $0.detail] }
        let widths = (0..<2).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row[0].padding(toLength: widths[0], withPad: " ", startingAt: 0) + "  "
                + row[1].padding(toLength: widths[1], withPad: " ", startingAt: 0) + "  " + row[2]
        }.joined(separator: "\n")
    }
}
