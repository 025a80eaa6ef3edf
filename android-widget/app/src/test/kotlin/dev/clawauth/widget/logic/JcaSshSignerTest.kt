package dev.clawauth.widget.logic

import clawauth.App
import clawauth.Lab
import clawauth.fingerprintOf
import java.io.File
import java.security.KeyPairGenerator
import java.security.spec.ECGenParameterSpec
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import uniffi.clawauth_ffi.KeyAlgorithm
import uniffi.clawauth_ffi.Level
import uniffi.clawauth_ffi.authorizedKey

/**
 * The app's Keystore signer, with JCA keys on the JVM standing in for Android Keystore's (the
 * same `Signature` calls sign with either): the public key line, and a real sshd accepting it.
 */
class JcaSshSignerTest {
    private fun signerOf(algo: String): JcaSshSigner {
        val gen = KeyPairGenerator.getInstance(algo)
        if (algo == "EC") gen.initialize(ECGenParameterSpec("secp256r1"))
        val pair = gen.generateKeyPair()
        return JcaSshSigner("gateway", pair.public, pair.private)
    }

    private fun acceptedIn(log: String, fingerprint: String): Boolean =
        File(log).readLines().any { it.contains("Accepted publickey") && it.contains(fingerprint) }

    @Test
    fun ecdsaP256AndEd25519KeysLogInToARealSshd() {
        for ((algo, prefix) in listOf("EC" to "ecdsa-sha2-nistp256 ", "Ed25519" to "ssh-ed25519 ")) {
            val signer = signerOf(algo)
            val key = authorizedKey(signer, "clawauth-widget")
            assertTrue(key.line.startsWith(prefix) && key.line.endsWith(" clawauth-widget"), key.line)
            assertEquals(fingerprintOf(key.line), key.fingerprint)
            val gw = Lab.gateway("ok")
            Lab.authorize(gw, signer)
            App(listOf(signer)).use { app ->
                app.knownHosts(gw.knownHostsLine!!)
                app.api.addHost("gw", gw.target, null)
                val r = runBlocking { app.api.check("gw") }
                assertEquals(Level.OK, r.glance.level, r.glance.detail)
            }
            assertTrue(acceptedIn(gw.sshdLog!!, key.fingerprint), "sshd accepted ${key.fingerprint} ($algo)")
        }
    }

    @Test
    fun onlyP256AndEd25519AreAccepted() {
        assertEquals(KeyAlgorithm.ECDSA_P256, signerOf("EC").algorithm())
        assertEquals(KeyAlgorithm.ED25519, signerOf("Ed25519").algorithm())
        val p384 = KeyPairGenerator.getInstance("EC").apply { initialize(ECGenParameterSpec("secp384r1")) }.generateKeyPair()
        assertFailsWith<IllegalArgumentException> { JcaSshSigner("x", p384.public, p384.private) }
        val rsa = KeyPairGenerator.getInstance("RSA").apply { initialize(2048) }.generateKeyPair()
        assertFailsWith<IllegalArgumentException> { JcaSshSigner("x", rsa.public, rsa.private) }
    }
}
