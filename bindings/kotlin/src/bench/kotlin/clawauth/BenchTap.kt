package clawauth

import java.io.File
import java.lang.management.ManagementFactory
import kotlinx.coroutines.runBlocking
import uniffi.clawauth_ffi.AppDirs
import uniffi.clawauth_ffi.Clawauth

/**
 * The widget's path for the benchmark (tests/src/bin/bench): one app process (this JVM, as the
 * widget's process on the phone) checks gateway `gw` through the bindings each time the
 * benchmark writes a line on stdin, and answers `done WALL_NS CPU_NS LEVEL` (CPU: this whole
 * process's, during the check). `quit` or the end of stdin ends it.
 *
 * Arguments: APP_DIR (its `files/.ssh` holds the key and known_hosts the benchmark wrote),
 * TARGET (`user@host:port` of the gateway) and HELPER (the clawauth binary the app puts on the
 * gateway with `hostsInstall` before its first check, as the widget does once).
 */
fun main(args: Array<String>) {
    require(args.size == 3) { "usage: BenchTap APP_DIR TARGET HELPER" }
    val root = File(args[0])
    val dirs = listOf("files", "config", "cache").map { File(root, it).apply { mkdirs() }.path }
    val os = ManagementFactory.getOperatingSystemMXBean() as com.sun.management.OperatingSystemMXBean
    Clawauth(AppDirs(dirs[0], dirs[1], dirs[2]), null, emptyList(), null, null).use { api ->
        api.addHost("gw", args[1], null)
        runBlocking { api.hostsInstall("gw", File(args[2]).readBytes(), null) }
        println("ready")
        System.out.flush()
        while (true) {
            val line = readlnOrNull() ?: break
            if (line == "quit") break
            val cpu0 = os.processCpuTime
            val t0 = System.nanoTime()
            val result = runBlocking { api.check("gw") }
            val wall = System.nanoTime() - t0
            val cpu = os.processCpuTime - cpu0
            println("done $wall $cpu ${result.glance.level}")
            System.out.flush()
        }
    }
}
