import AsyncHTTPClient
import Foundation
import Logging
import MailHookCore
import NIOCore
import NIOHTTP1
import NIOPosix

/// An OpenAI-compatible chat-completions client on AsyncHTTPClient, also speaking the Azure
/// OpenAI form of the same API.
///
/// - OpenAI form: `POST {baseURL}/chat/completions`, `Authorization: Bearer <key>`, `model` in the body.
/// - Azure form (the host ends in `.openai.azure.com` or the path has `/openai/deployments/`):
///   `POST {baseURL}/chat/completions?api-version=2024-06-01` (unless the base URL names an
///   `api-version`), header `api-key: <key>`, no `model` (the deployment in the URL decides). A bare
///   resource URL (`https://x.openai.azure.com`) gets `/openai/deployments/{model}` added.
///
/// The configured timeout bounds a whole call, retries and their waits included. 429, 500, 502, 503,
/// 504 and transport failures are retried per ``ChatRetryPolicy`` while time is left; a timeout is
/// not, because a model that was slow once is likely slow again, and neither is an endpoint that
/// refuses connections, which will not be up a second later. Calls that keep failing that way open
/// the ``breaker``: while it is open, calls fail at once without touching the network (the caller's
/// fallback decides), and after its cool-down one call probes.
public struct ChatCompletionsClient: Sendable {
    public struct Configuration: Sendable {
        public var baseURL: String
        public var apiKey: Secret?
        /// The model (OpenAI form) or the deployment name (Azure form, used only for a bare resource URL).
        public var model: String
        /// A whole call, retries included. Default 30 s (`classifier.timeoutSeconds`).
        public var timeout: Duration
        public var retry: ChatRetryPolicy
        /// Opened by calls that fail for want of an endpoint (unreachable, timeouts, 429/5xx after retries).
        public var breaker: CircuitBreaker
        /// How answers with a schema are asked for (`classifier.structuredOutput`).
        public var structuredOutput: StructuredOutputMode

        public init(
            baseURL: String, apiKey: Secret?, model: String, timeout: Duration = .seconds(30), retry: ChatRetryPolicy = ChatRetryPolicy(),
            breaker: CircuitBreaker = ChatCompletionsClient.defaultBreaker(), structuredOutput: StructuredOutputMode = .auto
        ) {
            self.baseURL = baseURL
            self.apiKey = apiKey
            self.model = model
            self.timeout = timeout
            self.retry = retry
            self.breaker = breaker
            self.structuredOutput = structuredOutput
        }
    }

    public enum APIStyle: String, Sendable, Equatable {
        case openAI = "openai"
        case azure
    }

    /// One answer: the assistant's text and what the provider reported about it.
    public struct Completion: Sendable, Equatable {
        public var content: String
        /// `usage.total_tokens`, when reported.
        public var totalTokens: Int?
        /// The `model` the provider says answered.
        public var model: String?
        /// Attempts made, the successful one included.
        public var attempts: Int

        public init(content: String, totalTokens: Int?, model: String?, attempts: Int) {
            self.content = content
            self.totalTokens = totalTokens
            self.model = model
            self.attempts = attempts
        }
    }

    /// Three calls failing for want of the endpoint open it; one probe after 30 s.
    public static func defaultBreaker() -> CircuitBreaker { CircuitBreaker(failureThreshold: 3, coolDown: .seconds(30)) }

    /// The Azure OpenAI API version sent when the base URL names none.
    public static let azureAPIVersion = "2024-06-01"
    static let maxResponseBytes = 4 << 20

    public let configuration: Configuration
    /// The URL every call posts to.
    public let endpoint: String
    public let style: APIStyle
    let httpClient: HTTPClient
    let logger: Logger
    let sleep: @Sendable (Duration) async throws -> Void
    /// The response format this endpoint is asked for; in `auto`, lowered when the endpoint refuses one.
    let format: StructuredOutputLevel

    /// - Parameter sleep: waits between attempts; tests inject one that records instead of waiting.
    public init(
        configuration: Configuration, httpClient: HTTPClient, logger: Logger,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.configuration = configuration
        (self.endpoint, self.style) = Self.endpoint(baseURL: configuration.baseURL, model: configuration.model)
        self.httpClient = httpClient
        self.logger = logger
        self.sleep = sleep
        self.format = StructuredOutputLevel(configuration.structuredOutput)
    }

