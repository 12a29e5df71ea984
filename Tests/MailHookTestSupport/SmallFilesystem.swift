import Foundation

/// A size-limited tmpfs of a test's own, to fill the disk under a running MailHook. Mounting
/// needs root with CAP_SYS_ADMIN; ``canMount()`` says whether this machine allows it.
public struct SmallFilesystem: Sendable {
    public let path: String

    public static func canMount() async -> Bool {
        guard getuid() == 0, let probe = try? await mount(megabytes: 1) else { return false }
        await probe.unmount()
        return true
    }

    public static func mount(megabytes: Int) async throws -> SmallFilesystem {
        let path = TemporaryDirectory.make().path
        _ = try await Command.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", path])
        return SmallFilesystem(path: path)
    }

    /// Gives the filesystem more (or less) room without unmounting it.
    public func resize(megabytes: Int) async throws {
        _ = try await Command.run("/bin/mount", ["-o", "remount,size=\(megabytes)m", path])
    }

    public func unmount() async {
        _ = try? await Command.run("/bin/umount", ["-l", path])
    }
}
