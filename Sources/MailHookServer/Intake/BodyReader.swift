import Foundation
import HTTPTypes
import Hummingbird
import MailHookCore
import NIOCore
import Synchronization

/// Reads a request body with a size limit enforced while reading (a declared Content-Length
/// over the limit is refused before a byte is read) and a deadline for the whole body.
struct BodyReader: Sendable {
    let maxBytes: Int
    let timeout: Duration
    /// Cancels reads that pass their deadline (checked every 100 ms).
    var sweeper = DeadlineSweeper.shared

    func read(_ request: Request) async throws -> ByteBuffer {
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > maxBytes {
            throw IntakeError.tooLarge(limit: maxBytes)
        }
        let limit = maxBytes
        let body = request.body
        // One task reads the body and the sweeper cancels it at the deadline: racing the read
        // against a sleep in a task group cost two tasks per request.
        let reading = Task<ByteBuffer, any Error> {
            do {
                return try await body.collect(upTo: limit)
            } catch is NIOTooManyBytesError {
                throw IntakeError.tooLarge(limit: limit)
            }
        }
        let deadline = DeadlineFlag()
        let entry = sweeper.add(after: timeout) {
            deadline.passed.store(true, ordering: .sequentiallyConsistent)
            reading.cancel()
        }
        defer { sweeper.remove(entry) }
        do {
            return try await withTaskCancellationHandler { try await reading.value } onCancel: { reading.cancel() }
        } catch {
            if deadline.passed.load(ordering: .sequentiallyConsistent) { throw IntakeError.timeout }
            throw error
        }
    }

    /// Set by the deadline's timer before it cancels the read.
    private final class DeadlineFlag: Sendable {
        let passed = Atomic(false)
    }

    /// `application/json` or any `+json` type, parameters ignored (ASCII comparison, no allocation
    /// beyond the header's own bytes: this runs on every webhook request).
    static func isJSON(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        var media = Substring(contentType).utf8.prefix { $0 != UInt8(ascii: ";") }
        while let first = media.first, first == 0x20 || first == 0x09 { media = media.dropFirst() }
        while let last = media.last, last == 0x20 || last == 0x09 { media = media.dropLast() }
        func lower(_ b: UInt8) -> UInt8 { (0x41...0x5A).contains(b) ? b | 0x20 : b }
        func hasPrefix(_ p: String) -> Bool {
            let p = Array(p.utf8)
            return media.count >= p.count && zip(media, p).allSatisfy { lower($0) == $1 }
        }
        func hasSuffix(_ p: String) -> Bool {
            let p = Array(p.utf8)
            return media.count >= p.count && zip(media.suffix(p.count), p).allSatisfy { lower($0) == $1 }
        }
        if media.count == 16, hasPrefix("application/json") { return true }
        return hasPrefix("application/") && hasSuffix("+json")
    }

    /// Checks and parses a JSON body; a failure is counted for `source` and answered 400 with the reason.
    static func parseJSON(_ body: ByteBuffer, source: String, metrics: ServerMetrics) throws -> JSONValue {
        try parseJSON(body, source: source, metrics: metrics) { try JSONValue.parseRequest($0) }
    }

    /// Checks the body, then hands its bytes to `parse`; guard and syntax failures become 400s.
    static func parseJSON<T>(_ body: ByteBuffer, source: String, metrics: ServerMetrics, _ parse: ([UInt8]) throws -> T) throws -> T {
        let bytes = Array(body.readableBytesView)
        do {
            try JSONGuard.check(bytes)
            return try parse(bytes)
        } catch let failure as JSONGuard.Failure {
            metrics.rejection(source: source, reason: "malformed")
            throw IntakeError.badRequest(failure.description)
        } catch let syntax as JSONSyntaxError {
            metrics.rejection(source: source, reason: "malformed")
            throw IntakeError.badRequest("the body is not valid JSON (\(syntax))")
        }
    }
}