    /// The form answers with a schema are asked for now (`auto` starts at `json_schema`).
    public var structuredOutputInUse: StructuredOutputMode { format.current }

    /// The URL to post to and the API form, from the configured base URL.
    public static func endpoint(baseURL: String, model: String) -> (url: String, style: APIStyle) {
        var base = baseURL.trimmingCharacters(in: .whitespaces)
        var query = ""
        if let mark = base.firstIndex(of: "?") {
            query = String(base[base.index(after: mark)...])
            base = String(base[..<mark])
        }
        while base.hasSuffix("/") { base.removeLast() }
        let host = URLComponents(string: base)?.host?.lowercased() ?? ""
        let hasDeployment = base.lowercased().contains("/openai/deployments/")
        let style: APIStyle = host.hasSuffix(".openai.azure.com") || hasDeployment ? .azure : .openAI
        if !base.lowercased().hasSuffix("/chat/completions") {
            if style == .azure, !hasDeployment, !model.isEmpty {
                base += "/openai/deployments/\(model.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? model)"
            }
            base += "/chat/completions"
        }
        if style == .azure, !query.lowercased().split(separator: "&").contains(where: { $0.hasPrefix("api-version=") }) {
            query += (query.isEmpty ? "" : "&") + "api-version=\(azureAPIVersion)"
        }
        return (query.isEmpty ? base : base + "?" + query, style)
    }

    // MARK: - Calls

    /// Sends one prompt and returns the assistant's text, retrying as the policy says.
    /// - Parameters:
    ///   - answer: the JSON the answer must be, sent in the form ``Configuration/structuredOutput``
    ///     chooses; nil for prose.
    ///   - temperature: low by default, so the same email gets the same answer.
    public func complete(
        _ prompt: ChatPrompt, maxTokens: Int, answer: AnswerShape? = nil, temperature: Double = 0.1
    ) async throws(ChatCompletionsError) -> Completion {
        let breaker = configuration.breaker
        guard breaker.allow() else {
            throw ChatCompletionsError(kind: .circuitOpen, message: "the endpoint failed repeatedly; calls wait for the next probe", attempts: 0)
        }
        do {
            let completion = try await attempts(prompt, maxTokens: maxTokens, answer: answer, temperature: temperature)
            breaker.recordSuccess()
            return completion
        } catch {
            switch error.kind {
            case .transport, .unreachable, .timeout: breaker.recordFailure()
            case .http where ChatRetryPolicy.isRetryable(status: error.status ?? 0): breaker.recordFailure()
            // The endpoint answered: it is up, whatever it thought of the request.
            case .http, .invalidResponse: breaker.recordSuccess()
            case .cancelled, .circuitOpen: breaker.releaseProbe()
            }
            throw error
        }
    }

    private func attempts(
        _ prompt: ChatPrompt, maxTokens: Int, answer: AnswerShape?, temperature: Double
    ) async throws(ChatCompletionsError) -> Completion {
        var level = format.current
        var body = ByteBuffer(bytes: JSONWriter.data(requestBody(prompt, maxTokens: maxTokens, answer: answer, level: level, temperature: temperature)))
        let retry = configuration.retry
        let clock = ContinuousClock()
        let deadline = clock.now + configuration.timeout
        var attempt = 0
        while true {
            attempt += 1
            let result: Result<RawResponse, any Error>
            do {
                result = .success(try await send(body, timeout: deadline - clock.now))
            } catch {
                result = .failure(error)
            }
            let failure: ChatCompletionsError
            let wait: Duration
            switch result {
            case .success(let response) where (200..<300).contains(response.status):
                return try decode(response, attempts: attempt)
            case .success(let response) where answer != nil && Self.refusesResponseFormat(response):
                // The endpoint does not know this form: ask again at once in the next one (in `auto`),
                // without spending an attempt, and remember it for later calls.
                guard let lower = format.lower(from: level) else { throw httpError(response, attempts: attempt) }
                logger.notice("LLM endpoint refused a response format; using a simpler one", metadata: [
                    "mailhook.llm.refused": "\(level.rawValue)", "mailhook.llm.now": "\(lower.rawValue)",
                ])
                level = lower
                body = ByteBuffer(bytes: JSONWriter.data(requestBody(prompt, maxTokens: maxTokens, answer: answer, level: level, temperature: temperature)))
                attempt -= 1
                continue
            case .success(let response):
                failure = httpError(response, attempts: attempt)
                guard ChatRetryPolicy.isRetryable(status: response.status), attempt < retry.maxAttempts else { throw failure }
                wait = retry.delay(attempt: attempt, headers: response.headers)
            case .failure(let error):
                failure = classify(error, attempts: attempt)
                guard failure.kind == .transport, attempt < retry.maxAttempts else { throw failure }
                wait = retry.backoff(attempt: attempt)
            }
            // Retry only when the wait leaves time for an attempt (a tenth of the budget at least).
            guard clock.now + wait + configuration.timeout / 10 < deadline else { throw failure }
            logger.notice("LLM call will be retried", metadata: [
                "mailhook.llm.error": "\(failure)", "mailhook.llm.attempt": "\(attempt)", "mailhook.llm.wait_ms": "\(wait.wholeMilliseconds)",
            ])
            do {
                try await sleep(wait)
            } catch {
                throw ChatCompletionsError(kind: .cancelled, message: "cancelled while waiting to retry", attempts: attempt)
            }
        }
    }

