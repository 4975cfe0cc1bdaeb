/// The messages a client receives on its subscriptions, in the order the broker delivered them.
///
/// The stream is bounded by `MQTTClientConfiguration.incomingBufferCapacity`. When the consumer
/// stalls and the buffer is full, libmosquitto's network thread does not wait: each further message
/// is dropped and counted in `MQTTClient.droppedMessageCount`, and the first drop of a burst is
/// logged. The network thread therefore keeps answering pings and acknowledging publishes, so
/// `publish()` never deadlocks, even when called by the consumer itself. Size the buffer for the
/// longest stall you want to ride out without loss.
///
/// One task consumes at a time. Cancelling the consuming task ends its `for await` loop without
/// ending the stream: a later loop continues with the next message. The stream finishes, after
/// the queued messages, when the client disconnects.
public struct MQTTMessageStream: AsyncSequence, Sendable {
    /// The stream yields messages.
    public typealias Element = MQTTMessage
    /// The stream never fails; it finishes.
    public typealias Failure = Never

    let buffer: MessageBuffer

    /// Creates an iterator over the shared buffer.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(buffer: buffer)
    }

    /// Iterates the stream; once it returned `nil` it keeps returning `nil`.
    public struct AsyncIterator: AsyncIteratorProtocol, Sendable {
        let buffer: MessageBuffer
        private var isExhausted = false

        init(buffer: MessageBuffer) {
            self.buffer = buffer
        }

        /// The next message, or `nil` when the stream finished or the task was cancelled.
        public mutating func next() async -> MQTTMessage? {
            guard !isExhausted else { return nil }
            let message = await buffer.next()
            isExhausted = message == nil
            return message
        }
    }
}
