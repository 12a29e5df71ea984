import Foundation
import NIOCore
import NIOPosix

/// Sends hand-written HTTP/1.1 bytes and reads the answer until the server closes, ignoring
/// write failures: used where a full client would stop at the server cutting an upload off.
public enum RawHTTPClient {
    public struct Answer: Sendable {
        public let raw: String
        public var status: Int? {
            let parts = raw.split(separator: " ", maxSplits: 2)
            return parts.count > 1 ? Int(parts[1]) : nil
        }
        public var body: String {
            guard let range = raw.range(of: "\r\n\r\n") else { return "" }
            return String(raw[range.upperBound...])
        }
        public var bytesSentBeforeClose: Int
    }

    /// - Parameters:
    ///   - head: request line and headers, without the blank line.
    ///   - bodySize: bytes of body to attempt to send (spaces), in 64 KB chunks.
    ///   - chunked: send with `Transfer-Encoding: chunked` instead of the declared length.
    ///   - stopAfter: send only this many body bytes, then wait for the answer (a stalled sender).
    public static func upload(port: Int, path: String, contentType: String = "application/json", headers: [(String, String)] = [],
                              bodySize: Int, chunked: Bool, stopAfter: Int? = nil) async throws -> Answer {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: \(contentType)\r\n"
            for (name, value) in headers { head += "\(name): \(value)\r\n" }
            head += chunked ? "Transfer-Encoding: chunked\r\n\r\n" : "Content-Length: \(bodySize)\r\n\r\n"
            var sent = 0
            do {
                try await outbound.write(ByteBuffer(string: head))
                let chunk = [UInt8](repeating: UInt8(ascii: " "), count: 64 * 1024)
                let limit = min(bodySize, stopAfter ?? bodySize)
                while sent < limit {
                    let n = min(chunk.count, limit - sent)
                    var buffer = ByteBuffer()
                    if chunked { buffer.writeString(String(n, radix: 16) + "\r\n") }
                    buffer.writeBytes(chunk[0..<n])
                    if chunked { buffer.writeString("\r\n") }
                    try await outbound.write(buffer)
                    sent += n
                }
                if chunked, stopAfter == nil { try await outbound.write(ByteBuffer(string: "0\r\n\r\n")) }
            } catch {
                // The server stopped reading and closed: expected for an oversize upload.
            }
            var received = ByteBuffer()
            do {
                for try await var part in inbound {
                    received.writeBuffer(&part)
                    if let text = received.getString(at: 0, length: received.readableBytes), let end = text.range(of: "\r\n\r\n"),
                       let lengthLine = text[..<end.lowerBound].split(separator: "\r\n").first(where: { $0.lowercased().hasPrefix("content-length:") }),
                       let length = Int(lengthLine.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)),
                       text.utf8.count - text.distance(from: text.startIndex, to: end.upperBound) >= length {
                        break
                    }
                }
            } catch {
                // A reset after the answer arrived.
            }
            return Answer(raw: String(buffer: received), bytesSentBeforeClose: sent)
        }
    }
}

extension RawHTTPClient {
    /// Sends a complete request and closes the connection without reading the answer, as the kernel
    /// does for a client process that is SIGKILLed while it waits.
    public static func sendThenDrop(port: Int, method: String, path: String, headers: [(String, String)] = [], body: String) async throws {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        try await channel.executeThenClose { _, outbound in
            var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(body.utf8.count)\r\n"
            for (name, value) in headers { head += "\(name): \(value)\r\n" }
            try await outbound.write(ByteBuffer(string: head + "\r\n" + body))
        }
    }
}
