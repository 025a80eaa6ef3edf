package dev.clawauth.widget.logic

import clawauth.App
import clawauth.Gateway
import clawauth.JcaSigner
import clawauth.Lab
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertIs
import kotlin.test.assertTrue
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import uniffi.clawauth_ffi.KeyAlgorithm

/**
 * The re-auth screen's logic driving the real flow: the core runs the stand-in `claude
 * setup-token` on the loopback gateway in a PTY (standing in for Anthropic's sign-in), the "person"
 * answers each screen, and the real OpenClaw CLI then judges the gateway.
 */
class ReauthViewModelTest {
    private fun expiresAt(gw: Gateway): Long {
        val (_, json) = Lab.openclaw(gw, "models", "status", "--json")
        val at = json.indexOf("\"profileId\": \"anthropic:claude-code\"")
        assertTrue(at >= 0, json.take(400))
        return Regex("\"expiresAt\": (\\d+)").find(json, at)!!.groupValues[1].toLong()
    }

    @Test
    fun theScreensLeadToANewTokenThatOpenClawUses() {
        val gw = Lab.gateway("reauth")
        val signer = JcaSigner(KeyAlgorithm.ECDSA_P256)
        Lab.authorize(gw, signer)
        val before = expiresAt(gw)
        val seen = mutableListOf<ReauthScreen>()
        App(listOf(signer)).use { app ->
            app.knownHosts(gw.knownHostsLine!!)
            app.api.addHost("gw", gw.target, null)
            val vm = ReauthViewModel(app.api, "gw", "anthropic")
            runBlocking {
                // The person: opens the browser, types the code it shows, says yes to questions.
                val person = launch(Dispatchers.Default) {
                    vm.state.collect { s ->
                        seen += s
                        when (s) {
                            is ReauthScreen.OpenBrowser -> vm.browserOpened()
                            is ReauthScreen.AskCode -> vm.submitCode(gw.code!!)
                            is ReauthScreen.Confirm -> vm.answer(true)
                            else -> {}
                        }
                    }
                }
                withTimeout(180_000) { vm.run() }
                person.cancelAndJoin()
            }
            val done = assertIs<ReauthScreen.Done>(vm.state.value, seen.toString())
            assertTrue(done.ok, done.headline)
            assertTrue(done.expiresAtMs!! - System.currentTimeMillis() > 364L * 86_400_000, done.toString())
            val browser = seen.filterIsInstance<ReauthScreen.OpenBrowser>().single()
            assertTrue(browser.url.startsWith("https://claude.com/cai/oauth/authorize?"), browser.url)
            assertTrue(seen.any { it is ReauthScreen.AskCode }, seen.toString())
            assertTrue(vm.steps.value.any { it.startsWith("Storing it as anthropic:claude-code") }, vm.steps.value.toString())
            assertTrue(seen.none { it.toString().contains(gw.token!!) }, "the token never reaches the screen")
        }
        // The gateway's judge: the real OpenClaw CLI uses the new token.
        val (code, _) = Lab.openclaw(gw, "models", "status", "--json", "--check")
        assertEquals(0, code, "openclaw models status --check")
        assertTrue(expiresAt(gw) > before, "OpenClaw's anthropic:claude-code is the renewed one")
        assertTrue(expiresAt(gw) - System.currentTimeMillis() > 364L * 86_400_000)
    }

    @Test
    fun cancellingAtTheCodeLeavesTheOldCredential() {
        val gw = Lab.gateway("reauth")
        val signer = JcaSigner(KeyAlgorithm.ECDSA_P256)
        Lab.authorize(gw, signer)
        val before = expiresAt(gw)
        App(listOf(signer)).use { app ->
            app.knownHosts(gw.knownHostsLine!!)
            app.api.addHost("gw", gw.target, null)
            val vm = ReauthViewModel(app.api, "gw", "anthropic")
            runBlocking {
                val flow = launch(Dispatchers.Default) { vm.run() }
                withTimeout(120_000) {
                    vm.state.first { s ->
                        if (s is ReauthScreen.OpenBrowser) vm.browserOpened()
                        if (s is ReauthScreen.Confirm) vm.answer(true)
                        s is ReauthScreen.AskCode
                    }
                }
                val t0 = System.nanoTime()
                vm.cancel()
                flow.join()
                assertTrue((System.nanoTime() - t0) / 1_000_000 < 2_000, "cancel returns promptly")
            }
            val failed = assertIs<ReauthScreen.Failed>(vm.state.value)
            assertTrue(failed.message.contains("old credential"), failed.message)
        }
        assertEquals(before, expiresAt(gw), "nothing was stored")
    }
}
