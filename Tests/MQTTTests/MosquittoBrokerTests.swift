import Foundation
import MQTT
import Testing

@Suite("MosquittoBroker", .timeLimit(.minutes(1)))
struct MosquittoBrokerTests {
    @Test("a started broker listens on loopback, reports its URL, and stops on request")
    func startAndStop() async throws {
        let directory = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let broker = try await MosquittoBroker.start(directory: directory, logger: TestSupport.logger)
        #expect(broker.isRunning)
        #expect(broker.url == "mqtt://127.0.0.1:\(broker.port)")
        let configuration = try String(contentsOf: broker.configurationFile, encoding: .utf8)
        #expect(configuration.contains("listener \(broker.port) 127.0.0.1"))
        #expect(configuration.contains("max_queued_messages 100000"))
        #expect(configuration.contains("persistence false"))

        let exit = Task { await broker.waitUntilExit() }
        await broker.stop()
        #expect(!broker.isRunning)
        #expect(await exit.value == 0)
        #expect(FileManager.default.fileExists(atPath: broker.logFile.path))
    }

    @Test("a port that is already taken is reported instead of silently reused")
    func portInUse() async throws {
        try await withBroker { broker in
            let directory = try TestSupport.makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            await #expect(throws: MQTTError(.brokerFailure)) {
                try await MosquittoBroker.start(directory: directory, port: broker.port, logger: TestSupport.logger)
            }
        }
    }

    @Test("a broker that cannot start reports why, with its log")
    func brokenConfiguration() async throws {
        let directory = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        do throws(MQTTError) {
            _ = try await MosquittoBroker.start(
                directory: directory,
                additionalConfiguration: ["no_such_option true"],
                logger: TestSupport.logger
            )
            Issue.record("the broker should not have started")
        } catch {
            #expect(error == MQTTError(.brokerFailure))
            #expect(error.parameters["log"]?.contains("no_such_option") == true)
        }
    }

    @Test("a missing executable is reported")
    func missingExecutable() async throws {
        let directory = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        await #expect(throws: MQTTError(.brokerFailure)) {
            try await MosquittoBroker.start(
                directory: directory, executable: "/nonexistent/mosquitto", logger: TestSupport.logger)
        }
    }

    @Test("a free loopback port can be bound")
    func freePort() throws {
        let port = try LoopbackPort.findFree()
        #expect((1024...65_535).contains(port))
    }
}
