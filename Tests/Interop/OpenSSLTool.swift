import Foundation
import Testing
import ToolSupport

/// The `openssl` command-line tool (installed by `Tools/bootstrap.sh`), run in a scratch directory.
struct OpenSSLTool {
    /// The scratch directory the tool's files are read from and written to.
    let directory: URL
    private let executable: URL

    /// Finds `openssl` on the PATH and makes a fresh scratch directory.
    init() throws {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let found = path.split(separator: ":").map { URL(fileURLWithPath: String($0)).appendingPathComponent("openssl") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
        executable = try #require(found, "openssl is on the PATH (Tools/bootstrap.sh installs it)")
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("openssl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// Runs `openssl <arguments>` in the scratch directory; returns its exit status and its output and
    /// error streams together.
    @discardableResult
    func run(_ arguments: String...) async throws -> (status: Int32, output: String) {
        try await run(arguments)
    }

    /// ``run(_:)-(String...)`` with the arguments as an array.
    @discardableResult
    func run(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let outcome = try await ChildProcess.run(executable, arguments, currentDirectory: directory)
        return (outcome.status, outcome.combinedOutput)
    }

    /// Writes a file into the scratch directory.
    func write(_ data: Data, to name: String) throws {
        try data.write(to: directory.appendingPathComponent(name))
    }

    /// Reads a file from the scratch directory.
    func read(_ name: String) throws -> Data {
        try Data(contentsOf: directory.appendingPathComponent(name))
    }

    /// Removes the scratch directory.
    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}
