import Foundation
import Logging
import MailHookCore

/// Replies written by the LLM with ``PromptTemplates/reply(subject:body:classification:signature:)``
/// (body cut to ``Sanitizer/Budget/reply``); any failure or empty answer gives ``fallback``'s reply.
public struct LLMReplyWriter: ReplyWriter {
    /// About 150 words with room to spare.
    public static let maxTokens = 400

    public let client: ChatCompletionsClient
    public let fallback: any ReplyWriter
    public let signature: String
    let logger: Logger

    public init(
        client: ChatCompletionsClient, fallback: any ReplyWriter = TemplateReplyWriter(), signature: String = "IT Department",
        logger: Logger = Logger(label: "mailhook.llm", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.client = client
        self.fallback = fallback
        self.signature = signature
        self.logger = logger
    }

    public func reply(to input: ClassifierInput, classification: Classification) async -> String {
        let prompt = PromptTemplates.reply(
            subject: Sanitizer.truncate(input.subject, toCharacters: 300), body: Sanitizer.truncate(input.body, to: .reply),
            classification: classification, signature: signature)
        do {
            // A little more randomness than classification: replies should not read canned.
            let completion = try await client.complete(prompt, maxTokens: Self.maxTokens, temperature: 0.3)
            let text = completion.content.trimmingCharacters(in: .whitespacesAndNewlines)
            // A provider may ignore max_tokens: a reply longer than any reply may be is neither
            // sent nor drafted (Graph refuses bodies that large, and each retry would write another).
            if !text.isEmpty, text.count <= ReplyCheck.maximumCharacters { return text }
            logger.notice("LLM reply empty or longer than a reply may be, using the template", metadata: ["mailhook.llm.characters": "\(text.count)"])
        } catch {
            logger.warning("LLM reply failed, using the template", metadata: ["mailhook.llm.reason": .string("\(error)".clipped(to: 300))])
        }
        return await fallback.reply(to: input, classification: classification)
    }
}
