import MailHookTestSupport
import Testing

/// The test harness's own guard against hangs: a wait that never ends fails its test at a deadline.
@Suite("Test deadlines")
struct DeadlineTests {
    @Test("a wait that ignores cancellation fails at its deadline, naming what hung")
    func stuckWaitFails() async {
        let clock = ContinuousClock()
        let start = clock.now
        let error = await #expect(throws: TestSupportError.self) {
            try await withDeadline(.milliseconds(200), "a stuck wait") {
                await withUnsafeContinuation { (_: UnsafeContinuation<Void, Never>) in }
            }
        }
        #expect(error?.description.contains("a stuck wait") == true)
        #expect(clock.now - start < .seconds(10))
    }

    @Test("a body that finishes in time gives its value or its error")
    func finishedBody() async throws {
        #expect(try await withDeadline(.seconds(30), "a quick body") { 42 } == 42)
        await #expect(throws: TestSupportError.self) {
            try await withDeadline(.seconds(30), "a failing body") { () async throws -> Int in throw TestSupportError("its own") }
        }
    }
}
