import Foundation
import ToolSupport

/// `wrk` (Debian's, installed by `Tools/bootstrap.sh`) as the HTTP load generator: it runs in its
/// own process, so the server's figures are not shared with a client in the same process, and it
/// spends far less CPU per request than a Swift client would on the same 2 cores.
struct Wrk {
    /// What one run measured.
    struct Result {
        /// Requests completed per second.
        let rate: Double
        /// Requests completed.
        let requests: Int
        /// Answers other than 2xx/3xx, plus socket errors.
        let failures: Int
        /// Median latency as `wrk` prints it (`1.23ms`).
        let p50: String
        /// 99th-percentile latency.
        let p99: String
    }

    /// The Lua script that replays prepared token requests, each once, split between `wrk`'s
    /// threads. `SN_BENCH_REQUESTS` names a file of lines `<DPoP proof>\t<form body>`; once a
    /// thread's share is spent it asks for a route that does not exist, which counts as a failure.
    static let tokenRequestScript = #"""
        local next_id = 1
        function setup(thread)
           thread:set("id", next_id)
           next_id = next_id + 1
        end

        function init(args)
           local step = tonumber(args[1])
           requests = {}
           local number = 0
           for line in io.lines(os.getenv("SN_BENCH_REQUESTS")) do
              if number % step == id - 1 then
                 local tab = line:find("\t", 1, true)
                 requests[#requests + 1] = wrk.format("POST", "/oauth2/token",
                    { ["Content-Type"] = "application/x-www-form-urlencoded", ["DPoP"] = line:sub(1, tab - 1) },
                    line:sub(tab + 1))
              end
              number = number + 1
           end
           index = 1
        end

        function request()
           local prepared = requests[index]
           index = index + 1
           return prepared or wrk.format("GET", "/bench/prepared-requests-exhausted")
        end
        """#

    /// The threads `wrk` runs: one per core of the 2-core target machine.
    static let threads = 2

    /// Loads `url` with `connections` connections for `seconds`, optionally through a Lua `script`.
    static func run(url: String, connections: Int, seconds: Int, script: String? = nil, environment: [String: String] = [:]) async throws -> Result {
        var arguments = ["wrk", "--latency", "-t\(threads)", "-c\(connections)", "-d\(seconds)s"]
        var scriptFile: URL?
        if let script {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("smartnation-bench-\(UUID().uuidString).lua")
            try Data(script.utf8).write(to: file)
            scriptFile = file
            arguments += ["-s", file.path]
        }
        defer { scriptFile.map { try? FileManager.default.removeItem(at: $0) } }
        arguments.append(url)
        if script != nil { arguments += ["--", String(threads)] }

        let run = try await ChildProcess.run(searchingPath: arguments, environment: environment)
        guard run.status == 0 else { throw BenchmarkFailure(reason: "wrk failed (make bench installs it): \(run.combinedOutput)") }
        return try parse(run.combinedOutput)
    }

    /// Reads `wrk --latency` output.
    static func parse(_ text: String) throws -> Result {
        func field(_ label: String) -> Substring? {
            guard let line = text.split(separator: "\n").first(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix(label) }) else { return nil }
            return line.split(separator: ":", maxSplits: 1).last.map { $0.drop { $0 == " " } }
        }
        func percentile(_ label: String) -> String {
            text.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix(label + " ") }?
                .split(separator: " ").last.map(String.init) ?? "?"
        }
        guard let rate = field("Requests/sec").flatMap({ Double($0.trimmingCharacters(in: .whitespaces)) }),
              let completed = text.split(separator: "\n").first(where: { $0.contains("requests in") })?
                .split(separator: " ").first.flatMap({ Int($0) })
        else { throw BenchmarkFailure(reason: "cannot read wrk's output: \(text)") }
        let non2xx = field("Non-2xx or 3xx responses").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } ?? 0
        let socketErrors = field("Socket errors").map { errors in
            errors.split(separator: ",").compactMap { $0.split(separator: " ").last.flatMap { Int($0) } }.reduce(0, +)
        } ?? 0
        return Result(rate: rate, requests: completed, failures: non2xx + socketErrors, p50: percentile("50%"), p99: percentile("99%"))
    }
}

/// CPU time used, user and system, in seconds: by this process (the server under measurement), or
/// by its children that have exited (`wrk` once a run is over).
enum ProcessCPU {
    static func seconds() -> Double { seconds(RUSAGE_SELF) }

    static func childrenSeconds() -> Double { seconds(RUSAGE_CHILDREN) }

    private static func seconds(_ who: __rusage_who) -> Double {
        var usage = rusage()
        getrusage(who.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}
