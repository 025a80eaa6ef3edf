package clawauth

import java.net.ServerSocket
import java.util.concurrent.ConcurrentLinkedQueue
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.launch
import uniffi.clawauth_ffi.ClawauthException
import uniffi.clawauth_ffi.KeyAlgorithm
import uniffi.clawauth_ffi.Level
import uniffi.clawauth_ffi.ReauthStep
import uniffi.clawauth_ffi.ReauthUi

/** The guided re-auth driven from Kotlin, a callback that throws, and cancellation. */
class FlowTest {
    /** The widget's re-auth screen, played by a script: the code the browser showed. */
    private class ScriptedUi(private val code: String?, private val throwAtCode: Boolean = false) : ReauthUi {
        val steps = ConcurrentLinkedQueue<ReauthStep>()
        val opened = ConcurrentLinkedQueue<String>()
        override suspend fun step(step: ReauthStep) { steps.add(step) }
        override suspend fun openUrl(url: String) { opened.add(url) }
        override suspend fun askCode(prompt: String): String? {
            if (throwAtCode) throw IllegalStateException("the code field went away")
            return code
        }
        override suspend fun askSecret(prompt: String): String? = null
        override suspend fun confirm(question: String): Boolean = true
    }

    private fun claudeCodeProfileDaysLeft(gw: Gateway): Double {
        val (_, json) = Lab.openclaw(gw, "models", "status", "--json")
        val at = json.indexOf("\"profileId\": \"anthropic:claude-code\"")
        assertTrue(at >= 0, json.take(400))
        val exp = Regex("\"expiresAt\": (\\d+)").find(json, at)!!.groupValues[1].toLong()
        return (exp - System.currentTimeMillis()) / 86_400_000.0
    }

    /** The flow stops at the throwing callback; nothing is stored. */
    @Test
    fun aCallbackThatThrowsIsAnErrorAndTheOldCredentialStays() {
        val gw = Lab.gateway("reauth")
        val signer = JcaSigner(KeyAlgorithm.ECDSA_P256)
        Lab.authorize(gw, signer)
        val before = claudeCodeProfileDaysLeft(gw)
        App(listOf(signer)).use { app ->
            app.knownHosts(gw.knownHostsLine!!)
            app.api.addHost("gw", gw.target, null)
            val e = assertFailsWith<ClawauthException.Callback> {
                runBlocking { app.api.reauth("gw", "anthropic", ScriptedUi(null, throwAtCode = true)) }
            }
            assertTrue(e.reason.contains("the code field went away"), e.reason)
        }
        assertEquals(before, claudeCodeProfileDaysLeft(gw), 0.01)
    }

    @Test
    fun theGuidedReauthRenewsTheTokenThatServesTheRoutes() {
        val gw = Lab.gateway("reauth")
        val signer = JcaSigner(KeyAlgorithm.ECDSA_P256)
        Lab.authorize(gw, signer)
        App(listOf(signer)).use { app ->
            app.knownHosts(gw.knownHostsLine!!)
            app.api.addHost("gw", gw.target, null)
            val ui = ScriptedUi(gw.code)
            val out = runBlocking { app.api.reauth("gw", "anthropic", ui) }
            assertTrue(out.done, out.headline)
            assertEquals(Level.OK, out.level, out.headline)
            assertEquals("anthropic:claude-code", out.profileId)
            assertTrue(out.newExpiresAtMs!! - System.currentTimeMillis() > 364L * 86_400_000)
            assertTrue(ui.opened.single().startsWith("https://claude.com/cai/oauth/authorize?"))
            assertTrue(ui.steps.any { it is ReauthStep.Storing && it.profile == "anthropic:claude-code" }, ui.steps.toString())
            assertTrue(!out.json.contains(gw.token!!), "the token never reaches the result")
        }
        // The gateway's judge: the real OpenClaw CLI.
        val (code, _) = Lab.openclaw(gw, "models", "status", "--json", "--check")
        assertEquals(0, code, "openclaw models status --check")
        assertTrue(claudeCodeProfileDaysLeft(gw) > 364.0)
    }

