import Foundation

/// The process figures Prometheus' `process_*` metrics report, read from `/proc/self` on Linux.
struct ProcessStatistics: Sendable {
    /// Resident memory in bytes.
    var residentMemoryBytes: Double
    /// Virtual memory in bytes.
    var virtualMemoryBytes: Double
    /// User and system CPU time in seconds.
    var cpuSeconds: Double
    /// Open file descriptors.
    var openFileDescriptors: Double
    /// When the process started, in seconds since the epoch.
    var startTimeSeconds: Double

    private static let clockTicksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
    private static let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))

    /// The current figures, or `nil` where `/proc` is not available.
    static func current() -> ProcessStatistics? {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let closing = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name, which may itself contain spaces; field 3 (state) is index 0.
        let fields = stat[stat.index(after: closing)...].split(separator: " ")
        guard fields.count > 22, let userTicks = Double(fields[11]), let systemTicks = Double(fields[12]),
            let startTicks = Double(fields[19]), let virtualBytes = Double(fields[20]), let residentPages = Double(fields[21])
        else { return nil }
        let openFiles = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
        return ProcessStatistics(
            residentMemoryBytes: residentPages * pageSize,
            virtualMemoryBytes: virtualBytes,
            cpuSeconds: (userTicks + systemTicks) / clockTicksPerSecond,
            openFileDescriptors: Double(openFiles),
            startTimeSeconds: bootTimeSeconds() + startTicks / clockTicksPerSecond
        )
    }

    private static func bootTimeSeconds() -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let line = stat.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }),
            let seconds = Double(line.dropFirst("btime ".count))
        else { return 0 }
        return seconds
    }
}
