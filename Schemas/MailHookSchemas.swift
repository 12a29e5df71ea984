import Foundation

/// Gives the product access to the files in `Schemas/` (SQL migrations and JSON Schemas), which
/// ship as this module's resources so the folder stays the single source of truth.
public enum MailHookSchemas {
    /// `migrations/<dialect>` inside the resource bundle.
    public static func migrationsDirectory(dialect: String) -> URL? {
        Bundle.module.url(forResource: "migrations", withExtension: nil)?.appendingPathComponent(dialect)
    }

    /// One of the JSON Schemas, e.g. `email-event.schema.json`.
    public static func jsonSchema(named name: String) -> URL? {
        Bundle.module.url(forResource: name, withExtension: nil)
    }
}
