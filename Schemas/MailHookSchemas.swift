import Foundation

/// Gives the product access to the files in `Schemas/` (SQL migrations, JSON Schemas and the
/// default classifier model), which
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

    /// The classifier model trained on the labelled fixtures (`mailhook train`), used when
    /// `classifier.modelFile` is `builtin`.
    public static var builtinClassifierModel: URL? {
        Bundle.module.url(forResource: "classifier-model", withExtension: "json")
    }

    /// `openapi.yaml`: the HTTP contract, served at `/openapi.yaml`.
    public static var openAPIDocument: URL? {
        Bundle.module.url(forResource: "openapi", withExtension: "yaml")
    }
}
