import AsyncHTTPClient
import Foundation
import Logging
import MailHookCore
import MailHookLLM
import MailHookTestSupport
import Testing

/// A down or failing LLM must not slow the pipeline: an endpoint that cannot be reached fails the
/// call at once, repeated failures open a circuit breaker that skips the network, and
/// `classifier.timeoutSeconds` bounds a whole call, retries included.
@Suite("LLM fail fast")
struct LLMFailFastTests {
    static let logger = LLMClassifierTests.logger

    /// The client the server uses for the LLM (``HTTPClient/Configuration/llmEndpoint(connectionsPerHost:)``).
    static func withLLMHTTPClient<T>(_ body: (HTTPClient) async throws -> T) async throws -> T {
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .llmEndpoint())
        do {
            let value = try await body(http)
            try await http.shutdown()
            return value
        } catch {
            try? await http.shutdown()
            throw error
        }
    }

    static func classifier(
        baseURL: String, http: HTTPClient, timeout: Duration = .seconds(30), retry: ChatRetryPolicy = ChatRetryPolicy(),
        breaker: CircuitBreaker = CircuitBreaker(failureThreshold: 3, coolDown: .seconds(30))
    ) -> LLMEmailClassifier {
        let client = ChatCompletionsClient(
            configuration: .init(baseURL: baseURL, apiKey: Secret(LLMClassifierTests.key), model: LLMClassifierTests.model,
                                 timeout: timeout, retry: retry, breaker: breaker),
            httpClient: http, logger: logger)
        return LLMEmailClassifier(client: client, model: LLMClassifierTests.model, fallback: LocalEmailClassifier(), logger: logger)
    }

    @Test("an endpoint that refuses connections: the fallback decides after one attempt, not after the connect timeout")
    func refusedConnectionFailsAtOnce() async throws {
        try await withRefusingPort { port in try await refusedConnection(port: port) }
    }

    func refusedConnection(port: Int) async throws {
        try await Self.withLLMHTTPClient { http in
            let classifier = Self.classifier(baseURL: "http://127.0.0.1:\(port)/v1", http: http)
            let outcome = await classifier.classify(LLMClassifierTests.input)
            #expect(outcome.fellBack)
            #expect(outcome.failure?.contains("unreachable") == true, "\(outcome.failure ?? "")")
            #expect(outcome.failure?.contains("attempts") == false, "not retried: \(outcome.failure ?? "")")
            #expect(outcome.classification == LLMClassifierTests.localAnswer)
            // The LLM call alone (the fallback's own time excluded). AsyncHTTPClient's default would keep
            // reconnecting until the connect timeout, three times over. Scripts/test runs this test alone
            // after the rest (MAILHOOK_TEST_ALONE=1), where the target holds: under 1 s. Beside the
            // whole suite starting on two cores, a call can wait seconds for a thread, not for the network.
            let call = outcome.timings.classificationMs ?? .max
            let bound = ProcessInfo.processInfo.environment["MAILHOOK_TEST_ALONE"] == "1" ? 1_000 : 5_000
            #expect(call < bound, "the LLM call took \(call) ms")
        }
    }

    @Test("three failing calls open the breaker: later emails fall back without a request; one probe after the cool-down closes it")
    func breakerSkipsTheNetwork() async throws {
        try await FakeLLM.with(apiKey: LLMClassifierTests.key) { llm in
            try await Self.withLLMHTTPClient { http in
                llm.mode = .status(500)
                // Long enough that the fourth email still finds it open on a loaded machine.
                let breaker = CircuitBreaker(failureThreshold: 3, coolDown: .seconds(2))
                let classifier = Self.classifier(baseURL: llm.baseURL, http: http, retry: ChatRetryPolicy(maxAttempts: 1), breaker: breaker)
                for _ in 0..<3 { #expect(await classifier.classify(LLMClassifierTests.input).fellBack) }
                #expect(llm.requests.count == 3, "one classification call each, no confidence call after a failure")
                #expect(breaker.state == .open)

                let skipped = await classifier.classify(LLMClassifierTests.input)
                #expect(skipped.fellBack)
                #expect(skipped.failure?.contains("circuit_open") == true, "\(skipped.failure ?? "")")
                #expect(llm.requests.count == 3, "no request while the breaker is open")

                llm.mode = .good(category: .purchasing, urgency: .high, confidence: 70, assessed: 87)
                try await eventually { await !classifier.classify(LLMClassifierTests.input).fellBack }
                #expect(breaker.state == .closed)
                #expect(llm.requests.count == 5, "the probe's classification and confidence calls")
            }
        }
    }

    @Test("classifier.timeoutSeconds bounds the whole call: a slow 503, a retry, then a model that never answers")
    func timeoutBoundsRetries() async throws {
        try await FakeLLM.with(apiKey: LLMClassifierTests.key) { llm in
            try await Self.withLLMHTTPClient { http in
                // Every answer takes 3 s: the 503 uses most of the 5 s budget, so the retry has only the rest.
                llm.latency = .seconds(3)
                llm.enqueue([.status(503), .slow(.seconds(6))])
                let classifier = Self.classifier(
                    baseURL: llm.baseURL, http: http, timeout: .seconds(5),
                    retry: ChatRetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(100), maxDelay: .milliseconds(200)))
                let outcome = await classifier.classify(LLMClassifierTests.input)
                #expect(outcome.fellBack)
                // The LLM call alone: with a timeout per attempt the retry would have had 5 s more, 8 s in all.
                let call = outcome.timings.classificationMs ?? .max
                #expect(call < 6_500, "the LLM call took \(call) ms")
                #expect(llm.requests.count <= 2)
                if llm.requests.count == 2 {
                    #expect(outcome.failure?.contains("timeout") == true, "\(outcome.failure ?? "")")
                } else {
                    // A machine so loaded that the first answer took (nearly) the whole budget: no retry.
                    #expect(outcome.failure?.contains("503") == true || outcome.failure?.contains("timeout") == true, "\(outcome.failure ?? "")")
                }
            }
        }
    }
}