    /// The chat-completions request body.
    struct RequestBody: Encodable {
        struct Message: Encodable, Equatable {
            var role: String
            var content: String
        }

        struct ResponseFormat: Encodable {
            struct NamedSchema: Encodable {
                var name: String
                var strict: Bool
                var schema: JSONSchemaNode
            }

            var type: String
            var jsonSchema: NamedSchema?
            var schema: JSONSchemaNode?

            enum CodingKeys: String, CodingKey {
                case type, schema
                case jsonSchema = "json_schema"
            }
        }

        var messages: [Message]
        var temperature: Double
        var maxTokens: Int
        var model: String?
        var responseFormat: ResponseFormat?

        enum CodingKeys: String, CodingKey {
            case messages, temperature, model
            case maxTokens = "max_tokens"
            case responseFormat = "response_format"
        }
    }

    func requestBody(_ prompt: ChatPrompt, maxTokens: Int, answer: AnswerShape?, level: StructuredOutputMode, temperature: Double) -> RequestBody {
        var format: RequestBody.ResponseFormat?
        if let answer {
            switch level {
            case .auto, .jsonSchema:
                format = .init(type: "json_schema", jsonSchema: .init(name: answer.name, strict: true, schema: answer.schema))
            case .jsonObject:
                format = .init(type: "json_object", schema: answer.schema)
            case .none:
                format = answer.plainJSONMode ? .init(type: "json_object") : nil
            }
        }
        return RequestBody(
            messages: [.init(role: "system", content: prompt.system), .init(role: "user", content: prompt.user)],
            temperature: temperature, maxTokens: maxTokens,
            // Azure routes by the deployment in the URL; OpenAI needs the model in the body.
            model: style == .openAI && !configuration.model.isEmpty ? configuration.model : nil,
            responseFormat: format)
    }

    /// A 400, 422 or 500 whose error names the response format: the endpoint does not support the form asked for.
    static func refusesResponseFormat(_ response: RawResponse) -> Bool {
        guard [400, 422, 500].contains(response.status) else { return false }
        let text = String(buffer: response.body).lowercased()
        return text.contains("response_format") || text.contains("json_schema") || text.contains("response format")
    }

    // MARK: - One attempt

