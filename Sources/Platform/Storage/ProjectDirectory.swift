import Foundation
import PluginKit

/// Finds a directory of this project's files (migrations, templates) for a process that may run
/// from anywhere: the environment variable's value, else `path` below the working directory, else
/// `path` below the source tree this was built from.
enum ProjectDirectory {
    static func locate(_ path: String, variable: String, environment: [String: String]) -> String {
        if let configured = environment[variable], !configured.isEmpty { return configured }
        if FileManager.default.fileExists(atPath: path) { return path }
        // This file is Sources/Platform/Storage/ProjectDirectory.swift: four levels below the root.
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(path).path
    }
}
