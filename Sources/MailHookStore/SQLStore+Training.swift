import MailHookCore

extension SQLStore {
    /// Every email's latest feedback with the email's subject and body, oldest first, at most
    /// `limit`. Rows whose stored labels are not in the vocabulary are skipped, not fatal.
    public func feedbackExamples(limit: Int) async throws -> [LabelledEmail] {
        try await database.read("""
            SELECT e.id AS id, e.subject AS subject, e.body AS body, f.correct_category AS category, f.correct_urgency AS urgency
            FROM classification_feedback f JOIN email_messages e ON e.id = f.email_id
            WHERE f.id = (SELECT g.id FROM classification_feedback g WHERE g.email_id = f.email_id ORDER BY g.created_at DESC, g.id DESC LIMIT 1)
            ORDER BY f.created_at, f.id LIMIT \(max(0, limit))
            """).compactMap { r in
            guard let id = r.string("id"), let category = r.string("category").flatMap(Category.init(rawValue:)) else { return nil }
            return LabelledEmail(
                id: id, subject: r.string("subject") ?? "", body: r.string("body") ?? "", category: category,
                urgency: r.string("urgency").flatMap(Urgency.init(rawValue:)))
        }
    }
}
