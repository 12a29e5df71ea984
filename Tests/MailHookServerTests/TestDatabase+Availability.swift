import MailHookTestSupport
import Testing

extension Trait where Self == ConditionTrait {
    /// A PostgreSQL variant: skipped (and listed as skipped) when no server was provided.
    /// `Scripts/test` starts a throwaway cluster; with `CI=true` a missing PostgreSQL fails the
    /// run before any test.
    static var postgres: Self {
        .enabled(if: TestDatabase.postgresURL != nil, "PostgreSQL is not available: MAILHOOK_TEST_POSTGRES_URL is not set")
    }
}
