package clawauth

import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import uniffi.clawauth_ffi.CheckResult
import uniffi.clawauth_ffi.KeyAlgorithm
import uniffi.clawauth_ffi.Level
import uniffi.clawauth_ffi.Problem
import uniffi.clawauth_ffi.Verdict

/** `check` of a loopback gateway in each state, from Kotlin: the Glance and the problem. */
class CheckTest {
    private val signer = JcaSigner(KeyAlgorithm.ECDSA_P256)

    private fun checkOf(name: String, trusted: Boolean = true, knownHosts: String? = null): CheckResult {
        val gw = Lab.gateway(name)
        if (gw.authorizedKeys != null) Lab.authorize(gw, signer)
        App(listOf(signer)).use { app ->
            when {
                knownHosts != null -> app.knownHosts(knownHosts)
                trusted && gw.knownHostsLine != null -> app.knownHosts(gw.knownHostsLine)
            }
            app.api.addHost("gw", gw.target, null)
            return runBlocking { app.api.check("gw") }
        }
    }

    @Test
    fun aGatewayWithALongLivedTokenIsOk() {
        val r = checkOf("ok")
        assertEquals(Level.OK, r.glance.level, r.glance.detail)
        assertEquals(Verdict.OK, r.verdict)
        assertEquals(0, r.exitCode)
        assertTrue(r.problems.isEmpty(), r.problems.toString())
        assertTrue(r.glance.headline.contains("left"), r.glance.headline)
        val p = r.profiles.single { it.profileId == "anthropic:manual" }
        assertTrue(p.remainingMs!! > 29L * 86_400_000, p.toString())
        assertTrue(r.routes.any { it.provider == "anthropic" && it.outcome == "ok" }, r.routes.toString())
        assertTrue(r.json.contains("\"schema\": 1"), r.json.take(200))
        assertNull(r.offer, "nothing to offer when all is well")
    }

    @Test
    fun aTokenWithin24HoursIsExpiring() {
        val r = checkOf("expiring")
        assertEquals(Level.EXPIRING, r.glance.level, r.glance.detail)
        assertEquals(Verdict.EXPIRING, r.verdict)
        assertEquals(2, r.exitCode)
        assertEquals("anthropic", r.glance.subject?.provider)
        assertTrue(r.problems.isEmpty(), r.problems.toString())
        val offer = assertNotNull(r.offer)
        assertEquals("anthropic", offer.provider)
        assertEquals(uniffi.clawauth_ffi.Method.SETUP_TOKEN, offer.method)
        assertEquals(false, offer.lapsed)
    }

    @Test
    fun aLapsedTokenIsExpired() {
        val r = checkOf("expired")
        assertEquals(Level.EXPIRED, r.glance.level, r.glance.detail)
        assertEquals(Verdict.EXPIRED, r.verdict)
        assertEquals(1, r.exitCode)
        assertTrue(r.problems.isEmpty(), r.problems.toString())
        assertEquals(true, r.offer?.lapsed)
    }

    @Test
    fun routesWithoutACredentialAreMissing() {
        val r = checkOf("missing")
        assertEquals(Level.MISSING, r.glance.level, r.glance.detail)
        assertEquals(Verdict.EXPIRED, r.verdict)
        assertEquals(1, r.exitCode)
    }

    @Test
    fun aGatewayNothingListensOnIsUnreachableWithCannotConnect() {
        val r = checkOf("unreachable")
        assertEquals(Level.UNREACHABLE, r.glance.level)
        assertEquals(Verdict.UNKNOWN, r.verdict)
        assertEquals(3, r.exitCode)
        val p = r.problems.single()
        assertTrue(p is Problem.CannotConnect, p.toString())
    }

    @Test
    fun anUntrustedHostKeyIsHostKeyUnknownWithItsFingerprint() {
        val gw = Lab.gateway("ok")
        val r = checkOf("ok", trusted = false)
        assertEquals(Level.UNREACHABLE, r.glance.level)
        val p = r.problems.single()
        assertTrue(p is Problem.HostKeyUnknown, p.toString())
        assertEquals(gw.fingerprint, p.fingerprint)
        assertEquals("ED25519", p.keyType)
    }

    @Test
    fun aChangedHostKeyIsHostKeyChangedWithBothFingerprints() {
        val ok = Lab.gateway("ok")
        val other = Lab.gateway("expiring")
        // known_hosts holds another machine's key for this gateway's address.
        val port = ok.knownHostsLine!!.substringBefore(' ')
        val forged = port + " " + other.knownHostsLine!!.substringAfter(' ')
        val r = checkOf("ok", knownHosts = forged)
        assertEquals(Level.UNREACHABLE, r.glance.level)
        val p = r.problems.single()
        assertTrue(p is Problem.HostKeyChanged, p.toString())
        assertEquals(other.fingerprint, p.stored)
        assertEquals(ok.fingerprint, p.offered)
    }

    @Test
    fun anUnreachableGatewayShowsItsLastGoodCheckAndItsAge() {
        val gw = Lab.gateway("ok")
        Lab.authorize(gw, signer)
        App(listOf(signer)).use { app ->
            app.knownHosts(gw.knownHostsLine!!)
            app.api.addHost("gw", gw.target, null)
            assertNull(app.api.lastGood("gw"))
            val first = runBlocking { app.api.check("gw") }
            assertEquals(Level.OK, first.glance.level)
            assertNull(first.lastGood)
            // The gateway moves away (its address now answers nothing).
            app.api.addHost("gw", Lab.gateway("unreachable").target, null)
            val second = runBlocking { app.api.check("gw") }
            assertEquals(Level.UNREACHABLE, second.glance.level)
            val last = assertNotNull(second.lastGood)
            assertEquals(Verdict.OK, last.verdict)
            assertTrue(last.ageMs >= 0 && last.ageMs < 120_000, last.toString())
            assertTrue(second.glance.detail.contains("last good check"), second.glance.detail)
            assertEquals(Verdict.OK, assertNotNull(app.api.lastGood("gw")).verdict)
        }
    }
}
