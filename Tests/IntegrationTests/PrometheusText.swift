import Foundation

/// A strict reader of the Prometheus text exposition format (0.0.4), enough to prove `/metrics` parses:
/// every line is a `# HELP`, a `# TYPE` with a known type, or a sample `name{label="value",…} number`.
struct PrometheusText {
    struct Sample: Hashable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    var samples: [Sample] = []
    var types: [String: String] = [:]

    struct Failure: Error, CustomStringConvertible {
        var line: String
        var description: String { "not Prometheus text: \(line)" }
    }

    init(parsing text: String) throws {
        let name = #"[a-zA-Z_:][a-zA-Z0-9_:]*"#
        let sample = try Regex(#"^(\#(name))(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? (\S+)$"#)
        let typeLine = try Regex(#"^# TYPE (\#(name)) (counter|gauge|histogram|summary|untyped)$"#)
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("# HELP ") { continue }
            if let match = try typeLine.wholeMatch(in: line) {
                types[String(match.output[1].substring!)] = String(match.output[2].substring!)
                continue
            }
            guard let match = try sample.wholeMatch(in: line), let value = Double(match.output[match.output.count - 1].substring!)
                ?? (match.output[match.output.count - 1].substring == "+Inf" ? Double.infinity : nil)
            else { throw Failure(line: String(line)) }
            samples.append(Sample(name: String(match.output[1].substring!), labels: Self.labels(in: String(line)), value: value))
        }
    }

    private static func labels(in line: String) -> [String: String] {
        guard let open = line.firstIndex(of: "{"), let close = line.lastIndex(of: "}") else { return [:] }
        var labels: [String: String] = [:]
        for pair in line[line.index(after: open)..<close].split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            labels[String(parts[0])] = String(parts[1].dropFirst().dropLast())
        }
        return labels
    }

    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { sample in sample.name == name && labels.allSatisfy { key, value in sample.labels[key] == value } }?.value
    }
}
