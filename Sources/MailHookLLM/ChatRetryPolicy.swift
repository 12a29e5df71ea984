import MailHookCore
import Foundation
import NIOHTTP1

/// When and how long to wait before trying a chat-completions call again.
///
/// Defaults: 3 attempts in all; 429, 500, 502, 503, 504 and transport failures are retried;
/// `Retry-After` is honoured up to 10 s (a longer one is cut to 10 s, because a classification is
/// worth less than a stalled pipeline and the offline classifier is always there); without it,
/// exponential backoff with jitter from 500 ms, at most 8 s.
public struct ChatRetryPolicy: Sendable, Equatable {
    /// Attempts in all, the first included.
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration
    /// The longest `Retry-After` honoured; longer ones are capped to it.
    public var maxRetryAfter: Duration

    public init(maxAttempts: Int = 3, baseDelay: Duration = .milliseconds(500), maxDelay: Duration = .seconds(8), maxRetryAfter: Duration = .seconds(10)) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter
    }

    /// Rate limits and temporary server trouble; other statuses will not change on a retry.
    public static func isRetryable(status: Int) -> Bool {
        [429, 500, 502, 503, 504].contains(status)
    }

    /// Exponential backoff with jitter: a random delay between half and all of base × 2^(attempt-1), capped.
    public func backoff(attempt: Int) -> Duration {
        let exponent = min(max(attempt - 1, 0), 20)
        let ceiling = min(baseDelay * (1 << exponent), maxDelay)
        let millis = max(2, ceiling.wholeMilliseconds)
        return .milliseconds(Int.random(in: millis / 2...millis))
    }

    /// How long to wait after a retryable answer: the server's `retry-after-ms` (Azure) or
    /// `Retry-After` in seconds, capped at ``maxRetryAfter``; else ``backoff(attempt:)``.
    public func delay(attempt: Int, headers: HTTPHeaders) -> Duration {
        guard let asked = Self.retryAfter(headers) else { return backoff(attempt: attempt) }
        return min(asked, maxRetryAfter)
    }

    /// The wait a response asks for, or nil when it names none (or an unreadable one).
    public static func retryAfter(_ headers: HTTPHeaders) -> Duration? {
        if let text = headers.first(name: "retry-after-ms")?.trimmingCharacters(in: .whitespaces), let ms = Double(text), ms.isFinite, ms >= 0 {
            return .milliseconds(Int(min(ms, 3_600_000)))
        }
        if let text = headers.first(name: "Retry-After")?.trimmingCharacters(in: .whitespaces), let seconds = Double(text), seconds.isFinite, seconds >= 0 {
            return .milliseconds(Int(min(seconds, 3600) * 1000))
        }
        return nil
    }
}
