package clawauth

import java.io.File
import java.util.concurrent.TimeUnit
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import uniffi.clawauth_ffi.ClawauthException
import uniffi.clawauth_ffi.KeyAlgorithm
import uniffi.clawauth_ffi.Level
import uniffi.clawauth_ffi.NameResolver
import uniffi.clawauth_ffi.PassphrasePrompt
import uniffi.clawauth_ffi.Problem
import uniffi.clawauth_ffi.authorizedKey

/** What the platform owns: keys that never leave it, and the secret store. */
class PlatformTest {
    private fun acceptedIn(log: String, fingerprint: String): Boolean =
        File(log).readLines().any { it.contains("Accepted publickey") && it.contains(fingerprint) }

    private fun logsInWith(algo: KeyAlgorithm, sshdType: String) {
        val gw = Lab.gateway("ok")
        val signer = JcaSigner(algo)
        val key = authorizedKey(signer, "widget")
        assertTrue(key.line.startsWith("$sshdType "), key.line)
        assertEquals(fingerprintOf(key.line), key.fingerprint)
        Lab.authorize(gw, signer)
        App(listOf(signer)).use { app ->
            app.knownHosts(gw.knownHostsLine!!)
            app.api.addHost("gw", gw.target, null)
            val r = runBlocking { app.api.check("gw") }
            assertEquals(Level.OK, r.glance.level, r.problems.toString())
        }
        assertTrue(signer.signed.isNotEmpty(), "the platform key signed")
        assertTrue(acceptedIn(gw.sshdLog!!, key.fingerprint), "sshd accepted ${key.fingerprint}")
    }

    @Test
    fun anEcdsaP256PlatformKeyLogsIn() = logsInWith(KeyAlgorithm.ECDSA_P256, "ecdsa-sha2-nistp256")

    @Test
    fun anEd25519PlatformKeyLogsIn() = logsInWith(KeyAlgorithm.ED25519, "ssh-ed25519")

    @Test
    fun aKeyTheGatewayDoesNotKnowIsKeysRefused() {
        val gw = Lab.gateway("ok")
        App(listOf(JcaSigner(KeyAlgorithm.ECDSA_P256))).use { app ->
            app.knownHosts(gw.knownHostsLine!!)
            app.api.addHost("gw", gw.target, null)
            val r = runBlocking { app.api.check("gw") }
            val p = r.problems.single()
            assertTrue(p is Problem.KeysRefused, p.toString())
            assertTrue(p.offered.single().contains("JCA ECDSA_P256 key"), p.offered.toString())
        }
    }

    /** An encrypted key file whose passphrase the app's SecretStore holds. */
    @Test
    fun aPassphraseComesFromTheAppsSecretStore() {
        val gw = Lab.gateway("ok")
        val store = MemoryStore()
        App(emptyList(), store).use { app ->
            val ssh = File(app.files, ".ssh").apply { mkdirs() }
            val keyFile = File(ssh, "id_ed25519")
            val passphrase = "correct horse battery staple"
            val keygen = ProcessBuilder(
                "ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", "jvm", "-f", keyFile.path,
            ).redirectErrorStream(true).start()
            assertTrue(keygen.waitFor(30, TimeUnit.SECONDS) && keygen.exitValue() == 0, "ssh-keygen")
            val line = File(ssh, "id_ed25519.pub").readText().trim()
            File(gw.authorizedKeys!!).appendText("${gw.keyOptions} $line\n")
            app.knownHosts(gw.knownHostsLine!!)
            app.api.addHost("gw", gw.target, null)

            val locked = runBlocking { app.api.check("gw") }
            val p = locked.problems.single()
            assertTrue(p is Problem.KeyNeedsPassphrase, p.toString())
            assertTrue(store.reads.contains("ssh-key-passphrase:${keyFile.path}"), store.reads.toString())

            store.values["ssh-key-passphrase:${keyFile.path}"] = passphrase
            val r = runBlocking { app.api.check("gw") }
            assertEquals(Level.OK, r.glance.level, r.problems.toString())
            assertTrue(acceptedIn(gw.sshdLog!!, fingerprintOf(line)))
            assertTrue(!r.json.contains(passphrase))
        }
    }