    struct RawResponse: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: ByteBuffer
    }

    /// One HTTP exchange, head and body together bounded by the timeout (AHC's deadline alone
    /// stops at the response head).
    private func send(_ body: ByteBuffer, timeout: Duration) async throws -> RawResponse {
        guard timeout > .zero else { throw TimeLimitExceeded(limit: timeout) }
        var request = HTTPClientRequest(url: endpoint)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json")
        if let key = configuration.apiKey, !key.isEmpty {
            switch style {
            case .openAI: request.headers.add(name: "Authorization", value: "Bearer \(key.value)")
            case .azure: request.headers.add(name: "api-key", value: key.value)
            }
        }
        request.body = .bytes(body)
        let prepared = request
        let client = httpClient
        let logger = logger
        return try await withTimeLimit(timeout) {
            let response = try await client.execute(prepared, timeout: .nanoseconds(Int64(timeout / .nanoseconds(1))), logger: logger)
            let bytes = try await response.body.collect(upTo: Self.maxResponseBytes)
            return RawResponse(status: Int(response.status.code), headers: response.headers, body: bytes)
        }
    }

    private func classify(_ error: any Error, attempts: Int) -> ChatCompletionsError {
        let seconds = configuration.timeout.wholeMilliseconds / 1000
        if error is TimeLimitExceeded || (error as? HTTPClientError) == .deadlineExceeded {
            return ChatCompletionsError(kind: .timeout, message: "no answer within \(seconds) s", attempts: attempts)
        }
        if Task.isCancelled || error is CancellationError || (error as? HTTPClientError) == .cancelled {
            return ChatCompletionsError(kind: .cancelled, message: "the call was cancelled", attempts: attempts)
        }
        if Self.isUnreachable(error) {
            return ChatCompletionsError(kind: .unreachable, message: redacted(String(describing: error).clipped(to: 200)), attempts: attempts)
        }
        if error is NIOTooManyBytesError {
            return ChatCompletionsError(kind: .invalidResponse, message: "the answer is larger than \(Self.maxResponseBytes) bytes", attempts: attempts)
        }
        return ChatCompletionsError(kind: .transport, message: redacted(String(describing: error).clipped(to: 200)), attempts: attempts)
    }

    private func httpError(_ response: RawResponse, attempts: Int) -> ChatCompletionsError {
        let json = try? JSONValue.parse(response.body.readableBytesView)
        let error = json?["error"]
        let code = error?["code"]?.stringValue ?? error?["type"]?.stringValue
        let message: String
        if response.status == 401 || response.status == 403 {
            // Providers quote (part of) the rejected key here; say nothing the key could leak through.
            message = "the API key was rejected"
        } else if let text = error?["message"]?.stringValue ?? error?.stringValue {
            message = redacted(text.clipped(to: 200))
        } else {
            message = ""
        }
        return ChatCompletionsError(
            kind: .http, status: response.status, code: code.map { redacted($0.clipped(to: 100)) }, message: message, attempts: attempts)
    }

    private func decode(_ response: RawResponse, attempts: Int) throws(ChatCompletionsError) -> Completion {
        func invalid(_ message: String) -> ChatCompletionsError {
            ChatCompletionsError(kind: .invalidResponse, status: response.status, message: message, attempts: attempts)
        }
        guard let json = try? JSONValue.parse(response.body.readableBytesView) else { throw invalid("the answer is not JSON") }
        guard let choice = json["choices"]?.arrayValue?.first else { throw invalid("the answer has no choices") }
        let message = choice["message"]
        var content = message?["content"]?.stringValue
        if content == nil, let parts = message?["content"]?.arrayValue {
            // Some compatible servers answer with content parts: [{"type": "text", "text": "…"}].
            content = parts.compactMap { $0["text"]?.stringValue }.joined()
        }
        guard let content, !content.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            if let refusal = message?["refusal"]?.stringValue {
                throw invalid("the model refused: \(redacted(refusal.clipped(to: 200)))")
            }
            throw invalid("the answer has no text content")
        }
        var tokens: Int?
        if case .number(let n) = json["usage"]?["total_tokens"], n.isFinite, n >= 0, n < 1e12 { tokens = Int(n) }
        return Completion(content: content, totalTokens: tokens, model: json["model"]?.stringValue, attempts: attempts)
    }

    /// No connection could be made: refused, no route, no such host. (With
    /// ``HTTPClient/Configuration/llmEndpoint`` that is known at once, not after the connect timeout.)
    static func isUnreachable(_ error: any Error) -> Bool {
        if let io = error as? IOError { return [ECONNREFUSED, EHOSTUNREACH, ENETUNREACH].contains(io.errnoCode) }
        if error is NIOConnectionError { return true }
        if let client = error as? HTTPClientError, client == .connectTimeout { return true }
        return false
    }

    /// Masks the API key wherever a server or a library might have echoed it.
    func redacted(_ text: String) -> String {
        guard let key = configuration.apiKey?.value, key.count >= 4 else { return text }
        return text.replacingOccurrences(of: key, with: "***")
    }
}
