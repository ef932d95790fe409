import ArgumentParser
import Foundation
import GeoCore
import LayerServer
import Logging

@main
struct LayerServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "layerserver",
        abstract: "Map layers and vector tiles for the Dutch common operational picture.",
        subcommands: [Serve.self, Demo.self, Import.self, Upload.self, Layers.self, Rollback.self, AccessCommand.self, AuditCommand.self, AdminCommand.self,
                      Generate.self, RenderTiles.self, Sprites.self, Seed.self])
}

/// Options shared by every command that opens the data directory.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "Data directory (default: $LAYERSERVER_DATA, the config file, or ./data).")
    var data: String?

    @Option(name: .long, help: "JSON config file with the same keys as the flags.")
    var config: String?

    @Option(name: .long, help: "Versions kept per layer (default 5).")
    var keepVersions: Int?

    var overrides: [String: String] {
        var o: [String: String] = [:]
        if let data { o["data"] = data }
        if let keepVersions { o["keep-versions"] = String(keepVersions) }
        return o
    }

    func serverConfiguration(extra: [String: String] = [:]) async throws -> ServerConfiguration {
        try await ServerConfiguration.load(overrides: overrides.merging(extra) { $1 }, configFile: config)
    }
}

/// Prints an error the way every command does, and exits non-zero.
func fail(_ error: any Error) -> ExitCode {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    return ExitCode(1)
}

func makeLogger(_ label: String) -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = .info
    return logger
}
