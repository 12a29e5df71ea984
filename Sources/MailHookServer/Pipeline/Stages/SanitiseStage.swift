import MailHookCore

/// Stage 3, sanitise: personal data out of the subject and body before anything reads them
/// (an LLM above all). Only counts of what was removed are kept.
struct SanitiseStage: Sendable {
    let sanitizer = Sanitizer()

    struct Output: Sendable {
        var input: ClassifierInput
        /// Values removed per kind (`ssn`, `card`…), never the values.
        var removed: [String: Int]
    }

    func run(_ email: EmailMessage) -> Output {
        let subject = sanitizer.sanitize(email.subject)
        let body = sanitizer.sanitize(email.bodyText)
        var removed: [String: Int] = [:]
        for kind in Sanitizer.Kind.allCases {
            let count = subject.count(kind) + body.count(kind)
            if count > 0 { removed[kind.rawValue] = count }
        }
        return Output(
            input: ClassifierInput(subject: subject.text, body: body.text, senderDomain: EmailFilter.domain(of: email.from.address)),
            removed: removed)
    }
}
