import Foundation
import ToolSupport

/// A Python script of `Tests/Interop/Python`, run by the project's virtualenv (`.build-venv`, made
/// by `Tools/bootstrap.sh`) without blocking a thread of the concurrency pool while it runs.
struct PythonScript {
    let url: URL

    /// The script `name` next to this file, under `Python/`.
    init(_ name: String) {
        url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Python").appendingPathComponent(name)
    }

    /// Runs the script with `arguments`.
    func run(_ arguments: [String]) async throws -> ChildProcess.Outcome {
        try await Self.runInterpreter([url.path] + arguments)
    }

    /// Runs the virtualenv's interpreter with `arguments` (a script's path, or `-c` and a snippet).
    static func runInterpreter(_ arguments: [String]) async throws -> ChildProcess.Outcome {
        let python = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".build-venv/bin/python")
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        return try await ChildProcess.run(python, arguments, environment: environment)
    }
}
