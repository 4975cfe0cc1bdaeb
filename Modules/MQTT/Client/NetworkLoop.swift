import CMosquitto
import Dispatch
import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The network thread: one per connection run, from `connect()` until the client stops.
///
/// libmosquitto's own loop thread reconnects after a fixed or exponential delay without jitter, so
/// the client owns the loop instead: it calls `mosquitto_loop` while connected (`poll(2)` and the
/// external-loop calls where `mosquitto_loop`'s `select(2)` cannot take the socket) and, after a loss,
/// sleeps the policy's jittered delay on `wakeSignal` (so a stop cuts the sleep short) before
/// `mosquitto_reconnect_async`. All socket I/O and every libmosquitto callback happen on this thread.
extension ClientCore {
    /// Applies the settings to the handle and starts the thread; on a settings error the attempt
    /// ends at once and the waiting `connect()` fails with it.
    func startNetworkThread() {
        do {
            try handle.configure(with: configuration)
        } catch {
            transition { state, effects in state.networkThreadFailedToStart(error, effects: &effects) }
            return
        }
        let thread = Thread { [self] in
            runNetworkLoop()
        }
        thread.name = "MQTT \(configuration.clientID)"
        thread.start()
    }

    private func runNetworkLoop() {
        blockBrokenPipeSignal()
        while wakeSignal.wait(timeout: .now()) == .success {}
        var needsConnection = true
        var hasStoredAddress = false
        loop: while true {
            switch state.withLock({ $0.networkDirective }) {
            case .stopCleanly:
                closeCleanly()
                break loop
            case .stopAbruptly:
                break loop
            case .run:
                break
            }
            let result: Int32
            if needsConnection {
                result = openConnection(hasStoredAddress: hasStoredAddress)
                hasStoredAddress = true
                needsConnection = result != MOSQ_ERR_SUCCESS.rawValue
                if !needsConnection { continue }
            } else {
                result = serviceConnection(timeoutMilliseconds: Self.loopTimeoutMilliseconds)
                if result == MOSQ_ERR_SUCCESS.rawValue && mosquitto_socket(handle.pointer) != -1 { continue }
                needsConnection = true
            }
            guard waitBeforeRetrying(after: MosquittoLibrary.error(for: result, operation: "connection")) else {
                break loop
            }
        }
        transition { state, effects in state.networkThreadExited(effects: &effects) }
    }

    /// Starts a non-blocking connect; `mosquitto_loop` completes it and the CONNACK callback reports it.
    private func openConnection(hasStoredAddress: Bool) -> Int32 {
        if hasStoredAddress {
            return mosquitto_reconnect_async(handle.pointer)
        }
        return mosquitto_connect_async(
            handle.pointer,
            configuration.host,
            Int32(configuration.port),
            Int32(configuration.keepAliveSeconds)
        )
    }

    /// Records the end of a connection or attempt; sleeps the backoff delay when retrying.
    /// Returns false when the thread must stop.
    private func waitBeforeRetrying(after error: MQTTError?) -> Bool {
        let decision = transition { state, effects in state.connectionEnded(error, effects: &effects) }
        guard case .retry(let failedAttempts) = decision else { return false }
        var generator = SystemRandomNumberGenerator()
        let delay = configuration.reconnect.delay(afterFailedAttempts: failedAttempts, using: &generator)
        logger.debug(
            "MQTT connection attempt pending",
            metadata: [
                "mqtt.failedAttempts": "\(failedAttempts)",
                "mqtt.delay": "\(delay)",
                "mqtt.error": "\(error.map(String.init(describing:)) ?? "closed")",
            ]
        )
        let (seconds, attoseconds) = delay.components
        let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        _ = wakeSignal.wait(timeout: .now() + .nanoseconds(nanoseconds))
        return true
    }

    /// Sends DISCONNECT and runs the loop until libmosquitto has written it and closed the socket.
    private func closeCleanly() {
        guard mosquitto_socket(handle.pointer) != -1 else { return }
        mosquitto_disconnect(handle.pointer)
        let deadline = ContinuousClock.now.advanced(by: Self.cleanStopDurationMax)
        while mosquitto_socket(handle.pointer) != -1, ContinuousClock.now < deadline {
            _ = serviceConnection(timeoutMilliseconds: 100)
        }
    }

    /// One turn of the connected loop: wait for the socket, read, write what is queued, keep the
    /// session alive. `mosquitto_loop` does it, but waits with `select(2)`, which cannot watch a
    /// descriptor numbered `FD_SETSIZE` (1024) or above and so answers `MOSQ_ERR_INVAL` for a socket
    /// opened while the process holds that many connections and files — a busy daemon would lose its
    /// broker. Then ``pollConnection()`` does the same turn with `poll(2)`, which has no such limit.
    private func serviceConnection(timeoutMilliseconds: Int32) -> Int32 {
        let result = mosquitto_loop(handle.pointer, timeoutMilliseconds, 1)
        guard result == MOSQ_ERR_INVAL.rawValue, mosquitto_socket(handle.pointer) != -1 else { return result }
        return pollConnection()
    }

    /// `mosquitto_loop`'s turn with `poll(2)` and libmosquitto's external-loop calls. It waits at most
    /// ``pollTimeoutMilliseconds``, short, because a packet queued meanwhile by another thread
    /// (libmosquitto wakes its own `select` for that, through a socket pair it does not expose) is
    /// written only at the next turn.
    private func pollConnection() -> Int32 {
        var descriptor = pollfd(
            fd: mosquitto_socket(handle.pointer),
            events: Int16(POLLIN) | (mosquitto_want_write(handle.pointer) ? Int16(POLLOUT) : 0), revents: 0)
        let ready = poll(&descriptor, 1, Self.pollTimeoutMilliseconds)
        guard ready >= 0 || errno == EINTR else { return MOSQ_ERR_ERRNO.rawValue }
        if ready > 0 {
            // Reading first also advances a TLS handshake in progress, as `mosquitto_loop` does when
            // the socket turns writable; on a connected socket with nothing to read it reads nothing.
            let read = mosquitto_loop_read(handle.pointer, 1)
            guard read == MOSQ_ERR_SUCCESS.rawValue else { return read }
        }
        if mosquitto_socket(handle.pointer) != -1, mosquitto_want_write(handle.pointer) {
            let written = mosquitto_loop_write(handle.pointer, 1)
            guard written == MOSQ_ERR_SUCCESS.rawValue else { return written }
        }
        return mosquitto_loop_misc(handle.pointer)
    }

    /// libmosquitto writes with `write(2)`, which raises SIGPIPE on a socket the broker closed and
    /// would kill the process. Blocking the signal on this thread, the only one that writes, turns it
    /// into an `EPIPE` error without changing the process's signal handling.
    private func blockBrokenPipeSignal() {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
    }
}
