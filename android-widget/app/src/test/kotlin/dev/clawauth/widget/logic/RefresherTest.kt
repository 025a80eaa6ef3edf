package dev.clawauth.widget.logic

import clawauth.App
import clawauth.JcaSigner
import clawauth.Lab
import java.io.File
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlinx.coroutines.runBlocking
import uniffi.clawauth_ffi.AppDirs
import uniffi.clawauth_ffi.Clawauth
import uniffi.clawauth_ffi.KeyAlgorithm

/**
 * The scheduled refresh's decision over a sequence of real checks: the gateway "gw" is moved
 * between the lab's gateways (fine, expiring, expired, fine) and checked twice in each state.
 * One notification each time something changes, none otherwise — also across a new app process
 * (the state is kept under the app's files directory).
 */
class RefresherTest {
    @Test
    fun oneNoticeForEachChangeAndNoneWhenNothingChanged() {
        val signer = JcaSigner(KeyAlgorithm.ECDSA_P256)
        val names = listOf("ok", "expiring", "expired")
        names.forEach { Lab.authorize(Lab.gateway(it), signer) }
        App(listOf(signer)).use { app ->
            app.knownHosts(*names.map { Lab.gateway(it).knownHostsLine!! }.toTypedArray())
            val refresher = Refresher(app.api)
            fun at(name: String): Pair<CellModel, NoticeModel?> {
                app.api.addHost("gw", Lab.gateway(name).target, null)
                return runBlocking { refresher.refresh("gw") }
            }

            val (okCell, first) = at("ok")
            assertEquals(Tone.OK, okCell.tone)
            assertNull(first, "fine from the start: nothing to say")
            assertNull(at("ok").second, "same")

            val (expiringCell, worse) = at("expiring")
            assertEquals(Tone.EXPIRING, expiringCell.tone)
            val n1 = assertNotNull(worse, "fine → expiring is news")
            assertEquals(Tone.EXPIRING, n1.tone, n1.toString())
            assertEquals(Tap.Reauth("gw", "anthropic"), n1.reauth)
            assertNull(at("expiring").second, "same")

            val n2 = assertNotNull(at("expired").second, "expiring → expired is news")
            assertEquals(Tone.LAPSED, n2.tone, n2.toString())
            assertEquals(n1.key, n2.key, "the later notice replaces the earlier")
            assertNull(at("expired").second, "same")

            // A new process over the same files (the job after a reboot): still nothing new.
            val root = app.files.parentFile
            Clawauth(
                AppDirs(app.files.path, File(root, "config").path, File(root, "cache").path),
                null, listOf(signer), null, null,
            ).use { again -> assertNull(runBlocking { Refresher(again).refresh("gw") }.second, "same, after a restart") }

            val n3 = assertNotNull(at("ok").second, "expired → fine is news")
            assertEquals(Tone.OK, n3.tone, n3.toString())
            assertNull(n3.reauth, "nothing to do once it is fixed")
            assertNull(at("ok").second, "same")
        }
    }

    @Test
    fun theAlertsLinkOpensTheReauthScreen() {
        assertEquals(Tap.Reauth("gw", "anthropic"), Refresher.parseReauthLink("clawauth://reauth?host=gw"))
        assertEquals(
            Tap.Reauth("my gw", "openai"),
            Refresher.parseReauthLink("clawauth://reauth?host=my%20gw&provider=openai&agent=main"),
        )
        assertNull(Refresher.parseReauthLink("clawauth://reauth?provider=openai"))
        assertNull(Refresher.parseReauthLink("https://example.com/?host=gw"))
    }
}
