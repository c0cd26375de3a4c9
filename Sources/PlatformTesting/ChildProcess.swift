import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn`. Foundation's `Process.run()` on Linux copies each
/// `/proc/self/fd` entry's name 256 bytes at a time, and crashed when an entry ended at a page
/// boundary (it depends on how many descriptors the test process holds); this does without it.
package struct ChildProcess: Sendable {
    package let pid: pid_t

    /// What a finished child printed, and its exit status (the signal's number when a signal ended it).
    package struct Outcome: Sendable {
        package let status: Int32
        package let stdout: Data
        package let stderr: Data
    }

    /// Starts `executable` with `arguments`, `environment` (this process's when nil) and the working
    /// `directory`; its standard output and error go to the given descriptors, else /dev/null.
    package static func spawn(_ executable: String, _ arguments: [String], environment: [String: String]? = nil, directory: String? = nil,
                              stdout: Int32? = nil, stderr: Int32? = nil, closing: [Int32] = []) throws -> ChildProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if let stdout { posix_spawn_file_actions_adddup2(&actions, stdout, 1) } else { posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0) }
        if let stderr { posix_spawn_file_actions_adddup2(&actions, stderr, 2) } else { posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0) }
        // Nothing else of this process reaches the child (a test server's listening socket would
        // keep accepting connections nobody answers after the test stopped it).
        let kept: Set<Int32> = [0, 1, 2, stdout ?? -1, stderr ?? -1]
        for fd in Set(closing + Self.openDescriptors()) where !kept.contains(fd) { posix_spawn_file_actions_addclose(&actions, fd) }
        // Glibc's addchdir is not imported into Swift: coreutils' env changes the directory, then runs it.
        let (path, all) = directory.map { ("/usr/bin/env", ["/usr/bin/env", "-C", $0, executable] + arguments) } ?? (executable, [executable] + arguments)
        let argv: [UnsafeMutablePointer<CChar>?] = all.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let pairs = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let envp: [UnsafeMutablePointer<CChar>?] = pairs.map { strdup($0) } + [nil]
        defer { envp.forEach { free($0) } }
        var pid = pid_t()
        let result = posix_spawn(&pid, path, &actions, nil, argv, envp)
        guard result == 0 else { throw POSIXError(POSIXErrorCode(rawValue: result) ?? .EIO) }
        return ChildProcess(pid: pid)
    }

    /// Runs it to the end, collecting what it printed on a thread of its own, never on the caller's.
    package static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                            directory: String? = nil) async throws -> Outcome {
        let out = try Self.pipe(), err = try Self.pipe()
        let child: ChildProcess
        do {
            child = try spawn(executable, arguments, environment: environment, directory: directory, stdout: out.write, stderr: err.write,
                              closing: [out.read, err.read])
        } catch {
            [out.read, out.write, err.read, err.write].forEach { close($0) }
            throw error
        }
        close(out.write)
        close(err.write)
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                // Both pipes are drained at once, so a child that fills one never waits on the other.
                let errorOutput = Mutex<Data?>(nil)
                let done = DispatchSemaphore(value: 0)
                Thread.detachNewThread {
                    errorOutput.withLock { $0 = FileHandle(fileDescriptor: err.read, closeOnDealloc: true).readDataToEndOfFile() }
                    done.signal()
                }
                let output = FileHandle(fileDescriptor: out.read, closeOnDealloc: true).readDataToEndOfFile()
                done.wait()
                continuation.resume(returning: Outcome(status: child.wait().status, stdout: output, stderr: errorOutput.withLock { $0 } ?? Data()))
            }
        }
    }

    /// How a child ended: its exit status, or the signal that ended it.
    package enum Termination: Sendable, Equatable {
        case exited(Int32)
        case signaled(Int32)

        /// The exit status, or the signal's number.
        package var status: Int32 {
            switch self {
            case let .exited(code), let .signaled(code): code
            }
        }
    }

    /// Waits for it to end (blocking).
    @discardableResult
    package func wait() -> Termination {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        return status & 0x7f == 0 ? .exited((status >> 8) & 0xff) : .signaled(status & 0x7f)
    }

    /// How it ended, or nil while it runs (never blocks).
    package func ended() -> Termination? {
        var status: Int32 = 0
        guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
        return status & 0x7f == 0 ? .exited((status >> 8) & 0xff) : .signaled(status & 0x7f)
    }

    package func signal(_ signal: Int32) { _ = kill(pid, signal) }

    /// This process's open descriptors, from `/proc/self/fd`; each name is read through a pointer
    /// up to its end, never copied whole (the copy is what crashed Foundation's `Process`).
    private static func openDescriptors() -> [Int32] {
        guard let directory = opendir("/proc/self/fd") else { return [] }
        defer { closedir(directory) }
        let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name) ?? 19
        var found: [Int32] = []
        while let entry = readdir(directory) {
            let name = String(cString: UnsafeRawPointer(entry).advanced(by: nameOffset).assumingMemoryBound(to: CChar.self))
            if let fd = Int32(name), fd > 2 { found.append(fd) }
        }
        return found
    }

    private static func pipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        guard Glibc.pipe(&fds) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        // Other children started meanwhile must not inherit them, or a reader would wait for their end too.
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return (fds[0], fds[1])
    }
}
