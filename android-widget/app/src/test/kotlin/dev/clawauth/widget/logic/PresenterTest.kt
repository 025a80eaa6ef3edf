package dev.clawauth.widget.logic

import clawauth.App
import clawauth.JcaSigner
import clawauth.Lab
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertIs
import kotlin.test.assertNotNull
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import uniffi.clawauth_ffi.CheckResult
import uniffi.clawauth_ffi.ClawauthException
import uniffi.clawauth_ffi.KeyAlgorithm

/** The widget's cell for real checks of the loopback sshd gateways (`jvm-lab`), in each state. */
class PresenterTest {
    private val signer = JcaSigner(KeyAlgorithm.ECDSA_P256)

    private fun cellOf(name: String, knownHosts: String? = null): Pair<CellModel, CheckResult> {
        val gw = Lab.gateway(name)
        if (gw.authorizedKeys != null) Lab.authorize(gw, signer)
        App(listOf(signer)).use { app ->
            app.knownHosts(knownHosts ?: gw.knownHostsLine ?: Lab.gateway("ok").knownHostsLine!!)
            app.api.addHost("gw", gw.target, null)
            val r = runBlocking { app.api.check("gw") }
            return Presenter.present("gw", r) to r
        }
    }

    @Test
    fun loadingShowsCheckingAndATapRefreshes() {
        val c = Presenter.loading("gw")
        assertEquals(Tone.LOADING, c.tone)
        assertEquals(Line.Checking, c.line)
        assertEquals(Tap.Refresh, c.tap)
    }

    @Test
    fun okShowsTheTimeLeftAndATapRefreshes() {
        val (c, r) = cellOf("ok")
        assertEquals(Tone.OK, c.tone, c.toString())
        val line = assertIs<Line.TimeLeft>(c.line)
        assertTrue(line.remainingMs > 29L * 86_400_000, line.toString())
        assertEquals("anthropic", line.provider)
        assertEquals(Tap.Refresh, c.tap)
        assertEquals(r.takenAtMs, c.takenAtMs)
        assertEquals(r.glance.headline, c.headline)
    }

    @Test
    fun expiringIsAmberWithTheTimeLeftAndATapReauthenticates() {
        val (c, _) = cellOf("expiring")
        assertEquals(Tone.EXPIRING, c.tone, c.toString())
        val line = assertIs<Line.TimeLeft>(c.line)
        assertTrue(line.remainingMs in 1..86_400_000L, line.toString())
        assertEquals(Tap.Reauth("gw", "anthropic"), c.tap)
    }

    @Test
    fun expiredIsRedAndATapReauthenticates() {
        val (c, _) = cellOf("expired")
        assertEquals(Tone.LAPSED, c.tone, c.toString())
        assertEquals(Line.Expired("anthropic"), c.line)
        assertEquals(Tap.Reauth("gw", "anthropic"), c.tap)
    }

    @Test
    fun missingIsRedAndATapReauthenticates() {
        val (c, _) = cellOf("missing")
        assertEquals(Tone.LAPSED, c.tone, c.toString())
        assertIs<Line.Missing>(c.line)
        assertIs<Tap.Reauth>(c.tap)
    }

    @Test
    fun unreachableIsGreyWithTheLastGoodCheckAndItsAge() {
        val gw = Lab.gateway("ok")
        Lab.authorize(gw, signer)
        App(listOf(signer)).use { app ->
            app.knownHosts(gw.knownHostsLine!!)
            app.api.addHost("gw", gw.target, null)
            val first = Presenter.present("gw", runBlocking { app.api.check("gw") })
            assertEquals(Tone.OK, first.tone)
            app.api.addHost("gw", Lab.gateway("unreachable").target, null)
            val r = runBlocking { app.api.check("gw") }
            val c = Presenter.present("gw", r)
            assertEquals(Tone.UNREACHABLE, c.tone, c.toString())
            val line = assertIs<Line.LastGood>(c.line)
            assertTrue(line.ageMs in 0..120_000L, line.toString())
            val last = assertNotNull(r.lastGood)
            assertEquals(last.headline, line.headline)
            assertTrue(line.headline.contains("working credential"), line.headline)
            assertEquals(last.keptAtMs, c.takenAtMs, "the age is the last good check's")
            assertEquals(Tap.Refresh, c.tap)
        }
        // Nothing known before: the reason instead.
        val (c, _) = cellOf("unreachable")
        assertEquals(Tone.UNREACHABLE, c.tone)
        val line = assertIs<Line.Unreachable>(c.line)
        assertTrue(line.reason.startsWith("cannot connect"), line.reason)
    }

    @Test
    fun aChangedHostKeyBlocksAndATapShowsBothFingerprints() {
        val ok = Lab.gateway("ok")
        val other = Lab.gateway("expiring")
        val forged = ok.knownHostsLine!!.substringBefore(' ') + " " + other.knownHostsLine!!.substringAfter(' ')
        val (c, _) = cellOf("ok", knownHosts = forged)
        assertEquals(Tone.BLOCKED, c.tone, c.toString())
        assertEquals(Line.HostKeyChanged(other.fingerprint!!, ok.fingerprint!!), c.line)
        assertEquals(Tap.HostKeyDetails("gw", other.fingerprint, ok.fingerprint), c.tap)
    }

    @Test
    fun anUntrustedHostKeyLeadsToSetupWithTheFingerprint() {
        val ok = Lab.gateway("ok")
        val (c, _) = cellOf("ok", knownHosts = Lab.gateway("expiring").knownHostsLine!!.replaceBefore(' ', "[other.invalid]:1"))
        assertEquals(Tone.BLOCKED, c.tone, c.toString())
        assertEquals(Line.HostKeyUnknown(ok.fingerprint!!), c.line)
        assertEquals(Tap.Setup("gw"), c.tap)
    }

    @Test
    fun aCheckThatThrowsShowsWhyOrTheLastGoodCheck() {
        App(listOf(signer)).use { app ->
            val e = runCatching { runBlocking { app.api.check("nope") } }.exceptionOrNull()
            val err = assertIs<ClawauthException>(e)
            val c = Presenter.failed("nope", err, app.api.lastGood("nope"))
            assertEquals(Tone.UNREACHABLE, c.tone)
            assertIs<Line.Unreachable>(c.line)
        }
    }
}
