import Foundation
import HotlineRuntime
import HotlineTestSupport
import Testing

/// No Docker engine runs here, so the compose file is checked by docker-compose's own validator
/// and for the shape the fleet needs: every worker a service of its own with a replica count.
@Suite struct ComposeFileTests {
    let composeFile = TestServers.repositoryRoot.appendingPathComponent("compose/compose.yaml").path

    @Test func dockerComposeAcceptsTheFile() throws {
        let result = try Shell.run("/usr/bin/env", ["docker-compose", "-f", composeFile, "config", "-q"])
        #expect(result.status == 0, "docker-compose config: \(result.stderr)")
    }

    @Test func everyWorkerIsAServiceWithReplicas() throws {
        let result = try Shell.run("/usr/bin/env", ["docker-compose", "-f", composeFile, "config"],
                                   environment: ["HOTLINE_ROUTING_REPLICAS": "3"])
        #expect(result.status == 0)
        for kind in WorkerKind.allCases {
            #expect(result.stdout.contains("command:\n    - \(kind.executableName)\n")
                    || result.stdout.contains("- \(kind.executableName)"), "no service runs \(kind.executableName)")
        }
        #expect(result.stdout.contains("replicas: 3"))
        #expect(result.stdout.contains("postgres:15"))
        #expect(result.stdout.contains("rabbitmq:3.10"))
    }
}