    /** The gateway's processes running `path` (from /proc: the gateway is this machine). */
    private fun running(path: String): List<String> =
        (java.io.File("/proc").listFiles() ?: emptyArray()).mapNotNull { d ->
            val cmd = runCatching { java.io.File(d, "cmdline").readText() }.getOrNull() ?: return@mapNotNull null
            if (d.name.all(Char::isDigit) && cmd.split('\u0000').any { it == path }) d.name else null
        }

    /**
     * Cancelled while `claude setup-token` waits on the gateway's PTY for the code: the call
     * returns at once, the program on the gateway is gone (its PTY closed), and the old credential
     * is still the one OpenClaw uses.
     */
    @Test
    fun cancellingAReauthClosesThePtyOnTheGatewayAndKeepsTheOldCredential() {
        val gw = Lab.gateway("reauth")
        val signer = JcaSigner(KeyAlgorithm.ECDSA_P256)
        Lab.authorize(gw, signer)
        val before = claudeCodeProfileDaysLeft(gw)
        val claude = "${gw.home}/bin/claude"
        val waiting = kotlinx.coroutines.CompletableDeferred<Unit>()
        val ui = object : ReauthUi {
            override suspend fun step(step: ReauthStep) {}
            override suspend fun openUrl(url: String) {}
            override suspend fun askCode(prompt: String): String? {
                waiting.complete(Unit)
                kotlinx.coroutines.awaitCancellation() // the person never comes back
            }
            override suspend fun askSecret(prompt: String): String? = null
            override suspend fun confirm(question: String): Boolean = true
        }
        App(listOf(signer)).use { app ->
            app.knownHosts(gw.knownHostsLine!!)
            app.api.addHost("gw", gw.target, null)
            runBlocking {
                val flow = launch(Dispatchers.Default) { app.api.reauth("gw", "anthropic", ui) }
                withTimeout(120_000) { waiting.await() }
                assertTrue(running(claude).isNotEmpty(), "claude setup-token runs on the gateway")
                val t0 = System.nanoTime()
                flow.cancelAndJoin()
                val tookMs = (System.nanoTime() - t0) / 1_000_000
                assertTrue(tookMs < 1_000, "cancel took $tookMs ms")
            }
            val deadline = System.nanoTime() + 5_000_000_000
            while (running(claude).isNotEmpty() && System.nanoTime() < deadline) Thread.sleep(50)
            assertEquals(emptyList(), running(claude), "claude setup-token ended with its PTY")
        }
        assertEquals(before, claudeCodeProfileDaysLeft(gw), 0.01)
    }

    /** A gateway that accepts and never answers: cancelling returns at once and hangs up. */
    @Test
    fun cancellingACheckReturnsWithinASecondAndHangsUp() {
        ServerSocket(0).use { server ->
            App(listOf(JcaSigner(KeyAlgorithm.ECDSA_P256))).use { app ->
                app.api.addHost("silent", "root@127.0.0.1:${server.localPort}", null)
                runBlocking {
                    val check = launch(Dispatchers.Default, start = CoroutineStart.UNDISPATCHED) {
                        app.api.check("silent")
                    }
                    val accepted = async(Dispatchers.IO) { server.accept() }
                    val peer = withTimeout(5_000) { accepted.await() }
                    peer.soTimeout = 3_000
                    Thread.sleep(300)
                    val t0 = System.nanoTime()
                    check.cancelAndJoin()
                    val tookMs = (System.nanoTime() - t0) / 1_000_000
                    assertTrue(tookMs < 1_000, "cancel took $tookMs ms")
                    // The connection is closed from our side: the gateway reads its end.
                    val t1 = System.nanoTime()
                    val eof = try {
                        val buf = ByteArray(4096)
                        var n = peer.getInputStream().read(buf)
                        while (n > 0) n = peer.getInputStream().read(buf)
                        n == -1
                    } catch (e: java.net.SocketException) {
                        true // reset: closed too
                    }
                    val hangUpMs = (System.nanoTime() - t1) / 1_000_000
                    assertTrue(eof, "the gateway side saw the connection end")
                    assertTrue(hangUpMs < 1_000, "hung up after $hangUpMs ms")
                    peer.close()
                }
            }
        }
    }
}