    /** An encrypted key file and no stored passphrase: the app's dialog is asked (suspending). */
    @Test
    fun aPassphraseIsAskedThroughTheAppsDialog() {
        val gw = Lab.gateway("ok")
        val asked = java.util.concurrent.ConcurrentLinkedQueue<String>()
        val passphrase = "typed on the phone"
        val dialog = object : PassphrasePrompt {
            override suspend fun passphrase(keyFile: String): String? {
                asked.add(keyFile)
                kotlinx.coroutines.delay(50) // the person types
                return passphrase
            }
        }
        App(emptyList(), prompt = dialog).use { app ->
            val keyFile = File(File(app.files, ".ssh").apply { mkdirs() }, "id_ecdsa")
            val keygen = ProcessBuilder(
                "ssh-keygen", "-q", "-t", "ecdsa", "-N", passphrase, "-C", "jvm", "-f", keyFile.path,
            ).redirectErrorStream(true).start()
            assertTrue(keygen.waitFor(30, TimeUnit.SECONDS) && keygen.exitValue() == 0, "ssh-keygen")
            val line = File(keyFile.path + ".pub").readText().trim()
            File(gw.authorizedKeys!!).appendText("${gw.keyOptions} $line\n")
            app.knownHosts(gw.knownHostsLine!!)
            app.api.addHost("gw", gw.target, null)
            val r = runBlocking { app.api.check("gw") }
            assertEquals(Level.OK, r.glance.level, r.problems.toString())
            assertEquals(listOf(keyFile.path), asked.toList())
            assertTrue(acceptedIn(gw.sshdLog!!, fingerprintOf(line)))
        }
    }

    /** A LAN name only the platform's resolver knows (the app has no resolv.conf). */
    @Test
    fun aLanNameResolvesThroughThePlatform() {
        val gw = Lab.gateway("ok")
        val signer = JcaSigner(KeyAlgorithm.ECDSA_P256)
        Lab.authorize(gw, signer)
        val asked = java.util.concurrent.ConcurrentLinkedQueue<String>()
        val resolver = object : NameResolver {
            override suspend fun resolve(host: String): List<String> {
                asked.add(host)
                return if (host == "gateway.lan") listOf("127.0.0.1") else emptyList()
            }
        }
        val port = gw.target.substringAfterLast(':')
        App(listOf(signer), resolver = resolver).use { app ->
            app.knownHosts(gw.knownHostsLine!!.replace("[127.0.0.1]", "[gateway.lan]"))
            app.api.addHost("gw", "root@gateway.lan:$port", null)
            val r = runBlocking { app.api.check("gw") }
            assertEquals(Level.OK, r.glance.level, r.problems.toString())
            assertEquals(listOf("gateway.lan"), asked.toList())
            app.api.addHost("gw", "root@nowhere.lan:$port", null)
            val p = runBlocking { app.api.check("gw") }.problems.single()
            assertTrue(p is Problem.CannotResolve && p.host == "nowhere.lan", p.toString())
        }
    }

    @Test
    fun aHostIsTrustedOnlyWithTheFingerprintThePersonCompared() {
        val gw = Lab.gateway("ok")
        val signer = JcaSigner(KeyAlgorithm.ECDSA_P256)
        Lab.authorize(gw, signer)
        App(listOf(signer)).use { app ->
            app.api.addHost("gw", gw.target, null)
            val offered = runBlocking { app.api.offeredHostKey("gw") }
            assertEquals(gw.fingerprint, offered.fingerprint)
            assertEquals(uniffi.clawauth_ffi.HostKeyState.UNKNOWN, offered.state)
            assertFailsWith<ClawauthException.InvalidInput> {
                runBlocking { app.api.trustHost("gw", "SHA256:not-the-one-shown") }
            }
            assertEquals(Level.UNREACHABLE, runBlocking { app.api.check("gw") }.glance.level)
            runBlocking { app.api.trustHost("gw", offered.fingerprint) }
            assertEquals(Level.OK, runBlocking { app.api.check("gw") }.glance.level)
        }
    }

    @Test
    fun hostsAreAddedListedAndRemoved() {
        App(emptyList()).use { app ->
            app.api.addHost("gw", "root@127.0.0.1:2222", "main")
            app.api.addHost("pi", "pi@10.0.0.7", null)
            assertEquals(listOf("gw", "pi"), app.api.hosts().map { it.name })
            assertEquals("main", app.api.hosts().first().agent)
            assertFailsWith<ClawauthException.InvalidInput> { app.api.addHost("bad name", "x@y", null) }
            assertFailsWith<ClawauthException.InvalidInput> { app.api.addHost("evil", "-oProxyCommand=sh", null) }
            assertTrue(app.api.removeHost("pi"))
            assertEquals(listOf("gw"), app.api.hosts().map { it.name })
            assertFailsWith<ClawauthException.InvalidInput> { runBlocking { app.api.check("nope") } }
        }
    }
}
