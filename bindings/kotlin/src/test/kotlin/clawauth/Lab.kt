package clawauth

import java.io.File
import java.nio.file.Files
import java.security.KeyPair
import java.security.KeyPairGenerator
import java.security.MessageDigest
import java.security.Signature
import java.security.spec.ECGenParameterSpec
import java.util.Base64
import java.util.concurrent.ConcurrentLinkedQueue
import uniffi.clawauth_ffi.AppDirs
import uniffi.clawauth_ffi.Clawauth
import uniffi.clawauth_ffi.KeyAlgorithm
import uniffi.clawauth_ffi.NameResolver
import uniffi.clawauth_ffi.PassphrasePrompt
import uniffi.clawauth_ffi.SecretStore
import uniffi.clawauth_ffi.SshSigner
import uniffi.clawauth_ffi.authorizedKey

/** One gateway of the lab (`tests/src/bin/jvm-lab.rs`): a real sshd on 127.0.0.1. */
data class Gateway(
    val target: String,
    val authorizedKeys: String?,
    val keyOptions: String?,
    val knownHostsLine: String?,
    val fingerprint: String?,
    val sshdLog: String?,
    val home: String?,
    val code: String?,
    val token: String?,
)

/**
 * The lab the runner (`bindings/kotlin/run-tests.sh`) keeps up while the suite runs; its
 * descriptor is `$CLAWAUTH_JVM_LAB`. Read with a few lines of parsing: the suite has no JSON
 * library (the JVM test loop is kotlinc, JUnit, JNA and coroutines only).
 */
object Lab {
    private val doc: String by lazy {
        val path = System.getenv("CLAWAUTH_JVM_LAB")
            ?: error("CLAWAUTH_JVM_LAB is not set: run the suite with bindings/kotlin/run-tests.sh")
        File(path).readText()
    }

    private fun field(obj: String, name: String): String? {
        val m = Regex("\"" + Regex.escape(name) + "\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"").find(obj) ?: return null
        return m.groupValues[1].replace("\\\"", "\"").replace("\\\\", "\\")
    }

    private fun objectOf(name: String): String {
        val start = doc.indexOf("\"$name\": {")
        check(start >= 0) { "no gateway $name in the lab descriptor" }
        val end = doc.indexOf('}', start)
        return doc.substring(start, end)
    }

    fun gateway(name: String): Gateway {
        val o = objectOf(name)
        return Gateway(
            target = field(o, "target") ?: error("gateway $name has no target"),
            authorizedKeys = field(o, "authorized_keys"),
            keyOptions = field(o, "key_options"),
            knownHostsLine = field(o, "known_hosts_line"),
            fingerprint = field(o, "fingerprint"),
            sshdLog = field(o, "sshd_log"),
            home = field(o, "home"),
            code = field(o, "code"),
            token = field(o, "token"),
        )
    }

    val openclaw: String get() = field(doc, "openclaw") ?: error("no openclaw in the descriptor")
    val nodeDir: String get() = field(doc, "node_dir") ?: error("no node_dir in the descriptor")

    /** Lets `signer` log in to `gw` (an authorized_keys line with the gateway's HOME and PATH). */
    fun authorize(gw: Gateway, signer: SshSigner) {
        val key = authorizedKey(signer, "clawauth-jvm-test")
        File(gw.authorizedKeys!!).appendText("${gw.keyOptions} ${key.line}\n")
    }

    /** Runs the real OpenClaw CLI on the gateway's HOME; returns (exit code, stdout). */
    fun openclaw(gw: Gateway, vararg args: String): Pair<Int, String> {
        val pb = ProcessBuilder(listOf(openclaw) + args.toList())
        pb.environment().clear()
        pb.environment()["HOME"] = gw.home!!
        pb.environment()["PATH"] = "$nodeDir:/usr/local/bin:/usr/bin:/bin"
        pb.environment()["TZ"] = "UTC"
        pb.environment()["NO_COLOR"] = "1"
        pb.environment()["OPENCLAW_NO_AUTO_UPDATE"] = "1"
        pb.redirectError(ProcessBuilder.Redirect.DISCARD)
        val p = pb.start()
        val out = p.inputStream.bufferedReader().readText()
        return Pair(p.waitFor(), out)
    }
}

/** A JCA key pair on the JVM, standing in for an Android Keystore key (which signs the same way). */
class JcaSigner(private val algo: KeyAlgorithm) : SshSigner {
    private val pair: KeyPair = when (algo) {
        KeyAlgorithm.ECDSA_P256 -> KeyPairGenerator.getInstance("EC").apply {
            initialize(ECGenParameterSpec("secp256r1"))
        }.generateKeyPair()
        KeyAlgorithm.ED25519 -> KeyPairGenerator.getInstance("Ed25519").generateKeyPair()
    }
    val signed = ConcurrentLinkedQueue<Int>()

    override fun label(): String = "JCA ${algo.name} key"
    override fun algorithm(): KeyAlgorithm = algo
    override fun publicKeySpki(): ByteArray = pair.public.encoded
    override suspend fun sign(data: ByteArray): ByteArray {
        val s = Signature.getInstance(if (algo == KeyAlgorithm.ECDSA_P256) "SHA256withECDSA" else "Ed25519")
        s.initSign(pair.private)
        s.update(data)
        signed.add(data.size)
        return s.sign()
    }
}

/** A secret store in memory, standing in for the app's Keystore-encrypted storage. */
class MemoryStore : SecretStore {
    val values = java.util.concurrent.ConcurrentHashMap<String, String>()
    val reads = ConcurrentLinkedQueue<String>()
    override fun get(key: String): String? { reads.add(key); return values[key] }
    override fun set(key: String, value: String) { values[key] = value }
    override fun delete(key: String): Boolean = values.remove(key) != null
}

/** A fresh app: its own directories, `signers`, `secrets`, a passphrase dialog, a resolver. */
class App(
    signers: List<SshSigner>,
    secrets: SecretStore? = null,
    prompt: PassphrasePrompt? = null,
    resolver: NameResolver? = null,
) : AutoCloseable {
    val root: File = Files.createTempDirectory("clawauth-jvm.").toFile()
    val files = File(root, "files").apply { mkdirs() }
    val api: Clawauth = Clawauth(
        AppDirs(files.path, File(root, "config").apply { mkdirs() }.path, File(root, "cache").apply { mkdirs() }.path),
        secrets,
        signers,
        prompt,
        resolver,
    )

    fun knownHosts(vararg lines: String) {
        val ssh = File(files, ".ssh").apply { mkdirs() }
        File(ssh, "known_hosts").writeText(lines.joinToString("") { "$it\n" })
    }

    override fun close() {
        api.close()
        root.deleteRecursively()
    }
}

/** `SHA256:…` of an authorized_keys line's key, as sshd logs it. */
fun fingerprintOf(line: String): String {
    val blob = Base64.getDecoder().decode(line.trim().split(" ")[1])
    val digest = MessageDigest.getInstance("SHA-256").digest(blob)
    return "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(digest)
}
